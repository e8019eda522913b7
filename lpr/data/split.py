"""Seeded, grouped train/valid split: a group never lands on both sides.

Groups (the unit that moves as a whole):
- ro-plates, `video` (default): the source video (`dayride_type1_001.mp4`); frames of one video
  share cars, plates, light and camera, so a frame in valid whose neighbour is in train measures
  memory, not generalization.
- ro-plates, `scene`: a run of frames of one video whose timestamps are at most `scene_gap`
  seconds apart. Finer than videos (the dataset has only four videos), still keeps the frames of
  one passing car together; each video is then split on its own (stratified) so day and night
  appear on both sides.
- ocr-chars, `strip` (default): a run of consecutive characters of one text line, the same run
  that becomes one detection strip (`run_groups`); neighbouring glyphs, which on these sheets
  often share a plate style or a font run, stay together. Each sheet is split on its own.
- ocr-chars, `lines`: a block of `lines_per_group` consecutive text lines (`line_block_groups`).
  Stricter, but six of the seven sheets are sorted by class (a line of 1s, then of 2s, ...), so
  whole lines leave a third of the 36 classes out of valid.

How: every group gets a rank, sha256(seed, group name); groups are taken in rank order into
valid whenever that brings valid's size (frames, characters) closer to `valid_fraction` of the
total. For characters, a coverage pass runs first: each class that is the most frequent one in at
least five groups of a sheet puts the first-ranked of them into valid (see `split_groups`). The result depends only on
the seed and on the groups, their sizes and classes (not on the order they are given in).
The fraction is met as closely as whole groups allow: with four videos of 384, 38, 28 and 82
frames, the valid sizes near 10 % are 28, 38, 66 (28 + 38) or 82 frames.
"""
from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

TRAIN = "train"
VALID = "valid"


@dataclass(frozen=True)
class GroupSplit:
    seed: int
    valid_fraction: float
    train_groups: tuple[str, ...]        # sorted
    valid_groups: tuple[str, ...]        # sorted

    def side(self, group: str) -> str:
        """TRAIN or VALID; KeyError for a group the split has not seen."""
        if group in self.valid_groups:
            return VALID
        if group in self.train_groups:
            return TRAIN
        raise KeyError(group)


@dataclass(frozen=True)
class SplitSummary:
    """What ended up on each side: samples (frames, crops, strips), boxes, group names."""

    train_samples: int
    valid_samples: int
    train_boxes: int
    valid_boxes: int
    train_groups: tuple[str, ...]
    valid_groups: tuple[str, ...]

    def to_text(self, unit: str) -> str:
        return (f"train {self.train_samples} {unit} ({self.train_boxes} boxes, {len(self.train_groups)} groups), "
                f"valid {self.valid_samples} {unit} ({self.valid_boxes} boxes, {len(self.valid_groups)} groups)")


def group_rank(group: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}\x00{group}".encode()).hexdigest()


def _pick(sizes: Mapping[str, float], target: float, seed: int,
          labels: Mapping[str, Sequence[str]] | None, cover_min_groups: int) -> list[str]:
    ranked = sorted(sizes, key=lambda g: group_rank(g, seed))
    taken: list[str] = []
    total = 0.0
    if labels is not None:
        # coverage: a label that is the most frequent one of enough groups gets the first-ranked
        # of those groups into valid
        holders: dict[str, list[str]] = defaultdict(list)
        for group in ranked:
            counts = Counter(labels.get(group, ()))
            if sizes[group] > 0 and counts:
                top = max(counts.values())
                for label, n in counts.items():
                    if n == top:
                        holders[label].append(group)
        covered: set[str] = set()
        for label in sorted(holders):
            if label in covered or len(holders[label]) < cover_min_groups:
                continue
            group = holders[label][0]
            taken.append(group)
            total += sizes[group]
            covered.update(labels.get(group, ()))
    for group in ranked:
        if group not in taken and abs(total + sizes[group] - target) < abs(total - target):
            taken.append(group)
            total += sizes[group]
    return taken


def split_groups(sizes: Mapping[str, float], valid_fraction: float, seed: int,
                 strata: Mapping[str, str] | None = None,
                 labels: Mapping[str, Sequence[str]] | None = None,
                 cover_min_groups: int = 5) -> GroupSplit:
    """Split groups (name -> size) so valid holds about `valid_fraction` of the total size.

    With `strata` (group -> stratum) each stratum is split on its own. With `labels` (group ->
    the class of each of its samples), a coverage pass comes first: every class that is the most
    frequent one in at least `cover_min_groups` groups of a stratum gets the first-ranked of those
    groups into valid; then the rank-order fill goes on to the target. Valid thus holds every
    class it can without taking more than about one in `cover_min_groups` of that class's groups
    (on class-sorted sheets chance alone leaves classes out of valid). When the passes put
    nothing in valid (every group too large) and there are at least two groups, the group whose
    size is closest to the target goes to valid; train is never left empty when there are two
    groups or more.
    """
    if not 0.0 <= valid_fraction < 1.0:
        raise ValueError(f"valid_fraction must be in [0, 1), got {valid_fraction}")
    if any(size < 0 for size in sizes.values()):
        raise ValueError("group sizes must be >= 0")
    by_stratum: dict[str, dict[str, float]] = defaultdict(dict)
    for group, size in sizes.items():
        by_stratum[strata[group] if strata is not None else ""][group] = size
    valid: set[str] = set()
    if valid_fraction > 0:
        for members in by_stratum.values():
            valid.update(_pick(members, valid_fraction * sum(members.values()), seed, labels, cover_min_groups))
        nonempty = [g for g, s in sizes.items() if s > 0]
        if not valid and len(nonempty) >= 2:
            target = valid_fraction * sum(sizes.values())
            valid.add(min(nonempty, key=lambda g: (abs(sizes[g] - target), group_rank(g, seed))))
        train_nonempty = [g for g in nonempty if g not in valid]
        if not train_nonempty and len(nonempty) >= 2:
            valid.discard(max(valid, key=lambda g: group_rank(g, seed)))
    return GroupSplit(seed=seed, valid_fraction=valid_fraction,
                      train_groups=tuple(sorted(g for g in sizes if g not in valid)),
                      valid_groups=tuple(sorted(valid)))


def size_by_group(groups: Sequence[str]) -> dict[str, int]:
    """Group name -> number of samples, from one group name per sample."""
    sizes: dict[str, int] = defaultdict(int)
    for group in groups:
        sizes[group] += 1
    return dict(sizes)


# --------------------------------------------------------------------------- group keys

def video_groups(videos: Sequence[str]) -> list[str]:
    return list(videos)


def scene_groups(videos: Sequence[str], times: Sequence[float | None], scene_gap: float) -> list[str]:
    """`<video>@<n>`: frames of a video sorted by time, a new scene after a gap > `scene_gap` s.

    A frame without a time is its own scene.
    """
    result: list[str] = [""] * len(videos)
    by_video: dict[str, list[int]] = defaultdict(list)
    for index, video in enumerate(videos):
        by_video[video].append(index)
    for video, indices in by_video.items():
        timed = sorted((i for i in indices if times[i] is not None), key=lambda i: times[i])
        scene, previous = -1, None
        for i in timed:
            if previous is None or times[i] - previous > scene_gap:
                scene += 1
            result[i] = f"{video}@{scene}"
            previous = times[i]
        for n, i in enumerate(i for i in indices if times[i] is None):
            result[i] = f"{video}@untimed{n}"
    return result


def run_groups(sheets: Sequence[str], lines: Sequence[int], run_length: int) -> list[str]:
    """`<sheet>#L<line>R<run>`: runs of `run_length` consecutive characters of one text line.

    Characters are given in reading order; the n-th character of a line is in run n // run_length
    (the same runs `char_regions.plan_regions` cuts into detection strips).
    """
    if run_length < 1:
        raise ValueError("run_length must be >= 1")
    position: dict[tuple[str, int], int] = defaultdict(int)
    result = []
    for sheet, line in zip(sheets, lines):
        n = position[(sheet, line)]
        position[(sheet, line)] = n + 1
        result.append(f"{sheet}#L{line:04d}R{n // run_length:03d}")
    return result


def line_block_groups(sheets: Sequence[str], lines: Sequence[int], lines_per_group: int = 1) -> list[str]:
    """`<sheet>#L<block>`: text lines `block*lines_per_group ...` of a sheet form one group."""
    if lines_per_group < 1:
        raise ValueError("lines_per_group must be >= 1")
    return [f"{sheet}#L{line // lines_per_group:04d}" for sheet, line in zip(sheets, lines)]
