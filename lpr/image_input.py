"""Turn what a user hands the reader (a path, encoded bytes, a NumPy array) into BGR uint8."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

ImageSource = str | os.PathLike | bytes | bytearray | memoryview | np.ndarray

MAX_PIXELS = 80_000_000       # a 8000x8000 photo passes; a decompression bomb does not


class ImageError(ValueError):
    """The input is not an image the reader can use (unreadable, empty, wrong shape or type)."""


def _decode(data: bytes, what: str) -> np.ndarray:
    import cv2

    if not data:
        raise ImageError(f"{what}: empty")
    buffer = np.frombuffer(data, dtype=np.uint8)
    try:
        image = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
    except cv2.error as exc:
        raise ImageError(f"{what}: cannot decode ({exc.msg.strip() if hasattr(exc, 'msg') else exc})") from None
    if image is None:
        raise ImageError(f"{what}: not a readable image (corrupt, truncated or an unknown format)")
    return image


def _to_uint8(image: np.ndarray, what: str) -> np.ndarray:
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * 255
    if np.issubdtype(image.dtype, np.integer):
        info = np.iinfo(image.dtype)
        if info.min < 0:
            image = np.clip(image, 0, None)
        top = max(int(image.max()), 1) if image.size else 1
        scale = 255.0 / (info.max if top > 255 else 255)
        return np.clip(image.astype(np.float32) * scale + 0.5, 0, 255).astype(np.uint8)
    if np.issubdtype(image.dtype, np.floating):
        finite = np.nan_to_num(image.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        scale = 255.0 if finite.size and float(finite.max()) <= 1.0 else 1.0
        return np.clip(finite * scale + 0.5, 0, 255).astype(np.uint8)
    raise ImageError(f"{what}: unsupported pixel type {image.dtype}")


def as_bgr(image: np.ndarray, what: str = "image") -> np.ndarray:
    """A C-contiguous H x W x 3 uint8 BGR copy or view of ``image``.

    Accepts grayscale (H x W or H x W x 1), BGR, BGRA (alpha dropped), 16-bit (scaled to 8) and
    float images (0-1 or 0-255).
    """
    import cv2

    if not isinstance(image, np.ndarray):
        raise ImageError(f"{what}: expected a NumPy array, got {type(image).__name__}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ImageError(f"{what}: expected H x W, H x W x 3 or H x W x 4 pixels, got shape {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ImageError(f"{what}: empty ({image.shape[1]}x{image.shape[0]} pixels)")
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise ImageError(f"{what}: {image.shape[1]}x{image.shape[0]} pixels is more than the "
                         f"{MAX_PIXELS:,} the reader accepts")
    image = _to_uint8(image, what)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(image)


def load_image(source: ImageSource) -> np.ndarray:
    """BGR uint8 pixels from a file path, encoded bytes (JPEG, PNG, ...) or an array.

    Raises ImageError (a ValueError) for anything that is not a usable image; never crashes on
    corrupt or hostile input (sizes are checked before decoding allocates).
    """
    if isinstance(source, np.ndarray):
        return as_bgr(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        _check_header_size(data, "bytes")
        return as_bgr(_decode(data, "bytes"), "bytes")
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ImageError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise ImageError(f"{path}: is a folder") from None
        except OSError as exc:
            raise ImageError(f"{path}: cannot read ({exc.strerror or exc})") from None
        _check_header_size(data, str(path))
        return as_bgr(_decode(data, str(path)), str(path))
    raise ImageError(f"expected a path, bytes or a NumPy array, got {type(source).__name__}")


def _check_header_size(data: bytes, what: str) -> None:
    """Refuse PNGs whose header declares more than MAX_PIXELS before OpenCV allocates them
    (OpenCV itself refuses any image over 2**30 pixels)."""
    width = height = 0
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if width * height > MAX_PIXELS:
        raise ImageError(f"{what}: declares {width}x{height} pixels, more than the {MAX_PIXELS:,} "
                         "the reader accepts")
