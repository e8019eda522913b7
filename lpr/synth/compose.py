"""Warped plates pasted into scenes, and the crops the character models train on.

Scenes: 1-3 plates per image, their widths log-uniform between 40 and 250 px for a 1280 px wide
frame (scaled with the scene's width; the ro-plates frames have a median of 101 px, 5 %-95 % at
60-245 px), never overlapping each other or the scene's real plates. A plate takes the scene's
light (its brightness follows the spot it lands on, sometimes lit as by headlights) and turns
grey in a grey photo. Real plate crops can stand in for synthetic ones (plate box only: their
characters are unknown).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lpr.data.boxes import Box
from lpr.synth.augment import (Photometric, ViewRange, WarpedPlate, any_overlap, augment_plate,
                               camera_effects, sample_geometry, warp_plate)
from lpr.synth.formats import PlateFormat, PlateText, generate_text, pick_format
from lpr.synth.render import RenderedPlate, random_plate, render_plate

REFERENCE_WIDTH = 1280
PLATE_WIDTHS = (40.0, 250.0)      # px in a REFERENCE_WIDTH frame
CROP_WIDTHS = (60.0, 320.0)       # px: plate crops (character detector and CNN samples)
EU_PLATE_MM = 520.0               # the width of the real plates in the frames (Romanian, EU size)


@dataclass(frozen=True)
class PlacedPlate:
    box: Box                          # the plate body in scene pixels
    kind: str                         # "synthetic", "real-crop" or "real-frame"
    text: str | None = None           # labelled characters (synthetic only)
    country: str | None = None
    chars: tuple[Box, ...] = ()       # character boxes in scene pixels (synthetic only)


@dataclass(frozen=True)
class ComposedScene:
    image: np.ndarray                 # BGR uint8
    plates: tuple[PlacedPlate, ...]
    gray: bool


def is_gray(image: np.ndarray, tolerance: int = 6) -> bool:
    sample = image[::7, ::7].astype(np.int16)
    return bool(np.abs(sample[..., 0] - sample[..., 1]).max() <= tolerance
                and np.abs(sample[..., 1] - sample[..., 2]).max() <= tolerance)


def _luminance(image: np.ndarray) -> float:
    return float(image.mean()) if image.size else 128.0


def paste(scene: np.ndarray, layer_bgr: np.ndarray, alpha: np.ndarray, x: int, y: int) -> None:
    """Blend a layer into `scene` (in place) at its top-left (x, y); parts outside are cut."""
    h, w = alpha.shape
    x1, y1, x2, y2 = max(x, 0), max(y, 0), min(x + w, scene.shape[1]), min(y + h, scene.shape[0])
    if x1 >= x2 or y1 >= y2:
        return
    a = alpha[y1 - y:y2 - y, x1 - x:x2 - x].astype(np.float32)[..., None] * (1.0 / 255.0)
    region = scene[y1:y2, x1:x2].astype(np.float32)
    region += (layer_bgr[y1 - y:y2 - y, x1 - x:x2 - x].astype(np.float32) - region) * a
    scene[y1:y2, x1:x2] = np.clip(region + 0.5, 0, 255).astype(np.uint8)


def match_light(layer_rgb: np.ndarray, under: np.ndarray, rng: np.random.Generator, gray: bool,
                floor: float = 0.25) -> np.ndarray:
    """Scale the plate's brightness towards the scene's at that spot and tint it with the spot's
    colour cast (part of the way); grey in a grey scene. Returns BGR."""
    import cv2

    if rng.random() < 0.25:                       # lit (headlights, flash): stays bright
        gain = rng.uniform(0.85, 1.1)
    else:
        gain = float(np.clip((max(_luminance(under), 8.0) / 128.0) ** 0.6 * rng.uniform(0.8, 1.2), floor, 1.15))
    tint = np.ones(3, np.float32)
    if under.size and not gray:
        means = under.reshape(-1, 3).mean(axis=0)[::-1].astype(np.float32) + 1.0     # BGR -> RGB
        tint = (means / means.mean()) ** np.float32(rng.uniform(0.2, 0.7))
    out = np.clip(layer_rgb.astype(np.float32) * (gain * tint) + 0.5, 0, 255).astype(np.uint8)
    bgr = cv2.cvtColor(out, cv2.COLOR_RGB2BGR)
    if gray:
        g = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        bgr = cv2.merge([g, g, g])
    return bgr


def plate_width(rng: np.random.Generator, scene_width: int, widths: tuple[float, float] = PLATE_WIDTHS) -> float:
    """Log-uniform in `widths` (px of a REFERENCE_WIDTH frame), scaled to the scene."""
    w = math.exp(rng.uniform(math.log(widths[0]), math.log(widths[1])))
    return w * scene_width / REFERENCE_WIDTH


def crop_as_plate(crop_bgr: np.ndarray) -> RenderedPlate:
    """A real plate crop as a plate without known characters (the whole crop is the plate)."""
    import cv2

    h, w = crop_bgr.shape[:2]
    return RenderedPlate(image=cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2RGB), alpha=np.full((h, w), 255, np.uint8),
                         plate_box=Box("plate", 0.0, 0.0, float(w), float(h)), chars=(),
                         text=PlateText("real", "", ()), country="", style="real", text_color=(0, 0, 0),
                         background_color=(255, 255, 255), px_per_mm=0.0)


def warp_real_crop(crop_bgr: np.ndarray, target_width: float, rng: np.random.Generator,
                   photometric: Photometric = Photometric()) -> WarpedPlate:
    plate = crop_as_plate(crop_bgr)
    view = ViewRange(yaw_std=10, max_yaw=30, pitch_std=5, max_pitch=15, roll_std=2, max_roll=6)
    geometry = sample_geometry((plate.image.shape[1], plate.image.shape[0]), plate.plate_box, target_width, rng, view)
    warped = warp_plate(plate, geometry)
    soft = Photometric(dirt=0, shadow=0, gradient=0, glare=0, color_cast=0, blur=photometric.blur * 0.5,
                       noise=photometric.noise * 0.5, contrast=photometric.contrast * 0.5)
    image, alpha = camera_effects(warped.image, warped.alpha, rng, warped.plate_box.height, soft)
    return WarpedPlate(image=image, alpha=alpha, plate_box=warped.plate_box, plate_quad=warped.plate_quad,
                       chars=(), source=None)


def _place(scene_shape: tuple[int, int], warped: WarpedPlate, taken: Sequence[Box], rng: np.random.Generator,
           y_range: tuple[float, float], tries: int = 40) -> tuple[int, int] | None:
    """A top-left (x, y) for the warped layer with its plate box inside the scene and clear of
    `taken` (padded by a tenth of the plate's width); None when nothing fits."""
    H, W = scene_shape
    pb = warped.plate_box
    pad = 0.1 * pb.width
    lo_x, hi_x = -pb.x1, W - pb.x2
    lo_y, hi_y = max(-pb.y1, y_range[0] * H - pb.y1), min(H - pb.y2, y_range[1] * H - pb.y2)
    if hi_x < lo_x or hi_y < lo_y:
        return None
    for _ in range(tries):
        x = int(math.floor(rng.uniform(lo_x, hi_x) if hi_x > lo_x else lo_x))
        y = int(math.floor(rng.uniform(lo_y, hi_y) if hi_y > lo_y else lo_y))
        x, y = max(x, int(math.ceil(lo_x))), max(y, int(math.ceil(lo_y)))
        box = pb.shifted(x, y)
        if box.x2 > W or box.y2 > H:
            continue
        if not any_overlap(box, taken, pad):
            return x, y
    return None


def _erase(image: np.ndarray, box: Box, margin: int = 6) -> None:
    """Paint the region of `box` (grown by 6 % of its width and 12 % of its height) over from its
    surroundings (in place)."""
    import cv2

    H, W = image.shape[:2]
    gx, gy = 0.06 * box.width + 1, 0.12 * box.height + 1
    x1, y1 = max(int(box.x1 - gx), 0), max(int(box.y1 - gy), 0)
    x2, y2 = min(int(math.ceil(box.x2 + gx)), W), min(int(math.ceil(box.y2 + gy)), H)
    if x2 <= x1 or y2 <= y1:
        return
    wx1, wy1, wx2, wy2 = max(x1 - margin, 0), max(y1 - margin, 0), min(x2 + margin, W), min(y2 + margin, H)
    window = np.ascontiguousarray(image[wy1:wy2, wx1:wx2])
    mask = np.zeros(window.shape[:2], np.uint8)
    mask[y1 - wy1:y2 - wy1, x1 - wx1:x2 - wx1] = 255
    image[wy1:wy2, wx1:wx2] = cv2.inpaint(window, mask, 5, cv2.INPAINT_TELEA)


def overdraw_real_plate(image: np.ndarray, real: Box, formats: Sequence[PlateFormat], rng: np.random.Generator,
                        gray: bool, view: ViewRange = ViewRange(),
                        photometric: Photometric = Photometric()) -> PlacedPlate | None:
    """Put a synthetic plate where a real one is (in place): the real plate is painted over from
    its surroundings and a plate of a random format, as wide as that car would carry it (the real
    plate's width x the format's width in mm / 520 mm), is centred on the spot. So plates of every
    format sit on bumpers, in car context. None (image untouched) when it would leave the image."""
    fmt = pick_format(formats, rng)
    width = max(real.width * fmt.size_mm[0] / EU_PLATE_MM * rng.uniform(0.9, 1.15), 12.0)
    plate = render_plate(fmt, generate_text(fmt, rng), rng, width_px=width * 1.15)
    warped = augment_plate(plate, width, rng, view, photometric)
    pb = warped.plate_box
    x = int(round((real.x1 + real.x2 - pb.x1 - pb.x2) / 2))
    y = int(round((real.y1 + real.y2 - pb.y1 - pb.y2) / 2))
    box = pb.shifted(x, y)
    H, W = image.shape[:2]
    if box.x1 < 0 or box.y1 < 0 or box.x2 > W or box.y2 > H:
        return None
    _erase(image, real)
    return _paste_plate(image, warped, x, y, rng, gray, "synthetic")


def _paste_plate(image: np.ndarray, warped: WarpedPlate, x: int, y: int, rng: np.random.Generator, gray: bool,
                 kind: str) -> PlacedPlate:
    """Blend `warped` into `image` (in place) with its top-left at (x, y), lit like the spot it
    covers; the placed plate, with its text and character boxes when `kind` is "synthetic"."""
    h, w = warped.alpha.shape
    under = image[max(y, 0):y + h, max(x, 0):x + w]
    paste(image, match_light(warped.image, under, rng, gray), warped.alpha, x, y)
    b = warped.plate_box.shifted(x, y)
    box = Box("plate", b.x1, b.y1, b.x2, b.y2)
    if kind != "synthetic":
        return PlacedPlate(box, kind)
    src = warped.source
    return PlacedPlate(box, kind, src.text.chars, src.country, tuple(c.shifted(x, y) for c in warped.chars))


def compose_scene(scene: np.ndarray, real_plates: Sequence[Box], formats: Sequence[PlateFormat],
                  rng: np.random.Generator, *, crops: Callable[[np.random.Generator], np.ndarray] | None = None,
                  real_crop_fraction: float = 0.0, replace_fraction: float = 0.0,
                  plates: tuple[int, int] = (1, 3), widths: tuple[float, float] = PLATE_WIDTHS,
                  y_range: tuple[float, float] = (0.0, 1.0), photometric: Photometric = Photometric(),
                  view: ViewRange = ViewRange(), min_width: float = 24.0) -> ComposedScene:
    """Paste 1-3 plates into a copy of `scene` (BGR). `crops`: draws a real plate crop (BGR), used
    for a `real_crop_fraction` share of the plates. The scene's `real_plates` stay labelled and free,
    except a `replace_fraction` share of them, overdrawn by synthetic plates (overdraw_real_plate).
    Plates are at least `min_width` px wide (in a small photo the relative sizes would make
    smudges no one could label)."""
    image = scene.copy()
    gray = is_gray(image)
    placed: list[PlacedPlate] = []
    for real in real_plates:
        new = None
        if replace_fraction > 0.0 and rng.random() < replace_fraction:
            new = overdraw_real_plate(image, real, formats, rng, gray, view, photometric)
        placed.append(new if new is not None else PlacedPlate(real, "real-frame"))
    taken: list[Box] = [p.box for p in placed] + list(real_plates)
    wanted = int(rng.integers(plates[0], plates[1] + 1))
    H, W = image.shape[:2]
    for _ in range(wanted):
        width = max(plate_width(rng, W, widths), min_width)
        if crops is not None and rng.random() < real_crop_fraction:
            crop = crops(rng)
            warped = warp_real_crop(crop, width, rng, photometric)
            kind = "real-crop"
        else:
            plate = random_plate(formats, rng, width_px=width * 1.15)
            warped = augment_plate(plate, width, rng, view, photometric)
            kind = "synthetic"
        spot = _place((H, W), warped, taken, rng, y_range)
        if spot is None:
            continue
        new = _paste_plate(image, warped, *spot, rng, gray, kind)
        taken.append(new.box)
        placed.append(new)
    return ComposedScene(image=image, plates=tuple(placed), gray=gray)


def resize_scene(composed: ComposedScene, width: int) -> ComposedScene:
    """The composed scene resized to `width` (boxes scaled with it). Small photos are composed at
    their own size and enlarged afterwards, so their plates soften with them instead of standing
    out sharp in a blurry picture."""
    import cv2

    h, w = composed.image.shape[:2]
    if width == w:
        return composed
    size = (width, max(1, int(round(h * width / w))))
    image = cv2.resize(composed.image, size, interpolation=cv2.INTER_LINEAR if width > w / 2 else cv2.INTER_AREA)
    sx, sy = size[0] / w, size[1] / h

    def scaled(b: Box) -> Box:
        return Box(b.label, b.x1 * sx, b.y1 * sy, b.x2 * sx, b.y2 * sy)

    plates = tuple(PlacedPlate(scaled(p.box), p.kind, p.text, p.country, tuple(scaled(c) for c in p.chars))
                   for p in composed.plates)
    return ComposedScene(image=image, plates=plates, gray=composed.gray)


# --------------------------------------------------------------------------- crops for the character models

@dataclass(frozen=True)
class PlateCrop:
    image: np.ndarray                 # BGR uint8
    chars: tuple[Box, ...]            # character boxes in crop pixels
    plate_box: Box
    text: str
    country: str
    format_key: str


def _patch(background: np.ndarray | None, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A (w, h) piece of `background` at a random place and scale (procedural clutter without one)."""
    import cv2

    from lpr.synth.sources import procedural_background

    w, h = size
    if background is None:
        return procedural_background(rng, (w, h))
    bh, bw = background.shape[:2]
    scale = max(w / bw, h / bh) * rng.uniform(1.0, 3.0)
    cw, ch = min(bw, int(math.ceil(w / scale))), min(bh, int(math.ceil(h / scale)))
    x, y = int(rng.integers(0, bw - cw + 1)), int(rng.integers(0, bh - ch + 1))
    return cv2.resize(background[y:y + ch, x:x + cw], (w, h), interpolation=cv2.INTER_LINEAR)


def _on_background(warped: WarpedPlate, background: np.ndarray | None, rng: np.random.Generator,
                   gray_share: float = 0.3) -> np.ndarray:
    """The warped plate on a patch of `background`. Grey (as from a grey camera) for a
    `gray_share` of the plates, whatever the background: the photos at hand are mostly grey, the
    plates a detector hands over mostly are not."""
    import cv2

    h, w = warped.alpha.shape
    canvas = _patch(background, (w, h), rng)
    gray = bool(rng.random() < gray_share)
    if gray and not is_gray(canvas):
        g = cv2.cvtColor(canvas, cv2.COLOR_BGR2GRAY)
        canvas = cv2.merge([g, g, g])
    # not as dark as in a scene: a crop a detector hands over is one it could see
    layer = match_light(warped.image, canvas, rng, gray, floor=0.45)
    paste(canvas, layer, warped.alpha, 0, 0)
    return canvas


def plate_crop(formats: Sequence[PlateFormat], rng: np.random.Generator, background: np.ndarray | None = None,
               *, widths: tuple[float, float] = CROP_WIDTHS, margin: tuple[float, float] = (0.02, 0.2),
               photometric: Photometric = Photometric(), view: ViewRange = ViewRange()) -> PlateCrop:
    """A plate as a plate detector would hand it over: warped, on some background, cut out with
    a random margin (share of the plate's size, each side on its own)."""
    width = math.exp(rng.uniform(math.log(widths[0]), math.log(widths[1])))
    plate = random_plate(formats, rng, width_px=width * 1.15)
    warped = augment_plate(plate, width, rng, view, photometric)
    pb = warped.plate_box
    mx = [rng.uniform(*margin) * pb.width * 0.4 for _ in range(2)]
    my = [rng.uniform(*margin) * pb.height for _ in range(2)]
    pad_x, pad_y = int(math.ceil(max(mx))) + 2, int(math.ceil(max(my))) + 2
    big = WarpedPlate(image=np.pad(warped.image, ((pad_y, pad_y), (pad_x, pad_x), (0, 0))),
                      alpha=np.pad(warped.alpha, ((pad_y, pad_y), (pad_x, pad_x))),
                      plate_box=pb.shifted(pad_x, pad_y), plate_quad=warped.plate_quad + (pad_x, pad_y),
                      chars=tuple(b.shifted(pad_x, pad_y) for b in warped.chars), source=plate)
    canvas = _on_background(big, background, rng)
    pb = big.plate_box
    x1 = max(0, int(math.floor(pb.x1 - mx[0])))
    y1 = max(0, int(math.floor(pb.y1 - my[0])))
    x2 = min(canvas.shape[1], int(math.ceil(pb.x2 + mx[1])))
    y2 = min(canvas.shape[0], int(math.ceil(pb.y2 + my[1])))
    crop = np.ascontiguousarray(canvas[y1:y2, x1:x2])
    chars = tuple(_clip(b.shifted(-x1, -y1), x2 - x1, y2 - y1) for b in big.chars)
    return PlateCrop(image=crop, chars=chars, plate_box=_clip(pb.shifted(-x1, -y1), x2 - x1, y2 - y1),
                     text=plate.text.chars, country=plate.country, format_key=plate.text.format_key)


def _clip(box: Box, w: float, h: float) -> Box:
    return Box(box.label, min(max(box.x1, 0.0), w), min(max(box.y1, 0.0), h), min(max(box.x2, 0.0), w),
               min(max(box.y2, 0.0), h))


@dataclass(frozen=True)
class CharCrop:
    image: np.ndarray                 # BGR uint8
    char: str
    country: str
    format_key: str


def char_crop(formats: Sequence[PlateFormat], char: str, rng: np.random.Generator,
              background: np.ndarray | None = None, *, widths: tuple[float, float] = (70.0, 420.0),
              margin: tuple[float, float] = (0.0, 0.2), photometric: Photometric = Photometric(),
              view: ViewRange = ViewRange()) -> CharCrop:
    """One character cut from a warped plate holding it, as a character detector would hand it
    over: a random margin (share of the box height), after a JPEG round trip."""
    from lpr.synth.augment import jpeg

    width = math.exp(rng.uniform(math.log(widths[0]), math.log(widths[1])))
    plate = random_plate(formats, rng, force=char, width_px=width * 1.15)
    warped = augment_plate(plate, width, rng, view, photometric)
    canvas = _on_background(warped, background, rng)
    if rng.random() < 0.7:
        canvas = jpeg(canvas, rng, (40, 95))
    candidates = [i for i, b in enumerate(warped.chars) if b.label == char]
    box = warped.chars[candidates[int(rng.integers(len(candidates)))]]
    m = [rng.uniform(*margin) * box.height for _ in range(4)]
    x1 = max(0, int(math.floor(box.x1 - m[0] * 0.7)))
    y1 = max(0, int(math.floor(box.y1 - m[1])))
    x2 = min(canvas.shape[1], int(math.ceil(box.x2 + m[2] * 0.7)))
    y2 = min(canvas.shape[0], int(math.ceil(box.y2 + m[3])))
    return CharCrop(image=np.ascontiguousarray(canvas[y1:y2, x1:x2]), char=char, country=plate.country,
                    format_key=plate.text.format_key)
