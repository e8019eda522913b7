"""Blue bands that tell what kind of plate a crop is.

- The EU band (has_eu_band): a strip of saturated blue as tall as the plate at its left end,
  about a twelfth of its width. The reader uses it to try the format rules of every country it
  has on that plate, not only those of the countries the models were trained on
  (lpr.formats.default_countries): the band says the plate is European (or Turkish, Ukrainian,
  ...), so those rules are no longer a long shot (see Reader's ``countries``).
- The Mercosur band (has_mercosur_band): a strip of the same blue across the top of the plate,
  a fifth of its height, on every Brazilian plate of the Mercosur layout (ABC1D23) and on no
  plate of the old grey layout (ABC-1234). With Reader(mercosur_band=True) a plate without it
  is not read as a Mercosur plate: where the two layouts differ (the fifth character, a letter
  or a digit) an O read for a 0 then stays a 0.
- has_colour: a grayscale or infrared frame shows no band at all, so neither is looked for.
"""
from __future__ import annotations

import cv2
import numpy as np

SEARCH_WIDTH = 0.22     # the band is looked for in this left share of the crop (plate plus margins)
BLUE_HUE = (100, 130)   # OpenCV hue (0-180) of the EU blue
MIN_SATURATION = 90
MIN_VALUE = 50
COLUMN_BLUE = 0.6       # a band column is blue over at least this share of the plate's middle rows
MIN_BAND = 0.03         # the band: a run of such columns at least this share of the crop's width,
MAX_BLUE = 0.3          # on a plate that is not blue itself (blue over at most this share of its middle rows)
TOP_SEARCH = 0.5        # the Mercosur band is looked for in this top share of the crop (plate plus margins):
TOP_BLUE = 0.06         # a middle column crosses it when at least this share of the crop's height of
                        # it is blue there (a column test, so a tilted band counts too) ...
TOP_COLUMNS = 0.6       # ... and the band crosses at least this share of the middle columns
TOP_SATURATION = 70     # the band's blue may be duller than the EU band's test allows: it is a strip
TOP_VALUE = 35          # across the plate, in the shade of the plate's top edge
COLOUR_SPREAD = 16      # has_colour: a pixel whose channels differ by more than this is coloured ...
COLOUR_SHARE = 0.01     # ... and an image with at least this share of coloured pixels has colour


def _blue(bgr: np.ndarray, saturation: int = MIN_SATURATION, value: int = MIN_VALUE) -> np.ndarray:
    """Where a BGR image is the saturated blue of the EU and Mercosur bands (bool)."""
    hsv = cv2.cvtColor(np.ascontiguousarray(bgr[..., :3]), cv2.COLOR_BGR2HSV)
    # hue within BLUE_HUE, saturation and value at least these (bounds included)
    return cv2.inRange(hsv, (BLUE_HUE[0], saturation, value), (BLUE_HUE[1], 255, 255)) != 0


def _longest_run(flags: np.ndarray) -> int:
    longest = run = 0
    for flag in flags:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    return longest


def has_colour(image_bgr: np.ndarray) -> bool:
    """Whether an image has colour at all: False for a grayscale or infrared frame (three equal
    channels, or nearly), where no band can be seen."""
    if image_bgr.ndim != 3 or image_bgr.shape[2] < 3:
        return False
    sample = image_bgr[::7, ::7, :3].astype(np.int16)
    spread = sample.max(axis=2) - sample.min(axis=2)
    return bool((spread > COLOUR_SPREAD).mean() >= COLOUR_SHARE)


def has_mercosur_band(plate_bgr: np.ndarray) -> bool:
    """True when the top of the BGR crop holds a strip of blue across the plate's middle (level
    or tilted), on a plate that is not blue all over; False for grey or tiny crops."""
    if plate_bgr.ndim != 3 or plate_bgr.shape[2] < 3:
        return False
    h, w = plate_bgr.shape[:2]
    if h < 8 or w < 8:
        return False
    blue = _blue(plate_bgr[:, int(0.2 * w):int(0.8 * w) + 1], TOP_SATURATION, TOP_VALUE)
    if blue[h // 2:].mean() > MAX_BLUE:          # a blue plate, not a band
        return False
    crossed = blue[:max(2, int(TOP_SEARCH * h))].sum(axis=0) >= max(1.0, TOP_BLUE * h)
    return bool(crossed.mean() >= TOP_COLUMNS)


def has_eu_band(plate_bgr: np.ndarray) -> bool:
    """True when the left end of the BGR crop holds a tall strip of EU blue on a plate that is
    not blue all over; False for grey or tiny crops."""
    if plate_bgr.ndim != 3 or plate_bgr.shape[2] < 3:
        return False
    h, w = plate_bgr.shape[:2]
    width = max(3, int(SEARCH_WIDTH * w))
    if h < 4 or w < 8:
        return False
    blue = _blue(plate_bgr[int(0.2 * h):int(0.8 * h) + 1])
    if blue.mean() > MAX_BLUE:          # a blue plate (some US states), not a band
        return False
    columns = blue[:, :width].mean(axis=0) >= COLUMN_BLUE
    return _longest_run(columns) >= MIN_BAND * w
