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


def checked_input_scale(scale: float) -> float:
    """``scale`` as a float when 0 < scale <= 1 (detect's input_scale), else ValueError."""
    if not 0.0 < scale <= 1.0:
        raise ValueError(f"input_scale must be in (0, 1], got {scale}")
    return float(scale)


def letterbox_size(image_w: int, image_h: int, net_w: int, net_h: int) -> tuple[int, int]:
    """The (width, height) darknet's letterbox scales an image to inside a net_w x net_h input
    (letterbox_image: the side that fills the input first decides the scale; integer division)."""
    if np.float32(net_w) / np.float32(image_w) < np.float32(net_h) / np.float32(image_h):
        return net_w, (image_h * net_w) // image_w
    return (image_w * net_h) // image_h, net_h


def fitted_input_size(image_w: int, image_h: int, net_w: int, net_h: int, stride: int) -> tuple[int, int]:
    """A smaller network input that detects in an image what a net_w x net_h input detects.

    darknet letterboxes an image into the network's input: scaled to fit, centred, grey bars
    around it. This input keeps that scale and drops grey: it is net_w x net_h cut by whole
    multiples of 2 * ``stride`` (NetworkConfig.input_stride) in each direction, so that the image
    keeps its place relative to the network's cells, and it leaves at least 2 * ``stride`` grey
    pixels on a side where the full input had that many (what the network's edge cells see
    past the image). A 1280x1280 photo in a 640x384 input with stride 16: 448x384, 30% fewer
    pixels to convolve; a 1280x960 photo 576x384; a 16:9 frame: unchanged.
    """
    if min(image_w, image_h, net_w, net_h, stride) < 1:
        raise ValueError(f"sizes and stride must be positive, got image {image_w}x{image_h}, "
                         f"network {net_w}x{net_h}, stride {stride}")
    new_w, new_h = letterbox_size(image_w, image_h, net_w, net_h)

    def cut(full: int, used: int) -> int:
        step = 2 * stride
        return full - step * max(0, (full - used - 2 * step) // step)

    return cut(net_w, new_w), cut(net_h, new_h)
