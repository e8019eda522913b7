"""N synthetic samples -> a darknet dataset folder, the same layout lpr.data's writers produce.

    plates  OUT/images/synth_<index>.jpg + OUT/labels/synth_<index>.txt, class `license-plate`
            (the class of `lpr data plates`, so the two datasets can be trained together)
    chars   the same layout: plate crops, one YOLO line per character, the 36 classes 0-9 A-Z
    crops   OUT/crops/<split>/<index>_c_<CLASS>.png, darknet classifier layout (labels c_0..c_Z,
            see lpr.data.classifier_dataset)
    and train.txt/valid.txt (or classifier_*.txt), obj.names/obj.data (or labels.txt/classifier.data),
    mapping.tsv, backup/, split.json (the settings: a re-run with the same ones resumes)

Sample `index` depends only on (seed, index): its split and source image come from the
generator SeedSequence([seed, index, 1]), its pixels from SeedSequence([seed, index, 2]) (not
seed + index, which would make seed 1's sample 0 seed 0's sample 1). The output is therefore the
same for any number of workers, and a re-run into the same folder skips the samples already
written (each file is written under a temporary name and renamed when complete; a sample is done
when its label file, or its crop, is in place) and may raise --count (a lower one lists only the
first N samples; files past N stay on disk).
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from lpr.data.boxes import Box, yolo_lines
from lpr.data.classifier_dataset import LABEL_PREFIX, check_unique_label, classifier_labels, crop_path
from lpr.data.darknet_dataset import DatasetLayoutError, prepare_output_dir
from lpr.data.darknet_files import write_classifier_files, write_detection_files
from lpr.data.darknet_layout import darknet_label_path
from lpr.data.progress import progress
from lpr.data.split import TRAIN, VALID
from lpr.data.tesseract_boxes import CHAR_CLASSES
from lpr.data.validate import PLATE_CLASSES
from lpr.synth import KINDS
from lpr.synth.compose import CROP_WIDTHS, PLATE_WIDTHS
from lpr.synth.formats import DEFAULT_COUNTRIES, can_hold, formats_for
from lpr.synth.sources import Pools, SceneSource, build_pools, load_scene, procedural_background, read_bgr

MANIFEST = "split.json"
GENERATOR = 2       # raised whenever the same settings and seed would draw other samples (2: the narrow
                    # US/BR typeface); a dataset of another generator is not resumed (its samples differ)


@dataclass(frozen=True)
class SynthSettings:
    """Everything that decides the samples' content (not their number, not the worker count)."""

    kind: str
    seed: int = 0
    countries: tuple[str, ...] = DEFAULT_COUNTRIES
    valid_fraction: float = 0.1
    split_seed: int = 0                    # the split of the source images (see sources.py)
    backgrounds: str | None = None
    frames: str | None = None
    crops: str | None = None               # real plate crops (plates kind)
    holdout: str | None = None
    scene_width: int = 960
    frame_fraction: float = 0.4            # share of scenes made from frames when both kinds are given
    real_crop_fraction: float = 0.25       # share of pasted plates that are real crops (with --crops)
    replace_fraction: float = 0.0          # share of the frames' real plates overdrawn by synthetic ones
    plate_widths: tuple[float, float] = PLATE_WIDTHS   # plates kind: px in a 1280 px wide frame
    crop_widths: tuple[float, float] = CROP_WIDTHS     # chars kind: the plate's width in its crop, px

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.seed < 0 or self.split_seed < 0:
            raise ValueError("seeds must be >= 0")
        if not 0.0 <= self.valid_fraction < 1.0:
            raise ValueError(f"valid_fraction must be in [0, 1), got {self.valid_fraction}")
        formats_for(self.countries)       # raises for an unknown country
        if self.kind == "plates" and self.backgrounds is None and self.frames is None:
            raise ValueError("plates scenes need --backgrounds and/or --frames")
        for name in ("plate_widths", "crop_widths"):
            low, high = getattr(self, name)
            if not 8.0 <= low <= high:
                raise ValueError(f"{name.replace('_', ' ')} must be 8 <= min <= max, got {(low, high)}")
        if self.kind != "plates" and (self.frames or self.crops or self.holdout):
            raise ValueError("--frames, --crops and --holdout apply to plates only")
        if not 0.0 <= self.replace_fraction <= 1.0:
            raise ValueError(f"replace_fraction must be in [0, 1], got {self.replace_fraction}")


@dataclass(frozen=True)
class Record:
    index: int
    split: str
    path: str              # relative to the output folder
    boxes: int
    group: str
    original: str
    label: str = ""        # crops: the class


@dataclass(frozen=True)
class SynthResult:
    root: Path
    kind: str
    data_file: Path
    count: int
    generated: int                         # this run
    skipped: int                           # already written by an earlier run
    train: int
    valid: int
    boxes: int
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def samples_per_second(self) -> float:
        return self.generated / self.seconds if self.seconds > 0 else 0.0

    def to_text(self) -> str:
        unit = {"plates": "scenes", "chars": "plate crops", "crops": "character crops"}[self.kind]
        lines = [f"{self.count} {unit}: train {self.train}, valid {self.valid}"
                 + (f", {self.boxes} boxes" if self.kind != "crops" else ""),
                 f"generated {self.generated} in {self.seconds:.1f} s ({self.samples_per_second:.1f} samples/s)"
                 + (f", {self.skipped} already there" if self.skipped else "")]
        lines.extend(self.notes)
        lines.append(f"darknet data file: {self.data_file}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- one sample

def _rng(seed: int, index: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, index, stream]))


@dataclass(frozen=True)
class Plan:
    split: str
    source: SceneSource | None       # None: procedural clutter
    char: str | None = None          # crops: the character


def crop_classes(countries: Sequence[str]) -> tuple[str, ...]:
    """The characters some format of these countries can hold (in class order)."""
    formats = formats_for(countries)
    return tuple(c for c in CHAR_CLASSES if any(can_hold(f, c) for f in formats))


def plan_sample(settings: SynthSettings, pools: Pools, index: int) -> Plan:
    """Split, source image and (crops) character of sample `index`: cheap, so a resumed run can
    list the samples an earlier run wrote without making them again."""
    r = _rng(settings.seed, index, 1)
    split = VALID if r.random() < settings.valid_fraction else TRAIN
    backgrounds, frames = pools.backgrounds[split], pools.frames[split]
    source: SceneSource | None = None
    if settings.kind == "plates":
        use_frames = bool(frames) and (not backgrounds or r.random() < settings.frame_fraction)
        pool = frames if use_frames else backgrounds
    else:
        pool = backgrounds if r.random() < 0.85 else ()
    if pool:
        source = pool[int(r.integers(len(pool)))]
    char = None
    if settings.kind == "crops":
        classes = crop_classes(settings.countries)
        char = classes[int(r.integers(len(classes)))]
    return Plan(split=split, source=source, char=char)


def _stem(index: int) -> str:
    return f"synth_{index:07d}"


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _encode(image: np.ndarray, extension: str, quality: int | None = None) -> bytes:
    import cv2

    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if extension == ".jpg" and quality else []
    ok, data = cv2.imencode(extension, image, params)
    if not ok:
        raise OSError(f"cannot encode a {extension} image")
    return data.tobytes()


@lru_cache(maxsize=256)
def _patch_source(path: Path) -> np.ndarray:
    """A background for plate-crop margins, at most 480 px wide (cached per worker)."""
    import cv2

    image = read_bgr(path)
    if image.shape[1] > 480:
        scale = 480 / image.shape[1]
        image = cv2.resize(image, (480, max(1, int(round(image.shape[0] * scale)))), interpolation=cv2.INTER_AREA)
    return image


@lru_cache(maxsize=512)
def _real_crop(path: Path) -> np.ndarray:
    return read_bgr(path)


class _Context:
    def __init__(self, settings: SynthSettings, pools: Pools, out: Path) -> None:
        self.settings, self.pools, self.out = settings, pools, out
        self.formats = formats_for(settings.countries)


_CONTEXT: _Context | None = None


def _init_worker(settings: SynthSettings, pools: Pools, out: Path) -> None:
    global _CONTEXT
    import cv2

    cv2.setNumThreads(1)
    _CONTEXT = _Context(settings, pools, out)


def make_sample(ctx: _Context, index: int) -> Record:
    """Make sample `index` and write its files. Returns what the lists need."""
    from lpr.synth import compose

    s = ctx.settings
    plan = plan_sample(s, ctx.pools, index)
    rng = _rng(s.seed, index, 2)
    group = plan.source.group if plan.source is not None else "procedural"
    original = str(plan.source.path) if plan.source is not None else "procedural"
    if s.kind == "plates":
        if plan.source is not None:       # never enlarged before composing (see compose.resize_scene)
            scene, real = load_scene(plan.source, s.scene_width, max_upscale=1.0)
        else:
            scene, real = procedural_background(rng, (s.scene_width, s.scene_width * 9 // 16)), ()
        crops_pool = ctx.pools.crops[plan.split]

        def draw_crop(r: np.random.Generator) -> np.ndarray:
            return _real_crop(crops_pool[int(r.integers(len(crops_pool)))].path)

        composed = compose.compose_scene(
            scene, real, ctx.formats, rng, crops=draw_crop if crops_pool else None,
            real_crop_fraction=s.real_crop_fraction, replace_fraction=s.replace_fraction,
            widths=tuple(s.plate_widths),
            y_range=(0.25, 1.0) if plan.source is not None and plan.source.kind == "frame" else (0.0, 1.0))
        width = scene.shape[1]
        if width < s.scene_width:
            composed = compose.resize_scene(composed, min(s.scene_width, 2 * width))
        boxes = [Box(PLATE_CLASSES[0], p.box.x1, p.box.y1, p.box.x2, p.box.y2) for p in composed.plates]
        lines = yolo_lines(boxes, PLATE_CLASSES, composed.image.shape[1], composed.image.shape[0])
        return _write_detection(ctx.out, index, plan.split, composed.image, lines, int(rng.integers(45, 96)),
                                group, original)
    background = _patch_source(plan.source.path) if plan.source is not None else None
    if s.kind == "chars":
        crop = compose.plate_crop(ctx.formats, rng, background, widths=tuple(s.crop_widths))
        lines = yolo_lines(crop.chars, CHAR_CLASSES, crop.image.shape[1], crop.image.shape[0])
        return _write_detection(ctx.out, index, plan.split, crop.image, lines, int(rng.integers(55, 96)),
                                group, original)
    crop = compose.char_crop(ctx.formats, plan.char, rng, background)
    label = f"{LABEL_PREFIX}{plan.char}"
    path = crop_path(ctx.out, plan.split, index, label)
    _write_atomic(path, _encode(crop.image, ".png"))
    return Record(index, plan.split, str(path.relative_to(ctx.out)), 1, group, original, label)


def _write_detection(out: Path, index: int, split: str, image: np.ndarray, lines: Sequence[str], quality: int,
                     group: str, original: str) -> Record:
    name = _stem(index)
    image_path, label_path = out / "images" / f"{name}.jpg", out / "labels" / f"{name}.txt"
    _write_atomic(image_path, _encode(image, ".jpg", quality))
    _write_atomic(label_path, "".join(f"{line}\n" for line in lines).encode())   # last: marks it done
    return Record(index, split, str(image_path.relative_to(out)), len(lines), group, original)


def _make_batch(indices: Sequence[int]) -> list[Record]:
    assert _CONTEXT is not None
    return [make_sample(_CONTEXT, i) for i in indices]


# --------------------------------------------------------------------------- the dataset

def _done(out: Path, settings: SynthSettings, pools: Pools, index: int) -> Record | None:
    """The record of a sample an earlier run completed, or None."""
    plan = plan_sample(settings, pools, index)
    group = plan.source.group if plan.source is not None else "procedural"
    original = str(plan.source.path) if plan.source is not None else "procedural"
    if settings.kind == "crops":
        label = f"{LABEL_PREFIX}{plan.char}"
        path = crop_path(out, plan.split, index, label)
        return Record(index, plan.split, str(path.relative_to(out)), 1, group, original, label) if path.is_file() else None
    name = _stem(index)
    label_path, image_path = out / "labels" / f"{name}.txt", out / "images" / f"{name}.jpg"
    if not (label_path.is_file() and image_path.is_file()):
        return None
    boxes = sum(1 for line in label_path.read_text().splitlines() if line.strip())
    return Record(index, plan.split, str(image_path.relative_to(out)), boxes, group, original)


class _Sized:
    """An iterator with a length, so the progress bar knows the total."""

    def __init__(self, items: Iterable[Record], length: int) -> None:
        self.items, self.length = items, length

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[Record]:
        return iter(self.items)


def _generate(settings: SynthSettings, pools: Pools, out: Path, todo: list[int], workers: int) -> Iterator[Record]:
    if not todo:
        return
    if workers <= 1 or len(todo) < 4:
        import cv2

        global _CONTEXT
        previous_threads, previous_context = cv2.getNumThreads(), _CONTEXT
        _init_worker(settings, pools, out)
        try:
            for index in todo:
                yield make_sample(_CONTEXT, index)
        finally:
            cv2.setNumThreads(previous_threads)
            _CONTEXT = previous_context
        return
    import multiprocessing

    chunk = max(1, min(16, len(todo) // (workers * 4)))
    batches = [todo[i:i + chunk] for i in range(0, len(todo), chunk)]
    # spawn: workers start clean (no forked threads of the parent); each pays one import
    with multiprocessing.get_context("spawn").Pool(workers, initializer=_init_worker,
                                                   initargs=(settings, pools, out)) as pool:
        for batch in pool.imap_unordered(_make_batch, batches):
            yield from batch


def _check_layout(out: Path, settings: SynthSettings) -> None:
    if settings.kind == "crops":
        labels = classifier_labels(CHAR_CLASSES)
        for split in (TRAIN, VALID):
            for label in labels:
                check_unique_label(str(crop_path(out, split, 0, label)), labels, label)
        return
    image = out / "images" / f"{_stem(0)}.jpg"
    if darknet_label_path(str(image)) != str(out / "labels" / f"{_stem(0)}.txt"):
        raise DatasetLayoutError(
            f"darknet would look for the labels of {image} at {darknet_label_path(str(image))}: choose an output "
            "folder whose path contains neither 'images' nor 'raw' nor '.jpg'/'.png'")


def _check_sources(out: Path, settings: SynthSettings) -> None:
    for source in (settings.backgrounds, settings.frames, settings.crops, settings.holdout):
        if source is None:
            continue
        src = Path(source).resolve()
        if out == src or src in out.parents or out in src.parents:
            raise DatasetLayoutError(f"the output folder {out} overlaps the source folder {src}")


def _prepare(out: Path, settings: SynthSettings, overwrite: bool) -> bool:
    """Create or reuse `out`. True when it holds an earlier run with the same settings (resume)."""
    out = Path(out).resolve()
    manifest = out / MANIFEST
    if not overwrite and manifest.is_file():
        try:
            previous = json.loads(manifest.read_text())
        except (OSError, ValueError):
            previous = {}
        if previous.get("dataset") == f"synth-{settings.kind}":
            before = previous.get("settings", {})
            now = _settings_json(settings)
            if before == now:
                return True
            differing = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
            raise FileExistsError(f"{out} holds a synthetic dataset made with other settings ({', '.join(differing)} "
                                  "differ): pass the same ones to resume, --overwrite to replace it, or another folder")
    prepare_output_dir(out, overwrite)
    return False


def _settings_json(settings: SynthSettings) -> dict:
    data = asdict(settings)
    data["generator"] = GENERATOR
    data["countries"] = list(settings.countries)
    data["plate_widths"] = list(settings.plate_widths)
    data["crop_widths"] = list(settings.crop_widths)
    return data


def _clean_temporary(out: Path) -> None:
    for folder in (out / "images", out / "labels", out / "crops" / TRAIN, out / "crops" / VALID):
        if folder.is_dir():
            for path in folder.iterdir():
                if path.name.startswith(".") and ".tmp" in path.name:
                    path.unlink()


def _write_lists(out: Path, settings: SynthSettings, records: Sequence[Record]) -> Path:
    lists = {TRAIN: [str(out / r.path) for r in records if r.split == TRAIN],
             VALID: [str(out / r.path) for r in records if r.split == VALID]}
    if settings.kind == "crops":
        data_file = write_classifier_files(out, classifier_labels(CHAR_CLASSES), lists[TRAIN], lists[VALID])
        mapping = ["crop\tsplit\tgroup\toriginal"] + [f"{r.path}\t{r.split}\t{r.group}\t{r.original}" for r in records]
        (out / "crops" / "mapping.tsv").write_text("\n".join(mapping) + "\n")
        return data_file
    class_names = PLATE_CLASSES if settings.kind == "plates" else CHAR_CLASSES
    data_file = write_detection_files(out, class_names, lists[TRAIN], lists[VALID])
    mapping = ["name\tsplit\tgroup\toriginal"] + [f"{Path(r.path).name}\t{r.split}\t{r.group}\t{r.original}"
                                                  for r in records]
    (out / "mapping.tsv").write_text("\n".join(mapping) + "\n")
    return data_file


def generate_dataset(out: Path | str, settings: SynthSettings, count: int, *, workers: int = 1,
                     overwrite: bool = False, show_progress: bool = True, pools: Pools | None = None
                     ) -> SynthResult:
    """Write samples 0..count-1 of `settings` into `out` (resuming an earlier run there).

    Raises FileExistsError for a non-empty `out` that holds something else (or other settings)
    without `overwrite`, DatasetLayoutError when darknet would misread the paths,
    FileNotFoundError for a missing source folder or font.
    """
    from lpr.synth.fonts import check_fonts

    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    check_fonts()
    out = Path(out).resolve()
    _check_sources(out, settings)
    _check_layout(out, settings)
    if pools is None:
        pools = build_pools(backgrounds=Path(settings.backgrounds) if settings.backgrounds else None,
                            frames=Path(settings.frames) if settings.frames else None,
                            crops=Path(settings.crops) if settings.crops else None,
                            holdout=Path(settings.holdout) if settings.holdout else None,
                            valid_fraction=settings.valid_fraction, split_seed=settings.split_seed,
                            show_progress=show_progress)
    resume = _prepare(out, settings, overwrite)
    for sub in ("backup",) + (("crops/train", "crops/valid") if settings.kind == "crops" else ("images", "labels")):
        (out / sub).mkdir(parents=True, exist_ok=True)
    _clean_temporary(out)
    records: dict[int, Record] = {}
    if resume:
        for index in range(count):
            done = _done(out, settings, pools, index)
            if done is not None:
                records[index] = done
    todo = [i for i in range(count) if i not in records]
    skipped = len(records)
    # the settings first: a run cut short can be resumed
    _write_manifest(out, settings, pools, count, records.values(), final=False)
    start = time.perf_counter()
    for record in progress(_Sized(_generate(settings, pools, out, todo, workers), len(todo)),
                           desc=f"synth {settings.kind}", unit="sample", enabled=show_progress):
        records[record.index] = record
    seconds = time.perf_counter() - start
    ordered = [records[i] for i in range(count)]
    data_file = _write_lists(out, settings, ordered)
    _write_manifest(out, settings, pools, count, ordered, final=True)
    notes = list(pools.notes)
    empty = [f"{name} ({side})" for name, sides in pools.describe().items() for side, n in sides.items()
             if n == 0 and getattr(settings, name) is not None]
    if empty:
        notes.append("no image left for " + ", ".join(empty) + ": those samples use procedural clutter")
    return SynthResult(root=out, kind=settings.kind, data_file=data_file, count=count, generated=len(todo),
                       skipped=skipped, train=sum(r.split == TRAIN for r in ordered),
                       valid=sum(r.split == VALID for r in ordered), boxes=sum(r.boxes for r in ordered),
                       seconds=seconds, notes=tuple(notes))


def _write_manifest(out: Path, settings: SynthSettings, pools: Pools, count: int, records: Iterable[Record],
                    final: bool) -> None:
    records = list(records)
    data = {"dataset": f"synth-{settings.kind}", "settings": _settings_json(settings), "count": count,
            "complete": final, "pools": pools.describe(), "notes": list(pools.notes)}
    if final:
        data.update({"train": sum(r.split == TRAIN for r in records), "valid": sum(r.split == VALID for r in records),
                     "boxes": sum(r.boxes for r in records)})
        if settings.kind == "crops":
            per_class: dict[str, dict[str, int]] = {TRAIN: {}, VALID: {}}
            for r in records:
                c = r.label[len(LABEL_PREFIX):]
                per_class[r.split][c] = per_class[r.split].get(c, 0) + 1
            data["per_class"] = {side: dict(sorted(v.items(), key=lambda kv: CHAR_CLASSES.index(kv[0])))
                                 for side, v in per_class.items()}
    (out / MANIFEST).write_text(json.dumps(data, indent=2) + "\n")
