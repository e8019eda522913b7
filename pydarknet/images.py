"""Checks on the images handed to darknet: NumPy uint8, HxWx3, BGR (OpenCV's order)."""
from __future__ import annotations

import numpy as np


def as_bgr_image(image: object) -> np.ndarray:
    """Return ``image`` as a uint8 HxWx3 array with contiguous pixels, or raise TypeError/ValueError."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"image must be a NumPy array (HxWx3 uint8, BGR), got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise TypeError(f"image must have dtype uint8, got {image.dtype} "
                        "(scale and convert first, e.g. cv2.convertScaleAbs)")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be HxWx3 (BGR), got shape {image.shape} "
                         "(convert grayscale or BGRA with cv2.cvtColor)")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"image is empty: shape {image.shape}")
    if image.strides[2] != 1 or image.strides[1] != 3:
        image = np.ascontiguousarray(image)
    return image
