"""Reading order of a plate's characters: rows top to bottom, left to right within a row."""
# lpr-build: compiled (this file, as it is, by Cython: CMakeLists.txt, "compiled Python")
from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import median


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
    counts = [0] * (max(rows) + 1)
    for r in rows:
        counts[r] += 1
    row = counts.index(max(counts))                 # the longest row; the upper one on a tie
    # plain Python, as in reading_order: np.polyfit costs ~0.15 ms for a line through a few points
    xs = [(b[0] + b[2]) / 2 for b, r in zip(boxes, rows) if r == row]
    ys = [float(b[3]) for b, r in zip(boxes, rows) if r == row]
    if len(xs) < 3 or max(xs) - min(xs) < 1e-6:
        return 0.0
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / spread
    return math.degrees(math.atan(slope))


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
    return _cut_in_two(boxes, k, k + 1)


def even_recuts(boxes: Sequence[Box], uneven: float, touching: float) -> list[tuple[int, list[Box]]]:
    """For each two neighbours ``boxes[i]``, ``boxes[i + 1]`` (reading order) that touch (the gap
    between them at most ``touching`` of the taller one's height), stand in one row and differ in
    width by at least ``uneven`` of their mean width: ``(i, boxes)`` with the two replaced by
    their joint box cut into two halves of equal width. A touching pair is one component, which
    the contour segmenter cuts at its emptiest column: between two glyphs of a narrow font that
    touch through their stems (VH, GH, RU) that column is a crossbar or a bowl inside one glyph,
    and the cut leaves one glyph and a half beside a half. Cut evenly, it is two glyphs again."""
    out = []
    for i in range(len(boxes) - 1):
        a, b = boxes[i], boxes[i + 1]
        height = max(a[3] - a[1], b[3] - b[1])
        if height <= 0 or b[0] < a[0] or b[0] - a[2] > touching * height:
            continue
        if abs((a[1] + a[3]) - (b[1] + b[3])) / 2 > ROW_GAP * height:
            continue        # rows of a two-row plate: the last of the top row and the first below
        wa, wb = a[2] - a[0], b[2] - b[0]
        if abs(wa - wb) < uneven * (wa + wb) / 2:
            continue
        out.append((i, _cut_in_two(boxes, i, i + 2)))
    return out


def _cut_in_two(boxes: Sequence[Box], start: int, stop: int) -> list[Box]:
    """``boxes`` with ``boxes[start:stop]`` (neighbours in a row) replaced by their joint box cut
    into two halves of equal width."""
    joint = boxes[start:stop]
    x1, x2 = joint[0][0], joint[-1][2]
    y1, y2 = min(b[1] for b in joint), max(b[3] for b in joint)
    middle = (x1 + x2) / 2
    return [*boxes[:start], (x1, y1, middle, y2), (middle, y1, x2, y2), *boxes[stop:]]
