"""The plate-format rules as data: which characters may stand where, per country.

The registrations themselves are not described twice: every rule here is built from the
synthetic generator's formats (`lpr.synth.formats.FORMATS`), so the reader accepts what the
generator draws (and so what the recognizer is trained on), plus the layouts it keeps for
reading only (PlateFormat.drawn). Which countries a reader tries by default:
`default_countries`. What this module adds is what reading needs and drawing does not:

- the visual confusions the recognizer makes between a letter and a digit, with a penalty each;
- how a drawn separator is written in text (the emblem '*' of DE stickers / the SK shield is
  written '-', a row break of a two-row plate a space);
- the expansion of a layout into *templates*: a layout such as DE ``C*L{1,2} D{1,4}`` holds
  repetitions and multi-letter classes (city codes of 1-3 letters), so it is unrolled into one
  fixed-length template per choice of repetition counts and code lengths, each with a prior
  taken from the generator's weights;
- the scoring constants (prior strength, gap bonus, floor, tie tolerance).
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from lpr.synth.formats import FORMATS, PlateFormat, parse_pattern

# --------------------------------------------------------------------------- confusions

CONFUSION_PAIRS: tuple[tuple[str, str, float], ...] = (
    # (letter, digit, penalty): a read `digit` may stand for `letter` (and back) at `penalty`
    # times the read character's probability. Order matters where a character has several
    # partners (0 -> O before D before Q).
    ("O", "0", 0.5),
    ("I", "1", 0.5),
    ("B", "8", 0.4),
    ("S", "5", 0.4),
    ("Z", "2", 0.4),
    ("G", "6", 0.3),
    ("D", "0", 0.3),
    ("Q", "0", 0.2),
    ("T", "7", 0.25),
    ("A", "4", 0.25),
)


def _confusions() -> Mapping[str, tuple[tuple[str, float], ...]]:
    table: dict[str, list[tuple[str, float]]] = {}
    for letter, digit, penalty in CONFUSION_PAIRS:
        table.setdefault(letter, []).append((digit, penalty))
        table.setdefault(digit, []).append((letter, penalty))
    return {k: tuple(v) for k, v in table.items()}


CONFUSIONS: Mapping[str, tuple[tuple[str, float], ...]] = _confusions()
"""char -> ((stand-in, penalty), ...): what a read character may be taken for."""

FOLD: Mapping[str, str] = {"O": "0", "I": "1"}
"""The confusions evaluation does not count as errors (`fold_confusions`)."""

# --------------------------------------------------------------------------- text

EMBLEM_TEXT: Mapping[str, str] = {"de": "-", "sk": "-", "pl": " ", "si": " "}
"""How the drawn emblem '*' is written per country (default '-'): ``B-MW 1234``, ``BA-123AB``,
``WA 12345`` (the Polish sticker), ``LJ 12-ABC`` (the Slovenian coat of arms)."""
ROW_BREAK_TEXT = " "
"""Two-row plates are written on one line, rows joined by this (``AB12 CDE``)."""

# --------------------------------------------------------------------------- scoring

PRIOR_EXPONENT = 0.02
"""prior = P(template | country) ** PRIOR_EXPONENT: mild; it orders equally good readings (a
common layout before a rare one) but never outweighs one confusion swap."""
GAP_WEIGHT = 0.2
"""With gaps: the score is multiplied by 1 - GAP_WEIGHT * (1 - agreement), agreement being the
Jaccard overlap of the template's separator positions and the big gaps seen."""
BIG_GAP = 0.2
"""A gap (char-height units) is big when at least this ..."""
BIG_GAP_RATIO = 2.0
"""... and at least this times the lower median gap of the plate."""
DEFAULT_FLOOR = 0.25
"""Readings scoring below this are not formatted (the caller keeps the raw text)."""
TIE_TOLERANCE = 0.01
"""Readings whose evidence (score without the prior) is within this share of the best tie."""
TALL_PLATE = 3.5
"""A plate at most this many times as wide as it is tall is a tall plate: US (12x6 in) and Brazilian
(400x130 mm) plates and the two-row European ones; the one-row European plates are 3.7 (Finland)
to 4.7 (520x110 mm) times as wide. A plate seen to be tall is matched against the layouts drawn
on tall plates only (`templates_for(tall_rows=...)`)."""
MAX_SWAP_FRACTION = 0.3
"""At most round(this * length) confusion swaps in one reading (at least 1)."""
PROBABILITY_EPS = 1e-9


# --------------------------------------------------------------------------- templates

@dataclass(frozen=True)
class Segment:
    """Consecutive positions filled from one class: `width` 1 and `options` single characters
    (a digit, a letter, a restricted set), or a wider code (`options` of that width: DE city,
    RO county, SK district)."""

    width: int
    options: tuple[str, ...]


@dataclass(frozen=True)
class Template:
    """One fixed-length way a format's layout can be filled.

    `separators[i]`: the text written after position i ('' none, '-', ' '); `breaks` the
    positions followed by a drawn separator or a row break (where big gaps are expected).
    """

    name: str                     # the layout's name, e.g. "be:N-LLL-DDD"
    format_key: str               # synth format key ("be", "de-moto")
    country: str
    segments: tuple[Segment, ...]
    separators: tuple[str, ...]
    breaks: frozenset[int]
    probability: float            # P(template | country), from the generator's weights
    order: int                    # position in the rule order (Belgium first)
    plates: frozenset[tuple[int, float]] = frozenset()   # the plates it is drawn on: (text rows,
                                                         # width / height)
    top_band: bool = False        # drawn only on plates with a band across the top (Mercosur)

    @property
    def length(self) -> int:
        return len(self.separators)

    @property
    def prior(self) -> float:
        return self.probability ** PRIOR_EXPONENT

    def drawn_tall(self, rows: int | None = None) -> bool:
        """Whether the layout is drawn on a tall plate (TALL_PLATE) of `rows` text rows (any
        number: None)."""
        return any(aspect <= TALL_PLATE and rows in (None, r) for r, aspect in self.plates)

    def text(self, chars: Sequence[str]) -> str:
        return "".join(c + s for c, s in zip(chars, self.separators))


def _layout_name(fmt: PlateFormat, rows: Sequence[str]) -> str:
    return f"{fmt.key}:{'/'.join(rows)}"


def _expand_layout(fmt: PlateFormat, rows: Sequence[str]):
    """Yield (segments, separators-after-each-position, breaks, probability-within-layout)."""
    emblem = EMBLEM_TEXT.get(fmt.country, "-")
    # per row: a list of items, each ("sep", text) or ("tok", token)
    items: list[tuple[str, object]] = []
    for r, pattern in enumerate(rows):
        if r:
            items.append(("row", ROW_BREAK_TEXT))
        for token in parse_pattern(pattern):
            if token.separator is not None:
                items.append(("sep", emblem if token.separator == "*" else token.separator))
            else:
                items.append(("tok", token))
    # choices per token: (count, member lengths) with their probabilities
    per_token = []
    for kind, value in items:
        if kind != "tok":
            continue
        choices = fmt.symbol_choices(value.symbol)
        lengths: dict[int, int] = {}
        for c in choices:
            lengths[len(c)] = lengths.get(len(c), 0) + 1
        options = []
        span = value.high - value.low + 1
        for count in range(value.low, value.high + 1):
            for combo in itertools.product(sorted(lengths), repeat=count):
                p = 1.0 / span
                for w in combo:
                    p *= lengths[w] / len(choices)
                options.append((combo, p))
        per_token.append((choices, options))
    for pick in itertools.product(*(options for _, options in per_token)):
        segments: list[Segment] = []
        separators: list[str] = []
        breaks: set[int] = set()
        probability = 1.0
        t = 0
        for kind, value in items:
            if kind != "tok":
                if separators:     # a separator before the first character is not written
                    separators[-1] += value
                    breaks.add(len(separators) - 1)
                continue
            choices, _ = per_token[t]
            combo, p = pick[t]
            t += 1
            probability *= p
            for w in combo:
                segments.append(Segment(w, tuple(c for c in choices if len(c) == w)))
                separators.extend([""] * w)
        separators = [s.strip() or (" " if s else "") for s in separators]   # "- " -> "-"
        yield tuple(segments), tuple(separators), frozenset(b for b in breaks if b < len(separators) - 1), probability


@lru_cache(maxsize=None)
def templates() -> tuple[Template, ...]:
    """Every template of every format, in rule order (the generator's format order: Belgium
    first). Templates a later format would duplicate (same classes, same separators: the
    two-row DE/CZ/UK plates read like the one-row ones) are kept once, under the first, with the
    plates of them all (`Template.plates`)."""
    out: list[Template] = []
    seen: dict[tuple, None] = {}               # (country, segments, separators) of out's templates, in order
    drawn: dict[tuple, set] = {}               # ... -> the plates it is drawn on (Template.plates)
    banded: dict[tuple, bool] = {}             # ... -> whether all of them have a top band
    shared: dict[Segment, Segment] = {}        # one object per distinct segment (matching memoises by id)
    by_country: dict[str, float] = {}
    for fmt in FORMATS:
        by_country[fmt.country] = by_country.get(fmt.country, 0.0) + fmt.weight
    for fmt in FORMATS:
        format_share = fmt.weight / by_country[fmt.country]
        layout_total = sum(layout.weight for layout in fmt.layouts)
        expanded = []
        for layout in fmt.layouts:
            name = _layout_name(fmt, layout.rows)
            layout_share = layout.weight / layout_total
            for segments, separators, breaks, p in _expand_layout(fmt, layout.rows):
                if fmt.max_chars is not None and len(separators) > fmt.max_chars:
                    continue
                expanded.append((name, segments, separators, breaks, format_share * layout_share * p,
                                 len(layout.rows)))
        total = sum(e[4] for e in expanded)           # the generator resamples past max_chars
        kept = format_share / total if total else 0.0
        for name, segments, separators, breaks, p, rows in expanded:
            key = (fmt.country, segments, separators)
            drawn.setdefault(key, set()).add((rows, fmt.size_mm[0] / fmt.size_mm[1]))
            banded[key] = banded.get(key, True) and fmt.top_strip is not None
            if key in seen:
                continue
            seen[key] = None
            segments = tuple(shared.setdefault(segment, segment) for segment in segments)
            out.append(Template(name=name, format_key=fmt.key, country=fmt.country, segments=segments,
                                separators=separators, breaks=breaks, probability=p * kept,
                                order=len(out)))
    return tuple(replace(t, plates=frozenset(drawn[key]), top_band=banded[key]) for key, t in zip(seen, out))


@lru_cache(maxsize=None)
def _by_country_and_length() -> Mapping[tuple[str, int], tuple[Template, ...]]:
    table: dict[tuple[str, int], list[Template]] = {}
    for t in templates():
        table.setdefault((t.country, t.length), []).append(t)
    return {k: tuple(v) for k, v in table.items()}


def countries() -> tuple[str, ...]:
    """The country codes with rules, in rule order."""
    return tuple(dict.fromkeys(t.country for t in templates()))


def default_countries() -> tuple[str, ...]:
    """The countries the reader tries unless told otherwise: those the shipped models were
    trained on (the generator's default countries). The others' rules are there to be asked for
    (``countries=["es"]``): each rule a reader tries is one more way for a misread plate (a
    character lost or gained at an end) to fit, so rules for plates it will not see cost more
    readings than they win."""
    from lpr.synth.formats import DEFAULT_COUNTRIES

    return tuple(c for c in countries() if c in DEFAULT_COUNTRIES)


def formats() -> tuple[str, ...]:
    """The layout names with rules ("be:N-LLL-DDD", ...), in rule order."""
    return tuple(dict.fromkeys(t.name for t in templates()))


def templates_for(length: int, countries_: Sequence[str] | None = None, *,
                  tall_rows: int | None = None, top_band: bool | None = None) -> tuple[Template, ...]:
    """The templates of `length` characters of these countries (default_countries() when None),
    in rule order; with `tall_rows`, only those drawn on a tall plate (TALL_PLATE) with that many
    text rows (0: any number); with `top_band=False` (the plate shows no band across its top),
    none drawn only on plates that have one (Mercosur). ValueError naming an unknown country."""
    wanted = default_countries() if countries_ is None else tuple(c.lower() for c in countries_)
    return _templates_for(length, wanted, tall_rows, top_band)


@lru_cache(maxsize=1024)
def _templates_for(length: int, wanted: tuple[str, ...], tall_rows: int | None,
                   top_band: bool | None) -> tuple[Template, ...]:
    """templates_for, kept: the reader asks the same few questions for every reading."""
    known = countries()
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise ValueError(f"no plate-format rules for {', '.join(unknown)} (known: {', '.join(known)})")
    table = _by_country_and_length()
    found = [t for c in dict.fromkeys(wanted) for t in table.get((c, length), ())
             if (tall_rows is None or t.drawn_tall(tall_rows or None)) and (top_band is not False or not t.top_band)]
    return tuple(sorted(found, key=lambda t: t.order))
