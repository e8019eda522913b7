"""Labelled pixel boxes and their YOLO (darknet) text form.

Coordinates are continuous pixel coordinates with the origin at the top-left corner of the
image: a box covers x in [x1, x2) and y in [y1, y2), so its width is x2 - x1. Pascal VOC's float
coordinates and Tesseract's integer edges are both read this way (no +-1 pixel convention is
applied).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    label: str
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    def shifted(self, dx: float, dy: float) -> "Box":
        return Box(self.label, self.x1 + dx, self.y1 + dy, self.x2 + dx, self.y2 + dy)


def intersection_area(a: Box, b: Box) -> float:
    w = min(a.x2, b.x2) - max(a.x1, b.x1)
    h = min(a.y2, b.y2) - max(a.y1, b.y1)
    return w * h if w > 0 and h > 0 else 0.0


def xyxy_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x1, y1, x2, y2) boxes; 0 when they do not overlap or
    have no area."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def iou(a: Box, b: Box) -> float:
    """Intersection over union; 0 for boxes without positive area."""
    return xyxy_iou((a.x1, a.y1, a.x2, a.y2), (b.x1, b.y1, b.x2, b.y2))


def yolo_values(box: Box, image_width: float, image_height: float) -> tuple[float, float, float, float]:
    """(cx, cy, w, h) normalized by the image size. Values are not clipped to [0, 1]."""
    if image_width <= 0 or image_height <= 0:
        raise ValueError(f"image size must be positive, got {image_width}x{image_height}")
    return ((box.x1 + box.x2) / 2 / image_width, (box.y1 + box.y2) / 2 / image_height,
            box.width / image_width, box.height / image_height)


def yolo_line(box: Box, class_index: int, image_width: float, image_height: float,
              digits: int = 6) -> str:
    """One darknet label line: `class cx cy w h` (no newline)."""
    cx, cy, w, h = yolo_values(box, image_width, image_height)
    return f"{class_index} {cx:.{digits}f} {cy:.{digits}f} {w:.{digits}f} {h:.{digits}f}"


def yolo_lines(boxes: Iterable[Box], class_names: Sequence[str], image_width: float,
               image_height: float) -> list[str]:
    """YOLO lines for labelled boxes; ValueError for a label outside `class_names`."""
    index = {name: i for i, name in enumerate(class_names)}
    lines = []
    for box in boxes:
        if box.label not in index:
            raise ValueError(f"unknown label {box.label!r} (classes: {', '.join(class_names)})")
        lines.append(yolo_line(box, index[box.label], image_width, image_height))
    return lines
