"""The result type of Network.detect()."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Detection:
    """One detected object.

    ``box`` is (x1, y1, x2, y2) in pixels of the image passed to detect(), clipped to it.
    ``confidence`` is darknet's class probability (objectness times class score).
    """

    class_id: int
    name: str
    confidence: float
    box: tuple[float, float, float, float]

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]
