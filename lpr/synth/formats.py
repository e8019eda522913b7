"""Plate formats per country, as data: text patterns, size, colours, bands, typeface.

A pattern is one text row: symbols draw characters from the format's classes, separators are
drawn but never labelled:

    D digit 0-9    N digit 1-9    L letter A-Z    X letter or digit
    other capitals: the format's own classes (a class may hold multi-letter strings, e.g. the
    county codes of Romania)
    {m} / {m,n} after a symbol: repeat it m (to n) times
    '-' a dash    ' ' a gap    '*' an emblem (stickers, coat of arms: drawn per format)

Labelled characters are only 0-9 and A-Z. Sizes are the real ones in millimetres (EU 520x110,
US 12x6 in), so the aspect ratios are right; a format may have several layouts (NL side codes,
US styles) and two rows (motorcycle / square plates).
"""
from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

RGB = tuple[int, int, int]

DIGITS = string.digits
LETTERS = string.ascii_uppercase
ALNUM = DIGITS + LETTERS
SEPARATORS = "- *"
BASE_CLASSES: Mapping[str, tuple[str, ...]] = {
    "D": tuple(DIGITS), "N": tuple(DIGITS[1:]), "L": tuple(LETTERS), "X": tuple(ALNUM)}

_TOKEN = re.compile(r"(?P<sym>[A-Z])(?:\{(?P<m>\d+)(?:,(?P<n>\d+))?\})?|(?P<sep>[- *])")

EU_BLUE: RGB = (0, 51, 153)
WHITE: RGB = (246, 246, 242)
BLACK: RGB = (20, 20, 22)
EU_YELLOW: RGB = (247, 200, 20)


@dataclass(frozen=True)
class Style:
    """Colours of one plate variant (RGB)."""

    name: str
    background: RGB
    text: RGB
    border: RGB | None = None
    background2: RGB | None = None    # a second colour: vertical gradient towards it (US)
    banner: RGB | None = None         # colour of small banner/slogan text (default: text colour)
    weight: float = 1.0


@dataclass(frozen=True)
class FontChoice:
    """A typeface with its width scale (x_scale range) and stroke boldening (share of cap height)."""

    key: str
    x_scale: tuple[float, float] = (1.0, 1.0)
    stroke: tuple[float, float] = (0.0, 0.0)
    weight: float = 1.0


@dataclass(frozen=True)
class Layout:
    rows: tuple[str, ...]             # one pattern per text row (top to bottom)
    weight: float = 1.0


@dataclass(frozen=True)
class PlateFormat:
    key: str                          # unique, e.g. "de" or "de-moto"
    country: str                      # the --countries code: be, de, fr, nl, sk, cz, ro, uk, us, br, ...
    layouts: tuple[Layout, ...]
    size_mm: tuple[float, float]      # width, height
    char_height_mm: float             # per row
    styles: tuple[Style, ...]
    fonts: tuple[FontChoice, ...]
    classes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_chars: int | None = None      # labelled characters at most (resampled until it fits)
    gap_mm: float = 4.0               # between characters
    border_mm: float = 1.5            # 0: no border
    corner_mm: float = 4.0
    eu_band: tuple[str, ...] = ()     # country codes that may stand in the blue EU band ('' = none)
    band_probability: float = 1.0
    right_band: bool = False          # French department band
    top_strip: RGB | None = None      # coloured strip across the top (Mercosur) ...
    top_strip_text: str = ""          # ... with this text in it
    banners: tuple[str, ...] = ()     # small text above the characters (US state, BR city)
    footers: tuple[str, ...] = ()     # small text below (US slogans); same index as banners if paired
    emblem: str = ""                  # what '*' draws: "stickers" (DE), "shield" (SK)
    bolt_holes: bool = False
    row_gap_mm: float = 8.0
    weight: float = 1.0
    drawn: bool = True                # False: a reading rule only (a layout no longer issued but still on
                                      # the road); the generator leaves it out, so seeded data sets of the
                                      # format's country stay as they were

    @property
    def aspect(self) -> float:
        return self.size_mm[0] / self.size_mm[1]

    def symbol_choices(self, symbol: str) -> tuple[str, ...]:
        if symbol in self.classes:
            return self.classes[symbol]
        if symbol in BASE_CLASSES:
            return BASE_CLASSES[symbol]
        raise KeyError(f"format {self.key}: unknown pattern symbol {symbol!r}")


@dataclass(frozen=True)
class PlateText:
    """A generated registration: `chars` (labelled, row by row, no separators) and the rows as
    drawn, with separators."""

    format_key: str
    chars: str
    rows: tuple[str, ...]

    @property
    def display(self) -> str:
        return " / ".join(self.rows)


@dataclass(frozen=True)
class _Token:
    symbol: str | None
    separator: str | None
    low: int = 1
    high: int = 1


def parse_pattern(pattern: str) -> tuple[_Token, ...]:
    tokens: list[_Token] = []
    position = 0
    while position < len(pattern):
        match = _TOKEN.match(pattern, position)
        if match is None:
            raise ValueError(f"bad pattern {pattern!r} at {position}: {pattern[position:]!r}")
        if match.group("sep") is not None:
            tokens.append(_Token(None, match.group("sep")))
        else:
            low = int(match.group("m") or 1)
            high = int(match.group("n") or low)
            if high < low:
                raise ValueError(f"bad repetition in {pattern!r}")
            tokens.append(_Token(match.group("sym"), None, low, high))
        position = match.end()
    return tuple(tokens)


def weighted_choice(rng: np.random.Generator, weights: Sequence[float]) -> int:
    p = np.asarray(weights, dtype=np.float64)
    return int(rng.choice(len(p), p=p / p.sum()))


def generate_text(fmt: PlateFormat, rng: np.random.Generator, force: str | None = None,
                  attempts: int = 100) -> PlateText:
    """A random registration of `fmt`. With `force`, one character slot whose class allows it
    holds that character (ValueError when no layout of the format can hold it)."""
    for _ in range(attempts):
        layout = fmt.layouts[weighted_choice(rng, [l.weight for l in fmt.layouts])]
        rows: list[str] = []
        chars: list[str] = []
        slots: list[tuple[int, int, int]] = []     # (row, position in row string, index in chars)
        for r, pattern in enumerate(layout.rows):
            row = []
            for token in parse_pattern(pattern):
                if token.separator is not None:
                    row.append(token.separator)
                    continue
                choices = fmt.symbol_choices(token.symbol)
                for _ in range(int(rng.integers(token.low, token.high + 1))):
                    value = choices[int(rng.integers(len(choices)))]
                    if force is not None and force in choices and all(len(c) == 1 for c in choices):
                        slots.append((r, sum(len(x) for x in row), len(chars)))
                    row.append(value)
                    chars.extend(value)
            rows.append("".join(row))
        if fmt.max_chars is not None and len(chars) > fmt.max_chars:
            continue
        if force is not None:
            if not slots:
                continue
            r, at, index = slots[int(rng.integers(len(slots)))]
            rows[r] = rows[r][:at] + force + rows[r][at + 1:]
            chars[index] = force
        text = "".join(chars)
        if any(c not in ALNUM for c in text):
            raise ValueError(f"format {fmt.key} produced {text!r}: characters outside 0-9 A-Z")
        return PlateText(format_key=fmt.key, chars=text, rows=tuple(rows))
    raise ValueError(f"format {fmt.key} cannot produce a registration"
                     + (f" holding {force!r}" if force else "") + f" in {attempts} attempts")


def can_hold(fmt: PlateFormat, char: str) -> bool:
    """Whether some single-character slot of some layout allows `char`."""
    for layout in fmt.layouts:
        for pattern in layout.rows:
            for token in parse_pattern(pattern):
                if token.symbol is None:
                    continue
                choices = fmt.symbol_choices(token.symbol)
                if char in choices and all(len(c) == 1 for c in choices):
                    return True
    return False


# --------------------------------------------------------------------------- the formats

_DIN = FontChoice("din", x_scale=(1.12, 1.3), stroke=(0.02, 0.045))
_DIN_NARROW = FontChoice("din", x_scale=(0.95, 1.1), stroke=(0.03, 0.05))
_SANS = FontChoice("sans-bold", x_scale=(0.62, 0.74), stroke=(0.0, 0.015))
_NARROW = FontChoice("narrow-bold", x_scale=(0.8, 0.95), stroke=(0.0, 0.02), weight=2.0)   # US, BR grey
_NARROW_LIGHT = FontChoice("narrow", x_scale=(0.85, 1.0), stroke=(0.0, 0.02))
_EU_PLAIN = (Style("white", WHITE, BLACK, BLACK),)

_DE_CITIES = ("B", "M", "HH", "K", "F", "S", "D", "DO", "E", "BN", "HB", "L", "DD", "H", "N", "KA", "MA",
              "WI", "MZ", "GE", "BO", "AC", "OS", "FR", "HD", "UL", "A", "R", "RE", "EN", "GT", "LB",
              "WOB", "BIT", "MYK", "NOH", "SLS", "LDK", "HSK", "PAF", "FFB", "TUT", "WAF", "ROW")
_RO_COUNTIES = ("AB", "AR", "AG", "BC", "BH", "BN", "BT", "BV", "BR", "BZ", "CS", "CL", "CJ", "CT", "CV",
                "DB", "DJ", "GL", "GR", "GJ", "HR", "HD", "IL", "IS", "IF", "MM", "MH", "MS", "NT", "OT",
                "PH", "SM", "SJ", "SB", "SV", "TR", "TM", "TL", "VS", "VL", "VN")
_SK_DISTRICTS = ("BA", "BL", "BB", "KE", "KI", "NR", "PO", "PP", "TT", "TN", "ZA", "MT", "LM", "PD",
                 "DS", "KN", "LV", "NZ", "SC", "TV", "MI", "HC", "RK", "SN", "ZV")
_US_STATES = (("CALIFORNIA", "dmv.ca.gov"), ("Texas", "The Lone Star State"), ("NEW YORK", "EMPIRE STATE"),
              ("Florida", "Sunshine State"), ("ILLINOIS", "Land of Lincoln"), ("OHIO", "Birthplace of Aviation"),
              ("Georgia", "Peach State"), ("ARIZONA", "Grand Canyon State"), ("Michigan", "Pure Michigan"),
              ("NEVADA", "The Silver State"), ("Virginia", "Virginia is for Lovers"),
              ("PENNSYLVANIA", "visitPA.com"), ("Washington", "Evergreen State"), ("COLORADO", ""),
              ("Oregon", ""), ("NEW JERSEY", "Garden State"), ("Massachusetts", "The Spirit of America"),
              ("TENNESSEE", "Volunteer State"), ("Utah", "Life Elevated"), ("MARYLAND", ""))
_BR_CITIES = ("SP - SAO PAULO", "RJ - RIO DE JANEIRO", "MG - BELO HORIZONTE", "PR - CURITIBA",
              "RS - PORTO ALEGRE", "BA - SALVADOR", "SC - FLORIANOPOLIS", "GO - GOIANIA", "DF - BRASILIA")

_FR_LETTERS = tuple(c for c in LETTERS if c not in "IOU")
_ES_LETTERS = tuple("BCDFGHJKLMNPRSTVWXYZ")            # consonants, no Q (and no Ñ)
_IT_LETTERS = tuple(c for c in LETTERS if c not in "IOQU")
_SE_LETTERS = tuple(c for c in LETTERS if c not in "IQV")
_CYRILLIC_LOOKALIKES = tuple("ABEKMHOPCTXY")             # Cyrillic letters drawn like Latin ones (BG, UA)
_GREEK_LOOKALIKES = tuple("ABEHIKMNOPTXYZ")              # Greek capitals drawn like Latin ones
_TR_PROVINCES = tuple(f"{d:02d}" for d in range(1, 82))
_NL_LETTERS = tuple("BDFGHJKLNPRSTVXZ")
_UK_LETTERS = tuple(c for c in LETTERS if c not in "IQ")
_UK_AGE = tuple(f"{y:02d}" for y in range(2, 26)) + tuple(f"{y:02d}" for y in range(51, 76))
_PL_VOIVODESHIPS = tuple("BCDEFGKLNOPRSTWZ")             # the first letter of a Polish county code
_PL_SERIAL_LETTERS = tuple("ACEFGHJKLMNPRSTUVWXY")       # no B D I O Z (read like 8 0 1 0 2), no Q
_SI_REGIONS = ("CE", "GO", "KK", "KP", "KR", "LJ", "MB", "MS", "NM", "PO", "SG")
_SI_SERIAL = tuple(c for c in ALNUM if c != "O")          # no O (read like 0)
_FR_DEPARTMENTS = tuple(f"{d:02d}" for d in range(1, 96) if d != 20) + ("2A", "2B") + tuple(str(d) for d in range(971, 977))

FORMATS: tuple[PlateFormat, ...] = (
    PlateFormat(
        key="be", country="be", size_mm=(520, 110), char_height_mm=72,
        layouts=(Layout(("N-LLL-DDD",), 0.85), Layout(("LLL-DDD",), 0.15)),
        classes={"N": tuple("12")}, fonts=(_DIN,),
        styles=(Style("white-red", WHITE, (150, 22, 38), (150, 22, 38)),),
        eu_band=("B",), gap_mm=3.0),
    PlateFormat(
        key="de", country="de", size_mm=(520, 110), char_height_mm=75,
        layouts=(Layout(("C*L{1,2} D{1,4}",)),), classes={"C": _DE_CITIES}, max_chars=8,
        fonts=(_DIN,), styles=_EU_PLAIN, eu_band=("D",), emblem="stickers", gap_mm=3.0),
    PlateFormat(
        key="de-moto", country="de", size_mm=(180, 200), char_height_mm=49,
        layouts=(Layout(("C*L{1,2}", "D{1,4}")),), classes={"C": _DE_CITIES}, max_chars=7,
        fonts=(_DIN,), styles=_EU_PLAIN, eu_band=("D",), emblem="stickers", gap_mm=2.0,
        corner_mm=8, row_gap_mm=14, weight=0.2),
    PlateFormat(
        key="fr", country="fr", size_mm=(520, 110), char_height_mm=70,
        layouts=(Layout(("FF-DDD-FF",)),), classes={"F": _FR_LETTERS, "P": _FR_DEPARTMENTS},
        fonts=(_DIN_NARROW, FontChoice("din", (1.1, 1.2), (0.03, 0.05))),
        styles=(Style("white", WHITE, BLACK, BLACK),), eu_band=("F",), right_band=True, gap_mm=3.0),
    PlateFormat(
        key="nl", country="nl", size_mm=(520, 110), char_height_mm=70,
        layouts=tuple(Layout((p,)) for p in ("DD-KK-KK", "DD-KKK-D", "D-KKK-DD", "KK-DDD-K", "K-DDD-KK",
                                             "KKK-DD-K", "K-DD-KKK", "D-KK-DDD", "DDD-KK-D")),
        classes={"K": _NL_LETTERS}, fonts=(_DIN,),
        styles=(Style("yellow", EU_YELLOW, BLACK, BLACK),), eu_band=("NL",), gap_mm=3.0, border_mm=1.0),
    PlateFormat(
        key="sk", country="sk", size_mm=(520, 110), char_height_mm=75,
        layouts=(Layout(("S*DDDLL",)),), classes={"S": _SK_DISTRICTS}, fonts=(_DIN,),
        styles=_EU_PLAIN, eu_band=("SK",), emblem="shield", gap_mm=3.0),
    PlateFormat(
        key="cz", country="cz", size_mm=(520, 110), char_height_mm=75,
        layouts=(Layout(("NLX DDDD",)),), fonts=(_DIN,), styles=_EU_PLAIN, eu_band=("CZ",), gap_mm=3.5),
    PlateFormat(
        key="cz-short", country="cz", size_mm=(340, 200), char_height_mm=70,
        layouts=(Layout(("NLX", "DDDD")),), fonts=(_DIN,), styles=_EU_PLAIN, eu_band=("CZ",), gap_mm=3.5,
        corner_mm=8, row_gap_mm=14, weight=0.2),
    PlateFormat(
        key="ro", country="ro", size_mm=(520, 110), char_height_mm=72,
        layouts=(Layout(("B DDD LLL",), 0.3), Layout(("B DD LLL",), 0.2), Layout(("J DD LLL",), 0.5)),
        classes={"B": ("B",), "J": _RO_COUNTIES}, fonts=(_DIN,), styles=_EU_PLAIN, eu_band=("RO",),
        gap_mm=3.0),
    PlateFormat(
        key="uk", country="uk", size_mm=(520, 111), char_height_mm=79,
        layouts=(Layout(("UUAA UUU",)),), classes={"U": _UK_LETTERS, "A": tuple(DIGITS)},
        fonts=(_SANS, FontChoice("din", (1.0, 1.1), (0.05, 0.07))),
        styles=(Style("front", WHITE, BLACK, None), Style("rear", (247, 208, 0), BLACK, None)),
        eu_band=("UK", "GB", ""), band_probability=0.5, gap_mm=3.0, border_mm=0.0, corner_mm=6),
    PlateFormat(
        key="uk-square", country="uk", size_mm=(279, 203), char_height_mm=64,
        layouts=(Layout(("UUAA", "UUU")),), classes={"U": _UK_LETTERS, "A": tuple(DIGITS)},
        fonts=(_SANS, FontChoice("din", (1.0, 1.1), (0.05, 0.07))),
        styles=(Style("rear", (247, 208, 0), BLACK, None),), gap_mm=3.0, border_mm=0.0, corner_mm=8,
        row_gap_mm=19, weight=0.2),
    PlateFormat(
        key="us", country="us", size_mm=(305, 152), char_height_mm=68,
        layouts=(Layout(("LLL DDDD",), 0.3), Layout(("LLL-DDDD",), 0.15), Layout(("NLLLDDD",), 0.2),
                 Layout(("DDD LLL",), 0.1), Layout(("LLL DDD",), 0.1), Layout(("LL DDDDD",), 0.05),
                 Layout(("NLL DDDD",), 0.1)),
        fonts=(_SANS, FontChoice("din", (0.95, 1.1), (0.03, 0.06)), _NARROW, _NARROW_LIGHT),
        styles=(Style("white-blue", WHITE, (20, 40, 120), None, (215, 230, 245), (190, 30, 40)),
                Style("white-black", WHITE, BLACK, BLACK, None, (20, 40, 120)),
                Style("white-red", WHITE, (160, 25, 30), None, (240, 235, 220)),
                Style("white-green", WHITE, (20, 90, 50), (20, 90, 50), (225, 240, 225)),
                Style("gold-blue", (240, 190, 60), (20, 35, 90), (20, 35, 90), (250, 230, 160)),
                Style("blue-white", (30, 60, 140), (245, 245, 245), None, (60, 100, 180), (250, 210, 60)),
                Style("yellow-black", (245, 205, 40), BLACK, BLACK)),
        banners=tuple(s for s, _ in _US_STATES), footers=tuple(f for _, f in _US_STATES),
        gap_mm=3.0, border_mm=2.0, corner_mm=12, bolt_holes=True),
    PlateFormat(
        key="br", country="br", size_mm=(400, 130), char_height_mm=63,
        layouts=(Layout(("LLLDLDD",)),), fonts=(_DIN,), styles=(Style("mercosur", WHITE, BLACK, BLACK),),
        top_strip=(0, 60, 150), top_strip_text="BRASIL", gap_mm=3.0, corner_mm=6),
    PlateFormat(
        key="br-old", country="br", size_mm=(400, 130), char_height_mm=63,
        layouts=(Layout(("LLL-DDDD",)),), fonts=(_DIN, _NARROW),
        styles=(Style("grey", (198, 200, 200), BLACK, BLACK), Style("red", (180, 30, 35), WHITE, WHITE, None, None, 0.2)),
        banners=_BR_CITIES, gap_mm=3.0, corner_mm=6, weight=0.5),
    # ---- reading rules for more countries (drawn on request: `lpr data synth --countries es`; the
    # shipped models were not trained on them). Rule order puts them after the formats above, so
    # a reading that fits both keeps the earlier country.
    PlateFormat(
        key="nl-old", country="nl", size_mm=(520, 110), char_height_mm=70,
        layouts=tuple(Layout((p,)) for p in ("DD-KK-DD", "KK-DD-KK", "KK-KK-DD")),
        classes={"K": _NL_LETTERS}, fonts=(_DIN,), styles=(Style("yellow", EU_YELLOW, BLACK, BLACK),),
        gap_mm=3.0, border_mm=1.0, weight=0.3, drawn=False),
    PlateFormat(
        key="es", country="es", size_mm=(520, 110), char_height_mm=70,
        layouts=(Layout(("DDDD KKK",)),), classes={"K": _ES_LETTERS}, fonts=(_DIN,), styles=_EU_PLAIN,
        eu_band=("E",), gap_mm=3.0),
    PlateFormat(
        key="it", country="it", size_mm=(520, 110), char_height_mm=68,
        layouts=(Layout(("KK DDD KK",)),), classes={"K": _IT_LETTERS}, fonts=(_DIN_NARROW,), styles=_EU_PLAIN,
        eu_band=("I",), gap_mm=3.0),
    PlateFormat(
        key="pt", country="pt", size_mm=(520, 110), char_height_mm=70,
        layouts=(Layout(("LL-DD-LL",), 0.3), Layout(("DD-LL-DD",), 0.35), Layout(("DD-DD-LL",), 0.25),
                 Layout(("LL-DD-DD",), 0.1)),
        fonts=(_DIN,), styles=_EU_PLAIN, eu_band=("P",), gap_mm=3.0),
    PlateFormat(
        key="se", country="se", size_mm=(520, 110), char_height_mm=75,
        layouts=(Layout(("KKK DDD",), 0.5), Layout(("KKK DDK",), 0.5)), classes={"K": _SE_LETTERS},
        fonts=(_DIN,), styles=_EU_PLAIN, eu_band=("S",), gap_mm=4.0),
    PlateFormat(
        key="no", country="no", size_mm=(520, 110), char_height_mm=75,
        layouts=(Layout(("LL DDDDD",)),), fonts=(_DIN,), styles=_EU_PLAIN, eu_band=("N",), gap_mm=3.0),
    PlateFormat(
        key="dk", country="dk", size_mm=(504, 120), char_height_mm=75,
        layouts=(Layout(("LL DD DDD",)),), fonts=(_DIN,), styles=(Style("white", WHITE, BLACK, (180, 20, 30)),),
        eu_band=("DK",), gap_mm=3.0),
    PlateFormat(
        key="fi", country="fi", size_mm=(440, 118), char_height_mm=80,
        layouts=(Layout(("LLL-DDD",), 0.85), Layout(("LL-DDD",), 0.15)), fonts=(_DIN,), styles=_EU_PLAIN,
        eu_band=("FIN",), gap_mm=3.0),
    PlateFormat(
        key="hu", country="hu", size_mm=(520, 110), char_height_mm=75,
        layouts=(Layout(("LLL-DDD",), 0.7), Layout(("LL LL-DDD",), 0.3)), fonts=(_DIN,), styles=_EU_PLAIN,
        eu_band=("H",), gap_mm=3.0),
    PlateFormat(
        key="gr", country="gr", size_mm=(520, 110), char_height_mm=75,
        layouts=(Layout(("KKK-DDDD",)),), classes={"K": _GREEK_LOOKALIKES}, fonts=(_DIN,), styles=_EU_PLAIN,
        eu_band=("GR",), gap_mm=3.0),
    PlateFormat(
        key="bg", country="bg", size_mm=(520, 110), char_height_mm=75,
        layouts=(Layout(("KK DDDD KK",), 0.6), Layout(("K DDDD KK",), 0.4)),
        classes={"K": _CYRILLIC_LOOKALIKES}, fonts=(_DIN,), styles=_EU_PLAIN, eu_band=("BG",), gap_mm=3.0),
    PlateFormat(
        key="lt", country="lt", size_mm=(520, 110), char_height_mm=75,
        layouts=(Layout(("LLL DDD",)),), fonts=(_DIN,), styles=_EU_PLAIN, eu_band=("LT",), gap_mm=4.0),
    PlateFormat(
        key="lv", country="lv", size_mm=(520, 110), char_height_mm=75,
        layouts=(Layout(("LL-DDDD",)),), fonts=(_DIN,), styles=_EU_PLAIN, eu_band=("LV",), gap_mm=3.0),
    PlateFormat(
        key="ee", country="ee", size_mm=(520, 110), char_height_mm=75,
        layouts=(Layout(("DDD LLL",), 0.9), Layout(("DDD LL",), 0.1)), fonts=(_DIN,), styles=_EU_PLAIN,
        eu_band=("EST",), gap_mm=4.0),
    PlateFormat(
        key="hr", country="hr", size_mm=(520, 110), char_height_mm=75,
        layouts=(Layout(("LL DDD{1,2}-L{1,2}",)),), fonts=(_DIN,), styles=_EU_PLAIN, eu_band=("HR",),
        gap_mm=3.0),
    PlateFormat(
        key="rs", country="rs", size_mm=(520, 110), char_height_mm=75,
        layouts=(Layout(("LL DDD-LL",), 0.5), Layout(("LL DDDD-LL",), 0.5)), fonts=(_DIN,), styles=_EU_PLAIN,
        eu_band=("SRB",), gap_mm=3.0),
    PlateFormat(
        key="ua", country="ua", size_mm=(520, 110), char_height_mm=75,
        layouts=(Layout(("KK DDDD KK",)),), classes={"K": _CYRILLIC_LOOKALIKES}, fonts=(_DIN,),
        styles=_EU_PLAIN, eu_band=("UA",), gap_mm=3.0),
    PlateFormat(
        key="tr", country="tr", size_mm=(520, 110), char_height_mm=75,
        layouts=(Layout(("P L DDDD",), 0.2), Layout(("P LL DDD",), 0.2), Layout(("P LL DDDD",), 0.25),
                 Layout(("P LLL DD",), 0.15), Layout(("P LLL DDD",), 0.2)),
        classes={"P": _TR_PROVINCES}, fonts=(_DIN,), styles=_EU_PLAIN, eu_band=("TR",), gap_mm=3.0),
    # Poland: a county code (voivodeship letter and one letter for a city, two for a county), a
    # hologram sticker, then a serial whose letters avoid the digit look-alikes: 5 characters
    # after a city code, 4 or 5 after a county code; vanity plates: a voivodeship letter, a
    # digit, then 3-5 letters of which the last two may be digits
    PlateFormat(
        key="pl", country="pl", size_mm=(520, 114), char_height_mm=80,
        layouts=tuple(Layout((p,), w) for p, w in (
            ("VL*DDDDD", 0.2), ("VL*DDDDK", 0.1), ("VL*DDDKK", 0.1), ("VL*DKDDD", 0.05), ("VL*DKKDD", 0.05),
            ("VLL*KDDD", 0.15), ("VLL*DDKK", 0.05), ("VLL*DKDD", 0.05), ("VLL*DDKD", 0.05), ("VLL*DKKD", 0.05),
            ("VLL*KKDD", 0.05), ("VLL*DDDDD", 0.05), ("VLL*DDDDK", 0.025), ("VLL*DDDKK", 0.025),
            ("VD*L{3,5}", 0.01), ("VD*L{2,4}D", 0.005), ("VD*L{1,3}DD", 0.005))),
        classes={"V": _PL_VOIVODESHIPS, "K": _PL_SERIAL_LETTERS}, fonts=(_DIN_NARROW,), styles=_EU_PLAIN,
        eu_band=("PL",), gap_mm=3.0),
    # Slovenia: one of 11 region codes, the municipality's coat of arms, and a serial of five
    # letters or digits (never O) split by a dash
    PlateFormat(
        key="si", country="si", size_mm=(520, 110), char_height_mm=75,
        layouts=(Layout(("R*XX-XXX",), 0.7), Layout(("R*XXX-XX",), 0.3)),
        classes={"R": _SI_REGIONS, "X": _SI_SERIAL}, fonts=(_SANS,), styles=_EU_PLAIN, eu_band=("SLO",),
        emblem="shield", gap_mm=3.0),
)

FORMATS_BY_KEY: Mapping[str, PlateFormat] = {f.key: f for f in FORMATS}
COUNTRIES: tuple[str, ...] = tuple(dict.fromkeys(f.country for f in FORMATS))
DEFAULT_COUNTRIES: tuple[str, ...] = ("be", "de", "fr", "nl", "sk", "cz", "ro", "uk", "us", "br")


def formats_for(countries: Sequence[str]) -> tuple[PlateFormat, ...]:
    """The formats of these country codes the generator draws (not the reading-only ones, see
    PlateFormat.drawn); ValueError naming an unknown country."""
    unknown = [c for c in countries if c not in COUNTRIES]
    if unknown:
        raise ValueError(f"unknown country code(s) {', '.join(unknown)} (known: {', '.join(COUNTRIES)})")
    if not countries:
        raise ValueError("give at least one country")
    return tuple(f for f in FORMATS if f.country in set(countries) and f.drawn)


def pick_format(formats: Sequence[PlateFormat], rng: np.random.Generator,
                force: str | None = None) -> PlateFormat:
    """A format, each country equally likely, then by format weight within the country."""
    pool = [f for f in formats if force is None or can_hold(f, force)]
    if not pool:
        raise ValueError(f"no format among {[f.key for f in formats]} can hold {force!r}")
    countries = sorted({f.country for f in pool}, key=[f.country for f in pool].index)
    country = countries[int(rng.integers(len(countries)))]
    candidates = [f for f in pool if f.country == country]
    return candidates[weighted_choice(rng, [f.weight for f in candidates])]
