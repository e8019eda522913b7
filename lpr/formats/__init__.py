"""Plate formats per country, reading side: fit the recognizer's character candidates to the
registrations a country issues, and write them as the country does (``1-ABC-234``).

- `rules`: the rules as data, built from the synthetic generator's formats
  (`lpr.synth.formats`), plus the letter/digit confusions and the scoring constants
- `matching`: `match_plate` (the best format reading, or None: keep the raw text),
  `normalize`, `fold_confusions`, `gaps_from_boxes`
"""
from lpr.formats.matching import (FormatMatch, clean_candidates, fold_confusions, gaps_from_boxes,
                                  match_all, match_plate, normalize)
from lpr.formats.rules import countries, default_countries, formats

__all__ = ["FormatMatch", "clean_candidates", "countries", "default_countries", "fold_confusions", "formats",
           "gaps_from_boxes", "match_all", "match_plate", "normalize"]
