"""Cut a detected plate out of the image (with a margin), and straighten a tilted one.

A PlateCrop remembers the affine map from its pixels back to the original image's, so boxes
found in the crop come back in original-image pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

Box = tuple[float, float, float, float]

MARGIN_X = 0.08        # of the plate's width, each side: detector boxes are often a little tight
MARGIN_Y = 0.18        # of its height
MIN_SKEW_DEGREES = 3.0  # below this the character detector copes; above it we rotate the crop
MAX_SKEW_DEGREES = 35.0


@dataclass(frozen=True)
class PlateCrop:
    image: np.ndarray          # BGR uint8
    to_image: np.ndarray       # 2x3 affine: crop pixel -> original image pixel

    def box_to_image(self, box: Box) -> Box:
        """The axis-aligned box, in image pixels, around a crop box's mapped corners."""
        x1, y1, x2, y2 = box
        corners = np.array([[x1, y1, 1], [x2, y1, 1], [x1, y2, 1], [x2, y2, 1]], dtype=np.float64)
        mapped = corners @ self.to_image.T
        return (float(mapped[:, 0].min()), float(mapped[:, 1].min()),
                float(mapped[:, 0].max()), float(mapped[:, 1].max()))

    @property
    def tilt_degrees(self) -> float:
        """How far the crop was turned to straighten it (straighten), in degrees; 0 when it was not."""
        return float(np.degrees(np.arctan2(abs(self.to_image[1, 0]), self.to_image[0, 0])))


def upright_aspect(box: Box, tilt_degrees: float = 0.0) -> float:
    """Width over height of the rectangle whose axis-aligned bounding box is ``box`` when it is
    turned by ``tilt_degrees``: a tilted plate's box is taller and narrower than the plate.
    Infinite when the box is too flat for a rectangle at that tilt."""
    width, height = max(box[2] - box[0], 0.0), max(box[3] - box[1], 1e-9)
    turn = np.radians(min(abs(tilt_degrees), 44.0))
    c, s = np.cos(turn), np.sin(turn)
    long_side, short_side = width * c - height * s, height * c - width * s   # times (c^2 - s^2)
    if short_side <= 0:
        return float("inf")
    return float(max(long_side, 0.0) / short_side)


def crop_plate(image: np.ndarray, box: Box, margin_x: float = MARGIN_X, margin_y: float = MARGIN_Y
               ) -> PlateCrop | None:
    """The plate ``box`` (image pixels) with `margin_x` / `margin_y` of its width / height added
    on each side, clipped to the image; None when less than 2x2 pixels remain."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = box
    mx, my = (x2 - x1) * margin_x, (y2 - y1) * margin_y
    left, top = max(0, int(np.floor(x1 - mx))), max(0, int(np.floor(y1 - my)))
    right, bottom = min(w, int(np.ceil(x2 + mx))), min(h, int(np.ceil(y2 + my)))
    if right - left < 2 or bottom - top < 2:
        return None
    to_image = np.array([[1.0, 0.0, left], [0.0, 1.0, top]])
    return PlateCrop(np.ascontiguousarray(image[top:bottom, left:right]), to_image)


def straighten(crop: PlateCrop, angle_degrees: float) -> PlateCrop | None:
    """The crop rotated counter-clockwise by ``angle_degrees`` about its centre, undoing a text
    line tilted clockwise by that much (lpr.char_layout.skew_angle); the canvas grows to keep
    the corners. None when the skew is not worth it (outside MIN_SKEW_DEGREES..MAX_SKEW_DEGREES)."""
    if not MIN_SKEW_DEGREES <= abs(angle_degrees) <= MAX_SKEW_DEGREES:
        return None
    h, w = crop.image.shape[:2]
    rotation = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle_degrees, 1.0)
    cos, sin = abs(rotation[0, 0]), abs(rotation[0, 1])
    new_w, new_h = int(np.ceil(w * cos + h * sin)), int(np.ceil(w * sin + h * cos))
    rotation[0, 2] += (new_w - w) / 2.0
    rotation[1, 2] += (new_h - h) / 2.0
    turned = cv2.warpAffine(crop.image, rotation, (new_w, new_h), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    back = cv2.invertAffineTransform(rotation)                    # straightened -> crop
    to_image = crop.to_image @ np.vstack([back, [0.0, 0.0, 1.0]])  # straightened -> image
    return PlateCrop(turned, to_image)
