"""Draw what the reader found: plate boxes, a filled label with the text and confidence, thin
character boxes; and write the result to an image file.

    image = cv2.imread("car.jpg")
    write_image("out/car.png", draw_plates(image, reader.read(image)))

Line widths and the font scale follow the image size, so a 320x240 frame and a 24-megapixel photo
both get readable marks. Needs OpenCV (``pip install opencv-python-headless``).
"""
from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .results import PlateRead

MATCHED = (60, 200, 0)        # BGR: a plate whose text fits a country's format
UNMATCHED = (0, 165, 255)     # the raw characters, no format matched
CHARS = (255, 190, 0)
FONT = 0                      # cv2.FONT_HERSHEY_SIMPLEX (no cv2 import at module load)
LABEL_TRIES = 4               # spots above (and below) a box tried for a label that would cover another


class ImageWriteError(ValueError):
    """OpenCV cannot encode this image to the requested file type."""


def _cv2():
    try:
        import cv2
    except ImportError:
        raise ImportError("drawing needs OpenCV: pip install opencv-python-headless") from None
    return cv2


def _bgr_copy(image: np.ndarray) -> np.ndarray:
    """A writable H x W x 3 uint8 copy of ``image`` (grayscale, BGRA and other depths converted)."""
    if isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3 \
            and image.shape[0] >= 1 and image.shape[1] >= 1:
        return np.ascontiguousarray(image).copy()
    from .image_input import as_bgr

    out = as_bgr(image)
    return out.copy() if np.shares_memory(out, image) else out


def ascii_only(text: str) -> str:
    """OpenCV's Hershey fonts draw ASCII only."""
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)


def _points(box, width: int, height: int) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """Integer corners of ``box``, clamped to a band around the image (cv2 wants int32);
    None when the box is not finite."""
    try:
        x1, y1, x2, y2 = (float(v) for v in box)
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        return None
    x1, x2 = sorted((x1, x2))
    y1, y2 = sorted((y1, y2))

    def clamp(v: float, size: int) -> int:
        return int(round(min(max(v, -size - 1.0), 2.0 * size + 1.0)))

    return (clamp(x1, width), clamp(y1, height)), (clamp(x2, width), clamp(y2, height))


def default_label(plate: PlateRead) -> str:
    """What draw_plates writes above a plate: its text and confidence."""
    return f"{plate.text} {plate.confidence:.2f}" if plate.text else f"? {plate.confidence:.2f}"


def _style(width: int, height: int) -> dict[str, float | int]:
    unit = max(width, height) / 1000.0
    return {
        "box": max(1, round(3 * unit)),
        "chars": max(1, round(unit)),
        "font_scale": max(0.3, 0.9 * unit),
        "font_thickness": max(1, round(2 * unit)),
    }


def _label_origin(x1: int, y1: int, y2: int, label_w: int, label_h: int,
                  width: int, height: int, placed: Sequence[tuple[int, int, int, int]] = ()) -> tuple[int, int]:
    """Top-left corner of the label: above the box when it fits, else below it, else inside
    its top edge; always inside the image when the label is smaller than the image. When that
    spot overlaps a label already `placed` (x1, y1, x2, y2), the nearest free spot above the
    box, or else below it, in steps of the label's height (two plates side by side in the
    distance would write over each other's text); the first spot when none is free."""
    x = min(max(x1, 0), max(width - label_w, 0))
    if y1 - label_h >= 0:
        first = y1 - label_h
    elif y2 + label_h <= height:
        first = max(y2, 0)
    else:
        first = y1
    first = min(max(first, 0), max(height - label_h, 0))
    if not placed:
        return x, first

    def free(y: int) -> bool:
        return not any(x < px2 and px1 < x + label_w and y < py2 and py1 < y + label_h
                       for px1, py1, px2, py2 in placed)

    above = [y1 - label_h * k for k in range(1, LABEL_TRIES + 1) if y1 - label_h * k >= 0]
    below = [y2 + label_h * k for k in range(LABEL_TRIES) if y2 + label_h * (k + 1) <= height]
    for y in [first] + above + below:
        if free(y):
            return x, y
    return x, first


def draw_plates(image_bgr: np.ndarray, plates: Sequence[PlateRead], *, show_chars: bool = True,
                labels: Sequence[str | None] | None = None) -> np.ndarray:
    """An annotated copy of ``image_bgr`` (the input is left as it is).

    Each plate gets its box (green when its text fits a country's format, orange otherwise), a
    filled label with ``text confidence`` above it (kept inside the image) and, with
    ``show_chars``, a thin box per character. ``labels``: one text per plate to write instead
    (None keeps the default), e.g. a video track's best reading so far.
    Grayscale, BGRA and non-uint8 images are converted to BGR uint8 first.
    """
    cv2 = _cv2()
    out = _bgr_copy(image_bgr)
    height, width = out.shape[:2]
    if labels is not None and len(labels) != len(plates):
        raise ValueError(f"labels: expected one per plate ({len(plates)}), got {len(labels)}")
    style = _style(width, height)
    # characters first, so plate boxes and labels stay on top
    if show_chars:
        for plate in plates:
            for char in plate.chars:
                corners = _points(char.box, width, height)
                if corners is not None:
                    cv2.rectangle(out, corners[0], corners[1], CHARS, style["chars"], cv2.LINE_AA)
    placed: list[tuple[int, int, int, int]] = []     # the labels so far: the first plates' get their spot
    drawn_labels = []
    scale, thick = style["font_scale"], style["font_thickness"]
    for i, plate in enumerate(plates):
        corners = _points(plate.box, width, height)
        if corners is None:
            continue
        (x1, y1), (x2, y2) = corners
        color = MATCHED if plate.country else UNMATCHED
        cv2.rectangle(out, (x1, y1), (x2, y2), color, style["box"], cv2.LINE_AA)
        text = labels[i] if labels is not None and labels[i] is not None else default_label(plate)
        text = ascii_only(text)
        if not text:
            continue
        (text_w, text_h), baseline = cv2.getTextSize(text, FONT, scale, thick)
        pad = max(1, round(text_h * 0.3))
        label_w, label_h = text_w + 2 * pad, text_h + baseline + 2 * pad
        lx, ly = _label_origin(x1, y1, y2, label_w, label_h, width, height, placed)
        placed.append((lx, ly, lx + label_w, ly + label_h))
        if ly + label_h < y1 or ly > y2:      # moved off the box by other labels: a line leads back to it
            start = (lx + pad, ly + label_h - 1 if ly < y1 else ly)
            cv2.line(out, start, (max(x1, lx + pad), y1 if ly < y1 else y2), color, style["chars"], cv2.LINE_AA)
        drawn_labels.append((lx, ly, label_w, label_h, pad, text_h, text, color))
    for lx, ly, label_w, label_h, pad, text_h, text, color in drawn_labels:    # on top of every line
        cv2.rectangle(out, (lx, ly), (lx + label_w - 1, ly + label_h - 1), color, cv2.FILLED)
        cv2.putText(out, text, (lx + pad, ly + pad + text_h), FONT, scale, (0, 0, 0), thick, cv2.LINE_AA)
    return out


def write_image(path: str | os.PathLike, image: np.ndarray) -> Path:
    """Write ``image`` to ``path`` in the format its extension names (``.png``, ``.jpg``, ...),
    creating the folder. Raises ImageWriteError when OpenCV cannot encode it (unknown
    extension, unsupported shape or depth). Returns the path."""
    cv2 = _cv2()
    path = Path(path)
    ext = path.suffix.lower()
    if not ext:
        raise ImageWriteError(f"{path}: no file extension to pick the image format from (use .png or .jpg)")
    if not isinstance(image, np.ndarray) or image.size == 0:
        shape = getattr(image, "shape", None)
        raise ImageWriteError(f"{path}: nothing to write (expected a non-empty image array, got "
                              f"{type(image).__name__}{'' if shape is None else f' of shape {shape}'})")
    try:
        ok, encoded = cv2.imencode(ext, image)
    except cv2.error as exc:
        message = (getattr(exc, "err", None) or str(exc)).strip().splitlines()[-1]
        raise ImageWriteError(f"{path}: OpenCV cannot encode a {image.dtype} image of shape {image.shape} "
                              f"as {ext} ({message})") from None
    if not ok:
        raise ImageWriteError(f"{path}: OpenCV could not encode the image as {ext}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encoded.tobytes())
    return path
