"""One picture of every plate an evaluation did not read right: ``lpr eval SET --misses FILE``.

Each tile is the labelled plate with some of the image around it, scaled to TILE_WIDTH: the
label's box in green, the box of the read that overlapped it in red, and under it ``truth ->
read (confidence)`` or ``truth -> not found``. Tiles are laid out COLUMNS to a row, in the
set's order. Looking at them is how the kinds of misses show (a lost end character, a box short
of the plate, a letter read as a look-alike digit); lpr.evaluation scores, this only draws.

    from lpr.evaluation import evaluate
    sheet = MissSheet()
    evaluate(reader, "my-set/", on_image=sheet.add)
    sheet.write("misses.png")
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .drawing import ascii_only, write_image
from .evaluation import LabelledImage, PlateOutcome

TILE_WIDTH = 320          # px: every tile is scaled to this width
MAX_TILE_HEIGHT = 200     # px: ... and no taller (very tall label boxes are scaled down further)
CONTEXT = 0.35            # share of the plate's width / height shown around it on each side
CAPTION = 22              # px: the caption band under each tile
COLUMNS = 4
MAX_TILES = 600           # a sheet of more misses than this draws the first MAX_TILES
TRUTH_COLOUR = (60, 200, 0)     # BGR
READ_COLOUR = (40, 40, 230)


class MissSheet:
    """Collects tiles of the plates not read right (``add``: lpr.evaluation.evaluate's
    ``on_image``), and writes them as one image (``write``)."""

    def __init__(self, max_tiles: int = MAX_TILES) -> None:
        if max_tiles < 1:
            raise ValueError(f"max_tiles must be >= 1, got {max_tiles}")
        self.max_tiles = max_tiles
        self.tiles: list[np.ndarray] = []
        self.misses = 0           # every miss seen, drawn or not

    def add(self, item: LabelledImage, pixels: np.ndarray, outcomes: list[PlateOutcome]) -> None:
        """evaluate()'s on_image: a tile for each of this image's plates not read right (`item`
        is not needed: each outcome names its image)."""
        for outcome in outcomes:
            if outcome.right:
                continue
            self.misses += 1
            if len(self.tiles) < self.max_tiles:
                self.tiles.append(_tile(pixels, outcome))

    def write(self, path: str | os.PathLike) -> Path | None:
        """Write the sheet (the format from the extension); None, and nothing written, when
        there was no miss."""
        if not self.tiles:
            return None
        height = max(t.shape[0] for t in self.tiles)
        rows = []
        for start in range(0, len(self.tiles), COLUMNS):
            row = [_pad_to(t, height) for t in self.tiles[start:start + COLUMNS]]
            row += [np.full((height, TILE_WIDTH, 3), 255, np.uint8)] * (COLUMNS - len(row))
            rows.append(np.hstack(row))
        return write_image(path, np.vstack(rows))


def _tile(pixels: np.ndarray, outcome: PlateOutcome) -> np.ndarray:
    """The labelled plate and what was read there, scaled, with its caption."""
    import cv2

    h, w = pixels.shape[:2]
    boxes = [b for b in (outcome.box, outcome.read_box) if b is not None]
    if not boxes:                 # an outcome made by hand, without boxes: the caption alone
        view, scale, x0, y0 = np.full((40, TILE_WIDTH, 3), 255, np.uint8), 1.0, 0, 0
    else:
        x1, y1 = min(b[0] for b in boxes), min(b[1] for b in boxes)
        x2, y2 = max(b[2] for b in boxes), max(b[3] for b in boxes)
        mx, my = CONTEXT * max(x2 - x1, 1.0), CONTEXT * max(y2 - y1, 1.0)
        # clipped to the image, at least one pixel (a label may lie partly or wholly outside it)
        x0, y0 = int(min(max(0, np.floor(x1 - mx)), w - 1)), int(min(max(0, np.floor(y1 - my)), h - 1))
        xe, ye = int(min(w, np.ceil(x2 + mx))), int(min(h, np.ceil(y2 + my)))
        region = pixels[y0:max(ye, y0 + 1), x0:max(xe, x0 + 1)]
        scale = min(TILE_WIDTH / region.shape[1], MAX_TILE_HEIGHT / region.shape[0])
        size = (max(1, round(region.shape[1] * scale)), max(1, round(region.shape[0] * scale)))
        view = cv2.resize(region, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        view = _pad_width(view)
    for box, colour in ((outcome.box, TRUTH_COLOUR), (outcome.read_box, READ_COLOUR)):
        if box is not None:
            p1 = (int(round((box[0] - x0) * scale)), int(round((box[1] - y0) * scale)))
            p2 = (int(round((box[2] - x0) * scale)), int(round((box[3] - y0) * scale)))
            cv2.rectangle(view, p1, p2, colour, 1, cv2.LINE_AA)
    read = "not found" if outcome.read is None else (
        outcome.read + (f" ({outcome.confidence:.2f})" if outcome.confidence is not None else ""))
    caption = np.full((CAPTION, TILE_WIDTH, 3), 255, np.uint8)
    text = ascii_only(f"{outcome.truth or 'a plate'} -> {read}  {outcome.image}")
    cv2.putText(caption, text, (4, CAPTION - 7), 0, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([view, caption])


def _pad_width(image: np.ndarray) -> np.ndarray:
    """``image`` centred on a white band TILE_WIDTH wide."""
    out = np.full((image.shape[0], TILE_WIDTH, 3), 255, np.uint8)
    left = (TILE_WIDTH - image.shape[1]) // 2
    out[:, left:left + image.shape[1]] = image
    return out


def _pad_to(tile: np.ndarray, height: int) -> np.ndarray:
    """``tile`` with white rows below it up to ``height``."""
    if tile.shape[0] == height:
        return tile
    return np.vstack([tile, np.full((height - tile.shape[0], tile.shape[1], 3), 255, np.uint8)])
