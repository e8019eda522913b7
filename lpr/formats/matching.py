"""Fit a recognizer's per-character candidates to the plate formats of `rules`.

For each template of the right length (allowed countries only), each position takes the best
candidate its class allows; where none is allowed, a visual confusion may stand in (a read 0
taken for O, at a penalty). Per template:

    evidence = geometric mean of the chosen probabilities  x  gap agreement (when gaps given)
    score    = evidence x prior (the template's share of its country, to a small power)

The best score wins; ties go to the earlier rule (Belgium first). A reading that needs changes
(a lower-ranked candidate or a confusion swap) never wins over one that needs none and has as
much evidence, and when changed readings tie on evidence but disagree on the characters, none
is chosen: the caller keeps the raw text rather than a guess.
"""
# lpr-build: compiled (this file, as it is, by Cython: CMakeLists.txt, "compiled Python")
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

from lpr.formats import rules
from lpr.formats.rules import Segment, Template

Candidates = Sequence[Sequence[tuple[str, float]]]
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class FormatMatch:
    """A reading fitted to a plate format.

    `text`: as the country writes it (``1-ABC-234``, ``AB-123-CD``, ``B-MW 1234``, ``AB12 CDE``);
    `compact`: its letters and digits only; `format`: the layout's name (``be:N-LLL-DDD``);
    `score` in [0, 1]; `chars`: the character chosen per position; `changed`: the positions
    where a lower-ranked candidate or a confusion swap was used; `swaps`: those of `changed`
    that are confusion swaps.
    """

    text: str
    compact: str
    country: str
    format: str
    score: float
    chars: tuple[str, ...]
    changed: tuple[int, ...] = ()
    swaps: tuple[int, ...] = ()
    evidence: float = 0.0


def normalize(text: str) -> str:
    """Uppercase letters and digits only: ``"1-abc 234"`` -> ``"1ABC234"``."""
    return "".join(c for c in text.upper() if c.isascii() and c.isalnum())


def fold_confusions(text: str) -> str:
    """Uppercase, with O read as 0 and I as 1 (the confusions evaluation forgives); other
    characters, separators included, are kept: use ``fold_confusions(normalize(t))`` to compare
    compact texts."""
    return "".join(rules.FOLD.get(c, c) for c in text.upper())


def clean_candidates(text: str, probability: float = 1.0) -> list[list[tuple[str, float]]]:
    """One candidate per character of `text` (separators dropped), all at `probability`."""
    return [[(c, probability)] for c in normalize(text)]


def gaps_from_boxes(boxes: Sequence[Box]) -> list[float]:
    """The gap after each character but the last, in character heights: (next x1 - this x2)
    over the pair's mean height; infinite where the next character starts a new row (its top
    below this one's vertical centre)."""
    gaps = []
    for (x1, y1, x2, y2), (u1, v1, u2, v2) in zip(boxes, boxes[1:]):
        height = max(((y2 - y1) + (v2 - v1)) / 2.0, 1e-6)
        if v1 > (y1 + y2) / 2.0 and u1 < x2:
            gaps.append(math.inf)
        else:
            gaps.append((u1 - x2) / height)
    return gaps


# --------------------------------------------------------------------------- per position

class _Option(NamedTuple):      # (a tuple: made by the thousand per plate, faster than a dataclass)
    char: str
    probability: float
    rank: int          # of the candidate it comes from
    swap: bool         # a confusion stand-in

    @property
    def changed(self) -> bool:
        return self.rank > 0 or self.swap


def _position_options(candidates: Sequence[tuple[str, float]]) -> Mapping[str, _Option]:
    """_options of one position's candidates, kept for the next readings that share them (the
    reader matches several segmentations of a plate, which share most of their characters)."""
    try:
        key = candidates if type(candidates) is tuple else tuple((c, p) for c, p in candidates)
        hash(key)
    except TypeError:           # unhashable candidates: nothing to keep
        return _options(candidates)
    return _kept_options(key)


@lru_cache(maxsize=4096)
def _kept_options(candidates: tuple[tuple[str, float], ...]) -> Mapping[str, _Option]:
    return MappingProxyType(_options(candidates))


def _options(candidates: Sequence[tuple[str, float]]) -> dict[str, _Option]:
    """char -> the best way this position can be read as that char."""
    best: dict[str, tuple[tuple, _Option]] = {}
    order = 0
    for rank, (char, probability) in enumerate(candidates):
        readings = _readings_of(str(char))
        if not readings:
            continue
        p = min(max(float(probability), 0.0), 1.0)
        if not p > rules.PROBABILITY_EPS:       # also drops NaN
            continue
        for stand_in, penalty, swap in readings:
            # higher probability first; then the earlier candidate, direct before stand-in
            key = (-(p * penalty), rank, swap, order)
            order += 1
            if stand_in not in best or key < best[stand_in][0]:
                best[stand_in] = (key, _Option(stand_in, p * penalty, rank, swap))
    return {c: o for c, (_, o) in best.items()}


@lru_cache(maxsize=1024)
def _readings_of(char: str) -> tuple[tuple[str, float, bool], ...]:
    """What a candidate `char` may be read as, (char, penalty, swap): itself, uppercased, then
    its confusion stand-ins (rules.CONFUSIONS); none for anything but one ASCII letter or digit."""
    char = char.upper()
    if len(char) != 1 or not (char.isascii() and char.isalnum()):
        return ()
    return ((char, 1.0, False),) + tuple((d, q, True) for d, q in rules.CONFUSIONS.get(char, ()))


@lru_cache(maxsize=None)
def _option_set(segment: Segment) -> frozenset[str]:
    return frozenset(segment.options)


def _fill(template: Template, table: Sequence[Mapping[str, _Option]], memo: dict):
    """The best characters for `template` and their options, or None when some position has
    nothing its class allows. `memo` holds each (position, segment)'s answer for this `table`:
    templates share most of their segments."""
    chosen: list[_Option] = []
    at = 0
    for segment in template.segments:
        key = (at, id(segment))      # segments live as long as the cached templates
        if key not in memo:
            memo[key] = _fill_segment(segment, table, at)
        best = memo[key]
        if best is None:
            return None
        chosen.extend(best)
        at += segment.width
    return chosen


def _fill_segment(segment: Segment, table: Sequence[Mapping[str, _Option]], at: int) -> list[_Option] | None:
    """The best options for `segment` placed at position `at`, or None when it cannot be filled."""
    if segment.width == 1:
        allowed = _option_set(segment)
        found = [o for c, o in table[at].items() if c in allowed]
        if not found:
            return None
        return [min(found, key=lambda o: (-o.probability, o.rank, o.swap, o.char))]
    best = None
    here = table[at]
    for code in segment.options:     # code order breaks ties
        if code[0] not in here:      # (most codes: a position offers a few characters)
            continue
        opts = [table[at + k].get(ch) for k, ch in enumerate(code)]
        if any(o is None for o in opts):
            continue
        log_p = sum(math.log(o.probability) for o in opts)
        if best is None or log_p > best[0]:
            best = (log_p, opts)
    return None if best is None else best[1]


def _big_gaps(gaps: Sequence[float], length: int) -> frozenset[int]:
    inner = [float(g) for g in gaps[:length - 1]]
    finite = sorted(g for g in inner if math.isfinite(g))
    median = finite[(len(finite) - 1) // 2] if finite else 0.0     # the lower median
    threshold = max(rules.BIG_GAP, rules.BIG_GAP_RATIO * median)
    return frozenset(i for i, g in enumerate(inner) if g >= threshold)


def _gap_factor(template: Template, big: frozenset[int] | None) -> float:
    if big is None:
        return 1.0
    union = template.breaks | big
    agreement = len(template.breaks & big) / len(union) if union else 1.0
    return 1.0 - rules.GAP_WEIGHT * (1.0 - agreement)


# --------------------------------------------------------------------------- matching

def match_all(candidates: Candidates, *, countries: Sequence[str] | None = None,
              gaps: Sequence[float] | None = None, tall_plate: bool = False,
              top_band: bool | None = None) -> list[FormatMatch]:
    """Every template's best reading (one per distinct text), best first; ties in rule order.
    No floor, no tie rule: `match_plate` applies those."""
    length = len(candidates)
    if gaps is not None and len(gaps) not in (length - 1, length):
        raise ValueError(f"{len(gaps)} gaps for {length} characters (want {length - 1} or {length})")
    rows = None
    if tall_plate:      # the text rows the gaps show (infinite gaps are row breaks); 0: not known
        rows = 0 if gaps is None else 1 + sum(math.isinf(float(g)) for g in gaps[:length - 1])
    found = rules.templates_for(length, countries, tall_rows=rows, top_band=top_band)
    if not found or length == 0:
        return []
    table = [_position_options(position) for position in candidates]
    big = None if gaps is None else _big_gaps(gaps, length)
    max_swaps = max(1, int(rules.MAX_SWAP_FRACTION * length + 0.5))
    matches: dict[str, tuple[tuple, FormatMatch]] = {}
    memo: dict = {}
    for template in found:
        chosen = _fill(template, table, memo)
        if chosen is None:
            continue
        swaps = tuple(i for i, o in enumerate(chosen) if o.swap)
        if len(swaps) > max_swaps:
            continue
        mean_log = sum(math.log(o.probability) for o in chosen) / length
        evidence = math.exp(mean_log) * _gap_factor(template, big)
        score = min(1.0, max(0.0, evidence * template.prior))
        chars = tuple(o.char for o in chosen)
        text = template.text(chars)
        match = FormatMatch(text=text, compact="".join(chars), country=template.country,
                            format=template.name, score=score, chars=chars,
                            changed=tuple(i for i, o in enumerate(chosen) if o.changed),
                            swaps=swaps, evidence=evidence)
        key = (-score, template.order)
        if text not in matches or key < matches[text][0]:
            matches[text] = (key, match)
    return [m for _, m in sorted(matches.values(), key=lambda item: item[0])]


def match_plate(candidates: Candidates, *, countries: Sequence[str] | None = None,
                gaps: Sequence[float] | None = None, floor: float = rules.DEFAULT_FLOOR,
                tall_plate: bool = False, top_band: bool | None = None) -> FormatMatch | None:
    """The best format reading of `candidates` (per character, left to right, two-row plates
    top row first: ``[(char, probability), ...]`` best first), or None when no format of these
    `countries` (default: rules.default_countries()) fits the length, every fit scores below `floor`, or
    readings that need changes tie on evidence and disagree (the caller then keeps the raw
    text). `gaps`: the horizontal gap after each character in character heights (see
    `gaps_from_boxes`); big gaps where a format draws separators add a small bonus.
    `tall_plate`: the plate is seen to be tall (rules.TALL_PLATE: a US or Brazilian plate, or a
    two-row one), so only layouts drawn on tall plates with as many text rows as the gaps show
    are tried: a one-row US plate is not read as a European layout. `top_band`: whether the
    plate shows a band across its top (lpr.plate_band.has_mercosur_band); False leaves out the
    layouts drawn only on such plates (Mercosur), None (not known: a grayscale image) does not."""
    ranked = [m for m in match_all(candidates, countries=countries, gaps=gaps, tall_plate=tall_plate,
                                   top_band=top_band) if m.score >= floor]
    if not ranked:
        return None
    best = ranked[0]
    if not best.changed:
        return best
    tied = [m for m in ranked if m.evidence >= best.evidence * (1.0 - rules.TIE_TOLERANCE)]
    unchanged = [m for m in tied if not m.changed]
    if unchanged:
        return unchanged[0]
    if len({m.compact for m in tied}) > 1:
        return None
    return best
