"""Cutting character sheets into small strips for a character detector.

A sheet is thousands of pixels wide with a hundred characters per line: far too wide for a
detector's input. Each text line is cut into runs of `chars_per_region` consecutive characters;
a region image is the union of their boxes plus `margin` pixels (kept inside the page). Parts of
other characters that fall inside the region (the neighbouring run, the lines above and below) are
painted with the sheet's paper colour, except where they overlap the region's own boxes, so every
visible character is labelled. A run holding a character the validator left out (unknown label,
box out of bounds, ...) is not used: its image would show an unlabelled or mislabelled glyph.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from lpr.data.boxes import Box, yolo_line
from lpr.data.darknet_layout import safe_name
from lpr.data.validate import CharSample, SheetChars


@dataclass(frozen=True)
class CharRegion:
    name: str
    sheet: str
    group: str
    page: int
    x1: int
    y1: int
    x2: int
    y2: int
    chars: tuple[CharSample, ...]


@dataclass(frozen=True)
class RegionPlan:
    regions: tuple[CharRegion, ...]
    skipped: tuple[str, ...]       # names of runs left out because they hold excluded characters


_STRIP_NAME = re.compile(r"^(?P<sheet>.+)_L\d{4}_R\d{3}$")


def sheet_of_strip(stem: str) -> str | None:
    """The sheet a character strip image came from, read from its file stem as plan_regions
    names it (`<sheet>_L0003_R001` -> `<sheet>`); None for another name."""
    found = _STRIP_NAME.match(stem)
    return found["sheet"] if found else None


def plan_regions(sheet: SheetChars, group_of: Mapping[str, str], blocked: Collection[str],
                 chars_per_region: int = 8, margin: int = 4) -> RegionPlan:
    if chars_per_region < 1:
        raise ValueError("chars_per_region must be >= 1")
    by_line: dict[int, list[CharSample]] = defaultdict(list)
    for sample in sheet.chars:
        by_line[sample.text_line].append(sample)
    regions, skipped = [], []
    for line, samples in sorted(by_line.items()):
        for run, start in enumerate(range(0, len(samples), chars_per_region)):
            chars = tuple(samples[start:start + chars_per_region])
            name = safe_name(f"{sheet.source.name}_L{line:04d}_R{run:03d}")
            if any(c.id in blocked for c in chars):
                skipped.append(name)
                continue
            page = sheet.pages[chars[0].char.page]
            h, w = page.shape[:2]
            x1 = max(0, int(min(c.char.box.x1 for c in chars)) - margin)
            y1 = max(0, int(min(c.char.box.y1 for c in chars)) - margin)
            x2 = min(w, int(max(c.char.box.x2 for c in chars)) + margin)
            y2 = min(h, int(max(c.char.box.y2 for c in chars)) + margin)
            groups = {group_of[c.id] for c in chars}
            if len(groups) != 1:
                raise ValueError(f"strip {name} spans split groups {sorted(groups)}")
            regions.append(CharRegion(name, sheet.source.name, groups.pop(), chars[0].char.page,
                                      x1, y1, x2, y2, chars))
    return RegionPlan(tuple(regions), tuple(skipped))


def render_regions(sheet: SheetChars, regions: Iterable[CharRegion]
                   ) -> Iterator[tuple[CharRegion, np.ndarray, list[str]]]:
    """Each region's pixels (foreign characters painted over) and YOLO lines (36 classes)."""
    ids = [c.id for c in sheet.chars]
    pages = np.array([c.char.page for c in sheet.chars], dtype=np.int64)
    coords = np.array([[c.char.box.x1, c.char.box.y1, c.char.box.x2, c.char.box.y2]
                       for c in sheet.chars], dtype=np.float64).reshape(-1, 4)
    for region in regions:
        page = sheet.pages[region.page]
        pixels = page[region.y1:region.y2, region.x1:region.x2].copy()
        own_ids = {c.id for c in region.chars}
        hits = np.nonzero((pages == region.page) & (coords[:, 0] < region.x2) & (coords[:, 2] > region.x1)
                          & (coords[:, 1] < region.y2) & (coords[:, 3] > region.y1))[0]
        foreign = np.zeros(pixels.shape[:2], dtype=bool)
        for k in hits:
            if ids[k] in own_ids:
                continue
            x1, y1, x2, y2 = (int(v) for v in coords[k])
            foreign[max(0, y1 - region.y1):max(0, y2 - region.y1), max(0, x1 - region.x1):max(0, x2 - region.x1)] = True
        for c in region.chars:
            b = c.char.box
            foreign[int(b.y1) - region.y1:int(b.y2) - region.y1, int(b.x1) - region.x1:int(b.x2) - region.x1] = False
        pixels[foreign] = sheet.backgrounds[region.page]
        width, height = region.x2 - region.x1, region.y2 - region.y1
        lines = []
        for c in region.chars:
            if c.class_index is None:
                raise ValueError(f"{c.id}: character {c.char.char!r} has no class (validate first)")
            box: Box = c.char.box.shifted(-region.x1, -region.y1)
            lines.append(yolo_line(box, c.class_index, width, height))
        yield region, pixels, lines
