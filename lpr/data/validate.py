"""Validation passes over ro-plates and ocr-chars: every problem is listed, bad samples left out.

Checks (thresholds in `ValidationConfig`):
- missing image / missing annotation, unreadable image (or truncated JPEG) / annotation, invalid
  annotation fields (missing, non-numeric), annotation size different from the image's real size;
- unknown labels; boxes beyond the image by more than `bounds_tolerance_px`; zero area (width or
  height <= 0) or tiny boxes (width or height < `min_box_px`);
- duplicate images (same file bytes; for character crops, same pixels); duplicate boxes within
  one image (IoU >= `duplicate_iou`);
- blank images (grayscale std < `blank_std`: black frames) and blank character boxes (no pixel
  darker or lighter than the sheet's paper by `ink_levels`).

A plate frame is one sample: one bad box leaves the whole frame out (dropping only the box would
teach the detector that a plate is background). A character is one sample. Of a set of duplicate
images (among those without other problems) the first one in sorted order is kept. Nothing is
clipped or otherwise repaired.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lpr.data.boxes import Box, iou
from lpr.data.images import ImageFacts, UnreadableImage, pixel_hash, read_image_facts
from lpr.data.issues import Issue, IssueKind, ValidationReport
from lpr.data.ocr_sheets import SheetSource, discover_sheets
from lpr.data.progress import progress
from lpr.data.ro_plates import PlateSource, discover_plate_sources, frame_time, video_id
from lpr.data.tesseract_boxes import (CHAR_CLASSES, BoxFile, CharBox, char_class_index, crop,
                                      load_pages, page_background, read_box_file, text_lines,
                                      to_top_left)
from lpr.data.voc import VocProblem, parse_voc

PLATE_CLASSES: tuple[str, ...] = ("license-plate",)


@dataclass(frozen=True)
class ValidationConfig:
    bounds_tolerance_px: float = 1.0
    min_box_px: float = 4.0
    duplicate_iou: float = 0.9
    blank_std: float = 1.0
    ink_levels: int = 64


# --------------------------------------------------------------------------- generic checks

def box_problems(box: Box, width: float, height: float, known_labels: Iterable[str],
                 config: ValidationConfig) -> list[tuple[IssueKind, str]]:
    """(kind, detail) for each problem of one box in a width x height image."""
    problems: list[tuple[IssueKind, str]] = []
    where = f"{box.label!r} ({box.x1:g},{box.y1:g})-({box.x2:g},{box.y2:g})"
    if box.label not in known_labels:
        problems.append((IssueKind.UNKNOWN_LABEL, f"label {box.label!r}"))
    tol = config.bounds_tolerance_px
    if box.x1 < -tol or box.y1 < -tol or box.x2 > width + tol or box.y2 > height + tol:
        problems.append((IssueKind.OUT_OF_BOUNDS, f"{where} outside {width:g}x{height:g}"))
    if box.width <= 0 or box.height <= 0:
        problems.append((IssueKind.ZERO_AREA, f"{where} is {box.width:g}x{box.height:g}"))
    elif box.width < config.min_box_px or box.height < config.min_box_px:
        problems.append((IssueKind.TINY_BOX, f"{where} is {box.width:g}x{box.height:g}, "
                                             f"under {config.min_box_px:g} px"))
    return problems


def duplicate_box_pairs(boxes: Sequence[Box], min_iou: float) -> list[tuple[int, int, float]]:
    """Pairs (i, j, iou), i < j, of boxes overlapping by at least `min_iou` (labels ignored).

    A sweep over boxes sorted by x1 compares only boxes that overlap horizontally, so a sheet of
    thousands of characters stays fast.
    """
    order = sorted(range(len(boxes)), key=lambda k: boxes[k].x1)
    pairs = []
    for pos, i in enumerate(order):
        a = boxes[i]
        for j in order[pos + 1:]:
            b = boxes[j]
            if b.x1 >= a.x2:
                break
            value = iou(a, b)
            if value >= min_iou:
                pairs.append((min(i, j), max(i, j), value))
    return sorted(pairs)


def duplicate_issues(hashes: Sequence[tuple[str, str]], has_other_problem: Callable[[str], bool],
                     what: str = "bytes") -> list[Issue]:
    """DUPLICATE_IMAGE issues for (subject, hash) pairs in order.

    Only subjects without another problem take part (a copy of an excluded sample excludes
    nothing more): per hash, the first of them is kept and every later one is listed as its copy.
    """
    by_hash: dict[str, list[str]] = defaultdict(list)
    for subject, digest in hashes:
        if not has_other_problem(subject):
            by_hash[digest].append(subject)
    issues = []
    for subjects in by_hash.values():
        issues.extend(Issue(IssueKind.DUPLICATE_IMAGE, s, f"same {what} as {subjects[0]}")
                      for s in subjects[1:])
    return issues


def _merge(subject: str, problems: Iterable[tuple[IssueKind, str]]) -> list[Issue]:
    """One issue per kind for a subject, details joined."""
    grouped: dict[IssueKind, list[str]] = defaultdict(list)
    for kind, detail in problems:
        grouped[kind].append(detail)
    return [Issue(kind, subject, "; ".join(details)) for kind, details in grouped.items()]


def _report(dataset: str, source: Path, checked: int, kept: int, issues: list[Issue],
            notes: list[str]) -> ValidationReport:
    return ValidationReport(dataset=dataset, source=str(source), checked=checked, kept=kept,
                            issues=tuple(issues), notes=tuple(notes))


# --------------------------------------------------------------------------- ro-plates

@dataclass(frozen=True)
class PlateSample:
    id: str
    stem: str
    subset: str
    image: Path
    annotation: Path
    width: int
    height: int
    boxes: tuple[Box, ...]
    video: str
    time: float | None


@dataclass(frozen=True)
class PlateValidation:
    samples: tuple[PlateSample, ...]      # kept samples only, sorted by id
    report: ValidationReport


def _check_plate(source: PlateSource, class_names: Sequence[str], config: ValidationConfig
                 ) -> tuple[list[Issue], ImageFacts | None, tuple[Box, ...]]:
    if source.image is None:
        return [Issue(IssueKind.MISSING_IMAGE, source.id, f"{source.annotation.name} has no image")], None, ()
    problems: list[tuple[IssueKind, str]] = []
    facts: ImageFacts | None = None
    try:
        facts = read_image_facts(source.image)
    except UnreadableImage as exc:
        problems.append((IssueKind.UNREADABLE_IMAGE, str(exc)))
    if source.annotation is None:
        problems.append((IssueKind.MISSING_ANNOTATION, f"{source.image.name} has no annotation"))
        return _merge(source.id, problems), facts, ()
    parsed = parse_voc(source.annotation)
    if isinstance(parsed, VocProblem):
        problems.append((parsed.kind, parsed.message))
        return _merge(source.id, problems), facts, ()
    if facts is None:
        return _merge(source.id, problems), facts, parsed.boxes
    if (parsed.width, parsed.height) != (None, None) and (parsed.width, parsed.height) != (facts.width, facts.height):
        problems.append((IssueKind.SIZE_MISMATCH, f"annotation says {parsed.width}x{parsed.height}, "
                                                  f"image is {facts.width}x{facts.height}"))
    if facts.gray_std < config.blank_std:
        problems.append((IssueKind.BLANK_IMAGE, f"grayscale std {facts.gray_std:.2f}"))
    for box in parsed.boxes:
        problems.extend(box_problems(box, facts.width, facts.height, class_names, config))
    for i, j, value in duplicate_box_pairs(parsed.boxes, config.duplicate_iou):
        problems.append((IssueKind.DUPLICATE_BOX, f"boxes {i} and {j} overlap with IoU {value:.3f}"))
    issues = _merge(source.id, problems)
    if not parsed.boxes:
        issues.append(Issue(IssueKind.NO_OBJECTS, source.id, "no boxes: kept as a negative frame",
                            excluded=False))
    return issues, facts, parsed.boxes


def validate_plates(src: Path | str, config: ValidationConfig = ValidationConfig(),
                    class_names: Sequence[str] = PLATE_CLASSES, show_progress: bool = True
                    ) -> PlateValidation:
    """Check every frame of a ro-plates style folder (see `lpr.data.ro_plates`)."""
    src = Path(src)
    sources, notes = discover_plate_sources(src)
    issues: list[Issue] = []
    facts_of: dict[str, ImageFacts] = {}
    boxes_of: dict[str, tuple[Box, ...]] = {}
    for source in progress(sources, desc="validate frames", unit="frame", enabled=show_progress):
        found, facts, boxes = _check_plate(source, class_names, config)
        issues.extend(found)
        if facts is not None:
            facts_of[source.id] = facts
        boxes_of[source.id] = boxes
    bad = {i.subject for i in issues if i.excluded}
    issues.extend(duplicate_issues([(s.id, facts_of[s.id].sha256) for s in sources if s.id in facts_of],
                                   lambda subject: subject in bad))
    issues.sort(key=lambda i: (i.subject, i.kind.value))
    excluded = {i.subject for i in issues if i.excluded}
    samples = tuple(
        PlateSample(id=s.id, stem=s.stem, subset=s.subset, image=s.image, annotation=s.annotation,
                    width=facts_of[s.id].width, height=facts_of[s.id].height, boxes=boxes_of[s.id],
                    video=video_id(s.stem), time=frame_time(s.stem))
        for s in sources if s.id not in excluded)
    report = _report("ro-plates", src, len(sources), len(samples), issues, notes)
    return PlateValidation(samples=samples, report=report)


# --------------------------------------------------------------------------- ocr-chars

@dataclass(frozen=True)
class CharSample:
    id: str                     # "<sheet>:<box-file line number>"
    sheet: str
    char: CharBox
    class_index: int | None
    text_line: int              # line of text on the sheet (see tesseract_boxes.text_lines)


@dataclass(frozen=True)
class SheetChars:
    source: SheetSource
    pages: tuple[np.ndarray, ...]
    backgrounds: tuple[int, ...]
    chars: tuple[CharSample, ...]          # every character with a usable page, reading order


@dataclass(frozen=True)
class CharValidation:
    sheets: tuple[SheetChars, ...]         # readable, non-duplicate sheets
    blocked: frozenset[str]                # character ids with label / box problems: used nowhere
    crop_excluded: frozenset[str]          # duplicate crops: left out of the classifier crops only
    report: ValidationReport

    def classifier_chars(self) -> list[CharSample]:
        out = self.blocked | self.crop_excluded
        return [c for s in self.sheets for c in s.chars if c.id not in out]


def _load_sheet(sheet: SheetSource) -> tuple[list[Issue], tuple[np.ndarray, ...], BoxFile | None, str | None]:
    """Sheet-level problems, its pages, its parsed box file and the tif's bytes hash."""
    import hashlib

    issues: list[Issue] = []
    if sheet.image is None:
        issues.append(Issue(IssueKind.MISSING_IMAGE, sheet.name, f"{sheet.boxes.name} has no tif"))
    if sheet.boxes is None:
        issues.append(Issue(IssueKind.MISSING_ANNOTATION, sheet.name, f"{sheet.image.name} has no .box file"))
    if issues:
        return issues, (), None, None
    pages: tuple[np.ndarray, ...] = ()
    digest = None
    try:
        pages = load_pages(sheet.image)
        digest = hashlib.sha256(sheet.image.read_bytes()).hexdigest()
    except (UnreadableImage, OSError) as exc:
        issues.append(Issue(IssueKind.UNREADABLE_IMAGE, sheet.name, str(exc)))
    box_file = None
    try:
        box_file = read_box_file(sheet.boxes)
    except (OSError, UnicodeDecodeError) as exc:
        issues.append(Issue(IssueKind.UNREADABLE_ANNOTATION, sheet.name, f"{sheet.boxes.name}: {exc}"))
    return issues, pages, box_file, digest


def validate_chars(src: Path | str, select: Sequence[str] | None = None,
                   config: ValidationConfig = ValidationConfig(), show_progress: bool = True
                   ) -> CharValidation:
    """Check every character box of the selected sheets (see `lpr.data.ocr_sheets`)."""
    src = Path(src)
    sources = discover_sheets(src, select)
    issues: list[Issue] = []
    notes: list[str] = []
    sheets: list[SheetChars] = []
    sheet_hashes: list[tuple[str, str]] = []
    crop_hashes: list[tuple[str, str]] = []
    checked = 0
    loaded = []
    for source in progress(sources, desc="read sheets", unit="sheet", enabled=show_progress):
        sheet_issues, pages, box_file, digest = _load_sheet(source)
        issues.extend(sheet_issues)
        if not sheet_issues and box_file is not None:
            loaded.append((source, pages, box_file))
            sheet_hashes.append((source.name, digest))
    duplicate_sheets = duplicate_issues(sheet_hashes, lambda _: False)
    issues.extend(duplicate_sheets)
    skipped = {i.subject for i in duplicate_sheets}
    for source, pages, box_file in loaded:
        if source.name in skipped:
            continue
        char_issues: list[Issue] = []
        for problem in box_file.problems:
            char_issues.append(Issue(IssueKind.INVALID_ANNOTATION, f"{source.name}:{problem.line_no}",
                                     f"{problem.message}: {problem.text!r}"))
        chars: list[CharBox] = []
        for entry in box_file.entries:
            if not 0 <= entry.page < len(pages):
                char_issues.append(Issue(IssueKind.INVALID_ANNOTATION, f"{source.name}:{entry.line_no}",
                                         f"page {entry.page}, but the tif has {len(pages)} page(s)"))
            else:
                chars.append(to_top_left(entry, pages[entry.page].shape[0]))
        checked += len(box_file.problems) + len(box_file.entries)
        backgrounds = tuple(page_background(p) for p in pages)
        lines = text_lines(chars)
        samples = tuple(CharSample(f"{source.name}:{cb.line_no}", source.name, cb,
                                   char_class_index(cb.char), line) for cb, line in zip(chars, lines))
        by_page: dict[int, list[CharSample]] = defaultdict(list)
        for sample in progress(samples, desc=f"check {source.name}", unit="char", enabled=show_progress):
            by_page[sample.char.page].append(sample)
            page = pages[sample.char.page]
            box = sample.char.box
            problems = box_problems(box, page.shape[1], page.shape[0], CHAR_CLASSES, config)
            if sample.class_index is None and box.label.upper() in CHAR_CLASSES:
                problems = [(k, f"{d} (lowercase is not folded to uppercase)") if k is IssueKind.UNKNOWN_LABEL
                            else (k, d) for k, d in problems]
            if not any(k in (IssueKind.OUT_OF_BOUNDS, IssueKind.ZERO_AREA) for k, _ in problems):
                pixels = crop(page, box)
                background = backgrounds[sample.char.page]
                if pixels.size and int(np.abs(pixels.astype(np.int16) - background).max()) < config.ink_levels:
                    problems.append((IssueKind.BLANK_IMAGE, f"no ink in {box.width:g}x{box.height:g} box"))
                crop_hashes.append((sample.id, pixel_hash(pixels)))
            char_issues.extend(_merge(sample.id, problems))
        overlapping: dict[str, list[tuple[IssueKind, str]]] = defaultdict(list)
        for page_samples in by_page.values():
            pairs = duplicate_box_pairs([s.char.box for s in page_samples], config.duplicate_iou)
            for i, j, value in pairs:
                a, b = page_samples[i], page_samples[j]
                overlapping[a.id].append((IssueKind.DUPLICATE_BOX, f"IoU {value:.3f} with {b.id}"))
                overlapping[b.id].append((IssueKind.DUPLICATE_BOX, f"IoU {value:.3f} with {a.id}"))
        for subject, found in overlapping.items():
            char_issues.extend(_merge(subject, found))
        issues.extend(char_issues)
        sheets.append(SheetChars(source, pages, backgrounds, samples))
    blocked = frozenset(i.subject for i in issues if i.excluded)
    crop_duplicates = duplicate_issues(crop_hashes, lambda subject: subject in blocked, what="pixels")
    issues.extend(crop_duplicates)
    crop_excluded = frozenset(i.subject for i in crop_duplicates) - blocked
    notes.append(f"{len(sheets)} sheet(s) read: " + ", ".join(
        f"{s.source.name} ({len(s.chars)} chars, {len(s.pages)} page(s))" for s in sheets))
    if crop_excluded:
        notes.append(f"{len(crop_excluded)} character(s) are pixel-for-pixel copies of earlier ones: left out "
                     "of the classifier crops, still labelled in the detection regions")
    kept = sum(1 for s in sheets for c in s.chars if c.id not in blocked and c.id not in crop_excluded)
    report = _report("ocr-chars", src, checked, kept, issues, notes)
    return CharValidation(sheets=tuple(sheets), blocked=blocked, crop_excluded=crop_excluded, report=report)
