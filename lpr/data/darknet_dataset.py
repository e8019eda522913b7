"""Writing a darknet detection dataset folder.

    OUT/images/<name>.jpg|png   symlinks to the originals (or copies), or rendered pixels
    OUT/labels/<name>.txt       YOLO lines, where darknet looks for them (checked, see darknet_layout)
    OUT/train.txt, valid.txt    absolute image paths
    OUT/obj.names, obj.data     class names; classes/train/valid/names/backup
    OUT/backup/                 (empty) where darknet saves weights
    OUT/mapping.tsv             name, split, group, original: back to the source file names
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lpr.data.darknet_files import write_detection_files
from lpr.data.darknet_layout import darknet_label_path, safe_name
from lpr.data.progress import progress
from lpr.data.split import TRAIN, VALID

# everything the writers of this package create in an output folder (backup/ is not listed: it
# may hold trained weights and is never removed)
MANAGED_ENTRIES = ("images", "labels", "crops", "train.txt", "valid.txt", "obj.names", "obj.data",
                   "mapping.tsv", "labels.txt", "classifier.data", "classifier_train.txt",
                   "classifier_valid.txt", "validation_report.json", "validation_report.txt",
                   "split.json")


class DatasetLayoutError(RuntimeError):
    """darknet would not find what we write (a path component fools its string replacements)."""


@dataclass(frozen=True)
class DetectionItem:
    stem: str                       # wanted name (made darknet-safe and unique by the writer)
    split: str                      # TRAIN or VALID
    group: str
    original: str                   # for mapping.tsv
    label_lines: tuple[str, ...]
    extension: str = ".jpg"         # ".jpg" or ".png"
    source: Path | None = None      # an existing image to link or copy ...
    pixels: np.ndarray | None = None  # ... or pixels to write (cv2.imwrite)


@dataclass(frozen=True)
class DetectionDataset:
    root: Path
    obj_data: Path
    train_list: Path
    valid_list: Path
    names_file: Path
    mapping: Path
    train_images: int
    valid_images: int
    boxes: int


def prepare_output_dir(out: Path, overwrite: bool, source: Path | None = None) -> Path:
    """Create `out`; refuse a non-empty one unless `overwrite` (then only our entries are removed).

    `out` may not be, contain or lie inside `source` (the data we read): `--overwrite` removes
    `images/` and `labels/` folders, and the source's own must never be among them.
    """
    out = Path(out).resolve()
    if source is not None:
        src = Path(source).resolve()
        if out == src or src in out.parents or out in src.parents:
            raise DatasetLayoutError(f"the output folder {out} overlaps the source folder {src}")
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out} is not empty (pass --overwrite to replace a dataset written there)")
        for entry in MANAGED_ENTRIES:
            path = out / entry
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _place(item: DetectionItem, target: Path, copy: bool) -> None:
    if item.pixels is not None:
        import cv2

        if not cv2.imwrite(str(target), item.pixels):
            raise OSError(f"cannot write {target}")
    elif item.source is not None:
        if copy:
            shutil.copyfile(item.source, target)
        else:
            os.symlink(Path(item.source).resolve(), target)
    else:
        raise ValueError(f"{item.stem}: neither a source file nor pixels")


def _name_for(out: Path, stem: str, extension: str, taken: set[str], index: int) -> str:
    """A unique darknet-safe name whose label path darknet derives correctly."""
    candidates = [safe_name(stem), f"sample_{index:06d}"]
    for base in candidates:
        name, n = base, 1
        while name.lower() in taken:
            n += 1
            name = f"{base}_{n}"
        image = out / "images" / f"{name}{extension}"
        if darknet_label_path(str(image)) == str(out / "labels" / f"{name}.txt"):
            taken.add(name.lower())
            return name
    raise DatasetLayoutError(
        f"darknet would look for the labels of {out / 'images' / (candidates[0] + extension)} at "
        f"{darknet_label_path(str(out / 'images' / (candidates[0] + extension)))}: choose an output "
        "folder whose path contains neither 'images' nor 'raw' nor '.jpg'/'.png'")


def write_detection_dataset(out: Path, items: Sequence[DetectionItem], class_names: Sequence[str],
                            copy: bool = False, show_progress: bool = True) -> DetectionDataset:
    """Write `items` into `out` (prepared by `prepare_output_dir`). Returns what was written."""
    out = Path(out).resolve()
    for sub in ("images", "labels", "backup"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    lists: dict[str, list[str]] = {TRAIN: [], VALID: []}
    mapping = ["name\tsplit\tgroup\toriginal"]
    boxes = 0
    for index, item in enumerate(progress(items, desc="write detection dataset", unit="image",
                                          enabled=show_progress)):
        if item.extension not in (".jpg", ".png"):
            raise ValueError(f"{item.stem}: extension {item.extension!r} is not .jpg or .png")
        name = _name_for(out, item.stem, item.extension, taken, index)
        image = out / "images" / f"{name}{item.extension}"
        _place(item, image, copy)
        (out / "labels" / f"{name}.txt").write_text("".join(f"{line}\n" for line in item.label_lines))
        lists[item.split].append(str(image))
        mapping.append(f"{name}{item.extension}\t{item.split}\t{item.group}\t{item.original}")
        boxes += len(item.label_lines)
    obj_data = write_detection_files(out, class_names, lists[TRAIN], lists[VALID])
    train_list, valid_list, names_file = out / "train.txt", out / "valid.txt", out / "obj.names"
    mapping_file = out / "mapping.tsv"
    mapping_file.write_text("\n".join(mapping) + "\n")
    return DetectionDataset(root=out, obj_data=obj_data, train_list=train_list, valid_list=valid_list,
                            names_file=names_file, mapping=mapping_file, train_images=len(lists[TRAIN]),
                            valid_images=len(lists[VALID]), boxes=boxes)
