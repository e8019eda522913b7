"""The small text files that make a folder a darknet dataset: image lists, names/labels, .data."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def write_lines(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def write_detection_files(out: Path, class_names: Sequence[str], train: Sequence[str],
                          valid: Sequence[str]) -> Path:
    """train.txt, valid.txt, obj.names and obj.data (what train_detector reads); returns obj.data."""
    train_list = write_lines(out / "train.txt", train)
    valid_list = write_lines(out / "valid.txt", valid)
    names_file = write_lines(out / "obj.names", class_names)
    return write_lines(out / "obj.data", [f"classes = {len(class_names)}", f"train = {train_list}",
                                          f"valid = {valid_list}", f"names = {names_file}",
                                          f"backup = {out / 'backup'}"])


def write_classifier_files(out: Path, labels: Sequence[str], train: Sequence[str],
                           valid: Sequence[str]) -> Path:
    """classifier_train/valid.txt, labels.txt and classifier.data (what train_classifier reads)."""
    labels_file = write_lines(out / "labels.txt", labels)
    train_list = write_lines(out / "classifier_train.txt", train)
    valid_list = write_lines(out / "classifier_valid.txt", valid)
    return write_lines(out / "classifier.data", [f"classes = {len(labels)}", f"train = {train_list}",
                                                 f"valid = {valid_list}", f"labels = {labels_file}",
                                                 f"backup = {out / 'backup'}", "top = 1"])
