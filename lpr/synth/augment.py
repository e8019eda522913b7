"""Seeded augmentation: a plate seen in perspective (boxes transformed with it) and photometric
changes (lighting, shadows, dirt, blur, noise, contrast, JPEG).

Every function draws from the numpy Generator it is given, in a fixed order, so one seed gives
one result. Coordinates are continuous pixels (a box covers [x1, x2) x [y1, y2), pixel centres at
+0.5, see lpr.data.boxes); a box is warped by transforming its 4 corners and taking their
bounding box, which contains the warped glyph (its ink lies inside the warped quadrilateral).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lpr.data.boxes import Box
from lpr.synth.render import RenderedPlate


# --------------------------------------------------------------------------- geometry

@dataclass(frozen=True)
class Geometry:
    """How a plate image becomes its warped view: first resized by `prescale` (area averaging,
    no aliasing when shrinking a lot), then warped by `matrix` (continuous coordinates of the
    resized image -> output) into an image of `size` (width, height)."""

    matrix: np.ndarray
    prescale: float
    size: tuple[int, int]

    @property
    def full_matrix(self) -> np.ndarray:
        """Continuous coordinates of the original plate image -> output."""
        return self.matrix @ np.diag([self.prescale, self.prescale, 1.0])


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    homogeneous = np.hstack([pts, np.ones((len(pts), 1))]) @ matrix.T
    return homogeneous[:, :2] / homogeneous[:, 2:3]


def box_corners(box: Box) -> np.ndarray:
    return np.array([(box.x1, box.y1), (box.x2, box.y1), (box.x2, box.y2), (box.x1, box.y2)], dtype=np.float64)


def transform_box(box: Box, matrix: np.ndarray, clip: tuple[int, int] | None = None) -> Box:
    """The bounding box of the box's 4 transformed corners (clipped to (width, height) if given)."""
    q = transform_points(box_corners(box), matrix)
    x1, y1 = q.min(axis=0)
    x2, y2 = q.max(axis=0)
    if clip is not None:
        x1, x2 = float(np.clip(x1, 0, clip[0])), float(np.clip(x2, 0, clip[0]))
        y1, y2 = float(np.clip(y1, 0, clip[1])), float(np.clip(y2, 0, clip[1]))
    return Box(box.label, float(x1), float(y1), float(x2), float(y2))


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    cy, sy = math.cos(yaw), math.sin(yaw)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cr, sr = math.cos(roll), math.sin(roll)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return rz @ rx @ ry


@dataclass(frozen=True)
class ViewRange:
    """Viewing angles in degrees (drawn from a normal with `*_std`, clipped at `max_*`) and the
    camera distance as a multiple of the plate width (small: strong perspective)."""

    yaw_std: float = 14.0
    max_yaw: float = 40.0
    pitch_std: float = 7.0
    max_pitch: float = 22.0
    roll_std: float = 3.0
    max_roll: float = 9.0
    distance: tuple[float, float] = (1.5, 6.0)


FLAT = ViewRange(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, (1e6, 1e6))


def sample_geometry(image_size: tuple[int, int], plate_box: Box, target_width: float,
                    rng: np.random.Generator, view: ViewRange = ViewRange(), margin: int = 2) -> Geometry:
    """A random view of an image of `image_size` (width, height) in which the plate body spans
    `target_width` pixels horizontally."""
    def angle(std: float, limit: float) -> float:
        return math.radians(float(np.clip(rng.normal(0.0, std), -limit, limit))) if std > 0 else 0.0

    yaw, pitch, roll = angle(view.yaw_std, view.max_yaw), angle(view.pitch_std, view.max_pitch), \
        angle(view.roll_std, view.max_roll)
    w, h = image_size
    plate_w = plate_box.width
    distance = float(rng.uniform(*view.distance)) * plate_w
    center = np.array([(plate_box.x1 + plate_box.x2) / 2, (plate_box.y1 + plate_box.y2) / 2])
    rotation = _rotation(yaw, pitch, roll)

    def project(points: np.ndarray) -> np.ndarray:
        p3 = np.hstack([points - center, np.zeros((len(points), 1))]) @ rotation.T
        z = p3[:, 2:3] + distance
        return distance * p3[:, :2] / z

    image_corners = np.array([(0, 0), (w, 0), (w, h), (0, h)], dtype=np.float64)
    plate_q = project(box_corners(plate_box))
    scale = target_width / max(plate_q[:, 0].max() - plate_q[:, 0].min(), 1e-6)
    projected = project(image_corners) * scale
    projected += margin - projected.min(axis=0)
    out_w = int(math.ceil(projected[:, 0].max())) + margin
    out_h = int(math.ceil(projected[:, 1].max())) + margin

    prescale = min(1.0, target_width / plate_w * 1.05)
    import cv2

    src = (image_corners * prescale).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, projected.astype(np.float32)).astype(np.float64)
    return Geometry(matrix=matrix, prescale=prescale, size=(out_w, out_h))


def warp_image(image: np.ndarray, geometry: Geometry, nearest: bool = False) -> np.ndarray:
    """Resize by the prescale, then warp; `nearest` for label maps (no value mixing)."""
    import cv2

    if geometry.prescale < 1.0:
        h, w = image.shape[:2]
        size = (max(1, int(round(w * geometry.prescale))), max(1, int(round(h * geometry.prescale))))
        image = cv2.resize(image, size, interpolation=cv2.INTER_NEAREST_EXACT if nearest else cv2.INTER_AREA)
        # the rounded size shifts the scale slightly; warp from the actual one
        sx, sy = size[0] / w, size[1] / h
        fix = np.diag([geometry.prescale / sx, geometry.prescale / sy, 1.0])
    else:
        fix = np.eye(3)
    # cv2 maps pixel indices: index = continuous - 0.5
    to_index = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]])
    from_index = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    matrix = to_index @ geometry.matrix @ fix @ from_index
    return cv2.warpPerspective(image, matrix, geometry.size,
                               flags=cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)


@dataclass(frozen=True)
class WarpedPlate:
    image: np.ndarray            # RGB uint8
    alpha: np.ndarray            # uint8
    plate_box: Box               # bounding box of the warped plate body
    plate_quad: np.ndarray       # its 4 corners (tl, tr, br, bl), float (4, 2)
    chars: tuple[Box, ...]
    source: RenderedPlate | None


def warp_plate(plate: RenderedPlate, geometry: Geometry) -> WarpedPlate:
    size = geometry.size
    m = geometry.full_matrix
    quad = transform_points(box_corners(plate.plate_box), m)
    return WarpedPlate(image=warp_image(plate.image, geometry), alpha=warp_image(plate.alpha, geometry),
                       plate_box=transform_box(plate.plate_box, m, size), plate_quad=quad,
                       chars=tuple(transform_box(b, m, size) for b in plate.chars), source=plate)


# --------------------------------------------------------------------------- photometric

def _smooth_noise(shape: tuple[int, int], rng: np.random.Generator, cells: int) -> np.ndarray:
    import cv2

    small = rng.random((cells, max(2, int(cells * shape[1] / max(shape[0], 1)))), dtype=np.float32)
    return cv2.resize(small, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def lighting_gradient(image: np.ndarray, rng: np.random.Generator, strength: tuple[float, float] = (0.1, 0.45)
                      ) -> np.ndarray:
    """Multiply by a linear ramp in a random direction (uneven light across the plate)."""
    h, w = image.shape[:2]
    angle = rng.uniform(0, 2 * np.pi)
    amount = rng.uniform(*strength)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = (np.cos(angle) * (x / max(w, 1) - 0.5) + np.sin(angle) * (y / max(h, 1) - 0.5))
    gain = 1.0 + amount * ramp / max(float(np.abs(ramp).max()), 1e-6) * 0.5 - amount * 0.25
    return np.clip(image * gain[..., None] + 0.5, 0, 255).astype(np.uint8)


def shadow(image: np.ndarray, rng: np.random.Generator, darkness: tuple[float, float] = (0.35, 0.75)) -> np.ndarray:
    """A soft-edged shadow over a random part (a half-plane cut by a random line)."""
    import cv2

    h, w = image.shape[:2]
    angle = rng.uniform(0, 2 * np.pi)
    offset = rng.uniform(-0.35, 0.35)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    side = np.cos(angle) * (x / w - 0.5) + np.sin(angle) * (y / h - 0.5) - offset
    mask = (side > 0).astype(np.float32)
    soft = max(1, int(min(h, w) * rng.uniform(0.02, 0.2))) | 1
    mask = cv2.GaussianBlur(mask, (soft, soft), 0)
    gain = 1.0 - mask * (1.0 - rng.uniform(*darkness))
    return np.clip(image * gain[..., None] + 0.5, 0, 255).astype(np.uint8)


def dirt(image: np.ndarray, rng: np.random.Generator, spots: tuple[int, int] = (2, 14)) -> np.ndarray:
    """Brownish-grey blotches of low opacity (mud, dust) plus a faint overall grime."""
    import cv2

    h, w = image.shape[:2]
    out = image.astype(np.float32)
    grime = _smooth_noise((h, w), rng, 4) * rng.uniform(0.0, 0.12)
    color = np.array([rng.uniform(70, 120), rng.uniform(60, 100), rng.uniform(40, 80)], np.float32)
    layer = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(spots[0], spots[1] + 1))):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        rx, ry = rng.uniform(0.5, 0.035 * w + 1), rng.uniform(0.5, 0.09 * h + 1)
        cv2.ellipse(layer, (int(cx), int(cy)), (int(rx) + 1, int(ry) + 1), float(rng.uniform(0, 180)), 0, 360,
                    float(rng.uniform(0.1, 0.5)), -1)
    layer = cv2.GaussianBlur(layer, (0, 0), max(0.6, min(h, w) * 0.015))
    a = np.clip(layer + grime, 0, 0.85)[..., None]
    out = out * (1 - a) + color * a
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def glare(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A soft bright spot (reflection of a lamp or the sun)."""
    h, w = image.shape[:2]
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    r = rng.uniform(0.15, 0.6) * w
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    spot = np.exp(-((x - cx) ** 2 + ((y - cy) * 2.5) ** 2) / (2 * r * r)) * rng.uniform(0.2, 0.7)
    out = image.astype(np.float32)
    out += (255 - out) * spot[..., None]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def brightness_contrast(image: np.ndarray, rng: np.random.Generator, contrast: tuple[float, float] = (0.6, 1.25),
                        brightness: tuple[float, float] = (-40, 30)) -> np.ndarray:
    c = rng.uniform(*contrast)
    b = rng.uniform(*brightness)
    out = (image.astype(np.float32) - 128.0) * c + 128.0 + b
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def color_cast(image: np.ndarray, rng: np.random.Generator, amount: float = 0.12) -> np.ndarray:
    gains = 1.0 + rng.uniform(-amount, amount, 3).astype(np.float32)
    return np.clip(image * gains + 0.5, 0, 255).astype(np.uint8)


def gaussian_noise(image: np.ndarray, rng: np.random.Generator, sigma: tuple[float, float] = (1.5, 8.0)) -> np.ndarray:
    s = rng.uniform(*sigma)
    noise = rng.standard_normal(image.shape[:2], dtype=np.float32) * s
    if image.ndim == 3:   # mostly luminance noise, a little per channel
        noise = noise[..., None] + rng.standard_normal(image.shape, dtype=np.float32) * (s * 0.2)
    return np.clip(image + noise + 0.5, 0, 255).astype(np.uint8)


def _blur_layer(image: np.ndarray, alpha: np.ndarray, kernel: np.ndarray | None, sigma: float = 0.0
                ) -> tuple[np.ndarray, np.ndarray]:
    """Blur a layer with its alpha (premultiplied), so its edges soften into whatever lies below."""
    import cv2

    a = alpha.astype(np.float32) / 255.0
    premultiplied = image.astype(np.float32) * a[..., None]
    if kernel is None:
        premultiplied = cv2.GaussianBlur(premultiplied, (0, 0), sigma)
        a = cv2.GaussianBlur(a, (0, 0), sigma)
    else:
        premultiplied = cv2.filter2D(premultiplied, -1, kernel, borderType=cv2.BORDER_CONSTANT)
        a = cv2.filter2D(a, -1, kernel, borderType=cv2.BORDER_CONSTANT)
    color = premultiplied / np.maximum(a[..., None], 1e-4)
    return (np.clip(color + 0.5, 0, 255).astype(np.uint8), np.clip(a * 255 + 0.5, 0, 255).astype(np.uint8))


def motion_kernel(length: float, angle_deg: float) -> np.ndarray:
    import cv2

    size = max(3, int(math.ceil(length)) | 1)
    kernel = np.zeros((size, size), np.float32)
    c = size // 2
    dx, dy = math.cos(math.radians(angle_deg)) * length / 2, math.sin(math.radians(angle_deg)) * length / 2
    cv2.line(kernel, (int(round(c - dx)), int(round(c - dy))), (int(round(c + dx)), int(round(c + dy))), 1.0, 1,
             cv2.LINE_AA)
    return kernel / kernel.sum()


def blur_layer(image: np.ndarray, alpha: np.ndarray, rng: np.random.Generator, plate_height: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """Defocus (gaussian) or motion blur, scaled to the plate's size in pixels."""
    if rng.random() < 0.35:
        length = rng.uniform(2, max(3.0, 0.06 * plate_height + 2))
        return _blur_layer(image, alpha, motion_kernel(length, rng.uniform(-25, 25) if rng.random() < 0.8
                                                      else rng.uniform(0, 180)))
    sigma = rng.uniform(0.3, max(0.6, 0.018 * plate_height + 0.6))
    return _blur_layer(image, alpha, None, sigma)


def jpeg(image: np.ndarray, rng: np.random.Generator, quality: tuple[int, int] = (30, 95)) -> np.ndarray:
    """Encode and decode at a random quality (works on RGB or BGR; the channels are kept as given)."""
    import cv2

    q = int(rng.integers(quality[0], quality[1] + 1))
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, q])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    flag = cv2.IMREAD_COLOR if image.ndim == 3 else cv2.IMREAD_GRAYSCALE
    return cv2.imdecode(data, flag)


@dataclass(frozen=True)
class Photometric:
    """Probabilities of each effect (0 turns it off)."""

    dirt: float = 0.35
    shadow: float = 0.25
    gradient: float = 0.5
    glare: float = 0.1
    color_cast: float = 0.5
    blur: float = 0.7
    noise: float = 0.6
    contrast: float = 0.6


NONE = Photometric(0, 0, 0, 0, 0, 0, 0, 0)


def surface_effects(image: np.ndarray, rng: np.random.Generator, p: Photometric = Photometric()) -> np.ndarray:
    """Effects on the flat plate (they move with it): dirt, shadow, lighting ramp, glare, colour cast."""
    out = image
    if rng.random() < p.dirt:
        out = dirt(out, rng)
    if rng.random() < p.shadow:
        out = shadow(out, rng)
    if rng.random() < p.gradient:
        out = lighting_gradient(out, rng)
    if rng.random() < p.glare:
        out = glare(out, rng)
    if rng.random() < p.color_cast:
        out = color_cast(out, rng)
    return out


def camera_effects(image: np.ndarray, alpha: np.ndarray, rng: np.random.Generator, plate_height: float,
                   p: Photometric = Photometric()) -> tuple[np.ndarray, np.ndarray]:
    """Effects of the camera on the warped plate layer: blur (soft edges too), contrast, noise."""
    if rng.random() < p.blur:
        image, alpha = blur_layer(image, alpha, rng, plate_height)
    if rng.random() < p.contrast:
        image = brightness_contrast(image, rng)
    if rng.random() < p.noise:
        image = gaussian_noise(image, rng)
    return image, alpha


def augment_plate(plate: RenderedPlate, target_width: float, rng: np.random.Generator,
                  view: ViewRange = ViewRange(), photometric: Photometric = Photometric()) -> WarpedPlate:
    """Surface effects, a random view with the plate `target_width` px wide, camera effects."""
    surface = surface_effects(plate.image, rng, photometric)
    flat = RenderedPlate(image=surface, alpha=plate.alpha, plate_box=plate.plate_box, chars=plate.chars,
                         text=plate.text, country=plate.country, style=plate.style, text_color=plate.text_color,
                         background_color=plate.background_color, px_per_mm=plate.px_per_mm)
    geometry = sample_geometry((plate.image.shape[1], plate.image.shape[0]), plate.plate_box, target_width, rng, view)
    warped = warp_plate(flat, geometry)
    image, alpha = camera_effects(warped.image, warped.alpha, rng, warped.plate_box.height, photometric)
    return WarpedPlate(image=image, alpha=alpha, plate_box=warped.plate_box, plate_quad=warped.plate_quad,
                       chars=warped.chars, source=plate)


def boxes_overlap(a: Box, b: Box, pad: float = 0.0) -> bool:
    return not (a.x2 + pad <= b.x1 or b.x2 + pad <= a.x1 or a.y2 + pad <= b.y1 or b.y2 + pad <= a.y1)


def any_overlap(box: Box, others: Sequence[Box], pad: float = 0.0) -> bool:
    return any(boxes_overlap(box, o, pad) for o in others)
