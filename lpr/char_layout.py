"""Reading order of a plate's characters: rows top to bottom, left to right within a row."""
from __future__ import annotations

from collections.abc import Sequence
from statistics import median

import numpy as np

Box = tuple[float, float, float, float]

ROW_GAP = 0.6    # a jump in vertical centre above this share of the median height starts a new row


def reading_order(boxes: Sequence[Box]) -> tuple[list[int], list[int]]:
    """Indices of ``boxes`` in reading order, and each one's row (0 = top), same order.

    Two-row plates (square, motorcycle): the centres split where they jump by more than
    ROW_GAP character heights; more than two rows are not a plate and stay one row.
    """
    if not boxes:
        return [], []
    # plain Python: plates have a few boxes, where numpy's per-call cost is most of the work
    cy = [(b[1] + b[3]) / 2 for b in boxes]
    height = median([b[3] - b[1] for b in boxes]) or 1.0
    rows = [0] * len(boxes)
    if len(boxes) >= 4:
        by_y = sorted(range(len(boxes)), key=cy.__getitem__)
        jumps = [cy[j] - cy[i] for i, j in zip(by_y, by_y[1:])]
        cut = max(range(len(jumps)), key=jumps.__getitem__)
        if jumps[cut] > ROW_GAP * height:
            for i in by_y[cut + 1:]:
                rows[i] = 1
    order = sorted(range(len(boxes)), key=lambda i: (rows[i], (boxes[i][0] + boxes[i][2]) / 2))
    return order, [rows[i] for i in order]


def skew_angle(boxes: Sequence[Box], rows: Sequence[int]) -> float:
    """Degrees the text baseline is turned clockwise (image y down), from a least-squares line
    through the bottom-centres of the longest row; 0 with fewer than 3 characters in it."""
    if not boxes:
        return 0.0
    rows = np.asarray(rows)
    row = int(np.bincount(rows).argmax())
    b = np.asarray(boxes, dtype=np.float64)[rows == row]
    if len(b) < 3:
        return 0.0
    x = (b[:, 0] + b[:, 2]) / 2
    y = b[:, 3]
    if np.ptp(x) < 1e-6:
        return 0.0
    slope = np.polyfit(x, y, 1)[0]
    return float(np.degrees(np.arctan(slope)))


def halve_widest(boxes: Sequence[Box], ratio: float) -> list[Box] | None:
    """``boxes`` with the widest one cut into two halves side by side, when there are three or
    more and it is at least ``ratio`` times as wide as the others' median (the upper of the two
    middle ones for an even count); else None. Two glyphs of a narrow font that touch ("10",
    "11", "JK") make one component, often no wider than one glyph of the font, which the contour
    segmenter's cuts keep whole when no column between them is nearly empty; this offers the
    reader one segmentation with that component read as two characters."""
    if len(boxes) < 3:
        return None
    widths = [b[2] - b[0] for b in boxes]
    k = max(range(len(boxes)), key=widths.__getitem__)
    rest = sorted(widths[:k] + widths[k + 1:])
    if widths[k] < ratio * rest[len(rest) // 2]:
        return None
    x1, y1, x2, y2 = boxes[k]
    middle = (x1 + x2) / 2
    return [*boxes[:k], (x1, y1, middle, y2), (middle, y1, x2, y2), *boxes[k + 1:]]
