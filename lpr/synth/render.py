"""One flat plate image (RGB) with the exact ink box of every labelled character.

A character's box is the bounding box of its glyph pixels whose coverage is at least half
(`fonts.INK_THRESHOLD`), placed at whole pixels; the glyph is blended with that coverage, so
thresholding the rendered plate half-way between the background and the text colour gives
back the same pixels. Separators, emblems, band letters, banners and slogans are drawn but never
labelled.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lpr.data.boxes import Box
from lpr.synth.fonts import Glyph, glyph, quantize
from lpr.synth.formats import EU_BLUE, RGB, FontChoice, PlateFormat, PlateText, Style, weighted_choice

_STAR_YELLOW: RGB = (255, 204, 0)
_HOLDER_TEXT = ("AUTOHAUS", "AUTO CENTER", "MOTORS", "AUTOSTADT", "CAR SERVICE", "DEALER", "GARAGE")


@dataclass(frozen=True)
class RenderedPlate:
    image: np.ndarray                # H x W x 3 RGB uint8
    alpha: np.ndarray                # H x W uint8: 255 on the plate (and its holder), 0 beyond the corners
    plate_box: Box                   # the plate itself (a holder frame lies outside it); label: country
    chars: tuple[Box, ...]           # ink boxes, row by row, left to right; label: the character
    text: PlateText
    country: str
    style: str
    text_color: RGB                  # as drawn (after the colour jitter)
    background_color: RGB
    px_per_mm: float


# --------------------------------------------------------------------------- drawing helpers

def _rounded_polygon(x1: float, y1: float, x2: float, y2: float, r: float | tuple[float, float, float, float],
                     steps: int = 6) -> np.ndarray:
    """A rectangle with rounded corners; `r` for all corners or (top-right, bottom-right,
    bottom-left, top-left)."""
    radii = r if isinstance(r, tuple) else (r, r, r, r)
    radii = tuple(max(0.0, min(v, (x2 - x1) / 2, (y2 - y1) / 2)) for v in radii)
    points = []
    for r, (cx, cy, start) in zip(radii, ((x2 - radii[0], y1 + radii[0], -90), (x2 - radii[1], y2 - radii[1], 0),
                                          (x1 + radii[2], y2 - radii[2], 90), (x1 + radii[3], y1 + radii[3], 180))):
        for k in range(steps + 1 if r > 0 else 1):
            a = math.radians(start + 90 * k / steps)
            points.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return np.asarray(points, dtype=np.float64)


def _fill(shape: tuple[int, int], polygon: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """Anti-aliased coverage (uint8) of polygons given in continuous pixel coordinates."""
    import cv2

    polygons = [polygon] if isinstance(polygon, np.ndarray) else list(polygon)
    mask = np.zeros(shape, dtype=np.uint8)
    # pixel centres sit at +0.5: shift the polygon so a box [x1, x2) covers whole pixels
    points = [np.round((p - 0.5) * 16).astype(np.int32).reshape(-1, 1, 2) for p in polygons]
    cv2.fillPoly(mask, points, 255, lineType=cv2.LINE_AA, shift=4)
    return mask


def _paint(canvas: np.ndarray, polygon: np.ndarray | Sequence[np.ndarray], color: Sequence[float]) -> None:
    """Blend anti-aliased polygons (continuous pixel coordinates) into `canvas`; only their
    bounding region is rasterized."""
    polygons = [polygon] if isinstance(polygon, np.ndarray) else list(polygon)
    every = np.concatenate(polygons)
    x1 = max(int(math.floor(every[:, 0].min())) - 1, 0)
    y1 = max(int(math.floor(every[:, 1].min())) - 1, 0)
    x2 = min(int(math.ceil(every[:, 0].max())) + 2, canvas.shape[1])
    y2 = min(int(math.ceil(every[:, 1].max())) + 2, canvas.shape[0])
    if x1 >= x2 or y1 >= y2:
        return
    coverage = _fill((y2 - y1, x2 - x1), [p - (x1, y1) for p in polygons])
    _blend(canvas, coverage, color, x1, y1)


def _blend(canvas: np.ndarray, coverage: np.ndarray, color: Sequence[float], x: int = 0, y: int = 0) -> None:
    """canvas = canvas * (1 - a) + color * a over the coverage placed at (x, y), clipped."""
    h, w = coverage.shape
    x1, y1, x2, y2 = max(x, 0), max(y, 0), min(x + w, canvas.shape[1]), min(y + h, canvas.shape[0])
    if x1 >= x2 or y1 >= y2:
        return
    a = coverage[y1 - y:y2 - y, x1 - x:x2 - x].astype(np.float32)[..., None] * (1.0 / 255.0)
    region = canvas[y1:y2, x1:x2].astype(np.float32)
    region += (np.asarray(color, dtype=np.float32) - region) * a
    canvas[y1:y2, x1:x2] = np.clip(region + 0.5, 0, 255).astype(np.uint8)


def _star(cx: float, cy: float, r: float) -> np.ndarray:
    points = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.4
        a = math.radians(-90 + 36 * k)
        points.append((cx + radius * math.cos(a), cy + radius * math.sin(a)))
    return np.asarray(points)


def _jitter(color: RGB, rng: np.random.Generator, amount: int) -> RGB:
    if amount <= 0:
        return color
    c = np.clip(np.asarray(color) + rng.integers(-amount, amount + 1, 3), 0, 255)
    return (int(c[0]), int(c[1]), int(c[2]))


@dataclass(frozen=True)
class _Item:
    kind: str                  # "char", "sep", "gap", "emblem"
    glyph: Glyph | None
    width: int


def _glyphs_for(text: str, font: FontChoice, cap_px: float, x_scale: float, stroke_share: float,
                on_baseline: bool = False) -> list[Glyph | None]:
    cap, x_scale, stroke = quantize(cap_px, 1.0), quantize(x_scale, 0.02), quantize(stroke_share, 0.01)
    return [None if c in " *" else glyph(font.key, c, cap, x_scale, stroke, on_baseline) for c in text]


def draw_text(canvas: np.ndarray, text: str, font_key: str, cap_px: float, center_x: float,
              center_y: float, color: RGB, x_scale: float = 1.0, max_width: float | None = None) -> None:
    """Small unlabelled text (bands, banners, slogans) centred on (center_x, center_y)."""
    if cap_px < 3 or not text:
        return
    choice = FontChoice(font_key)
    glyphs = _glyphs_for(text, choice, cap_px, x_scale, 0.0)
    gap = max(1, int(round(cap_px * 0.12)))
    space = int(round(cap_px * 0.35))
    width = sum(g.mask.shape[1] if g is not None else space for g in glyphs) + gap * (len(glyphs) - 1)
    if max_width is not None and width > max_width and x_scale > 0.3:
        draw_text(canvas, text, font_key, cap_px, center_x, center_y, color,
                  x_scale * max_width / width * 0.97, max_width)
        return
    x = int(round(center_x - width / 2))
    baseline = int(round(center_y + cap_px / 2))
    for g in glyphs:
        if g is None:
            x += space + gap
            continue
        _blend(canvas, g.mask, color, x, baseline + g.dy)
        x += g.mask.shape[1] + gap


# --------------------------------------------------------------------------- the plate

def _draw_emblem(canvas: np.ndarray, kind: str, cx: float, cy: float, size: float, rng: np.random.Generator) -> None:
    import cv2

    if kind == "stickers":
        r = size / 2
        colours = [(235, 120, 160), (90, 170, 90), (230, 200, 60), (120, 160, 220), (230, 140, 60), (160, 110, 70)]
        top = colours[int(rng.integers(len(colours)))]
        for k, (ring, inner) in enumerate(((top, (240, 240, 235)), ((150, 150, 150), (225, 225, 220)))):
            y = cy - r * 1.05 if k == 0 else cy + r * 1.05
            _paint(canvas, _ellipse(cx, y, r, r), ring)
            _paint(canvas, _ellipse(cx, y, r * 0.62, r * 0.62), inner)
            if k == 1:
                _paint(canvas, _ellipse(cx, y, r * 0.3, r * 0.36), (170, 60, 50))
    elif kind == "shield":
        w, h = size, size * 1.2
        shield = np.asarray([(cx - w / 2, cy - h / 2), (cx + w / 2, cy - h / 2), (cx + w / 2, cy + h * 0.1),
                             (cx, cy + h / 2), (cx - w / 2, cy + h * 0.1)])
        _paint(canvas, shield, (200, 30, 40))
        t = max(1, int(round(w * 0.1)))
        cv2.line(canvas, (int(cx), int(cy - h * 0.38)), (int(cx), int(cy + h * 0.2)), (245, 245, 245), t, cv2.LINE_AA)
        for fy, fw in ((-0.22, 0.28), (-0.05, 0.36)):
            y = int(cy + h * fy)
            cv2.line(canvas, (int(cx - w * fw), y), (int(cx + w * fw), y), (245, 245, 245), t, cv2.LINE_AA)
        _paint(canvas, _ellipse(cx, cy + h * 0.3, w * 0.3, h * 0.12), (30, 60, 160))


def _ellipse(cx: float, cy: float, rx: float, ry: float, steps: int = 24) -> np.ndarray:
    a = np.linspace(0, 2 * np.pi, steps, endpoint=False)
    return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a)], axis=1)


def _row_items(row: str, font: FontChoice, cap: float, x_scale: float, stroke: float, fmt: PlateFormat
               ) -> list[_Item]:
    glyphs = _glyphs_for(row, font, cap, x_scale, stroke, on_baseline=True)
    items = []
    for c, g in zip(row, glyphs):
        if c == " ":
            items.append(_Item("gap", None, int(round(cap * 0.32 * min(x_scale, 1.2)))))
        elif c == "*":
            items.append(_Item("emblem", None, int(round(cap * (0.5 if fmt.emblem == "stickers" else 0.55)))))
        elif c == "-":
            items.append(_Item("sep", g, g.mask.shape[1]))
        else:
            items.append(_Item("char", g, g.mask.shape[1]))
    return items


def _row_width(items: list[_Item], gap: float) -> float:
    return sum(i.width for i in items) + gap * (len(items) - 1)


def render_plate(fmt: PlateFormat, text: PlateText, rng: np.random.Generator, *, cap_px: float | None = None,
                 width_px: float | None = None, holder_probability: float = 0.3, variation: bool = True
                 ) -> RenderedPlate:
    """Draw `text` on a plate of format `fmt`.

    `cap_px`: character height in pixels (default: drawn from 36-56), or `width_px`: the plate's
    width (its characters then 20-64 px tall); `variation`: jitter the colours, character
    height, spacing and width a little (off: the format's nominal look).
    """
    if width_px is not None:
        cap_px = float(np.clip(width_px * fmt.char_height_mm / fmt.size_mm[0], 20.0, 64.0))
    if text.format_key != fmt.key:
        raise ValueError(f"text of format {text.format_key} drawn as {fmt.key}")
    if len(text.rows) > 3:
        raise ValueError("at most three rows")
    style: Style = fmt.styles[weighted_choice(rng, [st.weight for st in fmt.styles])]
    font: FontChoice = fmt.fonts[weighted_choice(rng, [f.weight for f in fmt.fonts])]
    cap_nominal = float(cap_px if cap_px is not None else rng.uniform(36, 56))
    s = cap_nominal / fmt.char_height_mm
    w, h = int(round(fmt.size_mm[0] * s)), int(round(fmt.size_mm[1] * s))

    holder = rng.random() < holder_probability
    if holder:
        side, top = (int(round(rng.uniform(3, 7) * s)) for _ in range(2))
        bottom = int(round(rng.uniform(4, 16) * s))
    else:
        side = top = bottom = 0
    H, W = h + top + bottom, w + 2 * side
    jitter = 8 if variation else 0
    background = _jitter(style.background, rng, jitter)
    text_color = _jitter(style.text, rng, jitter + 4 if variation else 0)
    canvas = np.zeros((H, W, 3), dtype=np.uint8)
    corner = fmt.corner_mm * s
    outline = _rounded_polygon(0, 0, W, H, corner * 1.3 if holder else corner)
    alpha = _fill((H, W), outline)
    if holder:
        grey = int(rng.integers(15, 70)) if rng.random() < 0.75 else int(rng.integers(150, 200))
        canvas[:] = grey
        if bottom > 8:
            label = _HOLDER_TEXT[int(rng.integers(len(_HOLDER_TEXT)))]
            draw_text(canvas, label, "sans", bottom * 0.45, W / 2, top + h + bottom * 0.5,
                      (200, 200, 200) if grey < 100 else (40, 40, 40), 0.9, max_width=w * 0.6)

    # plate body: background (maybe a vertical gradient), rounded corners
    body = np.empty((h, w, 3), dtype=np.uint8)
    if style.background2 is not None and (not variation or rng.random() < 0.7):
        t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None] ** 1.5
        body[:] = np.clip(np.asarray(background, np.float32) * (1 - t)
                          + np.asarray(style.background2, np.float32) * t + 0.5, 0, 255).astype(np.uint8)
    else:
        body[:] = background
    body_mask = _fill((H, W), _rounded_polygon(side, top, side + w, top + h, corner))
    full = np.zeros((H, W, 3), dtype=np.uint8)
    full[top:top + h, side:side + w] = body
    a = body_mask.astype(np.float32)[..., None] / 255.0
    canvas[:] = np.clip(canvas * (1 - a) + full * a + 0.5, 0, 255).astype(np.uint8)

    inset = max(1.0, 1.2 * s)
    bw = max(1.0, fmt.border_mm * s) if fmt.border_mm > 0 else 0.0
    inner = (side + inset + bw, top + inset + bw, side + w - inset - bw, top + h - inset - bw)
    if bw > 0 and style.border is not None:
        outer_m = _fill((H, W), _rounded_polygon(side + inset, top + inset, side + w - inset, top + h - inset,
                                                 max(corner - inset, 0)))
        inner_m = _fill((H, W), _rounded_polygon(*inner, max(corner - inset - bw, 0)))
        ring = np.clip(outer_m.astype(np.int16) - inner_m, 0, 255).astype(np.uint8)
        _blend(canvas, ring, style.border)

    # bands
    left, right = inner[0], inner[2]
    top_y, bottom_y = inner[1], inner[3]
    band_code = ""
    if fmt.eu_band and rng.random() < fmt.band_probability:
        band_code = fmt.eu_band[int(rng.integers(len(fmt.eu_band)))]
    band_w = min(40.0, 0.2 * fmt.size_mm[0]) * s
    if fmt.eu_band and band_code:
        x1, x2 = left, left + band_w
        rr = max(corner - inset - bw, 0) * 0.6
        _paint(canvas, _rounded_polygon(x1, top_y, x2, bottom_y, (0, 0, rr, rr)), EU_BLUE)
        cx, ring_r = (x1 + x2) / 2, band_w * 0.27
        cy = top_y + band_w * 0.42
        _paint(canvas, [_star(cx + ring_r * math.cos(2 * math.pi * k / 12), cy + ring_r * math.sin(2 * math.pi * k / 12),
                              max(band_w * 0.055, 0.8)) for k in range(12)], _STAR_YELLOW)
        code_cap = band_w * (0.42 if len(band_code) == 1 else 0.34)
        code_y = (cy + ring_r + band_w * 0.1 + bottom_y) / 2
        draw_text(canvas, band_code, "sans-bold", code_cap, cx, code_y, (245, 245, 245), max_width=band_w * 0.85)
        left = x2
    if fmt.right_band:
        x1, x2 = right - band_w, right
        rr = max(corner - inset - bw, 0) * 0.6
        _paint(canvas, _rounded_polygon(x1, top_y, x2, bottom_y, (rr, rr, 0, 0)), EU_BLUE)
        _paint(canvas, _rounded_polygon(x1 + band_w * 0.18, top_y + band_w * 0.12, x2 - band_w * 0.18,
                                        top_y + band_w * 0.72, band_w * 0.08),
               _jitter((200, 40, 40), rng, 60) if variation else (200, 40, 40))
        department = fmt.classes.get("P", ("75",))
        draw_text(canvas, department[int(rng.integers(len(department)))], "sans-bold", band_w * 0.36,
                  (x1 + x2) / 2, (top_y + band_w * 0.72 + bottom_y) / 2 + band_w * 0.02, (245, 245, 245),
                  max_width=band_w * 0.85)
        right = x1
    if fmt.top_strip is not None:
        strip_h = 0.2 * h
        _paint(canvas, _rounded_polygon(left, top_y, right, top_y + strip_h, 0), fmt.top_strip)
        draw_text(canvas, fmt.top_strip_text, "sans-bold", strip_h * 0.5, (left + right) / 2,
                  top_y + strip_h / 2, (245, 245, 245))
        _paint(canvas, _rounded_polygon(right - strip_h * 1.5, top_y + strip_h * 0.2, right - strip_h * 0.3,
                                        top_y + strip_h * 0.8, 0), (0, 150, 60))
        top_y += strip_h
    banner_color = style.banner or style.text
    if fmt.banners:
        k = int(rng.integers(len(fmt.banners)))
        banner_cap = 0.1 * h
        draw_text(canvas, fmt.banners[k], "sans-bold" if rng.random() < 0.6 else "din", banner_cap,
                  (left + right) / 2, top_y + banner_cap * 1.05, banner_color, 0.9, max_width=(right - left) * 0.6)
        top_y += banner_cap * 2.0
        footer = fmt.footers[k] if k < len(fmt.footers) else ""
        if footer and (not variation or rng.random() < 0.75):
            footer_cap = 0.065 * h
            draw_text(canvas, footer, "sans", footer_cap, (left + right) / 2, bottom_y - footer_cap * 1.1,
                      banner_color, 0.95, max_width=(right - left) * 0.8)
            bottom_y -= footer_cap * 2.0
        else:
            bottom_y -= 0.03 * h
    if fmt.bolt_holes:
        holes = [(side + w / 2 + fx * 89 * s, top + fy * h) for fx in (-1, 1) for fy in (0.09, 0.91)]
        _paint(canvas, [_ellipse(hx, hy, 3.5 * s, 3.5 * s) for hx, hy in holes], (90, 90, 95))
        _paint(canvas, [_ellipse(hx, hy, 2.2 * s, 2.2 * s) for hx, hy in holes], (35, 35, 38))

    # the characters
    rows = text.rows
    margin = max(5.0 * s, 3.0)           # free space between the characters and a band or border
    area_l, area_r = left + margin, right - margin
    cap = cap_nominal * (rng.uniform(0.95, 1.03) if variation else 1.0)
    row_gap = fmt.row_gap_mm * s
    available_h = bottom_y - top_y - 2 * max(1.5 * s, 2.0)
    needed = cap * len(rows) + row_gap * (len(rows) - 1)
    if needed > available_h:
        shrink = available_h / needed
        cap, row_gap = cap * shrink, row_gap * shrink
        needed = available_h
    stroke = rng.uniform(*font.stroke) if variation else sum(font.stroke) / 2
    x_scale = rng.uniform(*font.x_scale) if variation else sum(font.x_scale) / 2
    gap = max(2.0, fmt.gap_mm * s * (rng.uniform(0.85, 1.2) if variation else 1.0))
    y_start = top_y + (bottom_y - top_y - needed) / 2 + (rng.uniform(-0.03, 0.03) * cap if variation else 0.0)

    chars: list[Box] = []
    for r, row in enumerate(rows):
        row_x_scale, row_gap_px = x_scale, gap
        items = _row_items(row, font, cap, row_x_scale, stroke, fmt)
        for _ in range(6):
            width = _row_width(items, row_gap_px)
            if width <= area_r - area_l:
                break
            factor = (area_r - area_l) / width * 0.985
            row_x_scale *= factor
            row_gap_px = max(2.0, row_gap_px * factor)
            items = _row_items(row, font, cap, row_x_scale, stroke, fmt)
        width = _row_width(items, row_gap_px)
        slack = max(0.0, area_r - area_l - width)
        x = area_l + slack / 2 + (rng.uniform(-0.25, 0.25) * slack if variation else 0.0)
        baseline = y_start + cap * (r + 1) + row_gap * r
        for item, c in zip(items, row):
            xi = int(round(x))
            if item.kind in ("char", "sep"):
                g = item.glyph
                yi = int(round(baseline)) + g.dy
                _blend(canvas, g.mask, text_color, xi, yi)
                if item.kind == "char":
                    if g.ink is None:
                        raise ValueError(f"characters of {cap:.1f} px are too small to draw ({fmt.key})")
                    x1, y1, x2, y2 = g.ink
                    chars.append(Box(c, float(xi + x1), float(yi + y1), float(xi + x2), float(yi + y2)))
            elif item.kind == "emblem":
                _draw_emblem(canvas, fmt.emblem, x + item.width / 2, baseline - cap / 2, item.width * 0.95, rng)
            x += item.width + row_gap_px
    if "".join(b.label for b in chars) != text.chars:
        raise AssertionError(f"drew {''.join(b.label for b in chars)!r} for {text.chars!r}")
    for b in chars:
        if b.x1 < 0 or b.y1 < 0 or b.x2 > W or b.y2 > H:
            raise ValueError(f"character {b.label} of {text.display!r} falls outside the plate ({fmt.key})")
    return RenderedPlate(image=canvas, alpha=alpha, plate_box=Box(fmt.country, float(side), float(top),
                                                                  float(side + w), float(top + h)),
                         chars=tuple(chars), text=text, country=fmt.country, style=style.name,
                         text_color=text_color, background_color=background, px_per_mm=s)


def random_plate(formats: Sequence[PlateFormat], rng: np.random.Generator, force: str | None = None,
                 **kwargs) -> RenderedPlate:
    """Pick a format (countries equally likely), generate a registration, draw it."""
    from lpr.synth.formats import generate_text, pick_format

    fmt = pick_format(formats, rng, force)
    return render_plate(fmt, generate_text(fmt, rng, force), rng, **kwargs)
