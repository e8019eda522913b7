"""darknet's own training loops (detector, classifier), driven from Python.

train_detector/train_classifier check everything darknet would stumble on (it ends the process
on a missing list, image or label file), then run the loop in pydarknet._native.train: darknet's
threaded data loader, train_network(), save_weights(). Progress goes to a callback; Ctrl-C or
StopTraining from the callback saves ``<backup>/<cfg name>.backup``; calling again with
``resume=True`` continues from it (darknet keeps the image count in the weights header).
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import _native
from .network import resolve_gpu
from .cfg import NetworkConfig, parse_cfg
from .errors import ConfigError
from .weights import check_weights, read_header

PathLike = str | os.PathLike[str]


class StopTraining(Exception):
    """Raise from a progress callback to end training early (the backup is saved)."""


@dataclass(frozen=True, slots=True)
class TrainingProgress:
    iteration: int
    max_batches: int
    loss: float
    avg_loss: float
    learning_rate: float
    images_per_second: float
    seconds: float
    images: int
    input_size: tuple[int, int]    # (width, height) this iteration trained at (multi-scale)


@dataclass(frozen=True, slots=True)
class TrainingResult:
    iteration: int
    loss: float
    avg_loss: float
    weights: Path | None          # <backup>/<name>_final.weights, None when stopped early
    backup: Path
    stopped: bool                 # True when StopTraining ended the run
    seconds: float
    resumed_from: Path | None


# ------------------------------------------------------------------------ .data files

def read_data_file(path: PathLike) -> dict[str, str]:
    """darknet's ``.data`` format: ``key = value`` lines, ``#`` comments."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}")
    try:
        text = path.read_text()
    except UnicodeDecodeError as exc:
        raise ConfigError(path, f"not a text file ({exc.reason})") from None
    options: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if "=" not in line:
            raise ConfigError(path, f"expected key=value, got {raw!r}", line=number)
        key, value = (part.strip() for part in line.split("=", 1))
        options[key] = value
    return options


def _resolve(base: Path, value: str) -> Path:
    p = Path(value)
    return p if p.is_absolute() else (base / p if not p.exists() else p)


def _required_file(data_path: Path, options: dict[str, str], key: str) -> Path:
    if key not in options:
        raise ConfigError(data_path, f"missing '{key} = ...'")
    path = _resolve(data_path.parent, options[key])
    if not path.is_file():
        raise ConfigError(data_path, f"{key} file not found: {path}")
    return path


def _read_list(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]


def darknet_label_path(image_path: str) -> str:
    """Where darknet's detection loader looks for an image's YOLO label file."""
    label = image_path
    for old, new in (("images", "labels"), ("JPEGImages", "labels"), ("raw", "labels"),
                     (".jpg", ".txt"), (".png", ".txt"), (".JPG", ".txt"), (".JPEG", ".txt")):
        label = label.replace(old, new, 1)
    return label


def _complain(list_path: Path, problems: list[str], what: str) -> None:
    if problems:
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ConfigError(list_path, f"{len(problems)} {what}: {shown}{more}")


def _check_detection_list(list_path: Path) -> int:
    images = _read_list(list_path)
    if not images:
        raise ConfigError(list_path, "the training list is empty")
    problems = []
    for image in images:
        label = darknet_label_path(image)
        if not os.path.isfile(image):
            problems.append(f"missing image {image}")
        elif label == image:
            problems.append(f"no label path for {image} (darknet maps .jpg/.png/.JPG/.JPEG to .txt)")
        elif not os.path.isfile(label):
            problems.append(f"missing label file {label}")
    _complain(list_path, problems, "unusable training entries")
    return len(images)


def _check_classification_list(list_path: Path, labels: list[str]) -> int:
    images = _read_list(list_path)
    if not images:
        raise ConfigError(list_path, "the training list is empty")
    problems = []
    for image in images:
        if not os.path.isfile(image):
            problems.append(f"missing image {image}")
            continue
        matches = [label for label in labels if label in image]
        if len(matches) != 1:
            problems.append(f"{image} matches {len(matches)} labels (darknet needs exactly one "
                            "label name inside each path)")
    _complain(list_path, problems, "unusable training entries")
    return len(images)


# ------------------------------------------------------------------------ the loops

def _resolve_gpus(gpus: list[int] | None) -> list[int]:
    """None: the first GPU when there is one, else the CPU; [] the CPU; [0, 1]: those devices."""
    if gpus is None:
        first = resolve_gpu(None)
        return [first] if first >= 0 else []
    resolve_gpu(-1)           # a CUDA build without a device fails here, with the reason
    return [resolve_gpu(g) for g in gpus]


def _darknet_milestone(iteration: int) -> bool:
    """darknet's rule for keeping numbered weights besides the rolling backup."""
    return iteration % 10000 == 0 or (iteration < 1000 and iteration % 100 == 0)


def _run(kind: str, data: PathLike, cfg: PathLike, weights: PathLike | None, *, max_batches: int | None,
         gpus: list[int] | None, progress: Callable[[TrainingProgress], object] | None,
         backup_dir: PathLike | None, resume: bool, seed: int, clear: bool, backup_every: int,
         threads: int, flip: bool = True, check_entries: Callable[[Path, dict[str, str], NetworkConfig], tuple[Path | None, int]],
         ) -> TrainingResult:
    data_path = Path(data)
    options = read_data_file(data_path)
    config = parse_cfg(cfg)
    train_list = _required_file(data_path, options, "train")
    labels_file, classes = check_entries(train_list, options, config)
    backup = Path(backup_dir) if backup_dir is not None else _resolve(data_path.parent, options.get("backup", "backup"))
    backup.mkdir(parents=True, exist_ok=True)
    base = Path(cfg).stem
    backup_path = backup / f"{base}.backup"
    resumed_from = None
    if resume and backup_path.is_file():
        weights, resumed_from, clear = backup_path, backup_path, False
    if weights is not None:
        check_weights(weights, config, allow_partial=True)
    if max_batches is not None and max_batches < 1:
        raise ValueError(f"max_batches must be >= 1, got {max_batches}")
    if backup_every < 1:
        raise ValueError(f"backup_every must be >= 1, got {backup_every}")

    devices = _resolve_gpus(gpus)
    last: list[TrainingProgress] = []

    def report(values: dict) -> None:
        last[:] = [TrainingProgress(**values)]
        if progress is not None:
            progress(last[0])

    started = time.perf_counter()
    try:
        out = _native.train(
            kind=kind, cfg_path=os.fspath(cfg), weights_path=os.fspath(weights) if weights else None,
            train_list=os.fspath(train_list), labels_file=os.fspath(labels_file) if labels_file else None,
            classes=classes, gpus=devices, backup_dir=os.fspath(backup), base_name=base,
            max_batches=max_batches or 0, seed=seed, clear=clear, progress=report,
            backup_every=backup_every, threads=threads, milestone=_darknet_milestone, flip=flip)
    except StopTraining:
        # the loop saved the backup after the last completed iteration, which `last` describes
        images_per_iteration = config.effective_batch * config.subdivisions * max(1, len(devices))
        iteration = read_header(backup_path).seen // images_per_iteration
        return TrainingResult(iteration=iteration, loss=last[0].loss if last else float("nan"),
                              avg_loss=last[0].avg_loss if last else float("nan"), weights=None,
                              backup=backup_path, stopped=True, seconds=time.perf_counter() - started,
                              resumed_from=resumed_from)
    return TrainingResult(iteration=out["iteration"], loss=out["loss"], avg_loss=out["avg_loss"],
                          weights=Path(out["weights"]), backup=backup_path, stopped=False,
                          seconds=out["seconds"], resumed_from=resumed_from)


def _detector_output(config: NetworkConfig):
    """The cfg's last layer, which must be darknet's detection output ([yolo] or [region])."""
    last = config.layers[-1]
    if last.type not in ("yolo", "region"):
        raise ConfigError(config.path, "a detector's last layer must be [yolo] or [region]")
    return last


def train_detector(data: PathLike, cfg: PathLike, weights: PathLike | None = None, *,
                   max_batches: int | None = None, gpus: list[int] | None = None,
                   progress: Callable[[TrainingProgress], object] | None = None,
                   backup_dir: PathLike | None = None, resume: bool = True, seed: int = 0,
                   clear: bool = False, backup_every: int = 100, threads: int = 8,
                   flip: bool = True) -> TrainingResult:
    """Train a YOLO detector with darknet's loop (as ``darknet detector train``).

    ``data``: a darknet ``.data`` file (``classes``, ``train`` = list of image paths whose YOLO
    labels sit where darknet looks: images->labels, .jpg->.txt; ``backup`` folder).
    ``weights``: starting weights (a full file, or a prefix such as a backbone's first layers).
    ``max_batches``: overrides the cfg's. ``gpus``: None = first GPU if available, [] = CPU.
    ``resume``: continue from ``<backup>/<cfg stem>.backup`` when it exists.
    ``clear``: restart the image counter (and so the learning-rate schedule) of ``weights``.
    ``flip``: darknet mirrors half of the training images; False turns that off (for text:
    a mirrored character is another character, or none).
    """

    def check(train_list: Path, options: dict[str, str], config: NetworkConfig) -> tuple[None, int]:
        _detector_output(config)
        declared = int(options.get("classes", config.classes))
        if declared != config.classes:
            raise ConfigError(data, f"classes = {declared}, but the cfg's last layer has {config.classes}")
        _check_detection_list(train_list)
        return None, config.classes

    return _run("detector", data, cfg, weights, max_batches=max_batches, gpus=gpus, progress=progress,
                backup_dir=backup_dir, resume=resume, seed=seed, clear=clear,
                backup_every=backup_every, threads=threads, flip=flip, check_entries=check)


def train_classifier(data: PathLike, cfg: PathLike, weights: PathLike | None = None, *,
                     max_batches: int | None = None, gpus: list[int] | None = None,
                     progress: Callable[[TrainingProgress], object] | None = None,
                     backup_dir: PathLike | None = None, resume: bool = True, seed: int = 0,
                     clear: bool = False, backup_every: int = 100, threads: int = 8) -> TrainingResult:
    """Train a classifier with darknet's loop (as ``darknet classifier train``).

    ``data``: ``classes``, ``train`` (image paths), ``labels`` (one class name per line; darknet
    gives each image the one label whose name occurs in its path), ``backup``.
    darknet's classification loader reads every image as 3-channel colour, so the cfg must have
    channels=3. Other arguments as train_detector().
    """

    def check(train_list: Path, options: dict[str, str], config: NetworkConfig) -> tuple[Path, int]:
        if config.channels != 3:
            raise ConfigError(config.path, f"channels={config.channels}: darknet's classification "
                              "loader always produces 3-channel images")
        labels_path = _required_file(Path(data), options, "labels")
        labels = _read_list(labels_path)
        classes = int(options.get("classes", len(labels)))
        if classes != len(labels):
            raise ConfigError(data, f"classes = {classes}, but {labels_path} lists {len(labels)} labels")
        if classes != config.classes:
            raise ConfigError(data, f"classes = {classes}, but the cfg's output has {config.classes}")
        _check_classification_list(train_list, labels)
        return labels_path, classes

    return _run("classifier", data, cfg, weights, max_batches=max_batches, gpus=gpus,
                progress=progress, backup_dir=backup_dir, resume=resume, seed=seed, clear=clear,
                backup_every=backup_every, threads=threads, check_entries=check)


class ArrayTrainer:
    """darknet's training step (train_network: forward, backward, SGD update with the cfg's
    learning-rate policy) fed with NumPy batches, for inputs darknet's loaders cannot make
    (grayscale, your own augmentation).

    ``weights``: starting weights (None: darknet's random init); ``clear`` restarts their image
    counter. One ``step(x, y)`` is one iteration: ``x`` is ``batch_size`` inputs shaped
    (N, C, H, W) float32, ``y`` their truths (N, classes: one-hot for a softmax classifier).
    The iteration count lives in the network (and in saved weights, so loading a backup resumes
    the schedule).
    """

    def __init__(self, cfg: PathLike, weights: PathLike | None = None, *, clear: bool = False,
                 seed: int = 0, gpu: int | None = None) -> None:
        config = parse_cfg(cfg)
        if weights is not None:
            check_weights(weights, config, allow_partial=True)
        _native.seed_darknet(seed)
        self._handle = _native.NetworkHandle(os.fspath(cfg), os.fspath(weights) if weights else None, 0,
                                             resolve_gpu(gpu), clear)
        _, self._channels, self._height, self._width = self._handle.shape

    @property
    def batch_size(self) -> int:
        """Images per iteration (the cfg's batch)."""
        return self._handle.training_state[3]

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self._channels, self._height, self._width

    @property
    def iteration(self) -> int:
        return self._handle.training_state[0]

    @property
    def max_batches(self) -> int:
        return self._handle.training_state[1]

    @property
    def learning_rate(self) -> float:
        return self._handle.training_state[2]

    def step(self, x, y) -> float:
        """Train on one batch; returns darknet's loss for it."""
        import numpy as np

        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.ndim != 4 or x.shape[1:] != self.input_shape:
            raise ValueError(f"inputs must be shaped (N, {', '.join(map(str, self.input_shape))}), got {x.shape}")
        if x.shape[0] != self.batch_size:
            raise ValueError(f"one step takes {self.batch_size} images (the cfg's batch), got {x.shape[0]}")
        y = np.ascontiguousarray(y, dtype=np.float32).reshape(x.shape[0], -1)
        return self._handle.train_step(x.reshape(x.shape[0], -1), y)

    def save(self, path: PathLike) -> Path:
        """Write darknet weights atomically (a ``.part`` file renamed into place)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".part")
        self._handle.save_weights(os.fspath(tmp))
        os.replace(tmp, path)
        return path

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> ArrayTrainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sample_detection_batch(list_file: PathLike, cfg: PathLike, n: int = 4, *, flip: bool = True,
                           seed: int = 0):
    """What darknet's detection loader feeds the network of ``cfg`` in training: ``n`` random
    images of ``list_file`` with the cfg's jitter, hue, saturation and exposure, mirrored at
    random unless ``flip`` is False. Returns (images: n x 3 x H x W float32 in [0, 1], RGB;
    truths: n x max_boxes x 5, rows ``x, y, w, h, class`` relative to the image, zeros after the
    last box). For looking at augmentation, and for testing it."""
    config = parse_cfg(cfg)
    last = _detector_output(config)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    _check_detection_list(Path(list_file))
    net = config.net
    return _native.sample_detection_batch(
        os.fspath(list_file), n, config.width, config.height, int(last.values.get("max", 90)),
        config.classes, float(last.values.get("jitter", 0.2)), float(net["hue"]), float(net["saturation"]),
        float(net["exposure"]), flip, seed)
