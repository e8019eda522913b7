"""Tesseract box files (`CHAR left bottom right top page`) and the sheets they describe.

Tesseract's origin is the bottom-left corner of the page, y growing upwards; `to_top_left` flips
a box with its page's height into the top-left pixel coordinates used everywhere else:
y1 = H - top, y2 = H - bottom (x is unchanged). The page column indexes the pages of a multi-page
tif. Characters map to 36 classes, 0-9 then A-Z; anything else (lowercase included: it is not
folded to uppercase) is an unknown label for the validator to report.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lpr.data.boxes import Box
from lpr.data.images import UnreadableImage

CHAR_CLASSES: tuple[str, ...] = tuple("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_CLASS_INDEX = {c: i for i, c in enumerate(CHAR_CLASSES)}


def char_class_index(char: str) -> int | None:
    """0-9 -> 0..9, A-Z -> 10..35, anything else -> None (an unknown label)."""
    return _CLASS_INDEX.get(char)


@dataclass(frozen=True)
class BoxEntry:
    """One line of a box file, as written (bottom-left origin)."""

    line_no: int      # 1-based line number in the file
    char: str
    left: int
    bottom: int
    right: int
    top: int
    page: int


@dataclass(frozen=True)
class BoxLineProblem:
    line_no: int
    text: str
    message: str


@dataclass(frozen=True)
class BoxFile:
    path: Path
    entries: tuple[BoxEntry, ...]
    problems: tuple[BoxLineProblem, ...]


def _ints(fields: Sequence[str]) -> list[int] | None:
    try:
        return [int(f) for f in fields]
    except ValueError:
        return None


def parse_box_line(line: str, line_no: int) -> BoxEntry | BoxLineProblem | None:
    """Parse one line; None for a blank line.

    The character is everything before the five numeric columns, so multi-character tokens
    (ligatures, `##`) come through as unknown labels rather than as parse errors. The
    page column is required: a line with four numbers would be ambiguous (`1 2 3 4 0` could be the
    character `1` or a missing character), so it is reported as a problem.
    """
    if not line.strip():
        return None
    parts = line.strip().rsplit(maxsplit=5)
    if len(parts) == 6 and (numbers := _ints(parts[1:])) is not None:
        return BoxEntry(line_no, parts[0], *numbers)
    return BoxLineProblem(line_no, line.rstrip("\r\n"),
                          "expected `CHAR left bottom right top page` with integer coordinates")


def parse_box_text(text: str, path: Path | str = "<memory>") -> BoxFile:
    entries: list[BoxEntry] = []
    problems: list[BoxLineProblem] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        parsed = parse_box_line(line, line_no)
        if isinstance(parsed, BoxEntry):
            entries.append(parsed)
        elif isinstance(parsed, BoxLineProblem):
            problems.append(parsed)
    return BoxFile(Path(path), tuple(entries), tuple(problems))


def read_box_file(path: Path | str) -> BoxFile:
    """Read a UTF-8 box file. Raises OSError / UnicodeDecodeError for an unreadable file."""
    return parse_box_text(Path(path).read_bytes().decode("utf-8-sig"), path)


@dataclass(frozen=True)
class CharBox:
    """A character's box in top-left pixel coordinates of its page (label = the character)."""

    box: Box
    page: int
    line_no: int

    @property
    def char(self) -> str:
        return self.box.label


def to_top_left(entry: BoxEntry, page_height: int) -> CharBox:
    return CharBox(Box(entry.char, float(entry.left), float(page_height - entry.top),
                       float(entry.right), float(page_height - entry.bottom)),
                   entry.page, entry.line_no)


def load_pages(path: Path | str) -> tuple[np.ndarray, ...]:
    """All pages of a (multi-page) tif as 8-bit grayscale arrays. Raises UnreadableImage."""
    import cv2

    path = Path(path)
    if not path.is_file():
        raise UnreadableImage(f"{path} does not exist")
    ok, pages = cv2.imreadmulti(str(path), flags=cv2.IMREAD_GRAYSCALE)
    if not ok or not pages:
        single = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if single is None:
            raise UnreadableImage(f"{path}: the decoder cannot read it")
        pages = [single]
    return tuple(np.ascontiguousarray(p) for p in pages)


def crop(page: np.ndarray, box: Box) -> np.ndarray:
    """The pixels of an (in-bounds, integer-edged) box; a view into the page."""
    x1, y1, x2, y2 = (int(round(v)) for v in (box.x1, box.y1, box.x2, box.y2))
    return page[y1:y2, x1:x2]


def page_background(page: np.ndarray) -> int:
    """The most frequent gray level (the paper of a binarized sheet)."""
    return int(np.bincount(page.ravel(), minlength=256).argmax())


def text_lines(chars: Sequence[CharBox], min_overlap: float = 0.5) -> list[int]:
    """A text-line index (0, 1, ...) for each character, in box-file (reading) order.

    A new line starts when the page changes, when x jumps back to the left (a carriage return),
    or when the box shares less than `min_overlap` of the smaller height with the previous box.
    """
    result: list[int] = []
    line = -1
    prev: CharBox | None = None
    for cb in chars:
        new = prev is None or cb.page != prev.page or cb.box.x1 < prev.box.x1
        if not new and prev is not None:
            overlap = min(cb.box.y2, prev.box.y2) - max(cb.box.y1, prev.box.y1)
            smaller = min(cb.box.height, prev.box.height)
            new = smaller <= 0 or overlap < min_overlap * smaller
        if new:
            line += 1
        result.append(line)
        prev = cb
    return result
