"""ro-plates -> darknet detection dataset: validate, split by video (or scene), write."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lpr.data.boxes import yolo_lines
from lpr.data.darknet_dataset import (DetectionDataset, DetectionItem, prepare_output_dir,
                                      write_detection_dataset)
from lpr.data.issues import NothingValid, ValidationReport
from lpr.data.split import (TRAIN, VALID, GroupSplit, SplitSummary, scene_groups, size_by_group,
                            split_groups, video_groups)
from lpr.data.validate import PLATE_CLASSES, PlateSample, ValidationConfig, validate_plates

GROUP_BY = ("video", "scene")


@dataclass(frozen=True)
class PlatesBuild:
    report: ValidationReport
    split: GroupSplit
    summary: SplitSummary
    dataset: DetectionDataset


def plate_groups(samples: tuple[PlateSample, ...], group_by: str = "video", scene_gap: float = 30.0
                 ) -> tuple[list[str], dict[str, str] | None]:
    """One group name per sample, and the strata (group -> video) for `scene` grouping."""
    if group_by == "video":
        return video_groups([s.video for s in samples]), None
    if group_by == "scene":
        groups = scene_groups([s.video for s in samples], [s.time for s in samples], scene_gap)
        return groups, {g: s.video for g, s in zip(groups, samples)}
    raise ValueError(f"group_by must be one of {GROUP_BY}, got {group_by!r}")


def build_plates_dataset(src: Path | str, out: Path | str, *, seed: int = 0, valid_fraction: float = 0.1,
                         group_by: str = "video", scene_gap: float = 30.0,
                         config: ValidationConfig = ValidationConfig(), copy: bool = False,
                         overwrite: bool = False, show_progress: bool = True) -> PlatesBuild:
    """Validate `src`, split the kept frames by group, write the dataset into `out`.

    Raises NothingValid when no frame passes validation (the report is in the exception's
    `report` attribute), FileExistsError for a non-empty `out` without `overwrite`.
    """
    if not 0.0 <= valid_fraction < 1.0:
        raise ValueError(f"valid_fraction must be in [0, 1), got {valid_fraction}")
    validation = validate_plates(src, config, show_progress=show_progress)
    samples = validation.samples
    if not samples:
        raise NothingValid(f"no valid frame in {src}", validation.report)
    out = prepare_output_dir(Path(out), overwrite, source=Path(src))
    groups, strata = plate_groups(samples, group_by, scene_gap)
    split = split_groups(size_by_group(groups), valid_fraction, seed, strata)
    items = []
    for sample, group in zip(samples, groups):
        extension = ".png" if sample.image.suffix.lower() == ".png" else ".jpg"
        items.append(DetectionItem(stem=sample.stem, split=split.side(group), group=group,
                                   original=str(sample.image), extension=extension, source=sample.image,
                                   label_lines=tuple(yolo_lines(sample.boxes, PLATE_CLASSES,
                                                                sample.width, sample.height))))
    dataset = write_detection_dataset(out, items, PLATE_CLASSES, copy=copy, show_progress=show_progress)
    summary = SplitSummary(
        train_samples=sum(1 for i in items if i.split == TRAIN),
        valid_samples=sum(1 for i in items if i.split == VALID),
        train_boxes=sum(len(i.label_lines) for i in items if i.split == TRAIN),
        valid_boxes=sum(len(i.label_lines) for i in items if i.split == VALID),
        train_groups=split.train_groups, valid_groups=split.valid_groups)
    validation.report.write(out)
    (out / "split.json").write_text(json.dumps({
        "dataset": "ro-plates", "source": str(Path(src).resolve()), "seed": seed,
        "valid_fraction": valid_fraction, "group_by": group_by,
        "scene_gap_s": scene_gap if group_by == "scene" else None,
        "train": {"frames": summary.train_samples, "boxes": summary.train_boxes,
                  "groups": list(split.train_groups)},
        "valid": {"frames": summary.valid_samples, "boxes": summary.valid_boxes,
                  "groups": list(split.valid_groups)},
    }, indent=2) + "\n")
    return PlatesBuild(report=validation.report, split=split, summary=summary, dataset=dataset)
