"""Writing a darknet classifier dataset of character crops.

darknet's classifier labels an image with every label that is a substring of its path, so the
labels are `c_0` ... `c_Z` and a crop is `OUT/crops/<split>/<index>_c_<CLASS>.png`: the path
holds `c_` exactly once (checked for every file, the output folder's own path included), so
exactly one label matches. Plain `A` would match any path with an `A` in it.

    OUT/crops/train/*.png, OUT/crops/valid/*.png
    OUT/labels.txt                 the 36 labels, in class order
    OUT/classifier_train.txt, classifier_valid.txt   absolute crop paths
    OUT/classifier.data            classes/train/valid/labels/backup/top
    OUT/crops/mapping.tsv          crop, split, group, original (sheet and box-file line)
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lpr.data.darknet_dataset import DatasetLayoutError
from lpr.data.darknet_files import write_classifier_files
from lpr.data.darknet_layout import matching_labels
from lpr.data.progress import progress
from lpr.data.split import TRAIN, VALID

LABEL_PREFIX = "c_"


def classifier_labels(class_names: Sequence[str]) -> list[str]:
    return [f"{LABEL_PREFIX}{name}" for name in class_names]


@dataclass(frozen=True)
class CropItem:
    class_index: int
    split: str
    group: str
    original: str
    pixels: np.ndarray


@dataclass(frozen=True)
class ClassifierDataset:
    root: Path
    data_file: Path
    labels_file: Path
    train_list: Path
    valid_list: Path
    per_class: dict[str, dict[str, int]]    # split -> class name -> crops


def crop_path(out: Path, split: str, index: int, label: str) -> Path:
    return out / "crops" / split / f"{index:06d}_{label}.png"


def check_unique_label(path: str, labels: Sequence[str], expected: str) -> None:
    """Raise DatasetLayoutError unless `expected` is the only label darknet finds in `path`.

    Stricter than darknet needs: the prefix itself must occur once, so the verdict does not
    depend on which class a file happens to have.
    """
    found = matching_labels(path, labels)
    if found != [expected] or path.count(LABEL_PREFIX) != 1:
        raise DatasetLayoutError(
            f"darknet's classifier would give {path} the labels {found}, not [{expected!r}]: "
            f"the output folder's path must not contain {LABEL_PREFIX!r}")


def write_classifier_dataset(out: Path, items: Sequence[CropItem], class_names: Sequence[str],
                             show_progress: bool = True) -> ClassifierDataset:
    import cv2

    out = Path(out).resolve()
    labels = classifier_labels(class_names)
    if len(set(labels)) != len(labels) or any(a != b and a in b for a in labels for b in labels):
        raise DatasetLayoutError("classifier labels must be unique and none a substring of another")
    for split in (TRAIN, VALID):
        (out / "crops" / split).mkdir(parents=True, exist_ok=True)
    (out / "backup").mkdir(exist_ok=True)
    lists: dict[str, list[str]] = {TRAIN: [], VALID: []}
    counts: dict[str, Counter[str]] = {TRAIN: Counter(), VALID: Counter()}
    mapping = ["crop\tsplit\tgroup\toriginal"]
    for index, item in enumerate(progress(items, desc="write crops", unit="crop", enabled=show_progress)):
        label = labels[item.class_index]
        path = crop_path(out, item.split, index, label)
        check_unique_label(str(path), labels, label)
        if not cv2.imwrite(str(path), item.pixels):
            raise OSError(f"cannot write {path}")
        lists[item.split].append(str(path))
        counts[item.split][class_names[item.class_index]] += 1
        mapping.append(f"{path.relative_to(out)}\t{item.split}\t{item.group}\t{item.original}")
    data_file = write_classifier_files(out, labels, lists[TRAIN], lists[VALID])
    labels_file = out / "labels.txt"
    train_list, valid_list = out / "classifier_train.txt", out / "classifier_valid.txt"
    (out / "crops" / "mapping.tsv").write_text("\n".join(mapping) + "\n")
    per_class = {split: {name: counts[split][name] for name in class_names} for split in (TRAIN, VALID)}
    return ClassifierDataset(root=out, data_file=data_file, labels_file=labels_file, train_list=train_list,
                             valid_list=valid_list, per_class=per_class)
