"""Whether a plate crop carries the blue EU band at its left end (a European plate).

The band is a strip of saturated blue as tall as the plate, about a twelfth of its width. The
reader uses it to try the format rules of every country it has on that plate, not only those of
the countries the models were trained on (lpr.formats.default_countries): the band says the
plate is European (or Turkish, Ukrainian, ...), so those rules are no longer a long shot (see
Reader's ``countries``).
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


def has_eu_band(plate_bgr: np.ndarray) -> bool:
    """True when the left end of the BGR crop holds a tall strip of EU blue on a plate that is
    not blue all over; False for grey or tiny crops."""
    if plate_bgr.ndim != 3 or plate_bgr.shape[2] < 3:
        return False
    h, w = plate_bgr.shape[:2]
    width = max(3, int(SEARCH_WIDTH * w))
    if h < 4 or w < 8:
        return False
    middle = np.ascontiguousarray(plate_bgr[int(0.2 * h):int(0.8 * h) + 1, :, :3])
    hsv = cv2.cvtColor(middle, cv2.COLOR_BGR2HSV)
    blue = ((hsv[..., 0] >= BLUE_HUE[0]) & (hsv[..., 0] <= BLUE_HUE[1]) & (hsv[..., 1] >= MIN_SATURATION)
            & (hsv[..., 2] >= MIN_VALUE))
    if blue.mean() > MAX_BLUE:          # a blue plate (some US states), not a band
        return False
    columns = blue[:, :width].mean(axis=0) >= COLUMN_BLUE
    longest = run = 0
    for is_blue in columns:
        run = run + 1 if is_blue else 0
        longest = max(longest, run)
    return longest >= MIN_BAND * w
