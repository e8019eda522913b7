"""Score the reader on a labelled set: a folder of images, each with IMAGE.txt lines
``IMAGE<TAB>x<TAB>y<TAB>w<TAB>h<TAB>TEXT`` (one line per plate, text without separators).

Per plate: detected when a read plate overlaps it with IoU >= 0.3; read right (strict) when
the best-overlapping read plate's compact text equals the truth; folded: the same after
O->0 and I->1 on both sides. Latency: ``Reader.read`` on the decoded image (decoding the file
is not counted: it depends on the file, not on the reader).
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .data.boxes import xyxy_iou
from .formats import fold_confusions, normalize
from .image_input import ImageError, load_image
from .results import PlateRead

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
DETECTION_IOU = 0.3


@dataclass(frozen=True)
class TruthPlate:
    box: tuple[float, float, float, float]
    text: str


@dataclass(frozen=True)
class LabelledImage:
    path: Path
    plates: tuple[TruthPlate, ...]


@dataclass(frozen=True)
class PlateOutcome:
    image: str
    truth: str
    read: str | None          # compact text of the best-overlapping read plate, None if undetected
    iou: float

    @property
    def detected(self) -> bool:
        return self.read is not None

    @property
    def strict(self) -> bool:
        return self.read == self.truth

    @property
    def folded(self) -> bool:
        return self.read is not None and fold_confusions(self.read) == fold_confusions(self.truth)


@dataclass(frozen=True)
class EvalReport:
    images: int
    failed: int
    outcomes: tuple[PlateOutcome, ...]
    latencies_ms: tuple[float, ...]
    extra_plates: int = 0           # read plates that overlap no labelled plate
    notes: tuple[str, ...] = field(default_factory=tuple)

    def _share(self, attr: str) -> float:
        return sum(getattr(o, attr) for o in self.outcomes) / len(self.outcomes) if self.outcomes else 0.0

    @property
    def strict_accuracy(self) -> float:
        return self._share("strict")

    @property
    def folded_accuracy(self) -> float:
        return self._share("folded")

    @property
    def detection_recall(self) -> float:
        return self._share("detected")

    def latency(self, percentile: float) -> float:
        return float(np.percentile(self.latencies_ms, percentile)) if self.latencies_ms else float("nan")

    def to_dict(self) -> dict:
        return {"images": self.images, "failed": self.failed, "plates": len(self.outcomes),
                "strict_accuracy": self.strict_accuracy, "folded_accuracy": self.folded_accuracy,
                "detection_recall": self.detection_recall, "extra_plates": self.extra_plates,
                "latency_ms": {f"p{p}": self.latency(p) for p in (50, 90, 99)}}

    def to_text(self) -> str:
        n = len(self.outcomes)
        lines = [f"images: {self.images} ({self.failed} unreadable), plates: {n}",
                 f"exact text, strict:          {self.strict_accuracy:.3f} ({sum(o.strict for o in self.outcomes)}/{n})",
                 f"exact text, O/0 I/1 folded:  {self.folded_accuracy:.3f} ({sum(o.folded for o in self.outcomes)}/{n})",
                 f"detection recall (IoU>={DETECTION_IOU}): {self.detection_recall:.3f} "
                 f"({sum(o.detected for o in self.outcomes)}/{n}); read plates matching no label: {self.extra_plates}",
                 "latency per image (ms, models loaded, decoded image): "
                 + ", ".join(f"p{p} {self.latency(p):.1f}" for p in (50, 90, 99))]
        return "\n".join(lines + list(self.notes))


def read_labels(folder: Path) -> list[LabelledImage]:
    """Every image of ``folder`` that has a label file, sorted by name. ValueError for a label
    line that does not parse (naming the file and line)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    out = []
    for image in sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        label = image.with_suffix(".txt")
        if not label.is_file():
            continue
        plates = []
        for number, line in enumerate(label.read_text().splitlines(), 1):
            if not line.strip():
                continue
            parts = line.split("\t") if "\t" in line else line.split()
            try:
                x, y, w, h = (float(v) for v in parts[1:5])
                text = normalize(parts[5])
            except (ValueError, IndexError):
                raise ValueError(f"{label}:{number}: expected IMAGE x y w h TEXT, got {line!r}") from None
            plates.append(TruthPlate((x, y, x + w, y + h), text))
        out.append(LabelledImage(image, tuple(plates)))
    return out


def score_image(item: LabelledImage, plates: list[PlateRead]) -> tuple[list[PlateOutcome], int]:
    """Outcomes for the image's labelled plates, and how many read plates matched none."""
    outcomes, used = [], set()
    for truth in item.plates:
        best, best_iou = None, 0.0
        for k, plate in enumerate(plates):
            overlap = xyxy_iou(truth.box, plate.box)
            if overlap >= DETECTION_IOU and overlap > best_iou:
                best, best_iou = k, overlap
        if best is not None:
            used.add(best)
        outcomes.append(PlateOutcome(item.path.name, truth.text,
                                     plates[best].compact if best is not None else None, best_iou))
    return outcomes, len(plates) - len(used)


def evaluate(reader, folder: Path, *, progress: bool = True) -> EvalReport:
    """Run ``reader`` (an lpr.Reader) over the labelled images of ``folder``."""
    items = read_labels(folder)
    if not items:
        raise ValueError(f"{folder}: no images with IMAGE.txt labels")
    outcomes, latencies, failed, extra = [], [], 0, 0
    for item, plates, ms in _run(reader, items, progress):
        if plates is None:
            failed += 1
            plates = []
        else:
            latencies.append(ms)
        found, unmatched = score_image(item, plates)
        outcomes.extend(found)
        extra += unmatched
    return EvalReport(len(items), failed, tuple(outcomes), tuple(latencies), extra)


def _run(reader, items: list[LabelledImage], progress: bool) -> Iterator[tuple[LabelledImage, list | None, float]]:
    from tqdm import tqdm

    for item in tqdm(items, desc="eval", unit="image", disable=not progress):
        try:
            pixels = load_image(item.path)
        except ImageError:
            yield item, None, float("nan")
            continue
        start = time.perf_counter()
        plates = reader.read(pixels)
        yield item, plates, (time.perf_counter() - start) * 1000.0
