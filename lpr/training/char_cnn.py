"""Train the character CNN (lpr/models/char-cnn.cfg, grayscale 75x100 -> 0-9 A-Z) with darknet's
training step (pydarknet.ArrayTrainer), fed from NumPy.

darknet's classification loader always makes 3-channel square crops, so the samples are made
here, with the reader's own crop function (lpr.segmentation.contours.char_crops) from detection
datasets (images + YOLO character boxes: `lpr data chars`, `lpr data synth chars`): the CNN
trains on exactly what it will see. Samples are cached as uint8 in the work folder; each
iteration draws a seeded batch (the seed is the iteration number, so a resumed run continues
the same sequence) with small shifts, scale and contrast changes and noise.

Samples are always cut at SAMPLE_SIZE (75x100, the origin study's input) and augmented there; a
network with a smaller input (a compact CNN's cfg) gets each augmented crop scaled to its size,
as the reader's crop function would scale the character.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

import pydarknet

from ..data.char_regions import sheet_of_strip
from ..formats.rules import FOLD
from ..model_files import CHARACTERS
from ..segmentation.contours import CROP_SIZE, char_crops
from .evaluate_detector import read_yolo_boxes
from .progress import TrainingMonitor

DEFAULT_CFG = Path(__file__).resolve().parent.parent / "models" / "char-cnn.cfg"
BACKUP_EVERY = 50
SAMPLE_SIZE = CROP_SIZE   # (width, height) the samples are cut and augmented at: the study CNN's input


@dataclass(frozen=True)
class CharSamples:
    images: np.ndarray     # N x H x W uint8 (dark character on light)
    labels: np.ndarray     # N int64 class indices into CHARACTERS
    sheets: np.ndarray     # N str: the ocr-chars sheet of a sample's strip ("" for other images)


@dataclass(frozen=True)
class CnnScore:
    samples: int
    accuracy: float
    per_class_errors: dict[str, int]
    folded_accuracy: float            # O read as 0 and I as 1 (and back) not counted as errors
    per_sheet: dict[str, tuple[int, float, float]]   # sheet -> (samples, accuracy, folded accuracy)


def _list_images(list_file: Path) -> list[str]:
    return [line.strip() for line in Path(list_file).read_text().splitlines() if line.strip()]


def build_samples(list_files: list[Path], *, size: tuple[int, int] = SAMPLE_SIZE, limit: int | None = None,
                  seed: int = 0, progress: bool = True) -> CharSamples:
    """Character crops (``size`` = width, height) from every box of the images in ``list_files``.
    ``limit``: at most this many images, a seeded sample."""
    paths = [p for f in list_files for p in _list_images(f)]
    if limit is not None and len(paths) > limit:
        keep = np.random.default_rng(seed).choice(len(paths), size=limit, replace=False)
        paths = [paths[i] for i in sorted(keep)]
    images, labels, sheets = [], [], []
    for path in tqdm(paths, desc="character crops", unit="image", disable=not progress):
        image = cv2.imread(path)
        if image is None:
            raise FileNotFoundError(f"{path}: unreadable image")
        h, w = image.shape[:2]
        boxes, classes = read_yolo_boxes(path, w, h)
        if len(boxes):
            crops = char_crops(image, [tuple(b) for b in boxes], size=size)
            images.append(np.clip(crops * 255.0 + 0.5, 0, 255).astype(np.uint8))
            labels.extend(classes.tolist())
            sheets.extend([sheet_of_strip(Path(path).stem) or ""] * len(boxes))
    if not images:
        raise ValueError(f"no character boxes in {', '.join(map(str, list_files))}")
    return CharSamples(np.concatenate(images), np.asarray(labels, dtype=np.int64), np.asarray(sheets, dtype=str))


def cached_samples(work_dir: Path, list_files: list[Path], *, name: str, limit: int | None = None,
                   seed: int = 0) -> CharSamples:
    """build_samples(), cached in ``work_dir/<name>-<digest of the inputs>.npz``."""
    key = json.dumps({"lists": [str(Path(f).resolve()) for f in list_files], "limit": limit, "seed": seed,
                      "sizes": [Path(f).stat().st_size for f in list_files], "format": 2})
    path = Path(work_dir) / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:12]}.npz"
    if path.is_file():
        with np.load(path) as data:
            return CharSamples(data["images"], data["labels"], data["sheets"])
    samples = build_samples(list_files, limit=limit, seed=seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part.npz")
    np.savez_compressed(tmp, images=samples.images, labels=samples.labels, sheets=samples.sheets)
    tmp.replace(path)
    return samples


def augment(images: np.ndarray, rng: np.random.Generator, typeface: bool = False) -> np.ndarray:
    """float32 N x 1 x H x W in [0, 1]: each crop shifted (up to 6% of its size), scaled (0.85-1.15),
    its contrast and brightness changed, Gaussian noise added. ``typeface``: also vary what
    differs between typefaces and plate makers, each with probability one half: stroke weight
    (a 3 or 5 px dilation or erosion of the ink), slant (shear up to 0.15), width (0.9-1.1 of
    the glyph's) and blur (sigma 0.5-1.5 px)."""
    n, h, w = images.shape
    out = np.empty((n, 1, h, w), dtype=np.float32)
    for i in range(n):
        image = images[i]
        scale = rng.uniform(0.85, 1.15)
        sx, shear = scale, 0.0
        if typeface:
            image = _stroke_weight(image, rng)
            if rng.random() < 0.5:
                shear = rng.uniform(-0.15, 0.15)
            if rng.random() < 0.5:
                sx = scale * rng.uniform(0.9, 1.1)
        dx, dy = rng.uniform(-0.06, 0.06) * w, rng.uniform(-0.06, 0.06) * h
        # x' = sx * (x - w/2) + shear * (y - h/2) + w/2 + dx; y' = scale * (y - h/2) + h/2 + dy
        m = np.array([[sx, shear, (1 - sx) * w / 2 - shear * h / 2 + dx], [0, scale, (1 - scale) * h / 2 + dy]])
        warped = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
        if typeface and rng.random() < 0.5:
            warped = cv2.GaussianBlur(warped, (0, 0), rng.uniform(0.5, 1.5))
        x = warped.astype(np.float32) / 255.0
        contrast, brightness = rng.uniform(0.6, 1.0), rng.uniform(-0.1, 0.1)
        x = (x - 0.5) * contrast + 0.5 + brightness
        x += rng.normal(0.0, rng.uniform(0.0, 0.06), size=x.shape).astype(np.float32)
        out[i, 0] = np.clip(x, 0.0, 1.0)
    return out


def fit_to_input(batch: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """float32 N x 1 x H x W crops scaled to ``size`` (width, height), unchanged when they have it
    (area averaging to shrink, as char_crops shrinks a large character)."""
    n, _, h, w = batch.shape
    cw, ch = size
    if (w, h) == (cw, ch):
        return batch
    interpolation = cv2.INTER_AREA if cw <= w and ch <= h else cv2.INTER_LINEAR
    out = np.empty((n, 1, ch, cw), dtype=np.float32)
    for i in range(n):
        out[i, 0] = cv2.resize(batch[i, 0], (cw, ch), interpolation=interpolation)
    return out


def _stroke_weight(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The dark-on-light crop with its ink made bolder or lighter (probability one half)."""
    if rng.random() >= 0.5:
        return image
    size = int(rng.choice((3, 5)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    # the ink is dark: eroding the image thickens it, dilating thins it
    return cv2.erode(image, kernel) if rng.random() < 0.5 else cv2.dilate(image, kernel)


def evaluate_cnn(cfg: Path, weights: Path, samples: CharSamples) -> CnnScore:
    """Accuracy of the NumPy engine (the reader's path) on ``samples``."""
    from ..recognition.numpy_network import NumpyNetwork

    net = NumpyNetwork(cfg, weights)
    _, height, width = net.input_shape
    predicted = []
    for start in range(0, len(samples.images), 256):
        batch = samples.images[start:start + 256].astype(np.float32)[:, None] / 255.0
        batch = fit_to_input(batch, (width, height))
        predicted.append(net.predict(batch).argmax(axis=1))
    return score_predictions(np.concatenate(predicted), samples.labels, samples.sheets)


def score_predictions(guess: np.ndarray, labels: np.ndarray, sheets: np.ndarray | None = None) -> CnnScore:
    """Accuracy (strict and O/0 I/1 folded) and errors per true class of predicted class indices;
    with ``sheets`` (one name per sample, "" for none), both accuracies per named sheet too."""
    guess, labels = np.asarray(guess), np.asarray(labels)
    wrong = guess != labels
    errors: dict[str, int] = {}
    for truth in labels[wrong]:
        errors[CHARACTERS[truth]] = errors.get(CHARACTERS[truth], 0) + 1
    fold = np.array([CHARACTERS.index(FOLD.get(c, c)) for c in CHARACTERS])
    folded_wrong = fold[guess] != fold[labels]
    per_sheet = {}
    if sheets is not None:
        sheets = np.asarray(sheets)
        for sheet in sorted(set(sheets.tolist()) - {""}):
            mine = sheets == sheet
            per_sheet[sheet] = (int(mine.sum()), float(1.0 - wrong[mine].mean()), float(1.0 - folded_wrong[mine].mean()))
    return CnnScore(len(guess), float(1.0 - wrong.mean()), dict(sorted(errors.items(), key=lambda kv: -kv[1])),
                    float(1.0 - folded_wrong.mean()), per_sheet)


def train_char_cnn(train_lists: list[Path], work_dir: Path, *, cfg: Path = DEFAULT_CFG,
                   max_batches: int | None = None, seed: int = 0, limit: int | None = None,
                   typeface_augment: bool = False) -> Path:
    """Train (or resume from ``work_dir/<cfg stem>.backup``); returns the weights written
    (``<stem>_final.weights`` when max_batches was reached, else the backup). Ctrl-C saves.
    ``typeface_augment``: see augment()."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    samples = cached_samples(work_dir, train_lists, name="train-samples", limit=limit, seed=seed)
    stem = Path(cfg).stem
    backup = work_dir / f"{stem}.backup"
    trainer = pydarknet.ArrayTrainer(cfg, backup if backup.is_file() else None, seed=seed)
    stop = max_batches or trainer.max_batches
    n = trainer.batch_size
    _, height, width = trainer.input_shape
    avg = -1.0
    with trainer, TrainingMonitor(work_dir / "loss.csv", desc="char cnn") as monitor:
        try:
            while trainer.iteration < stop:
                iteration = trainer.iteration
                rng = np.random.default_rng([seed, iteration])
                pick = rng.integers(len(samples.labels), size=n)
                x = fit_to_input(augment(samples.images[pick], rng, typeface_augment), (width, height))
                y = np.zeros((n, len(CHARACTERS)), dtype=np.float32)
                y[np.arange(n), samples.labels[pick]] = 1.0
                start = time.perf_counter()
                loss = trainer.step(x, y)
                seconds = time.perf_counter() - start
                avg = loss if avg < 0 else 0.9 * avg + 0.1 * loss
                if trainer.iteration % BACKUP_EVERY == 0:
                    trainer.save(backup)
                monitor(pydarknet.TrainingProgress(
                    iteration=trainer.iteration, max_batches=stop, loss=loss, avg_loss=avg,
                    learning_rate=trainer.learning_rate, images_per_second=n / max(seconds, 1e-9),
                    seconds=seconds, images=trainer.iteration * n, input_size=(trainer.input_shape[2],
                                                                               trainer.input_shape[1])))
        except KeyboardInterrupt:
            trainer.save(backup)
            raise
        trainer.save(backup)
        final = work_dir / f"{stem}_final.weights"
        trainer.save(final)
    return final
