"""The typefaces plates are drawn with, and glyph masks cut to their ink.

Fonts come from packages the project's set-up installs (Debian's, by path; one from PyPI, a
dependency of the project, found in its Python package), never downloaded at run time; a
missing one raises FileNotFoundError naming the package to install.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

# key -> (where, package). `where`: a file path (Debian packages scripts/setup.sh installs), or
# "python-package:file" for a font inside an installed Python package (PyPI's fontpkg-*).
# Barlow Semi Condensed: a grotesk drawn after Californian signs and plates (the narrow US face).
FONTS: dict[str, tuple[str, str]] = {
    "din": ("/usr/share/fonts/truetype/opendin/OSP-DIN.ttf", "fonts-opendin"),
    "sans-bold": ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "fonts-dejavu-core"),
    "sans": ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "fonts-dejavu-core"),
    "narrow": ("fontpkg_barlow_semi_condensed:files/BarlowSemiCondensed-Medium.ttf",
               "fontpkg-barlow-semi-condensed (pip)"),
    "narrow-bold": ("fontpkg_barlow_semi_condensed:files/BarlowSemiCondensed-SemiBold.ttf",
                    "fontpkg-barlow-semi-condensed (pip)"),
}


def _locate(where: str) -> Path:
    """The file a FONTS entry names (a path that may not exist)."""
    if where.startswith("/"):
        return Path(where)
    import importlib.util

    package, _, relative = where.partition(":")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return Path("/nonexistent") / package / relative
    return Path(list(spec.submodule_search_locations)[0]) / relative


INK_THRESHOLD = 128   # a pixel is ink when the glyph's coverage is at least half (alpha >= 128)


def font_path(key: str) -> Path:
    """The file of font `key`; FileNotFoundError (naming its package) when missing."""
    if key not in FONTS:
        raise KeyError(f"unknown font {key!r} (known: {', '.join(FONTS)})")
    where, package = FONTS[key]
    path = _locate(where)
    if not path.is_file():
        raise FileNotFoundError(f"font {where} is missing: install the package {package} "
                                f"(run scripts/setup.sh)")
    return path


def check_fonts(keys: tuple[str, ...] = tuple(FONTS)) -> None:
    """Raise FileNotFoundError listing every missing font and its package."""
    absent = [k for k in keys if not _locate(FONTS[k][0]).is_file()]
    if absent:
        missing = [f"{FONTS[k][0]} (package {FONTS[k][1]})" for k in absent]
        packages = sorted({FONTS[k][1] for k in absent})
        raise FileNotFoundError("fonts missing: " + ", ".join(missing)
                                + f"; install the packages {', '.join(packages)} (scripts/setup.sh does)")


@lru_cache(maxsize=64)
def _truetype(key: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(font_path(key)), size)


@lru_cache(maxsize=32)
def cap_height_ratio(key: str) -> float:
    """Ink height of `H` per pixel of font size (to size a font for a wanted character height)."""
    font = _truetype(key, 200)
    x1, y1, x2, y2 = font.getbbox("H", anchor="ls")
    return (y2 - y1) / 200.0


@dataclass(frozen=True)
class Glyph:
    """A character's coverage mask cut to its ink; `dy` places the mask's top row relative to the
    baseline (negative: above it). `ink` is the mask's box of pixels >= INK_THRESHOLD."""

    char: str
    mask: np.ndarray          # uint8 coverage, 0..255, cropped to coverage > 0
    dy: int
    ink: tuple[int, int, int, int] | None   # x1, y1, x2, y2 within mask (exclusive ends); None: no ink


def _render_mask(key: str, size: int, char: str, stroke: int) -> tuple[np.ndarray, int]:
    from PIL import Image, ImageDraw

    font = _truetype(key, size)
    pad = 4 + stroke
    x1, y1, x2, y2 = font.getbbox(char, anchor="ls", stroke_width=stroke)
    width, height = x2 - x1 + 2 * pad, y2 - y1 + 2 * pad
    image = Image.new("L", (max(width, 1), max(height, 1)), 0)
    ImageDraw.Draw(image).text((pad - x1, pad - y1), char, font=font, fill=255, anchor="ls",
                               stroke_width=stroke, stroke_fill=255)
    mask = np.asarray(image)
    return mask, y1 - pad   # the canvas' top row lies y1 - pad above the baseline


MASTER_CAP = 128      # glyphs are drawn once at this cap height, then scaled down


@lru_cache(maxsize=2048)
def _master(key: str, char: str, stroke_share: float, on_baseline: bool) -> tuple[np.ndarray, float]:
    """(coverage, top row relative to the baseline) at MASTER_CAP px cap height (with stroke)."""
    import cv2

    stroke = int(round(stroke_share * MASTER_CAP))
    size = max(6, int(round((MASTER_CAP - 2 * stroke) / cap_height_ratio(key))))
    mask, top = _render_mask(key, size, char, stroke)
    rows = np.flatnonzero(mask.max(axis=1) >= INK_THRESHOLD)
    if on_baseline and rows.size:
        ink_top, ink_bottom = top + int(rows[0]), top + int(rows[-1]) + 1
        if ink_bottom > 0.02 * MASTER_CAP and ink_top < 0:
            scale = -ink_top / (ink_bottom - ink_top)
            offset = top - ink_top            # rows above the ink top, kept at the same scale
            mask = cv2.resize(mask, (mask.shape[1], max(1, int(round(mask.shape[0] * scale)))),
                              interpolation=cv2.INTER_AREA)
            top = ink_top + offset * scale
    mask.setflags(write=False)
    return mask, float(top)


@lru_cache(maxsize=32768)
def glyph(key: str, char: str, cap_px: float, x_scale: float = 1.0, stroke_share: float = 0.0,
          on_baseline: bool = False) -> Glyph:
    """The glyph of `char` in font `key` whose capitals are `cap_px` tall, its width scaled by
    `x_scale`, emboldened by a stroke of `stroke_share` x cap height. `on_baseline`: a glyph
    reaching below the baseline (DejaVu's J and Q) is squeezed vertically to sit on it, as plate
    characters do. Callers round the float arguments (see `quantize`) to keep the cache useful."""
    import cv2

    master, top = _master(key, char, stroke_share, on_baseline)
    scale = cap_px / MASTER_CAP
    height = max(1, int(round(master.shape[0] * scale)))
    width = max(1, int(round(master.shape[1] * scale * x_scale)))
    mask = cv2.resize(master, (width, height), interpolation=cv2.INTER_AREA)
    top = int(round(top * scale))
    rows = np.flatnonzero(mask.max(axis=1) > 0)
    cols = np.flatnonzero(mask.max(axis=0) > 0)
    if rows.size == 0:
        return Glyph(char=char, mask=np.zeros((1, 1), np.uint8), dy=top, ink=None)
    mask = np.ascontiguousarray(mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])
    top += int(rows[0])
    ink = mask >= INK_THRESHOLD
    irows, icols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    mask.setflags(write=False)
    if irows.size == 0:           # too small to reach half coverage anywhere (tiny banner text)
        return Glyph(char=char, mask=mask, dy=top, ink=None)
    return Glyph(char=char, mask=mask, dy=top,
                 ink=(int(icols[0]), int(irows[0]), int(icols[-1]) + 1, int(irows[-1]) + 1))


def quantize(value: float, step: float) -> float:
    return round(round(value / step) * step, 6)
