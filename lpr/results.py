"""What the reader returns: frozen dataclasses, boxes in pixels of the image that was read."""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

Box = tuple[float, float, float, float]
"""(x1, y1, x2, y2) in pixels of the original image."""


def valid_box(box) -> Box | None:
    """``box`` as four floats (x1, y1, x2, y2) when they are finite with x1 <= x2 and y1 <= y2;
    None when it is not such a box (not four numbers, NaN, infinite, inverted)."""
    try:
        x1, y1, x2, y2 = (float(v) for v in box)
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)) or x2 < x1 or y2 < y1:
        return None
    return x1, y1, x2, y2


def geometric_mean(probabilities: Iterable[float]) -> float:
    """Of probabilities (a plate's characters' confidences), each taken as at least 1e-6; 0.0
    for none."""
    logs = [math.log(max(p, 1e-6)) for p in probabilities]
    return math.exp(sum(logs) / len(logs)) if logs else 0.0


@dataclass(frozen=True, slots=True)
class CharRead:
    """One character of a plate.

    ``alternatives``: the next-best readings of the same character, ``(char, confidence)``,
    best first (at most a few; empty when the recognizer saw nothing else).
    """

    char: str
    confidence: float
    box: Box
    alternatives: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Timings:
    """Milliseconds spent on one image's stages (``detect`` is shared by all its plates;
    ``recognize`` includes segmenting the wider crop when the reader reads alternatives)."""

    detect_ms: float = 0.0
    segment_ms: float = 0.0
    recognize_ms: float = 0.0
    total_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class PlateBox:
    """Where the plate detector found a plate (Reader.detect_plates), not yet read:
    ``confidence`` is the detector's, in [0, 1]."""

    box: Box
    confidence: float


@dataclass(frozen=True, slots=True)
class PlateRead:
    """One plate found in an image.

    ``text``: the plate as its country writes it when a format rule matched (``1-ABC-234``),
    else the characters read, left to right (two-row plates: top row first).
    ``confidence``: the detection's confidence times the geometric mean of the characters'
    confidences, in [0, 1].
    ``country`` and ``format`` name the rule that matched, None when none did.
    """

    text: str
    confidence: float
    box: Box
    detection_confidence: float
    chars: tuple[CharRead, ...] = ()
    country: str | None = None
    format: str | None = None
    timings: Timings = field(default_factory=Timings)

    @property
    def reading_confidence(self) -> float:
        """How surely the text was read: the geometric mean of the characters' confidences
        (``confidence`` is ``detection_confidence`` times this)."""
        return geometric_mean(c.confidence for c in self.chars)

    @property
    def compact(self) -> str:
        """The text without separators, uppercase letters and digits only (``1ABC234``)."""
        return "".join(c for c in self.text.upper() if c.isalnum())
