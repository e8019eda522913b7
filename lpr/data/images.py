"""Reading an image file once: its bytes' hash, its real size, and a grayscale view for checks."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class ImageFacts:
    path: Path
    sha256: str
    width: int
    height: int
    gray_std: float   # standard deviation of the grayscale pixels (0 for a constant image)


class UnreadableImage(Exception):
    """The file is missing, cannot be read, or the decoder gives nothing back."""


def pixel_hash(pixels: np.ndarray) -> str:
    """sha256 of an array's shape, dtype and pixels (for crops, which have no file bytes)."""
    h = hashlib.sha256(f"{pixels.shape}{pixels.dtype}".encode())
    h.update(np.ascontiguousarray(pixels).tobytes())
    return h.hexdigest()


def read_image_facts(path: Path) -> ImageFacts:
    """Hash the file's bytes and decode it (grayscale) for its size and pixel spread.

    Decoding goes through `cv2.imdecode` on the bytes, so names with `#`, spaces or non-ASCII
    characters are not a problem. Raises `UnreadableImage`.
    """
    import cv2

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UnreadableImage(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not data:
        raise UnreadableImage(f"{path} is empty")
    if data[:2] == b"\xff\xd8" and b"\xff\xd9" not in data.rstrip(b"\x00")[-16:]:
        # libjpeg decodes a cut-off file with a warning and grey fill; we call it unreadable
        raise UnreadableImage(f"{path}: truncated JPEG (no end-of-image marker)")
    gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if gray is None or gray.size == 0:
        raise UnreadableImage(f"{path}: the decoder cannot read it")
    return ImageFacts(path=Path(path), sha256=hashlib.sha256(data).hexdigest(),
                      width=int(gray.shape[1]), height=int(gray.shape[0]),
                      gray_std=float(gray.std()))
