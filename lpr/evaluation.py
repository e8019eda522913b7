"""Score the reader on a labelled set: a folder of images, each with IMAGE.txt lines
``IMAGE<TAB>x<TAB>y<TAB>w<TAB>h<TAB>TEXT`` (one line per plate, text without separators); or a
darknet image list (a .txt file of image paths) whose images have YOLO label files (plate boxes,
no text: lpr data plates writes them), which scores the boxes only.

Per plate: detected when a read plate overlaps it with IoU >= `iou` (0.3 by default); read
right (strict) when the best-overlapping read plate's compact text equals the truth; folded:
the same after O->0 and I->1 on both sides. Precision: the share of read plates that overlap a
labelled one (against incomplete labels, a floor). Latency: ``Reader.read`` on the decoded
image (decoding the file is not counted: it depends on the file, not on the reader).

Operating points (EvalReport.operating_points): what a caller that keeps only reads of at
least a given PlateRead.confidence gets, per threshold: the labelled plates read right
(folded; found, for box-only labels) and kept, how many kept reads of labelled plates are
right, and how many kept reads match no label. A toll or parking system sends reads under its
threshold to a person; these say where to put it.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .data.boxes import xyxy_iou
from .formats import fold_confusions, normalize
from .image_input import ImageError, load_image
from .results import PlateRead

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
DETECTION_IOU = 0.3
Box = tuple[float, float, float, float]
CONFIDENCE_STEPS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)   # the report's operating points


@dataclass(frozen=True)
class TruthPlate:
    box: tuple[float, float, float, float]   # pixels; shares of the image's width / height when relative
    text: str | None                          # None: a box-only label
    relative: bool = False

    def in_pixels(self, width: int, height: int) -> tuple[float, float, float, float]:
        if not self.relative:
            return self.box
        x1, y1, x2, y2 = self.box
        return x1 * width, y1 * height, x2 * width, y2 * height


@dataclass(frozen=True)
class LabelledImage:
    path: Path
    plates: tuple[TruthPlate, ...]
    crop: bool = False           # the image is one plate, read with Reader.read_crop (no detector)


@dataclass(frozen=True)
class PlateOutcome:
    image: str
    truth: str | None         # None: the label has a box, no text
    read: str | None          # compact text of the best-overlapping read plate, None if undetected
    iou: float
    confidence: float | None = None   # that read plate's PlateRead.confidence
    box: Box | None = None            # the labelled plate, image pixels
    read_box: Box | None = None       # the read plate's box, image pixels (None if undetected)

    @property
    def right(self) -> bool:
        """Read right (folded) when the label has text; found when it has a box only."""
        return self.folded if self.truth is not None else self.detected

    @property
    def detected(self) -> bool:
        return self.read is not None

    @property
    def strict(self) -> bool:
        return self.read == self.truth

    @property
    def folded(self) -> bool:
        return self.read is not None and self.truth is not None and \
            fold_confusions(self.read) == fold_confusions(self.truth)


@dataclass(frozen=True)
class OperatingPoint:
    """What keeping only reads with confidence >= `threshold` gives on a labelled set."""

    threshold: float
    plates: int        # labelled plates
    kept: int          # of them, found by a read that is kept
    right: int         # of those, read right (folded; for box-only labels: found)
    extra: int         # kept reads that overlap no labelled plate

    @property
    def recall(self) -> float:
        """Labelled plates read right and kept, of all labelled plates."""
        return self.right / self.plates if self.plates else 0.0

    @property
    def accuracy(self) -> float:
        """Kept reads of labelled plates that are right (1.0 when none is kept)."""
        return self.right / self.kept if self.kept else 1.0


@dataclass(frozen=True)
class EvalReport:
    images: int
    failed: int
    outcomes: tuple[PlateOutcome, ...]
    latencies_ms: tuple[float, ...]
    extra_plates: int = 0           # read plates that overlap no labelled plate
    notes: tuple[str, ...] = field(default_factory=tuple)
    iou: float = DETECTION_IOU      # the overlap that counts as found
    plates_read: int = 0            # plates the reader returned, in all
    extra_confidences: tuple[float, ...] = ()   # the confidences of the extra_plates reads

    def __post_init__(self) -> None:
        if self.extra_confidences and len(self.extra_confidences) != self.extra_plates:
            raise ValueError(f"{len(self.extra_confidences)} confidences for {self.extra_plates} extra plates")

    @property
    def has_text(self) -> bool:
        return any(o.truth is not None for o in self.outcomes)

    @property
    def precision(self) -> float:
        """Read plates overlapping a labelled one, of all read plates (1.0 when none was read)."""
        return (self.plates_read - self.extra_plates) / self.plates_read if self.plates_read else 1.0

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

    @property
    def has_confidences(self) -> bool:
        """Whether every read's confidence is known (evaluate() records them; a report built by
        hand may not have them), which operating_points needs."""
        return len(self.extra_confidences) == self.extra_plates and all(
            o.confidence is not None for o in self.outcomes if o.detected)

    def operating_points(self, thresholds: Sequence[float] = CONFIDENCE_STEPS) -> tuple[OperatingPoint, ...]:
        """One OperatingPoint per threshold (see the module's docstring); ValueError without
        the reads' confidences (has_confidences)."""
        if not self.has_confidences:
            raise ValueError("operating points need the confidence of every read (evaluate() records them)")
        found = [o for o in self.outcomes if o.detected]
        extra = np.asarray(self.extra_confidences, dtype=np.float64)
        points = []
        for t in thresholds:
            kept = [o for o in found if o.confidence >= t]
            points.append(OperatingPoint(float(t), len(self.outcomes), len(kept), sum(o.right for o in kept),
                                         int((extra >= t).sum())))
        return tuple(points)

    def to_dict(self) -> dict:
        text = {"strict_accuracy": self.strict_accuracy, "folded_accuracy": self.folded_accuracy} \
            if self.has_text else {}
        return {"images": self.images, "failed": self.failed, "plates": len(self.outcomes), **text,
                "iou": self.iou, "detection_recall": self.detection_recall, "precision": self.precision,
                "plates_read": self.plates_read, "extra_plates": self.extra_plates,
                "latency_ms": {f"p{p}": self.latency(p) for p in (50, 90, 99)},
                **({"by_confidence": [{"threshold": o.threshold, "kept": o.kept, "right": o.right,
                                       "extra": o.extra} for o in self.operating_points()]}
                   if self.has_confidences else {})}

    def to_text(self) -> str:
        n = len(self.outcomes)
        lines = [f"images: {self.images} ({self.failed} unreadable), plates: {n}"]
        if self.has_text:
            lines += [f"exact text, strict:          {self.strict_accuracy:.3f} "
                      f"({sum(o.strict for o in self.outcomes)}/{n})",
                      f"exact text, O/0 I/1 folded:  {self.folded_accuracy:.3f} "
                      f"({sum(o.folded for o in self.outcomes)}/{n})"]
        else:
            lines.append("exact text: - (the labels have boxes only)")
        lines += [f"detection recall (IoU>={self.iou:g}): {self.detection_recall:.3f} "
                  f"({sum(o.detected for o in self.outcomes)}/{n}); read plates matching no label: {self.extra_plates}"
                  f" (precision against the labels {self.precision:.3f})",
                  "latency per image (ms, models loaded, decoded image): "
                  + ", ".join(f"p{p} {self.latency(p):.1f}" for p in (50, 90, 99))]
        if self.has_confidences and self.outcomes:
            right = "read right" if self.has_text else "found"
            lines += [f"keeping reads of confidence >= t: plates {right} and kept / kept reads of labelled "
                      f"plates {right} / kept reads matching no label"]
            lines += [f"  t {o.threshold:.2f}: {o.recall:.3f} ({o.right}/{o.plates})  {o.accuracy:.3f} "
                      f"({o.right}/{o.kept})  {o.extra}" for o in self.operating_points()]
        return "\n".join(lines + list(self.notes))


def read_labels(source: Path, extra: Path | None = None, root: Path | None = None) -> list[LabelledImage]:
    """The labelled images of `source`: a folder (every image with an IMAGE.txt label, sorted by
    name), a darknet image list (.txt; every listed image, in list order, with its YOLO label
    file, boxes only) or a list of plate crops (.tsv: lines ``IMAGE<TAB>TEXT``, ``#`` comments;
    each image is one whole plate). Relative image paths in a list are taken from `root`
    (default: the list's folder). `extra`: more boxes for a darknet list's images, lines
    ``IMAGE x1 y1 x2 y2`` (the image's file name, pixels; ``#`` comments), e.g. plates the
    annotators missed. FileNotFoundError for a missing source, listed image or YOLO label;
    ValueError for a label line that does not parse (naming the file and line), extra boxes
    for a folder's set, a crop list or an image the list does not hold, or a root for a folder."""
    source = Path(source)
    if source.is_file() and source.suffix.lower() == ".tsv":
        if extra is not None:
            raise ValueError(f"{extra}: extra boxes go with a darknet image list, not with the crop list {source}")
        return _read_crop_list(source, root)
    if source.is_file():
        items = _read_yolo_list(source, root)
        return _with_extra_boxes(items, Path(extra)) if extra is not None else items
    if root is not None:
        raise ValueError(f"--root ({root}) goes with an image list, not with the folder {source}")
    if extra is not None:
        raise ValueError(f"{extra}: extra boxes go with a darknet image list (labels without text), "
                         f"not with the folder {source}")
    if not source.is_dir():
        raise FileNotFoundError(f"{source} is neither a folder nor an image list")
    out = []
    for image in sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
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


def _listed_image(listing: Path, entry: str, root: Path | None) -> Path:
    image = Path(entry)
    if not image.is_absolute():
        image = (listing.parent if root is None else Path(root)) / image
    if not image.is_file():
        raise FileNotFoundError(f"{listing}: {image} does not exist")
    return image


def content_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line) of a list file's lines that are neither blank nor ``#`` comments."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield number, line


def _read_crop_list(listing: Path, root: Path | None) -> list[LabelledImage]:
    out = []
    for number, line in content_lines(listing):
        parts = line.split("\t")
        text = normalize(parts[1]) if len(parts) == 2 else ""
        if not text:
            raise ValueError(f"{listing}:{number}: expected IMAGE<TAB>TEXT, got {line!r}")
        image = _listed_image(listing, parts[0].strip(), root)
        out.append(LabelledImage(image, (TruthPlate((0.0, 0.0, 1.0, 1.0), text, relative=True),), crop=True))
    return out


def _read_yolo_list(listing: Path, root: Path | None) -> list[LabelledImage]:
    from .training.evaluate_detector import read_yolo_label

    if listing.suffix.lower() != ".txt":
        raise ValueError(f"{listing}: expected a folder of labelled images, a darknet image list (.txt) "
                         "or a list of plate crops (.tsv)")
    out = []
    for entry in listing.read_text().splitlines():
        if not entry.strip():
            continue
        image = _listed_image(listing, entry.strip(), root)
        boxes, _ = read_yolo_label(str(image))
        out.append(LabelledImage(image, tuple(TruthPlate(tuple(map(float, b)), None, relative=True) for b in boxes)))
    return out


def _with_extra_boxes(items: list[LabelledImage], extra: Path) -> list[LabelledImage]:
    by_name = {item.path.name: k for k, item in enumerate(items)}
    added: dict[int, list[TruthPlate]] = {}
    for number, line in content_lines(extra):
        parts = line.split()
        try:
            name = parts[0]
            x1, y1, x2, y2 = (float(v) for v in parts[1:5])
        except (ValueError, IndexError):
            raise ValueError(f"{extra}:{number}: expected IMAGE x1 y1 x2 y2, got {line!r}") from None
        if len(parts) != 5 or not (x1 < x2 and y1 < y2):
            raise ValueError(f"{extra}:{number}: expected IMAGE x1 y1 x2 y2 with x1 < x2, y1 < y2, got {line!r}")
        if name not in by_name:
            raise ValueError(f"{extra}:{number}: no image {name} in the set")
        added.setdefault(by_name[name], []).append(TruthPlate((x1, y1, x2, y2), None))
    return [LabelledImage(item.path, item.plates + tuple(added.get(k, ()))) for k, item in enumerate(items)]


def score_image(item: LabelledImage, plates: list[PlateRead], size: tuple[int, int] = (1, 1),
                iou: float = DETECTION_IOU) -> tuple[list[PlateOutcome], list[float]]:
    """Outcomes for the image's labelled plates, and the confidences of the read plates that
    matched none; `size`: the image's (width, height), for relative boxes."""
    outcomes, used = [], set()
    for truth in item.plates:
        box = truth.in_pixels(*size)
        best, best_iou = None, 0.0
        for k, plate in enumerate(plates):
            overlap = xyxy_iou(box, plate.box)
            if overlap >= iou and overlap > best_iou:
                best, best_iou = k, overlap
        if best is not None:
            used.add(best)
        read = plates[best] if best is not None else None
        outcomes.append(PlateOutcome(item.path.name, truth.text, read.compact if read else None, best_iou,
                                     float(read.confidence) if read else None, tuple(map(float, box)),
                                     tuple(map(float, read.box)) if read else None))
    return outcomes, [float(p.confidence) for k, p in enumerate(plates) if k not in used]


def evaluate(reader, source: Path, *, progress: bool = True, iou: float = DETECTION_IOU,
             extra: Path | None = None, root: Path | None = None,
             on_image: Callable[[LabelledImage, np.ndarray, list[PlateOutcome]], None] | None = None
             ) -> EvalReport:
    """Run ``reader`` (an lpr.Reader) over the labelled images of ``source`` (and the `extra`
    boxes, from `root`; see read_labels). Plate crops are read with reader.read_crop.
    ``on_image(item, pixels, outcomes)`` is called for every decoded image with its plates'
    outcomes (lpr.miss_sheet draws the misses that way), outside the timed read."""
    if not 0.0 < iou <= 1.0:
        raise ValueError(f"iou must be in (0, 1], got {iou}")
    items = read_labels(source, extra, root)
    if not items:
        raise ValueError(f"{source}: no labelled images")
    outcomes, latencies, failed, unmatched, read = [], [], 0, [], 0
    for item, pixels, plates, ms in _run(reader, items, progress):
        if plates is None:
            failed += 1
            plates = []
        else:
            latencies.append(ms)
        size = (pixels.shape[1], pixels.shape[0]) if pixels is not None else (1, 1)
        found, others = score_image(item, plates, size, iou)
        if on_image is not None and pixels is not None:
            on_image(item, pixels, found)
        outcomes.extend(found)
        unmatched.extend(others)
        read += len(plates)
    return EvalReport(len(items), failed, tuple(outcomes), tuple(latencies), len(unmatched), iou=iou,
                      plates_read=read, extra_confidences=tuple(unmatched))


def _run(reader, items: list[LabelledImage], progress: bool
         ) -> Iterator[tuple[LabelledImage, np.ndarray | None, list | None, float]]:
    """Each item, its decoded pixels and read plates (None, None: undecodable) and the read's ms."""
    from tqdm import tqdm

    for item in tqdm(items, desc="eval", unit="image", disable=not progress):
        try:
            pixels = load_image(item.path)
        except ImageError:
            yield item, None, None, float("nan")
            continue
        start = time.perf_counter()
        if item.crop:
            plate = reader.read_crop(pixels)
            plates = [plate] if plate is not None else []
        else:
            plates = reader.read(pixels)
        yield item, pixels, plates, (time.perf_counter() - start) * 1000.0
