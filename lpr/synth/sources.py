"""The real images synthetic samples are made of, split into train and valid pools.

- backgrounds: photos without plates (any folder of .jpg/.png); a file is its own group
- frames: ro-plates dashcam frames, read through the project's validator (`validate_plates`), so
  only frames `lpr data plates` would keep are used, with their real plate boxes; grouped by
  video. The split of videos is `split_groups` with the same seed and fraction `lpr data plates`
  uses by default, so with the defaults a frame lands on the same side in both datasets; with
  `holdout` (an `lpr data plates` output folder) its mapping.tsv decides, frame by frame.
- crops: real plate crops (eu-plate-crops); `x_close.jpg` goes with `x.jpg` (same plate)

Valid samples are made only from valid-pool images, so no background, frame or crop is seen on
both sides of the split.
"""
from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lpr.data.boxes import Box
from lpr.data.images import IMAGE_EXTENSIONS
from lpr.data.split import TRAIN, VALID, size_by_group, split_groups

SPLITS = (TRAIN, VALID)


@dataclass(frozen=True)
class SceneSource:
    path: Path
    kind: str                        # "background" or "frame"
    group: str                       # split unit: file name, or the frame's video
    plates: tuple[Box, ...] = ()     # real plates (frames), pixels of the original image


@dataclass(frozen=True)
class Pools:
    backgrounds: dict[str, tuple[SceneSource, ...]] = field(default_factory=lambda: {TRAIN: (), VALID: ()})
    frames: dict[str, tuple[SceneSource, ...]] = field(default_factory=lambda: {TRAIN: (), VALID: ()})
    crops: dict[str, tuple[SceneSource, ...]] = field(default_factory=lambda: {TRAIN: (), VALID: ()})
    notes: tuple[str, ...] = ()

    def describe(self) -> dict[str, dict[str, int]]:
        return {name: {s: len(getattr(self, name)[s]) for s in SPLITS} for name in ("backgrounds", "frames", "crops")}


def _images_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    found = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    if not found:
        raise FileNotFoundError(f"{folder} holds no .jpg/.jpeg/.png image")
    return found


def _split_by_group(items: Sequence[SceneSource], valid_fraction: float, seed: int
                    ) -> dict[str, tuple[SceneSource, ...]]:
    if not items:
        return {TRAIN: (), VALID: ()}
    split = split_groups(size_by_group([s.group for s in items]), valid_fraction, seed)
    return {side: tuple(s for s in items if split.side(s.group) == side) for side in SPLITS}


def _readable(paths: list[Path], what: str, notes: list[str]) -> list[Path]:
    """The images that decode (a broken one would stop a long run half-way)."""
    import cv2

    good = []
    for path in paths:
        try:
            ok = cv2.imdecode(np.fromfile(str(path), dtype=np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_8) is not None
        except OSError:
            ok = False
        if ok:
            good.append(path)
    if len(good) < len(paths):
        notes.append(f"{what}: {len(paths) - len(good)} unreadable image(s) left out")
    if not good:
        raise FileNotFoundError(f"no readable {what} image")
    return good


def discover_backgrounds(folder: Path, notes: list[str] | None = None) -> list[SceneSource]:
    folder = Path(folder)
    paths = _readable(_images_in(folder), "backgrounds", notes if notes is not None else [])
    return [SceneSource(p, "background", str(p.relative_to(folder))) for p in paths]


def _crop_group(path: Path) -> str:
    stem = path.stem
    return stem[:-len("_close")] if stem.endswith("_close") else stem


def discover_crops(folder: Path, notes: list[str] | None = None) -> list[SceneSource]:
    folder = Path(folder)
    paths = _readable(_images_in(folder), "crops", notes if notes is not None else [])
    return [SceneSource(p, "crop", f"{p.parent.relative_to(folder)}/{_crop_group(p)}") for p in paths]


def discover_frames(folder: Path, show_progress: bool = False) -> tuple[list[SceneSource], list[str]]:
    """Frames `lpr data plates` would keep, with their plate boxes; (frames, notes)."""
    from lpr.data.validate import validate_plates

    validation = validate_plates(Path(folder), show_progress=show_progress)
    frames = [SceneSource(s.image, "frame", s.video, s.boxes) for s in validation.samples]
    left_out = validation.report.checked - validation.report.kept
    notes = [f"frames: {len(frames)} kept by the validator" + (f", {left_out} left out" if left_out else "")]
    if not frames:
        raise FileNotFoundError(f"no usable frame in {folder}")
    return frames, notes


def _frame_key(path: Path) -> tuple[str, ...]:
    """<subset>/images/<file>: the part of a frame's path that does not depend on where the
    ro-plates folder is or how it was named on the command line (mapping.tsv keeps it as given)."""
    return Path(path).parts[-3:]


def read_holdout(dataset: Path) -> dict[tuple[str, ...], str]:
    """frame key (see `_frame_key`) -> split, from an `lpr data plates` output folder's mapping.tsv."""
    mapping = Path(dataset) / "mapping.tsv"
    if not mapping.is_file():
        raise FileNotFoundError(f"{mapping} is missing: --holdout takes the folder `lpr data plates` wrote")
    sides: dict[tuple[str, ...], str] = {}
    with mapping.open(newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            sides[_frame_key(Path(row["original"]))] = row["split"]
    return sides


def build_pools(*, backgrounds: Path | None = None, frames: Path | None = None, crops: Path | None = None,
                holdout: Path | None = None, valid_fraction: float = 0.1, split_seed: int = 0,
                show_progress: bool = False) -> Pools:
    notes: list[str] = []
    pools = Pools()
    bg = discover_backgrounds(backgrounds, notes) if backgrounds is not None else []
    pools.backgrounds.update(_split_by_group(bg, valid_fraction, split_seed))
    if frames is not None:
        found, frame_notes = discover_frames(frames, show_progress)
        notes.extend(frame_notes)
        if holdout is not None:
            sides = read_holdout(holdout)
            kept = [f for f in found if _frame_key(f.path) in sides]
            if len(kept) < len(found):
                notes.append(f"frames: {len(found) - len(kept)} not in {holdout}/mapping.tsv, not used")
            for side in SPLITS:
                pools.frames[side] = tuple(f for f in kept if sides[_frame_key(f.path)] == side)
        else:
            pools.frames.update(_split_by_group(found, valid_fraction, split_seed))
        notes.append("frames: valid videos " + (", ".join(sorted({f.group for f in pools.frames[VALID]})) or "-"))
    elif holdout is not None:
        raise ValueError("--holdout applies to --frames only")
    if crops is not None:
        pools.crops.update(_split_by_group(discover_crops(crops, notes), valid_fraction, split_seed))
    return Pools(backgrounds=pools.backgrounds, frames=pools.frames, crops=pools.crops, notes=tuple(notes))


# --------------------------------------------------------------------------- loading

def read_bgr(path: Path) -> np.ndarray:
    """Decode through the bytes (names with '#' or spaces are fine); OSError when unreadable."""
    import cv2

    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise OSError(f"cannot decode {path}")
    return image


def load_scene(source: SceneSource, width: int, max_upscale: float = 2.0) -> tuple[np.ndarray, tuple[Box, ...]]:
    """The image resized to `width` (enlarged at most `max_upscale` times; 1: only made smaller),
    and its real plates in the resized pixels."""
    import cv2

    image = read_bgr(source.path)
    h, w = image.shape[:2]
    scale = min(width / w, max_upscale)
    if abs(scale - 1.0) > 1e-3:
        size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
        # area averaging only where linear would alias (it is 5x slower)
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 0.5 else cv2.INTER_LINEAR)
    sx, sy = image.shape[1] / w, image.shape[0] / h
    plates = tuple(Box("plate", b.x1 * sx, b.y1 * sy, b.x2 * sx, b.y2 * sy) for b in source.plates)
    return image, plates


def procedural_background(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """Clutter for when no photo is at hand: a gradient, random rectangles and lines, noise (BGR)."""
    import cv2

    def muted() -> np.ndarray:     # greys, browns, dull blues: what streets and cars are made of
        level = rng.uniform(20, 230)
        return np.clip(level + rng.normal(0, 18, 3), 0, 255)

    w, h = size
    base = muted()
    ramp = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    image = (base + (muted() - base) * ramp).astype(np.float32)
    image = np.broadcast_to(image, (h, w, 3)).copy()
    for _ in range(int(rng.integers(4, 16))):
        x1, y1 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x2, y2 = x1 + int(rng.integers(5, max(6, w // 2))), y1 + int(rng.integers(5, max(6, h // 2)))
        color = tuple(float(c) for c in muted())
        if rng.random() < 0.6:
            cv2.rectangle(image, (x1, y1), (x2, y2), color, -1)
        else:
            cv2.line(image, (x1, y1), (x2, y2), color, int(rng.integers(1, 6)), cv2.LINE_AA)
    image = cv2.GaussianBlur(image, (0, 0), float(rng.uniform(0.5, 3)))
    image += rng.standard_normal((h, w, 1), dtype=np.float32) * float(rng.uniform(2, 10))
    return np.clip(image + 0.5, 0, 255).astype(np.uint8)
