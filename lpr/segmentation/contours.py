"""Characters of a plate crop by thresholding and connected components (no model).

    segment_characters(plate_bgr) -> [CharBox]   boxes in crop pixels, top row first, left to right
    segment_candidates(plate_bgr) -> [[CharBox]] that reading first, then other ink masks' and eager ones
    PlateSegmentations(plate_bgr)   the same in two steps: the first reading now, the others when asked
    char_crops(plate_bgr, boxes) -> N x 100 x 75 float32 in [0, 1], dark character on light

The crop (BGR or grey uint8: a detector's box with some margin, dark-on-light or light-on-dark,
any size) is resized to about WORK_SIDE^2 pixels; every size rule below is a share of that
"unit" (the root of the resized area) or of the character height found. Steps:

  * grey, CLAHE; local minimum and maximum over about a character's window;
  * ink masks for dark and for light text, each at two levels of the local range: half-way
    (whole strokes) and a strict one that parts glyphs blurred into each other;
  * per mask, connected components; the character height is the one most components agree
    on; rows are clusters of their centres (a second row stacked on a short first one:
    square and motorcycle plates); pieces of one broken glyph are merged; components wider than
    a character are cut at their emptiest column; what is not character-like by height,
    width and position on the row line (border, EU band, screws, dots, dashes, small print,
    the scene) is dropped;
  * with alternatives, the chosen polarity is also read against a background that keeps a hard
    shadow's edge (a morphological closing instead of a blurred local maximum, in a smaller
    window): where a shadow's edge crosses a character, the blurred background there lies between
    the sunlit and the shadowed plate, so the shadowed plate beside the edge reads as ink and
    swallows the character;
  * the reading with the most plausible character set comes first; when both polarities read a row,
    the one inside the other's band is the text (the gaps between dark characters, read as
    light ink, reach from border to border); blobs of another colour than their row's
    (EU band, stickers) are dropped; colour is measured against the light on it (shadow edges).

On synthetic crops (lpr.synth.compose.plate_crop) it finds ~99.5% of the characters of clean
plates and ~97% under the full augmentation (blur, dirt, shadows, noise) at IoU 0.5; ~1.5 ms
for a 200 x 50 crop.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median
from typing import NamedTuple

import numpy as np

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
MIN_AREA_SHARE = 0.0005     # of the unit squared: smaller components are noise, dust, JPEG blocks
MAX_HEIGHT_SHARE = 0.95     # of the work height: taller components are the plate or its border
MAX_WIDTH_SHARE = 0.7       # of the work width: wider ones are borders, bands, the plate body
MIN_CHAR_SHARE = 0.08       # of the unit: a character of a plate with a wide margin is ~0.2
FULL_SIZE = 0.15            # of the unit: readings with smaller characters score less (synthetic crops: 0.18-0.3)
CORE_ASPECT = (0.08, 4.0)   # width / height of components that vote for the character height (touching pairs too)
HEIGHT_TOLERANCE = 0.2      # components within this share of each other's height are the same size
ROW_GAP = 0.55              # centres further apart (share of the character height) than this start a new row
MAX_ROWS = 2                # plates have one or two rows of characters
TWO_ROW_SPAN = 4.6          # character heights: the rows of two-row plates are at most ~3.7 wide, one-row ones 5-8
MAX_STACKED_ROW = 5         # a row of more core components than this gets no second row (two-row plates: 2-5 a row)
MAX_ROW_PITCH = 2.2         # two rows' centres are at most this many character heights apart (1.2-1.5 on plates)
ROW_BAND = 0.45             # a component joins a row when its centre is this close (share of height) to the row line
MAX_SLOPE = 0.3             # rows steeper than this (rolled ~17 deg) are not plates the crop came from
MERGE_OVERLAP = 0.5         # pieces overlapping horizontally by this share of the narrower are one character
MERGE_MAX_HEIGHT = 1.2      # ... when together they are at most this tall (share of the row's character height)
MERGE_MAX_GAP = 0.12        # ... and no further apart vertically than this (a glyph broken by a thin stroke)
SPLIT_WIDTH = 1.55          # components wider than this many median character widths may be touching characters
SPLIT_MIN_ASPECT = 0.8      # ... and only when wider than this share of their height (narrow pairs like "11" stay)
FORCE_SPLIT = 1.25          # ... always cut when wider than this share of the row's height (a wide 'W' is 1.2)
SPLIT_MAX_FILL = 0.85       # ... and never a nearly solid bar (a strip of the plate's edge or of shadow)
MIN_PIECE = 0.2             # share of the row's height: no cut leaves a piece narrower than this
SPLIT_MAX_INK = 0.34        # the cut column holds at most this share of the character height in ink
SPLITTING = (SPLIT_WIDTH, SPLIT_MIN_ASPECT, SPLIT_MAX_INK)
EAGER_SPLITTING = (1.3, 0.45, 0.5)  # the eager alternatives': narrow fonts' touching pairs ("15", "11") are
                                    # cut too, and a wide glyph (M, W) sometimes with them
FINAL_HEIGHT = (0.62, 1.25) # a character's height relative to its row's: dashes, dots, bands, borders fail
FINAL_ASPECT = (0.07, 1.3)  # width / height of one character: 'I' is thin, 'W' of a wide font about 1.1
MAX_CHARS = 12              # more "characters" than this is texture, not a registration
GREY_CHROMA = 12            # colour difference (grey levels) below which a crop is treated as grey
COLOUR_DISTANCE = 55        # a row's blob this far (chroma) from the row's median colour is not a character
LIGHT_REFERENCE = 200.0     # ... chroma measured as if the plate around the blob were this bright (grey level)
MIN_LIGHT = 16.0            # ... and no darker than this (a black patch has no colour to scale)
STRAY_WIDTH = 0.22          # share of the row height: a blob thinner than this at a row's end (a '1' is 0.25-0.3) ...
STRAY_GAP = 0.9             # ... and further than this from the next one is an edge, not a '1' or 'I'
CROP_SIZE = (75, 100)       # width, height of char_crops' crops unless told: the study CNN's input
                            # (the reader asks for its own CNN's, 36x48 for the compact one)
CROP_PAD = 0.08             # share of the box height added around a character before resizing


@dataclass(frozen=True, slots=True)
class CharBox:
    """One character found on a plate crop."""

    box: tuple[float, float, float, float]     # x1, y1, x2, y2 in crop pixels (continuous, [x1, x2))
    row: int = 0                               # 0 = top row


class _Blob:
    """A component (or several merged) in work pixels: box [x1, x2) x [y1, y2), ink area, labels.
    Its width, height, centre and fill are set once (the row rules ask for them many times)."""

    __slots__ = ("x1", "y1", "x2", "y2", "area", "ids", "w", "h", "cx", "cy", "fill")

    def __init__(self, x1: int, y1: int, x2: int, y2: int, area: int, ids: tuple[int, ...]) -> None:
        self.x1, self.y1, self.x2, self.y2, self.area, self.ids = x1, y1, x2, y2, area, ids
        self.w, self.h = x2 - x1, y2 - y1
        self.cx, self.cy = (x1 + x2) / 2, (y1 + y2) / 2
        self.fill = area / max(self.w * self.h, 1)

    def merged(self, other: "_Blob") -> "_Blob":
        return _Blob(min(self.x1, other.x1), min(self.y1, other.y1), max(self.x2, other.x2),
                     max(self.y2, other.y2), self.area + other.area, self.ids + other.ids)


@dataclass
class _Reading:
    rows: list[list[_Blob]]
    score: float
    labels: np.ndarray | None = None     # the components (work pixels) the rows were read from
    stats: np.ndarray | None = None


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
        lo, hi, enough = _local_range(norm)
        value = norm.astype(np.int16)
        readings, best, components = _readings(value, lo, hi, enough)
        chroma: dict = {}       # the blobs' ink colours, for _same_colour: readings of one mask share blobs
        chosen = _choose(best, colour, chroma)
        self._scale = norm.shape[1] / gray.shape[1], norm.shape[0] / gray.shape[0]
        self._first = [self._boxes(chosen.rows)] if chosen.rows else []
        self._state = (norm, colour, lo, hi, enough, value, readings, best, components, chroma, chosen)

    def candidates(self, alternatives: bool = True) -> list[list[CharBox]]:
        """segment_candidates(plate_bgr, alternatives) (a new list each call)."""
        if not alternatives:
            return list(self._first)
        if self._all is None:
            self._all = self._with_alternatives()
            self._state = None
        return list(self._all)

    def _boxes(self, rows: list[list[_Blob]]) -> list[CharBox]:
        sx, sy = self._scale
        return [CharBox((b.x1 / sx, b.y1 / sy, b.x2 / sx, b.y2 / sy), r) for r, row in enumerate(rows) for b in row]

    def _with_alternatives(self) -> list[list[CharBox]]:
        norm, colour, lo, hi, enough, value, readings, best, components, chroma, chosen = self._state
        out = list(self._first)
        dark = chosen is best[True]
        for level in INK_LEVELS:     # light text's strict mask is made only when it is read (_readings)
            if (dark, level) not in components:
                components[dark, level] = _components(_ink(value, lo, hi, enough, dark, level))
        eager = [_read(components[dark, level], EAGER_SPLITTING) for level in INK_LEVELS]
        edge_range = _local_range(norm, SHADOW_BLOCK_SHARE, sharp=True)
        shadow_edge = _read(_components(_ink(value, *edge_range, dark, INK_LEVELS[0])))
        for reading in readings + eager + [shadow_edge]:
            if reading is chosen or not reading.rows:
                continue
            other = self._boxes(_same_colour(reading, colour, chroma) if colour is not None else reading.rows)
            if other and other not in out:
                out.append(other)
        return out


def char_crops(plate_bgr: np.ndarray, boxes: Sequence[CharBox | Sequence[float]],
               size: tuple[int, int] = CROP_SIZE, dark_on_light: bool | None = None) -> np.ndarray:
    """N x height x width float32 in [0, 1]: each box padded a little, resized keeping its aspect
    ratio, centred on a light background, the character dark. `dark_on_light`: the plate's
    polarity (default: read from the boxes, ink against the ring around them)."""
    import cv2

    cw, ch = size
    out = np.ones((len(boxes), ch, cw), dtype=np.float32)
    gray = _gray(plate_bgr)
    if gray is None or not len(boxes):
        return out
    patches, inside = _patches(gray, boxes)
    if dark_on_light is None:
        dark_on_light = sum(_polarity_votes(patches, inside)) >= 0
    for k, patch in enumerate(patches):
        p = patch.astype(np.float32)
        lo, hi = _percentiles(patch, (2, 98))
        p = np.minimum(np.maximum((p - lo) / max(hi - lo, 1.0), 0.0), 1.0)     # np.clip, without its overhead
        if not dark_on_light:
            p = 1.0 - p
        ph, pw = p.shape
        s = min(cw / pw, ch / ph)
        rw, rh = max(1, min(cw, int(round(pw * s)))), max(1, min(ch, int(round(ph * s))))
        resized = cv2.resize(p, (rw, rh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
        ox, oy = (cw - rw) // 2, (ch - rh) // 2
        out[k, oy:oy + rh, ox:ox + rw] = np.minimum(np.maximum(resized, 0.0), 1.0)
    return out


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
    return _polarity_votes(*_patches(gray, boxes))


# --------------------------------------------------------------------------- helpers

def _patches(gray: np.ndarray, boxes: Sequence[CharBox | Sequence[float]]
             ) -> tuple[list[np.ndarray], list[tuple[int, int, int, int]]]:
    """Each box cut out of `gray` with CROP_PAD around it (edges repeated beyond the image), and
    the box itself within its patch."""
    patches, inside = [], []
    for b in boxes:
        x1, y1, x2, y2 = b.box if isinstance(b, CharBox) else tuple(b)
        pad = CROP_PAD * max(y2 - y1, 1.0)
        px1, py1 = int(math.floor(x1 - pad)), int(math.floor(y1 - pad))
        px2, py2 = int(math.ceil(x2 + pad)), int(math.ceil(y2 + pad))
        px2, py2 = max(px2, px1 + 1), max(py2, py1 + 1)
        patch = _cut(gray, px1, py1, px2, py2)
        patches.append(patch)
        ph, pw = patch.shape
        ix1, iy1 = min(max(round(x1) - px1, 0), pw - 1), min(max(round(y1) - py1, 0), ph - 1)
        ix2, iy2 = max(min(round(x2) - px1, pw), ix1 + 1), max(min(round(y2) - py1, ph), iy1 + 1)
        inside.append((ix1, iy1, ix2, iy2))
    return patches, inside


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


def _readings(value: np.ndarray, lo: np.ndarray, hi: np.ndarray, enough: np.ndarray
              ) -> tuple[list["_Reading"], dict[bool, "_Reading"], dict[tuple[bool, float], "_Components"]]:
    """Every ink mask's reading (dark text at each level, then light text) of the work image
    `value` (int16) and its _local_range, the most plausible one per polarity (key: dark), and
    each mask's components (key: dark, level), for other readings of the same masks."""
    readings, best, components = [], {}, {}
    for dark in (True, False):
        for level in INK_LEVELS:
            if not dark and level != INK_LEVELS[0] and best[False].score < LIGHT_STRICT * best[True].score:
                break       # light text is unlikely: do not cut the background into "characters"
            components[dark, level] = _components(_ink(value, lo, hi, enough, dark, level))
            reading = _read(components[dark, level])
            readings.append(reading)
            if dark not in best or reading.score > best[dark].score:
                best[dark] = reading
    return readings, best, components


def _choose(best: dict[bool, "_Reading"], colour: np.ndarray | None = None, chroma: dict | None = None
            ) -> "_Reading":
    """The most plausible of the two polarities' best readings; its rows keep only the blobs of
    their row's colour (the reading is changed in place; `chroma`: see _same_colour)."""
    dark, light = best[True], best[False]
    if dark.score >= light.score:
        # light text inside a dark reading's band: only a near tie, light-on-dark plates are rare
        inner = _inside(dark, light)
        chosen = light if inner is light and light.score >= dark.score - LIGHT_TIE else dark
    else:
        chosen = dark if _inside(light, dark) is dark else light
    if colour is not None:
        chosen.rows = _same_colour(chosen, colour, chroma)
    return chosen


def _inside(a: "_Reading", b: "_Reading") -> "_Reading | None":
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


def _between(inner: "_Reading", outer: "_Reading") -> bool:
    """Whether most of `inner`'s characters stand between `outer`'s, not within one of them as
    the counters of O, B, D read with the wrong polarity do."""
    boxes = [b for row in outer.rows for b in row]
    blobs = [b for row in inner.rows for b in row]
    free = sum(not any(o.x1 - 1 <= b.x1 and b.x2 <= o.x2 + 1 and o.y1 - 1 <= b.y1 and b.y2 <= o.y2 + 1
                       for o in boxes) for b in blobs)
    return free >= max(MIN_COMPARED, 0.6 * len(blobs)) and len(blobs) >= COMPARED_COUNT * len(boxes)


def _extent(r: "_Reading") -> tuple[float, float, float, float]:
    blobs = [b for row in r.rows for b in row]
    return (min(b.x1 for b in blobs), float(median([b.y1 for b in blobs])), max(b.x2 for b in blobs),
            float(median([b.y2 for b in blobs])))


def _median_height(r: "_Reading") -> float:
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
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smoothed local minimum and maximum (int16) of the normalised work image in a window of
    `share` of the unit, and where the local contrast is enough to hold ink (bool). `sharp`:
    the maximum is a closing instead (the local maximum's minimum), which follows the edge of a
    light area larger than the window, such as the sunlit part of a plate beside a shadow."""
    import cv2

    block = max(3, int(round(share * _unit(norm))) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (block, block))
    lo = cv2.blur(cv2.erode(norm, kernel), (block, block)).astype(np.int16)
    if sharp:
        hi = cv2.morphologyEx(norm, cv2.MORPH_CLOSE, kernel).astype(np.int16)
    else:
        hi = cv2.blur(cv2.dilate(norm, kernel), (block, block)).astype(np.int16)
    return lo, hi, (hi - lo) >= LOCAL_CONTRAST


def _ink(value: np.ndarray, lo: np.ndarray, hi: np.ndarray, enough: np.ndarray, dark: bool, level: float
         ) -> np.ndarray:
    """uint8 0/1 mask of pixels at least `level` of the local range away from the background side."""
    if dark:
        return ((value * 16 < lo * 16 + int(round((1 - level) * 16)) * (hi - lo)) & enough).view(np.uint8)
    return ((value * 16 > lo * 16 + int(round(level * 16)) * (hi - lo)) & enough).view(np.uint8)


def _cut(gray: np.ndarray, x1: int, y1: int, x2: int, y2: int) -> np.ndarray:
    """gray[y1:y2, x1:x2] with the edge pixels repeated where the window leaves the image (a
    view of `gray` when the window is inside it: read it, do not write to it)."""
    h, w = gray.shape
    if 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h:
        return gray[y1:y2, x1:x2]
    ys = np.clip(np.arange(y1, y2), 0, h - 1)
    xs = np.clip(np.arange(x1, x2), 0, w - 1)
    return gray[np.ix_(ys, xs)]


def _polarity_votes(patches: list[np.ndarray], inside: list[tuple[int, int, int, int]]) -> list[int]:
    """Per box: +1 when the ring around it (background) is at least as far from the darkest
    pixels within it as from the lightest, -1 otherwise, 0 when it has no ring or no core."""
    votes = []
    for p, (x1, y1, x2, y2) in zip(patches, inside):
        ring = np.concatenate([p[:y1].ravel(), p[y2:].ravel(), p[y1:y2, :x1].ravel(), p[y1:y2, x2:].ravel()])
        core = p[y1:y2, x1:x2]
        if ring.size == 0 or core.size == 0:
            votes.append(0)
            continue
        background = float(_percentiles(ring, (50,))[0])
        dark, light = _percentiles(core, (10, 90))
        votes.append(1 if background - dark >= light - background else -1)
    return votes


def _percentiles(pixels: np.ndarray, qs: tuple[float, ...]) -> list[np.float64]:
    """np.percentile(pixels, qs) (its default, linear interpolation) of grey levels, computed
    here from one sort: the same numbers without numpy's general machinery, which cost more than
    the sort on character-sized patches (the 50th is np.median's value too)."""
    s = np.sort(pixels, axis=None)
    last = s.size - 1
    out = []
    for q in qs:
        at = last * (q / 100)
        i = min(int(math.floor(at)), last)
        a, b = float(s[i]), float(s[min(i + 1, last)])
        t = at - i
        out.append(np.float64(b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t))
    return out


def _unit(image: np.ndarray) -> float:
    return math.sqrt(image.shape[0] * image.shape[1])


class _Components(NamedTuple):
    """An ink mask's connected components, before rows are built from them (the part of a
    reading that does not depend on how touching glyphs are cut, so readings of one mask with
    different cuts share it)."""

    labels: np.ndarray
    stats: np.ndarray
    blobs: list[_Blob]          # the components that may be (part of) a character
    core: list[_Blob]           # those that vote for the character height, of about that height
    height: float               # the dominant character height (0 when no core)


def _components(ink: np.ndarray) -> _Components:
    """The components of one polarity's ink mask (work pixels) that rows are built from."""
    import cv2

    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return _Components(labels, stats, [], [], 0.0)
    st = stats[1:]
    xs, ws, hs, areas = st[:, 0], st[:, 2], st[:, 3], st[:, 4]
    wh, ww = ink.shape
    unit = _unit(ink)
    keep = ((areas >= MIN_AREA_SHARE * unit * unit) & (hs <= MAX_HEIGHT_SHARE * wh) & (ws <= MAX_WIDTH_SHARE * ww)
            & (xs > 0) & (xs + ws < ww))     # cut by the crop's side: background, the plate's edge
    kept = np.flatnonzero(keep)
    blobs = [_Blob(x, y, x + w, y + h, area, (i + 1,))
             for i, (x, y, w, h, area) in zip(kept.tolist(), st[kept].tolist())]
    core = [b for b in blobs if b.h >= MIN_CHAR_SHARE * unit and CORE_ASPECT[0] <= b.w / b.h <= CORE_ASPECT[1]]
    if not core:
        return _Components(labels, stats, blobs, [], 0.0)
    height = _dominant_height([b.h for b in core])
    core = [b for b in core if abs(b.h - height) <= HEIGHT_TOLERANCE * height]
    return _Components(labels, stats, blobs, core, height)


def _read(found: _Components, splitting: tuple[float, float, float] = SPLITTING) -> _Reading:
    """The characters of one polarity's ink mask (work pixels), from its _components, and how
    plausible they are. `splitting`: (SPLIT_WIDTH, SPLIT_MIN_ASPECT, SPLIT_MAX_INK), when a
    component is cut as touching glyphs."""
    labels, stats, blobs, core, height = found
    if not core:         # -1: no ink at all (only the background's label)
        return _Reading([], -1.0 if len(stats) <= 1 else 0.0, labels, stats)
    rows = []
    for group in _row_groups(core, height):
        row = _build_row(group, blobs, labels, splitting)
        if row:
            rows.append(row)
    rows.sort(key=lambda r: median([b.cy for b in r]))
    count = sum(len(r) for r in rows)
    if not count:
        return _Reading([], 0.0, labels, stats)
    heights = np.asarray([b.h for r in rows for b in r], dtype=np.float64)
    spread = _spread(heights)
    plausible = (count if count <= MAX_CHARS else MAX_CHARS - (count - MAX_CHARS)) - min(spread, 1.0)
    # small print and texture make long rows of tiny "characters": a plate's are large in its crop
    size = min(1.0, float(median(heights)) / (FULL_SIZE * _unit(labels)))
    return _Reading(rows, plausible * size, labels, stats)


def _spread(values: np.ndarray) -> float:
    """values.std() / values.mean() of a 1-d float64 array: the same sums numpy's std and mean
    take (so the same float), without their general machinery (a row's few heights)."""
    mean = np.add.reduce(values) / values.size
    deviations = values - mean
    return float(math.sqrt(np.add.reduce(deviations * deviations) / values.size) / mean)


def _dominant_height(heights: Sequence[int]) -> float:
    """The height most components share (within HEIGHT_TOLERANCE); ties go to the taller."""
    h = np.asarray(heights, dtype=np.float64)
    votes = (np.abs(h[None, :] - h[:, None]) <= HEIGHT_TOLERANCE * h[:, None]).sum(axis=1)
    best = np.flatnonzero(votes == votes.max())
    candidates = h[best]
    top = candidates.max()
    members = h[np.abs(h - top) <= HEIGHT_TOLERANCE * top]
    return float(median(members.tolist()))


def _row_groups(core: list[_Blob], height: float) -> list[list[_Blob]]:
    """Core components clustered by their vertical centres (a gap over ROW_GAP heights starts a
    new cluster): the largest cluster, and a second one stacked over or under it (two-row
    plates: the upper row has several characters, the lower one may have a single one)."""
    ordered = sorted(core, key=lambda b: b.cy)
    groups = [[ordered[0]]]
    for b in ordered[1:]:
        if b.cy - groups[-1][-1].cy > ROW_GAP * height:
            groups.append([b])
        else:
            groups[-1].append(b)
    groups.sort(key=lambda g: (len(g), sum(b.w for b in g)), reverse=True)
    main = groups[0]
    kept = [main]
    if len(main) > MAX_STACKED_ROW:
        return kept         # a one-row plate's: what lies under or over it is the plate's edge, print
    x1, x2 = min(b.x1 for b in main), max(b.x2 for b in main)
    cy = float(median([b.cy for b in main]))
    for g in groups[1:]:
        if len(kept) == MAX_ROWS:
            break
        gy = float(median([b.cy for b in g]))
        gx1, gx2 = min(b.x1 for b in g), max(b.x2 for b in g)
        if abs(gy - cy) > MAX_ROW_PITCH * height or not x1 <= (gx1 + gx2) / 2 <= x2:
            continue        # not stacked on the main row: print, texture, the scene
        if len(g) == 1 and gy < cy:
            continue        # a lone blob over the row (plates' upper rows hold several characters)
        if max(x2, gx2) - min(x1, gx1) > TWO_ROW_SPAN * height:
            continue        # rows of two-row plates are short (their plates are nearly square)
        kept.append(g)
    return kept


def _row_line(group: list[_Blob]) -> tuple[float, float]:
    """Intercept and slope of the row's centre line (median of pairwise slopes)."""
    if len(group) < 2:
        return group[0].cy, 0.0
    slopes = [(b.cy - a.cy) / (b.cx - a.cx) for i, a in enumerate(group) for b in group[i + 1:]
              if abs(b.cx - a.cx) > 1e-6]
    slope = min(max(float(median(slopes)), -MAX_SLOPE), MAX_SLOPE) if slopes else 0.0
    intercept = float(median([b.cy - slope * b.cx for b in group]))
    return intercept, slope


def _build_row(group: list[_Blob], blobs: list[_Blob], labels: np.ndarray,
               splitting: tuple[float, float, float] = SPLITTING) -> list[_Blob]:
    """The characters of one row: its core components, the pieces near its centre line merged,
    touching characters cut, what is not character-like dropped."""
    hr = float(median([b.h for b in group]))
    intercept, slope = _row_line(group)
    members = [b for b in blobs if abs(b.cy - (intercept + slope * b.cx)) <= ROW_BAND * hr + 0.5 * max(hr - b.h, 0)
               and b.h <= FINAL_HEIGHT[1] * hr]
    members = _merge_pieces(members, hr)
    widths = [b.w for b in members if FINAL_HEIGHT[0] * hr <= b.h and b.w <= hr]
    median_w = float(median(widths)) if widths else 0.6 * hr
    split: list[_Blob] = []
    for b in members:
        if FINAL_HEIGHT[0] * hr <= b.h and b.fill <= SPLIT_MAX_FILL and (
                b.w > FORCE_SPLIT * hr or (b.w > splitting[0] * median_w and b.w > splitting[1] * b.h)):
            split.extend(_split(b, median_w, hr, labels, splitting))
        else:
            split.append(b)
    row = [b for b in split
           if FINAL_HEIGHT[0] * hr <= b.h <= FINAL_HEIGHT[1] * hr
           and FINAL_ASPECT[0] <= b.w / b.h <= FINAL_ASPECT[1]
           and abs(b.cy - (intercept + slope * b.cx)) <= ROW_BAND * hr]
    row.sort(key=lambda b: b.cx)
    return _drop_stray_ends(row, hr)


def _same_colour(reading: _Reading, colour: np.ndarray, chroma: dict | None = None) -> list[list[_Blob]]:
    """The reading's rows without the blobs whose ink differs in colour from their row's: a
    plate's characters share one colour; the EU band, the stickers and coloured emblems do not.
    `chroma` keeps each blob's ink colour for other readings of the same components (key: the
    labels array's id, the box, the component ids: only for the life of those arrays)."""
    chroma = {} if chroma is None else chroma
    rows = []
    for row in reading.rows:
        if len(row) >= 3:
            inks = []
            for b in row:
                key = (id(reading.labels), b.x1, b.y1, b.x2, b.y2, b.ids)
                if key not in chroma:
                    chroma[key] = _ink_chroma(reading.labels, b, colour)
                inks.append(chroma[key])
            inks = np.asarray(inks)
            distance = np.hypot(*(inks - _column_medians(inks)).T)
            row = [b for b, d in zip(row, distance) if d <= COLOUR_DISTANCE]
        if row:
            rows.append(row)
    return rows


def _ink_chroma(labels: np.ndarray, b: _Blob, colour: np.ndarray) -> tuple[float, float]:
    """The chroma of a blob's ink (blue - red, green - the mean of blue and red), scaled by the
    light on it: ink's chroma grows with the light, so it is scaled by the brighter of the ink
    and the plate around it, and a plate half in shadow keeps one colour."""
    import cv2

    inside = _ink_of(labels[b.y1:b.y2, b.x1:b.x2], b.ids)
    patch = colour[b.y1:b.y2, b.x1:b.x2]
    blue, green, red, _ = cv2.mean(patch, mask=inside.view(np.uint8))
    around = cv2.mean(patch, mask=(~inside).view(np.uint8))[:3]
    scale = LIGHT_REFERENCE / max(sum(around) / 3, (blue + green + red) / 3, MIN_LIGHT)
    return scale * (blue - red), scale * (green - (blue + red) / 2)


def _ink_of(region: np.ndarray, ids: tuple[int, ...]) -> np.ndarray:
    """Where `region` (component labels) holds one of the components `ids` (bool)."""
    inside = region == ids[0]
    for i in ids[1:]:
        inside |= region == i
    return inside


def _column_medians(values: np.ndarray) -> np.ndarray:
    """np.median(values, axis=0) of a small 2-D float array, from one sort (numpy's general
    median costs more than the sort on a row's few blobs)."""
    s = np.sort(values, axis=0)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def _drop_stray_ends(row: list[_Blob], hr: float) -> list[_Blob]:
    """Drop a thin blob standing far beyond either end of the row (the plate's edge, a post)."""
    while len(row) >= 3 and row[0].w < STRAY_WIDTH * hr and row[1].x1 - row[0].x2 > STRAY_GAP * hr:
        row = row[1:]
    while len(row) >= 3 and row[-1].w < STRAY_WIDTH * hr and row[-1].x1 - row[-2].x2 > STRAY_GAP * hr:
        row = row[:-1]
    return row


def _merge_pieces(members: list[_Blob], hr: float) -> list[_Blob]:
    """Join pieces stacked over each other (one character broken by a thin stroke or a shadow)."""
    items = sorted(members, key=lambda b: b.x1)
    changed = True
    while changed:
        changed = False
        for i in range(len(items)):
            a = items[i]
            for j in range(i + 1, len(items)):
                b = items[j]
                if b.x1 >= a.x2:
                    break
                overlap = min(a.x2, b.x2) - max(a.x1, b.x1)
                if overlap < MERGE_OVERLAP * min(a.w, b.w):
                    continue
                union_h = max(a.y2, b.y2) - min(a.y1, b.y1)
                if not FINAL_HEIGHT[0] * hr <= union_h <= MERGE_MAX_HEIGHT * hr:
                    continue    # pointless (still no character) or too tall
                if max(a.y1, b.y1) - min(a.y2, b.y2) > MERGE_MAX_GAP * hr:
                    continue    # far apart vertically: a dash and a speck, not one glyph
                if a.h >= FINAL_HEIGHT[0] * hr and b.h >= FINAL_HEIGHT[0] * hr:
                    continue    # two whole characters (or a character and a tall neighbour): keep apart
                items[i] = a.merged(b)
                del items[j]
                changed = True
                break
            if changed:
                break
    return items


def _split(b: _Blob, median_w: float, hr: float, labels: np.ndarray, splitting: tuple[float, float, float]) -> list[_Blob]:
    """Cut a component holding touching characters into characters."""
    mask = _ink_of(labels[b.y1:b.y2, b.x1:b.x2], b.ids)
    return _split_mask(mask, b.x1, b.y1, b.ids, median_w, hr, splitting)


def _split_mask(mask: np.ndarray, x0: int, y0: int, ids: tuple[int, ...], median_w: float, hr: float,
                splitting: tuple[float, float, float]) -> list[_Blob]:
    """Cut `mask` (the ink of one blob, its box at x0, y0) recursively at the column with the
    least ink while a piece is wider than one character: always when no character is that
    wide, otherwise only where the column is nearly empty. Pieces are column ranges of `mask`,
    each trimmed to its ink; the column sums and each row's running ink count are taken once."""
    column_sums = mask.sum(axis=0)
    column_ink = column_sums.tolist()       # Python ints: quicker than the array to look at a few columns
    column_float = column_sums.astype(np.float64)
    row_ink = np.zeros((mask.shape[0], mask.shape[1] + 1), dtype=np.int32)
    np.cumsum(mask, axis=1, out=row_ink[:, 1:])

    def cut(c1: int, c2: int, depth: int) -> list[_Blob]:
        inked = [c for c in range(c1, c2) if column_ink[c]]
        if not inked:
            return []
        c1, c2 = inked[0], inked[-1] + 1
        rows = np.flatnonzero(row_ink[:, c2] - row_ink[:, c1])
        r1, r2 = int(rows[0]), int(rows[-1]) + 1
        h, w = r2 - r1, c2 - c1
        profile = column_ink[c1:c2]
        blob = _Blob(x0 + c1, y0 + r1, x0 + c2, y0 + r2, sum(profile), ids)
        forced = w > FORCE_SPLIT * hr
        if depth >= MAX_CHARS or not (forced or (w > splitting[0] * median_w and w > splitting[1] * h)):
            return [blob]
        edge = max(1, int(round(MIN_PIECE * hr)))
        if w - 2 * edge < 1:
            return [blob]
        # among equally thin columns prefer the middle (a cut near an end leaves a sliver)
        centre = np.abs(np.arange(edge, w - edge) - (w - 1) / 2) / w
        at = edge + int(np.argmin(column_float[c1 + edge:c2 - edge] + 0.5 * centre))
        if not forced and profile[at] > splitting[2] * hr:
            return [blob]
        return cut(c1, c1 + at, depth + 1) + cut(c1 + at + 1, c2, depth + 1)

    return cut(0, mask.shape[1], 0)
