"""Pascal VOC XML (LabelImg style) annotations: reading one file and writing its YOLO lines.

`parse_voc` never raises on bad content: a malformed file, a missing field or a coordinate that is
not a finite number comes back as a `VocProblem` for the validator to report.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lpr.data.boxes import Box, yolo_lines
from lpr.data.issues import IssueKind

_COORDS = ("xmin", "ymin", "xmax", "ymax")


@dataclass(frozen=True)
class VocAnnotation:
    path: Path
    filename: str | None       # the <filename> field, as written (often stale; pairing is by file name)
    width: int | None          # <size>: None when absent or 0 (then the image's real size rules)
    height: int | None
    boxes: tuple[Box, ...]


@dataclass(frozen=True)
class VocProblem:
    path: Path
    kind: IssueKind            # UNREADABLE_ANNOTATION or INVALID_ANNOTATION
    message: str


def _text(element: ET.Element | None, tag: str) -> str | None:
    if element is None:
        return None
    child = element.find(tag)
    if child is None or child.text is None:
        return None
    text = child.text.strip()
    return text or None


def _number(text: str | None) -> float | None:
    """A finite float, or None for a missing / non-numeric / nan / inf value."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _size(root: ET.Element, errors: list[str]) -> tuple[int | None, int | None]:
    size = root.find("size")
    result: list[int | None] = []
    for tag in ("width", "height"):
        raw = _text(size, tag)
        if raw is None:
            result.append(None)
            continue
        value = _number(raw)
        if value is None or value < 0 or value != int(value):
            errors.append(f"<size><{tag}> is {raw!r}, not a whole number >= 0")
            result.append(None)
        else:
            result.append(int(value) or None)   # 0 is what some tools write for "unknown"
    return result[0], result[1]


def parse_voc_text(text: str | bytes, path: Path | str = "<memory>") -> VocAnnotation | VocProblem:
    path = Path(path)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        return VocProblem(path, IssueKind.UNREADABLE_ANNOTATION, f"malformed XML: {exc}")
    if root.tag != "annotation":
        return VocProblem(path, IssueKind.INVALID_ANNOTATION, f"root element is <{root.tag}>, not <annotation>")

    errors: list[str] = []
    width, height = _size(root, errors)
    boxes: list[Box] = []
    for index, obj in enumerate(root.findall("object")):
        name = _text(obj, "name")
        if name is None:
            errors.append(f"object {index}: no <name>")
        bndbox = obj.find("bndbox")
        if bndbox is None:
            errors.append(f"object {index}: no <bndbox>")
            continue
        values = []
        for tag in _COORDS:
            raw = _text(bndbox, tag)
            value = _number(raw)
            if value is None:
                errors.append(f"object {index}: <{tag}> is {'missing' if raw is None else repr(raw)}")
            values.append(value)
        if name is not None and all(v is not None for v in values):
            boxes.append(Box(name, *values))  # type: ignore[arg-type]
    if errors:
        return VocProblem(path, IssueKind.INVALID_ANNOTATION, "; ".join(errors))
    return VocAnnotation(path=path, filename=_text(root, "filename"), width=width, height=height,
                         boxes=tuple(boxes))


def parse_voc(path: Path | str) -> VocAnnotation | VocProblem:
    """Read one VOC XML file. I/O errors and malformed XML come back as a problem, not a raise."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return VocProblem(path, IssueKind.UNREADABLE_ANNOTATION, f"cannot read: {exc.strerror or exc}")
    return parse_voc_text(data, path)


def voc_to_yolo_lines(annotation: VocAnnotation, class_names: Sequence[str],
                      image_width: int, image_height: int) -> list[str]:
    """YOLO lines for every box, normalized by the image's real size (not clipped).

    Raises ValueError for a label outside `class_names` (validate first: unknown labels are
    reported and their files left out, never guessed).
    """
    try:
        return yolo_lines(annotation.boxes, class_names, image_width, image_height)
    except ValueError as exc:
        raise ValueError(f"{annotation.path}: {exc}") from None
