"""Plate-format rules, reading side (lpr.formats): candidates per character -> a country's format."""
from __future__ import annotations

import math

import numpy as np
import pytest

from lpr.formats import (FormatMatch, clean_candidates, countries, fold_confusions, formats, gaps_from_boxes,
                         match_all, match_plate, normalize)
from lpr.formats import rules
from lpr.synth.formats import FORMATS, FORMATS_BY_KEY, generate_text

SMALL, BIG = 0.05, 0.6        # gaps in character heights


def cands(text: str, p: float = 0.95, **override) -> list[list[tuple[str, float]]]:
    """Clean candidates for `text`; `override` position i (as 'p3') with its own list."""
    out = [[(c, p)] for c in text]
    for key, value in override.items():
        out[int(key[1:])] = value
    return out


def gaps_for(length: int, big: set[int] = frozenset()) -> list[float]:
    return [BIG if i in big else SMALL for i in range(length - 1)]


# --------------------------------------------------------------------------- basics

def test_normalize_and_fold():
    assert normalize(" 1-abc 234\n") == "1ABC234"
    assert normalize("AB12 CDE") == "AB12CDE"
    assert fold_confusions("1-ABO-I23") == "1-AB0-123"
    assert fold_confusions(normalize("b-oi 1")) == "B011"


def test_countries_and_formats_come_from_the_synth_data():
    assert countries() == tuple(dict.fromkeys(f.country for f in FORMATS))
    assert countries()[0] == "be" and formats()[0] == "be:N-LLL-DDD"
    for name in ("fr:FF-DDD-FF", "uk:UUAA UUU", "br:LLLDLDD", "br-old:LLL-DDDD", "us:NLLLDDD"):
        assert name in formats()


def test_letter_sets_are_the_synth_ones():
    fr = [t for t in rules.templates() if t.country == "fr"][0]
    assert set(fr.segments[0].options) == set(FORMATS_BY_KEY["fr"].classes["F"])
    assert not {"I", "O", "U"} & set(fr.segments[0].options)
    # FR never uses I/O/U: a reading with one there is not French
    assert match_plate(cands("AB123CO"), countries=["fr"]) is None
    nl = [t for t in rules.templates() if t.country == "nl"][0]
    assert set(nl.segments[2].options) == set("BDFGHJKLNPRSTVXZ")
    assert match_plate(cands("12BBAN"), countries=["nl"]) is None     # A is no Dutch letter
    assert match_plate(cands("12BBDF"), countries=["nl"]).text == "12-BB-DF"


# --------------------------------------------------------------------------- Belgium, fixes

def test_belgian_digit_in_letter_position_is_fixed():
    m = match_plate(cands("1A8C234"))
    assert isinstance(m, FormatMatch)
    assert (m.text, m.compact, m.country, m.format) == ("1-ABC-234", "1ABC234", "be", "be:N-LLL-DDD")
    assert m.chars == tuple("1ABC234")
    assert m.changed == (2,) and m.swaps == (2,)
    m = match_plate(cands("1A0C234"))
    assert m.text == "1-AOC-234" and m.changed == (2,)
    clean = match_plate(cands("1ABC234"))
    assert clean.text == "1-ABC-234" and clean.changed == ()


def test_letter_o_in_digit_position_becomes_zero():
    m = match_plate(cands("1ABCO34"), countries=["be"])
    assert m.text == "1-ABC-034" and m.changed == (4,)
    assert match_plate(cands("1ABCO34")).compact == "1ABC034"


def test_a_lower_ranked_candidate_beats_a_weak_swap():
    m = match_plate(cands("1ABC234", p2=[("0", 0.5), ("B", 0.4)]), countries=["be"])
    assert m.text == "1-ABC-234" and m.changed == (2,) and m.swaps == ()
    # ... and a strong swap beats a weak lower-ranked candidate
    m = match_plate(cands("1ABC234", p2=[("0", 0.9), ("B", 0.05)]), countries=["be"])
    assert m.text == "1-AOC-234" and m.swaps == (2,)


def test_swaps_are_penalised_not_forbidden_and_capped():
    assert match_plate(cands("1ABC234", p3=[("7", 0.9)]), countries=["be"]).text == "1-ABT-234"
    # a character with no allowed stand-in does not fit
    assert match_plate(cands("1ABC234", p3=[("9", 0.9)]), countries=["be"]) is None
    # too many swaps: not a reading any more (3 of 7 letters read as digits; 2 are fine)
    assert match_plate(cands("1085234"), countries=["be"]) is None


def test_uk_string_goes_to_uk():
    m = match_plate(cands("AB12CDE"))
    assert (m.text, m.country, m.format, m.changed) == ("AB12 CDE", "uk", "uk:UUAA UUU", ())
    assert match_plate(clean_candidates("AB12 CDE")).text == "AB12 CDE"


def test_readings_that_fit_nothing():
    assert match_plate(cands("ZZZZZZZZZZ")) is None      # too long for every format
    assert match_plate(cands("12345")) is None           # no format of 5 digits
    assert match_plate([]) is None
    assert match_plate(cands("1ABC234", p4=[])) is None    # a position with no candidate
    assert match_plate(cands("1ABC234", p4=[("-", 0.9)])) is None


def test_floor():
    weak = cands("1ABC234", p=0.2)
    assert match_plate(weak) is None
    assert match_plate(weak, floor=0.1).text == "1-ABC-234"


def test_countries_restrict():
    assert match_plate(cands("1BC1234")).country == "cz"
    m = match_plate(cands("1BC1234"), countries=["be"])
    assert (m.text, m.country, m.changed) == ("1-BCI-234", "be", (3,))
    assert match_plate(cands("AB12CDE"), countries=["be"]) is None
    assert match_plate(cands("AB12CDE"), countries=["BE", "UK"]).country == "uk"
    with pytest.raises(ValueError, match="xx"):
        match_plate(cands("1ABC234"), countries=["be", "xx"])


def test_default_countries_are_the_trained_ones_and_the_others_are_asked_for():
    from lpr.formats import default_countries
    from lpr.synth.formats import DEFAULT_COUNTRIES

    assert set(default_countries()) == set(DEFAULT_COUNTRIES)
    assert {"es", "it", "pt", "se", "tr"} <= set(countries()) - set(default_countries())
    # a Spanish plate with its first digit read as a B: by default no rule fits 7 characters
    # DDDD LLL, asked for Spain the B is read as the 8 it is drawn like
    spanish = cands("B685HDP")
    assert all(m.country != "es" for m in match_all(spanish))
    m = match_plate(spanish, countries=["es"])
    assert (m.text, m.country, m.changed) == ("8685 HDP", "es", (0,))
    assert match_plate(cands("3685HDA"), countries=["es"]) is None      # no vowels on Spanish plates
    assert match_plate(cands("34AP1438"), countries=["tr"]).text == "34 AP 1438"   # province code 01-81
    assert match_plate(cands("94AP1438"), countries=["tr"]) is None


def test_polish_and_slovenian_rules():
    # Polish serial letters avoid B D I O Z, so a letter-shaped digit there is the digit
    m = match_plate(cands("SRB06FR"), countries=["pl"])
    assert (m.text, m.format, m.changed) == ("SRB 06FR", "pl:VLL*DDKK", ())
    m = match_plate(cands("NOL4123"), countries=["pl"])           # a county's letter-first serial
    assert (m.text, m.format, m.changed) == ("NOL A123", "pl:VLL*KDDD", (3,))
    m = match_plate(cands("WA1234B"), countries=["pl"])           # B read where a serial letter stands
    assert (m.text, m.changed) == ("WA 12348", (6,))
    assert match_plate(cands("QA12345"), countries=["pl"]) is None    # Q is no voivodeship
    assert match_plate(cands("W2PYSIO"), countries=["pl"]).text == "W2 PYSIO"    # a vanity plate
    # Slovenia: a region code, the coat of arms, five characters; a 0 there is never an O
    m = match_plate(cands("LJA94AE"), countries=["si"])
    assert (m.text, m.country) == ("LJ A9-4AE", "si")
    m = match_plate(cands("KP12OBC"), countries=["si"])
    assert (m.text, m.changed) == ("KP 12-0BC", (4,))
    assert match_plate(cands("XY12ABC"), countries=["si"]) is None     # no such region


def test_reading_only_layouts_are_read_but_not_drawn():
    from lpr.synth.formats import formats_for

    assert [f.key for f in formats_for(["nl"])] == ["nl"]            # seeded NL data sets stay as they were
    assert not FORMATS_BY_KEY["nl-old"].drawn
    m = match_plate(cands("35BP39"))                                  # an old Dutch side code: 99-XX-99
    assert (m.text, m.country, m.format) == ("35-BP-39", "nl", "nl-old:DD-KK-DD")


def test_scores_are_ordered_sensibly():
    clean = match_plate(cands("1ABC234"), countries=["be"])
    one_swap = match_plate(cands("1A8C234"), countries=["be"])
    two_swaps = match_plate(cands("1A8C2S4"), countries=["be"])
    unsure = match_plate(cands("1ABC234", p=0.6), countries=["be"])
    assert 1.0 >= clean.score > one_swap.score > two_swaps.score > 0.0
    assert clean.score > unsure.score
    assert two_swaps.text == "1-ABC-254"
    # a swap costs more than the prior difference between a common and a rare layout
    rare_clean = match_plate(cands("ABC123"), countries=["be"])
    assert rare_clean.format == "be:LLL-DDD" and rare_clean.score > one_swap.score


def test_deterministic_and_rule_order_breaks_ties():
    a = match_all(cands("ABC123"))
    b = match_all(cands("ABC123"))
    assert a == b
    assert a[0].country == "be" and a[0].text == "ABC-123"
    assert {m.country for m in a} >= {"be", "us", "de"}


def test_kept_position_options_follow_the_probabilities():
    # each position's options are kept between readings (the reader matches several
    # segmentations that share characters): a kept answer must be the one for these numbers
    sure = match_plate(cands("1ABC234", p=0.95), countries=["be"])
    unsure = match_plate(cands("1ABC234", p=0.6), countries=["be"])
    assert sure.score > unsure.score
    assert match_plate(cands("1ABC234", p=0.6), countries=["be"]) == unsure
    # numpy probabilities and lists for pairs read like tuples of plain floats
    as_numpy = [[(c, np.float32(0.6))] for c in "1ABC234"]
    as_lists = [[[c, 0.6]] for c in "1ABC234"]
    assert match_plate(as_numpy, countries=["be"]).score == pytest.approx(unsure.score)
    assert match_plate(as_lists, countries=["be"]) == unsure
    # a second candidate changes a position's options: 8 for B then reads through the swap
    second = match_plate(cands("1A8C234", p2=[("8", 0.9), ("B", 0.5)]), countries=["be"])
    assert second.text == "1-ABC-234" and second.changed == (2,)


# --------------------------------------------------------------------------- Brazil

def test_brazil_mercosur_and_old():
    m = match_plate(cands("ABC1D23"))
    assert (m.text, m.format) == ("ABC1D23", "br:LLLDLDD")
    m = match_plate(cands("ABC1234"), countries=["br"])
    assert (m.text, m.format) == ("ABC-1234", "br-old:LLL-DDDD")
    # a letter O in the fifth place: Mercosur as read, not the old format with a swap
    m = match_plate(cands("ABC1O23"), countries=["br"])
    assert (m.text, m.changed) == ("ABC1O23", ())


def test_brazil_disambiguated_by_candidates_and_gaps():
    unsure = cands("ABC1D23", p4=[("0", 0.55), ("D", 0.45)])
    assert match_plate(unsure, countries=["br"]).format == "br-old:LLL-DDDD"       # best candidate
    tight = match_plate(unsure, countries=["br"], gaps=gaps_for(7))                # no dash seen
    assert (tight.text, tight.format, tight.changed) == ("ABC1D23", "br:LLLDLDD", (4,))
    dashed = match_plate(unsure, countries=["br"], gaps=gaps_for(7, {2}))
    assert (dashed.text, dashed.format) == ("ABC-1023", "br-old:LLL-DDDD")


# --------------------------------------------------------------------------- US vs Europe

def test_us_readings_are_not_mangled_into_european_formats():
    for text, want in (("7ABC123", "us:NLLLDDD"), ("1AB0234", "us:NLL DDDD"), ("AB12345", "us:LL DDDDD")):
        m = match_plate(cands(text), countries=["be", "fr", "nl", "uk", "us"])
        assert (m.compact, m.changed, m.format) == (text, (), want)
    # Belgium alone has to swap; with the US allowed the reading stays as read
    assert match_plate(cands("1AB0234"), countries=["be"]).text == "1-ABO-234"
    assert match_plate(cands("1AB0234"), countries=["be", "us"]).text == "1AB 0234"
    # a near-tie on the first character: Belgium's prior would win, but the reading as read stays
    unsure = cands("7ABC123", p0=[("7", 0.5), ("1", 0.49)])
    ranked = match_all(unsure, countries=["be", "us"])
    assert ranked[0].country == "be" and ranked[0].changed == (0,)
    m = match_plate(unsure, countries=["be", "us"])
    assert (m.text, m.country, m.changed) == ("7ABC123", "us", ())
    # ... unless the candidates say otherwise
    m = match_plate(cands("7ABC123", p0=[("7", 0.3), ("1", 0.69)]), countries=["be", "us"])
    assert (m.text, m.changed) == ("1-ABC-123", (0,))


def test_tied_swaps_leave_the_reading_unformatted():
    # Belgium would read 1-BCI-234, old Brazil IBC-1234: one I/1 swap each, equal evidence
    ranked = match_all(cands("1BC1234"), countries=["be", "br"])
    assert ranked[0].evidence == pytest.approx(ranked[1].evidence)
    assert {ranked[0].compact, ranked[1].compact} == {"1BCI234", "IBC1234"}
    assert match_plate(cands("1BC1234"), countries=["be", "br"]) is None
    # the gaps settle it
    m = match_plate(cands("1BC1234"), countries=["be", "br"], gaps=gaps_for(7, {0, 3}))
    assert m.text == "1-BCI-234"
    m = match_plate(cands("1BC1234"), countries=["be", "br"], gaps=gaps_for(7, {2}))
    assert m.text == "IBC-1234"
    # ties that agree on the characters are fine
    assert match_plate(cands("ABC12S4"), countries=["us", "br"]).compact == "ABC1254"


def test_gaps_separate_a_californian_from_a_belgian_plate():
    assert match_plate(cands("1ABC234"), countries=["be", "us"]).country == "be"          # rule order
    assert match_plate(cands("1ABC234"), countries=["be", "us"], gaps=gaps_for(7)).country == "us"
    m = match_plate(cands("1ABC234"), countries=["be", "us"], gaps=gaps_for(7, {0, 3}))
    assert m.text == "1-ABC-234"


def test_german_segmentation_from_gaps():
    assert match_plate(cands("MAB1234"), countries=["de"], gaps=gaps_for(7, {0, 2})).text == "M-AB 1234"
    assert match_plate(cands("MAB1234"), countries=["de"], gaps=gaps_for(7, {1, 2})).text == "MA-B 1234"
    assert match_plate(cands("HHAB12"), countries=["de"]).text == "HH-AB 12"
    assert match_plate(cands("XYZ12"), countries=["de"]) is None              # no city XY / XYZ / X
    with pytest.raises(ValueError, match="gaps"):
        match_plate(cands("MAB1234"), gaps=[0.1, 0.2])


def test_gaps_from_boxes():
    boxes = [(0, 0, 10, 20), (12, 0, 22, 20), (34, 0, 44, 20),      # one row: gaps 0.1, 0.6
             (0, 30, 10, 50), (12, 30, 22, 50)]                     # second row
    gaps = gaps_from_boxes(boxes)
    assert gaps[:2] == pytest.approx([0.1, 0.6]) and math.isinf(gaps[2]) and gaps[3] == pytest.approx(0.1)
    # a two-row UK plate: the row break is where the one-row plate has its space
    m = match_plate(cands("AB12CDE"), gaps=[SMALL, SMALL, SMALL, math.inf, SMALL, SMALL])
    assert m.text == "AB12 CDE" and m.score == pytest.approx(match_plate(cands("AB12CDE")).score)


# --------------------------------------------------------------------------- round trip

def _expected(fmt_key: str, rows: tuple[str, ...]) -> tuple[str, list[float]]:
    """The text as written and the gaps a renderer would leave, from generated rows."""
    country = FORMATS_BY_KEY[fmt_key].country
    text = rules.ROW_BREAK_TEXT.join(rows).replace("*", rules.EMBLEM_TEXT.get(country, "-"))
    gaps: list[float] = []
    for c in text:
        if c.isalnum():
            gaps.append(SMALL)
        elif gaps:
            gaps[-1] = BIG
    return text, gaps[:-1]


def _noisy(text: str, rng: np.random.Generator) -> list[list[tuple[str, float]]]:
    """The right character first (0.55-0.99), its confusion partner or a random one after."""
    out = []
    for c in text:
        p = float(rng.uniform(0.55, 0.99))
        partner = rules.CONFUSIONS.get(c, (("X" if c != "X" else "Y", 0.0),))[0][0]
        out.append([(c, p), (partner, (1 - p) * 0.8)])
    return out


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.key)
def test_round_trip_of_generated_texts(fmt):
    rng = np.random.default_rng(1234)
    for seed in range(300):
        plate = generate_text(fmt, np.random.default_rng(seed))
        text, gaps = _expected(fmt.key, plate.rows)
        candidates = _noisy(plate.chars, rng) if seed % 2 else clean_candidates(plate.chars)
        own = match_plate(candidates, countries=[fmt.country])
        assert own is not None, plate
        assert (own.compact, own.country, own.changed) == (plate.chars, fmt.country, ()), plate
        with_gaps = match_plate(candidates, countries=[fmt.country], gaps=gaps)
        if fmt.country == "us":      # LLL DDDD and LLL-DDDD look alike: the gap is right, not its kind
            assert with_gaps.text.replace("-", " ") == text.replace("-", " "), plate
        else:
            assert with_gaps.text == text, plate
        anywhere = match_plate(candidates, countries=rules.countries())     # every country with rules
        assert anywhere is not None, plate
        assert (anywhere.compact, anywhere.changed) == (plate.chars, ()), (plate, anywhere)
        anywhere = match_plate(candidates, countries=rules.countries(), gaps=gaps)
        assert (anywhere.compact, anywhere.changed) == (plate.chars, ()), (plate, anywhere)
        assert anywhere.text.replace("-", " ") == text.replace("-", " ") or anywhere.country != fmt.country


# --------------------------------------------------------------------------- plate shape

def test_layouts_know_the_plates_they_are_drawn_on():
    by_name = {}
    for t in rules.templates():
        by_name.setdefault(t.name, t)
    us, be, uk = by_name["us:LLL DDDD"], by_name["be:N-LLL-DDD"], by_name["uk:UUAA UUU"]
    assert us.plates == {(1, 305 / 152)} and us.drawn_tall(1) and not us.drawn_tall(2)
    assert be.plates == {(1, 520 / 110)} and not be.drawn_tall()
    # the two-row UK plate reads like the one-row one: one template, drawn on both plates
    assert uk.plates == {(1, 520 / 111), (2, 279 / 203)} and uk.drawn_tall(2) and not uk.drawn_tall(1)
    tall_one_row = {t.country for t in rules.templates() if t.drawn_tall(1)}
    assert tall_one_row == {"us", "br"}
    assert {t.country for t in rules.templates_for(7, ["be", "fr", "us", "br"], tall_rows=1)} == {"us", "br"}
    assert {t.country for t in rules.templates_for(7, ["uk", "us"], tall_rows=2)} == {"uk"}
    assert rules.templates_for(7, ["fr"], tall_rows=0) == ()              # FR plates are never tall


def test_a_tall_plate_is_read_only_with_the_layouts_of_tall_plates():
    assert match_plate(cands("AB123CD")).country == "fr"
    assert match_plate(cands("AB123CD"), tall_plate=True) is None         # no tall plate of that layout
    assert match_plate(cands("ABC1234"), tall_plate=True).country in ("us", "br")
    # the rows the gaps show: a two-row reading fits the square UK plate, a one-row one does not
    two_rows = [SMALL, SMALL, SMALL, math.inf, SMALL, SMALL]
    assert match_plate(cands("AB12CDE"), gaps=two_rows, tall_plate=True).text == "AB12 CDE"
    assert match_plate(cands("AB12CDE"), gaps=gaps_for(7, {3}), tall_plate=True) is None
    assert match_plate(cands("AB12CDE"), gaps=gaps_for(7, {3})).country == "uk"
    assert match_plate(cands("AB12CDE"), tall_plate=True).country == "uk"   # rows unknown: any


def test_a_plate_without_a_top_band_is_not_read_as_mercosur():
    by_name = {t.name: t for t in rules.templates()}
    assert by_name["br:LLLDLDD"].top_band and not by_name["br-old:LLL-DDDD"].top_band
    assert [t.name for t in rules.templates_for(7, ["br"], top_band=False)] == ["br-old:LLL-DDDD"]
    assert len(rules.templates_for(7, ["br"], top_band=True)) == len(rules.templates_for(7, ["br"])) == 2
    assert match_plate(cands("ABC1O34"), countries=["br"]).format == "br:LLLDLDD"
    assert match_plate(cands("ABC1O34"), countries=["br"], top_band=None).format == "br:LLLDLDD"
    old = match_plate(cands("ABC1O34"), countries=["br"], top_band=False)
    assert (old.text, old.swaps) == ("ABC-1034", (4,))
