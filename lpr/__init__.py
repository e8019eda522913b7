"""lpr: a license-plate reader built on darknet (through pydarknet).

    import lpr
    for plate in lpr.read_plate("car.jpg"):
        print(plate.text, plate.confidence, plate.box)

``read_plate`` and ``Reader`` load lazily (importing lpr loads no model and no native code).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.2.0"

__all__ = ["CharRead", "ImageError", "ImageRead", "PlateBox", "PlateRead", "Reader", "Timings", "read_files",
           "read_plate"]

if TYPE_CHECKING:  # pragma: no cover
    from .image_input import ImageError
    from .read_workers import ImageRead, read_files
    from .reader import Reader, read_plate
    from .results import CharRead, PlateBox, PlateRead, Timings


def __getattr__(name: str):
    if name in ("Reader", "read_plate"):
        from . import reader

        return getattr(reader, name)
    if name in ("ImageRead", "read_files"):
        from . import read_workers

        return getattr(read_workers, name)
    if name == "ImageError":
        from .image_input import ImageError

        return ImageError
    if name in ("CharRead", "PlateBox", "PlateRead", "Timings"):
        from . import results

        return getattr(results, name)
    raise AttributeError(f"module 'lpr' has no attribute {name!r}")
