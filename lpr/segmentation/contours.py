"""Characters of a plate crop by thresholding and connected components (no model).

    segment_characters(plate_bgr) -> [CharBox]   boxes in crop pixels, top row first, left to right
    segment_candidates(plate_bgr) -> [[CharBox]] that reading first, then other ink masks' and eager ones
    PlateSegmentations(plate_bgr)   the same in two steps: the first reading now, the others when asked
    char_crops(plate_bgr, boxes) -> N x 100 x 75 float32 in [0, 1], dark character on light

The crop (BGR or grey uint8: a detector's box with some margin, dark-on-light or light-on-dark,
any size) is resized to about WORK_SIDE^2 pixels; every size rule (here and in char_rows) is
a share of that "unit" (the root of the resized area) or of the character height found. Steps:

  * grey, CLAHE; local minimum and maximum over about a character's window;
  * ink masks for dark and for light text, each at two levels of the local range: half-way
    (whole strokes) and a strict one that parts glyphs blurred into each other;
  * per mask, connected components (8-connected, numbered as OpenCV numbers them); the
    character height is the one most components agree on; rows are clusters of their centres
    (a second row stacked on a short first one: square and motorcycle plates); pieces of one
    broken glyph are merged; components wider than a character are cut at their emptiest
    column; what is not character-like by height, width and position on the row line (border,
    EU band, screws, dots, dashes, small print, the scene) is dropped;
  * with alternatives, the chosen polarity is also read against a background that keeps a hard
    shadow's edge (a morphological closing instead of a blurred local maximum, in a smaller
    window): where a shadow's edge crosses a character, the blurred background there lies between
    the sunlit and the shadowed plate, so the shadowed plate beside the edge reads as ink and
    swallows the character;
  * the reading with the most plausible character set comes first; when both polarities read a row,
    the one inside the other's band is the text (the gaps between dark characters, read as
    light ink, reach from border to border); blobs of another colour than their row's
    (EU band, stickers) are dropped; colour is measured against the light on it (shadow edges).

This module makes the work images and the ink masks (OpenCV, NumPy) and chooses among the
readings; the rules from a mask's components to rows of characters, with their constants, are
compiled (lpr/segmentation/char_rows.pyx: the same numbers as the pure Python they replaced,
2.5 times quicker; tests/assets/segmenter-reference.json holds them to it).

On synthetic crops (lpr.synth.compose.plate_crop) it finds ~99.5% of the characters of clean
plates and ~97% under the full augmentation (blur, dirt, shadows, noise) at IoU 0.5; ~0.7 ms
for a 200 x 50 crop (the first segmentation; 1.3-1.7 ms a real crop with the alternatives).
"""
# lpr-build: compiled (this file, as it is, by Cython: CMakeLists.txt, "compiled Python")
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

import numpy as np

from . import char_patches, char_rows
from .char_rows import Blob, Components, Reading

# --------------------------------------------------------------------------- parameters

WORK_SIDE = 128             # px: crops are resized to about this many px squared (the "unit" below is the
                            # root of the resized area): plates of every shape then have characters ~0.2-0.35 unit tall
MAX_WORK_SIDE = 512         # px: the longest work side (a time bound for crops far from a plate's shape)
MIN_SIDE = 6                # px: a crop with a side below this cannot hold a readable character
MIN_CONTRAST = 16.0         # grey levels between the 1st and 99th percentile: below, the crop is blank
CLAHE_CLIP = 2.0            # contrast-limited equalisation: lifts dim and shadowed plates, little noise gain
CLAHE_TILES = (2, 4)        # rows x columns: about one tile per few characters (uneven light along the plate)
BLOCK_SHARE = 0.23          # local min / max window (share of the unit): about one character, many strokes wide
SHADOW_BLOCK_SHARE = 0.16   # the shadow-edge reading's window (segment_candidates): wider than a stroke, so the
                            # closing fills the strokes (0.08-0.2 read alike on our tuning sets, 0.23 less)
INK_LEVELS = (0.5, 0.7)     # ink: this share of the local range away from the background (strict: touching glyphs part)
LIGHT_STRICT = 0.5          # light ink is read strictly only when its lenient reading scores this share of the dark one
MIN_COMPARED = 3            # readings of both polarities with this many characters each are compared by position:
SAME_STRETCH = 0.5          # ... when their spans overlap by this share of the shorter,
TALLER = 1.12               # ... and one is this much taller and holds the other in its band, the other is the text
LIGHT_TIE = 1.0             # ... but light text only within this many points of the dark reading's score
COMPARED_COUNT = 0.7        # ... if it has about as many characters (a few counters of O, B, D do not count)
LOCAL_CONTRAST = 24         # grey levels of local min-max range below which a window holds no ink
GREY_CHROMA = 12            # colour difference (grey levels) below which a crop is treated as grey
CROP_SIZE = (75, 100)       # width, height of char_crops' crops unless told: the study CNN's input
                            # (the reader asks for its own CNN's, 36x48 for the slim and compact ones)


@dataclass(frozen=True, slots=True)
class CharBox:
    """One character found on a plate crop."""

    box: tuple[float, float, float, float]     # x1, y1, x2, y2 in crop pixels (continuous, [x1, x2))
    row: int = 0                               # 0 = top row


# --------------------------------------------------------------------------- public API

def segment_characters(plate_bgr: np.ndarray) -> list[CharBox]:
    """The characters of a plate crop, top row first, each row left to right; [] when none."""
    found = segment_candidates(plate_bgr, alternatives=False)
    return found[0] if found else []


def segment_candidates(plate_bgr: np.ndarray, alternatives: bool = True) -> list[list[CharBox]]:
    """The segmentations of a plate crop worth reading: the most plausible one first (what
    segment_characters returns), then, with `alternatives`, the other ink masks' readings
    (each polarity at each ink level), eager ones of the first's polarity (touching glyphs
    cut more readily: EAGER_SPLITTING) and its reading against a background that keeps a
    shadow's edge (SHADOW_BLOCK_SHARE), distinct and non-empty. The geometry alone cannot
    always tell them apart (an H of a narrow font cut as 'II', two narrow glyphs blurred into
    one); a recognizer and the format rules can: see lpr.reader. PlateSegmentations gives the
    same in two steps."""
    return PlateSegmentations(plate_bgr).candidates(alternatives)


class PlateSegmentations:
    """segment_candidates of one plate crop in two steps: the work the first segmentation needs
    when made, the alternatives' only when ``candidates(alternatives=True)`` is first asked
    for (a caller that decides from the first one whether it needs them then pays only for what
    it reads: lpr.reader). Holds the crop's work images until dropped."""

    def __init__(self, plate_bgr: np.ndarray) -> None:
        self._first: list[list[CharBox]] = []
        self._all: list[list[CharBox]] | None = None
        self._state = None
        gray = _gray(plate_bgr)
        norm = None if gray is None else _work_image(gray)
        if norm is None:
            self._all = []
            return
        colour = _colour_image(plate_bgr, norm.shape)
        lo, hi = _local_range(norm)
        readings, best, components = _readings(norm, lo, hi)
        chroma: dict = {}       # the blobs' ink colours, for char_rows.same_colour: readings of one mask share blobs
        chosen = _choose(best, colour, chroma)
        self._scale = norm.shape[1] / gray.shape[1], norm.shape[0] / gray.shape[0]
        self._first = [self._boxes(chosen.rows)] if chosen.rows else []
        self._state = (norm, colour, lo, hi, readings, best, components, chroma, chosen)

    def candidates(self, alternatives: bool = True) -> list[list[CharBox]]:
        """segment_candidates(plate_bgr, alternatives) (a new list each call)."""
        if not alternatives:
            return list(self._first)
        if self._all is None:
            self._all = self._with_alternatives()
            self._state = None
        return list(self._all)

    def _boxes(self, rows: list[list[Blob]]) -> list[CharBox]:
        sx, sy = self._scale
        return [CharBox((b.x1 / sx, b.y1 / sy, b.x2 / sx, b.y2 / sy), r) for r, row in enumerate(rows) for b in row]

    def _with_alternatives(self) -> list[list[CharBox]]:
        norm, colour, lo, hi, readings, best, components, chroma, chosen = self._state
        out = list(self._first)
        dark = chosen is best[True]
        for level in INK_LEVELS:     # light text's strict mask is made only when it is read (_readings)
            if (dark, level) not in components:
                components[dark, level] = _components(_ink(norm, lo, hi, dark, level))
        eager = [char_rows.read(components[dark, level], char_rows.EAGER_SPLITTING) for level in INK_LEVELS]
        edge_range = _local_range(norm, SHADOW_BLOCK_SHARE, sharp=True)
        shadow_edge = char_rows.read(_components(_ink(norm, *edge_range, dark, INK_LEVELS[0])))
        for reading in readings + eager + [shadow_edge]:
            if reading is chosen or not reading.rows:
                continue
            other = self._boxes(char_rows.same_colour(reading, colour, chroma) if colour is not None else reading.rows)
            if other and other not in out:
                out.append(other)
        return out


def char_crops(plate_bgr: np.ndarray, boxes: Sequence[CharBox | Sequence[float]],
               size: tuple[int, int] = CROP_SIZE, dark_on_light: bool | None = None) -> np.ndarray:
    """N x height x width float32 in [0, 1]: each box padded a little, resized keeping its aspect
    ratio, centred on a light background, the character dark. `dark_on_light`: the plate's
    polarity (default: read from the boxes, ink against the ring around them). Compiled:
    char_patches.character_images."""
    cw, ch = size
    gray = _gray(plate_bgr)
    if gray is None or not len(boxes):
        return np.ones((len(boxes), ch, cw), dtype=np.float32)
    return char_patches.character_images(gray, _box_tuples(boxes), cw, ch, dark_on_light)


def is_dark_on_light(plate_bgr: np.ndarray, boxes: Sequence[CharBox | Sequence[float]]) -> bool:
    """The polarity char_crops reads from `boxes` when not told: whether the ring around them
    is lighter than the ink within them (voted over the boxes; True when nothing to vote on)."""
    return sum(polarity_votes(plate_bgr, boxes)) >= 0


def polarity_votes(plate_bgr: np.ndarray, boxes: Sequence[CharBox | Sequence[float]]) -> list[int]:
    """Each box's vote in is_dark_on_light: +1 when the ring around it is lighter than the ink
    within it, -1 when darker, 0 when there is nothing to compare. A box's vote does not depend
    on the other boxes, so a caller reading several segmentations that share boxes can keep
    them (lpr.reader)."""
    gray = _gray(plate_bgr)
    if gray is None or not len(boxes):
        return [0] * len(boxes)
    return char_patches.polarity_votes(gray, _box_tuples(boxes))


# --------------------------------------------------------------------------- helpers

def _box_tuples(boxes: Sequence[CharBox | Sequence[float]]) -> list[tuple[float, ...]]:
    return [b.box if isinstance(b, CharBox) else tuple(b) for b in boxes]


def _gray(image: np.ndarray | None) -> np.ndarray | None:
    """uint8 grey of a BGR / BGRA / grey image; None when there is nothing to read."""
    import cv2

    if image is None or not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.size == 0:
        return None
    if image.shape[0] < MIN_SIDE or image.shape[1] < MIN_SIDE:
        return None
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        return np.ascontiguousarray(image)
    channels = image.shape[2]
    if channels == 1:
        return np.ascontiguousarray(image[..., 0])
    if channels == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if channels == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    return None


def _colour_image(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray | None:
    """The BGR crop at the work size; None for a grey one (nothing to compare)."""
    import cv2

    if image.ndim != 3 or image.shape[2] < 3:
        return None
    small = cv2.resize(np.ascontiguousarray(image[..., :3]), (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    sample = small[::4, ::4].astype(np.int16)
    if int(np.abs(sample[..., 0] - sample[..., 2]).max()) < GREY_CHROMA and \
            int(np.abs(sample[..., 1] - sample[..., 2]).max()) < GREY_CHROMA:
        return None
    return small


def _readings(norm: np.ndarray, lo: np.ndarray, hi: np.ndarray
              ) -> tuple[list[Reading], dict[bool, Reading], dict[tuple[bool, float], Components]]:
    """Every ink mask's reading (dark text at each level, then light text) of the work image
    `norm` and its _local_range, the most plausible one per polarity (key: dark), and
    each mask's components (key: dark, level), for other readings of the same masks."""
    readings, best, components = [], {}, {}
    for dark in (True, False):
        for level in INK_LEVELS:
            if not dark and level != INK_LEVELS[0] and best[False].score < LIGHT_STRICT * best[True].score:
                break       # light text is unlikely: do not cut the background into "characters"
            components[dark, level] = _components(_ink(norm, lo, hi, dark, level))
            reading = char_rows.read(components[dark, level])
            readings.append(reading)
            if dark not in best or reading.score > best[dark].score:
                best[dark] = reading
    return readings, best, components


def _choose(best: dict[bool, Reading], colour: np.ndarray | None = None, chroma: dict | None = None
            ) -> Reading:
    """The most plausible of the two polarities' best readings; its rows keep only the blobs of
    their row's colour (the reading is changed in place; `chroma`: see char_rows.same_colour)."""
    dark, light = best[True], best[False]
    if dark.score >= light.score:
        # light text inside a dark reading's band: only a near tie, light-on-dark plates are rare
        inner = _inside(dark, light)
        chosen = light if inner is light and light.score >= dark.score - LIGHT_TIE else dark
    else:
        chosen = dark if _inside(light, dark) is dark else light
    if colour is not None:
        chosen.rows = char_rows.same_colour(chosen, colour, {} if chroma is None else chroma)
    return chosen


def _inside(a: Reading, b: Reading) -> "Reading | None":
    """The reading lying inside the other one's band when both read the same stretch of plate
    (text is inside its background: read with the wrong polarity, the gaps between the
    characters make a row of "characters" reaching from border to border); None when neither does."""
    if sum(map(len, a.rows)) < MIN_COMPARED or sum(map(len, b.rows)) < MIN_COMPARED:
        return None
    ax1, ay1, ax2, ay2 = _extent(a)
    bx1, by1, bx2, by2 = _extent(b)
    overlap = min(ax2, bx2) - max(ax1, bx1)
    if overlap < SAME_STRETCH * min(ax2 - ax1, bx2 - bx1):
        return None
    ha, hb = _median_height(a), _median_height(b)
    slack = 0.1 * min(ha, hb)
    if hb > TALLER * ha and by1 - slack <= ay1 and ay2 <= by2 + slack and _between(a, b):
        return a
    if ha > TALLER * hb and ay1 - slack <= by1 and by2 <= ay2 + slack and _between(b, a):
        return b
    return None


def _between(inner: Reading, outer: Reading) -> bool:
    """Whether most of `inner`'s characters stand between `outer`'s, not within one of them as
    the counters of O, B, D read with the wrong polarity do."""
    boxes = [b for row in outer.rows for b in row]
    blobs = [b for row in inner.rows for b in row]
    free = sum(not any(o.x1 - 1 <= b.x1 and b.x2 <= o.x2 + 1 and o.y1 - 1 <= b.y1 and b.y2 <= o.y2 + 1
                       for o in boxes) for b in blobs)
    return free >= max(MIN_COMPARED, 0.6 * len(blobs)) and len(blobs) >= COMPARED_COUNT * len(boxes)


def _extent(r: Reading) -> tuple[float, float, float, float]:
    blobs = [b for row in r.rows for b in row]
    return (min(b.x1 for b in blobs), float(median([b.y1 for b in blobs])), max(b.x2 for b in blobs),
            float(median([b.y2 for b in blobs])))


def _median_height(r: Reading) -> float:
    return float(median([b.h for row in r.rows for b in row]))


def _work_image(gray: np.ndarray) -> np.ndarray | None:
    """The grey crop resized to the work size and contrast-normalised; None when it is blank."""
    import cv2

    h, w = gray.shape
    scale = min(WORK_SIDE / math.sqrt(w * h), MAX_WORK_SIDE / max(w, h))
    ww, wh = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    if wh < MIN_SIDE or ww < MIN_SIDE:
        return None
    work = cv2.resize(gray, (ww, wh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    cumulative = np.cumsum(cv2.calcHist([work], [0], None, [256], [0, 256]).ravel())
    lo, hi = np.searchsorted(cumulative, (0.01 * work.size, 0.99 * work.size))
    if hi - lo < MIN_CONTRAST:
        return None
    return cv2.createCLAHE(CLAHE_CLIP, CLAHE_TILES).apply(work)


def _local_range(norm: np.ndarray, share: float = BLOCK_SHARE, sharp: bool = False
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed local minimum and maximum (uint8) of the normalised work image in a window of
    `share` of the unit. `sharp`:
    the maximum is a closing instead (the local maximum's minimum), which follows the edge of a
    light area larger than the window, such as the sunlit part of a plate beside a shadow."""
    import cv2

    block = max(3, int(round(share * _unit(norm))) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (block, block))
    lo = cv2.blur(cv2.erode(norm, kernel), (block, block))
    if sharp:
        hi = cv2.morphologyEx(norm, cv2.MORPH_CLOSE, kernel)
    else:
        hi = cv2.blur(cv2.dilate(norm, kernel), (block, block))
    return lo, hi


def _ink(norm: np.ndarray, lo: np.ndarray, hi: np.ndarray, dark: bool, level: float) -> np.ndarray:
    """uint8 0/1 mask of pixels at least `level` of the local range away from the background
    side, where the local range is at least LOCAL_CONTRAST (compiled: char_rows.ink_mask; the
    level in sixteenths)."""
    sixteenths = int(round((1 - level if dark else level) * 16))
    return char_rows.ink_mask(norm, lo, hi, dark, sixteenths, LOCAL_CONTRAST)


def _unit(image: np.ndarray) -> float:
    return math.sqrt(image.shape[0] * image.shape[1])


def _components(ink: np.ndarray) -> Components:
    """The components of one polarity's ink mask (work pixels) that rows are built from."""
    _, labels, stats = char_rows.connected_components(ink)
    return char_rows.components(labels, stats)
