"""ocr-chars -> character detection strips and classifier crops, split by sheet region.

Both datasets share one split, each sheet split on its own, sizes counted in characters (those
not excluded by the validator). A character's group is (`group_by`):
- `strip` (default): its detection strip, a run of `chars_per_region` consecutive characters of
  one text line (`split.run_groups`). Most sheets are sorted by class (a line of 1s, then 2s...),
  so whole lines would leave many classes out of valid entirely; strips keep every class on both
  sides while a strip's neighbouring glyphs (same plate style, same font run) stay together.
- `lines`: blocks of `lines_per_group` consecutive text lines (`split.line_block_groups`): the
  stricter choice against near-duplicate neighbours, at the cost of class coverage in valid.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lpr.data.char_regions import plan_regions, render_regions
from lpr.data.classifier_dataset import ClassifierDataset, CropItem, write_classifier_dataset
from lpr.data.darknet_dataset import (DetectionDataset, DetectionItem, prepare_output_dir,
                                      write_detection_dataset)
from lpr.data.issues import NothingValid, ValidationReport
from lpr.data.progress import progress
from lpr.data.split import (TRAIN, VALID, GroupSplit, SplitSummary, line_block_groups, run_groups,
                            split_groups)
from lpr.data.tesseract_boxes import CHAR_CLASSES, crop
from lpr.data.validate import ValidationConfig, validate_chars

GROUP_BY = ("strip", "lines")


@dataclass(frozen=True)
class CharsBuild:
    report: ValidationReport
    split: GroupSplit
    crops: SplitSummary            # classifier crops (samples = crops)
    regions: SplitSummary          # detection strips (samples = strips, boxes = characters)
    skipped_regions: tuple[str, ...]
    detection: DetectionDataset
    classifier: ClassifierDataset


def build_chars_dataset(src: Path | str, out: Path | str, *, sheets: Sequence[str] | None = None,
                        seed: int = 0, valid_fraction: float = 0.1, group_by: str = "strip",
                        lines_per_group: int = 1, chars_per_region: int = 8, margin: int = 4,
                        config: ValidationConfig = ValidationConfig(), overwrite: bool = False,
                        show_progress: bool = True) -> CharsBuild:
    """Validate the sheets, split, write strips + crops into `out`.

    Raises NothingValid when no character passes validation, FileExistsError for a non-empty
    `out` without `overwrite`, DatasetLayoutError when darknet would misread the output paths.
    """
    if not 0.0 <= valid_fraction < 1.0:
        raise ValueError(f"valid_fraction must be in [0, 1), got {valid_fraction}")
    if group_by not in GROUP_BY:
        raise ValueError(f"group_by must be one of {GROUP_BY}, got {group_by!r}")
    validation = validate_chars(src, sheets, config, show_progress=show_progress)
    usable = [c for s in validation.sheets for c in s.chars if c.id not in validation.blocked]
    if not usable:
        raise NothingValid(f"no valid character in {src}", validation.report)
    out = prepare_output_dir(Path(out), overwrite, source=Path(src))

    all_chars = [c for s in validation.sheets for c in s.chars]
    sheet_names, text_lines = [c.sheet for c in all_chars], [c.text_line for c in all_chars]
    if group_by == "strip":
        group_names = run_groups(sheet_names, text_lines, chars_per_region)
    else:
        group_names = line_block_groups(sheet_names, text_lines, lines_per_group)
    group_of = {c.id: g for c, g in zip(all_chars, group_names)}
    sizes: dict[str, int] = {g: 0 for g in group_names}
    for c in usable:
        sizes[group_of[c.id]] += 1
    strata = {g: c.sheet for c, g in zip(all_chars, group_names)}
    classes: dict[str, list[str]] = {g: [] for g in group_names}
    for c in validation.classifier_chars():
        classes[group_of[c.id]].append(c.char.char)
    split = split_groups(sizes, valid_fraction, seed, strata, labels=classes)

    detection_items: list[DetectionItem] = []
    skipped: list[str] = []
    for sheet in validation.sheets:
        plan = plan_regions(sheet, group_of, validation.blocked, chars_per_region, margin)
        skipped.extend(plan.skipped)
        for region, pixels, lines in progress(render_regions(sheet, plan.regions), desc=f"cut {sheet.source.name}",
                                              unit="strip", enabled=show_progress):
            detection_items.append(DetectionItem(
                stem=region.name, split=split.side(region.group), group=region.group,
                original=f"{sheet.source.image} page {region.page} x {region.x1}:{region.x2} y {region.y1}:{region.y2}",
                label_lines=tuple(lines), extension=".png", pixels=pixels))
    detection = write_detection_dataset(out, detection_items, CHAR_CLASSES, show_progress=show_progress)

    sheet_of = {s.source.name: s for s in validation.sheets}
    crop_items = [CropItem(class_index=c.class_index, split=split.side(group_of[c.id]), group=group_of[c.id],
                           original=f"{sheet_of[c.sheet].source.boxes}:{c.char.line_no}",
                           pixels=crop(sheet_of[c.sheet].pages[c.char.page], c.char.box).copy())
                  for c in validation.classifier_chars()]
    classifier = write_classifier_dataset(out, crop_items, CHAR_CLASSES, show_progress=show_progress)

    def summary(items, boxes_of) -> SplitSummary:
        return SplitSummary(
            train_samples=sum(1 for i in items if i.split == TRAIN), valid_samples=sum(1 for i in items if i.split == VALID),
            train_boxes=sum(boxes_of(i) for i in items if i.split == TRAIN),
            valid_boxes=sum(boxes_of(i) for i in items if i.split == VALID),
            train_groups=tuple(sorted({i.group for i in items if i.split == TRAIN})),
            valid_groups=tuple(sorted({i.group for i in items if i.split == VALID})))

    crops_summary = summary(crop_items, lambda i: 1)
    regions_summary = summary(detection_items, lambda i: len(i.label_lines))
    validation.report.write(out)
    (out / "split.json").write_text(json.dumps({
        "dataset": "ocr-chars", "source": str(Path(src).resolve()), "sheets": [s.source.name for s in validation.sheets],
        "seed": seed, "valid_fraction": valid_fraction, "group_by": group_by,
        "lines_per_group": lines_per_group if group_by == "lines" else None,
        "chars_per_region": chars_per_region, "margin": margin,
        "crops": {"train": crops_summary.train_samples, "valid": crops_summary.valid_samples,
                  "per_class": classifier.per_class},
        "regions": {"train": regions_summary.train_samples, "valid": regions_summary.valid_samples,
                    "train_chars": regions_summary.train_boxes, "valid_chars": regions_summary.valid_boxes,
                    "skipped": skipped},
        "train_groups": list(split.train_groups), "valid_groups": list(split.valid_groups),
    }, indent=2) + "\n")
    return CharsBuild(report=validation.report, split=split, crops=crops_summary, regions=regions_summary,
                      skipped_regions=tuple(skipped), detection=detection, classifier=classifier)
