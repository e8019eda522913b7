#!/usr/bin/env python3
"""Read the five tuning lists with one reader setting; print plates read right; compare runs.

    scripts/read-tuning-lists.py [--option NAME=VALUE ...] [--out RUN.json] [--diff OLD.json]

The lists are how reader settings are chosen without looking at ../shared/data/eval (README,
Results): the three synthetic check sets and the two lists of real European crops read by
eye. Build the check sets first (the README's recipe):

    lpr data plates ../shared/data/ro-plates build/datasets/ro-plates
    scripts/make-synthetic-eval-set.py build/check-all --seed 1001
    scripts/make-synthetic-eval-set.py build/check-usbr --countries us,br --seed 1002
    scripts/make-synthetic-eval-set.py build/check-close --countries us,br --seed 1003 \\
        --widths 180,420 --count 200

``--option`` passes a keyword to lpr.Reader (values are read as Python literals where they
parse: ``--option alternatives=False``, ``--option countries="['us','br']"``). ``--out`` keeps
every plate's outcome; ``--diff`` lists the plates whose outcome differs from an earlier run's.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from lpr.cli_types import keyword_value

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
LISTS = {   # name -> (labels, root for the listed images)
    "all": (ROOT / "build/check-all", None),
    "usbr": (ROOT / "build/check-usbr", None),
    "close": (ROOT / "build/check-close", None),
    "crops1": (ROOT / "training/eu-plate-crops-text.tsv", DATA),
    "crops2": (ROOT / "training/eu-plate-crops-text-2.tsv", DATA),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--option", type=keyword_value, action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--lists", default=",".join(LISTS), help="which lists (comma separated)")
    parser.add_argument("--out", type=Path, help="write every plate's outcome here (JSON)")
    parser.add_argument("--diff", type=Path, help="an earlier --out file to compare with")
    args = parser.parse_args()

    from lpr import Reader
    from lpr.evaluation import evaluate

    names = [n for n in args.lists.split(",") if n]
    unknown = [n for n in names if n not in LISTS]
    missing = [str(LISTS[n][0]) for n in names if n in LISTS and not LISTS[n][0].exists()]
    if unknown or missing:
        sys.exit(f"unknown lists {unknown}, missing {missing} (see --help for how to build them)")
    options = dict(args.option)
    outcomes: dict[str, dict[str, str | None]] = {}
    right_total = plates_total = 0
    start = time.perf_counter()
    with Reader(**options) as reader:
        print(reader, options)
        for name in names:
            labels, root = LISTS[name]
            report = evaluate(reader, labels, progress=False, root=root)
            right = sum(o.right for o in report.outcomes)
            right_total += right
            plates_total += len(report.outcomes)
            print(f"{name:7s} {right:4d} / {len(report.outcomes):4d}  strict {report.strict_accuracy:.3f}  "
                  f"unlabelled reads {report.extra_plates}", flush=True)
            outcomes[name] = {f"{o.image}#{k}:{o.truth}": o.read for k, o in enumerate(report.outcomes)}
    print(f"total   {right_total:4d} / {plates_total:4d}  ({time.perf_counter() - start:.0f} s)")
    if args.out:
        args.out.write_text(json.dumps(outcomes, indent=0))
    if args.diff:
        show_diff(json.loads(args.diff.read_text()), outcomes)
    return 0


def show_diff(old: dict, new: dict) -> None:
    from lpr.formats.matching import fold_confusions

    def right(key: str, read: str | None) -> bool:
        truth = key.rsplit(":", 1)[1]
        return read is not None and fold_confusions(read) == fold_confusions(truth)

    gained = lost = 0
    for name in new:
        for key, read in new[name].items():
            before = old.get(name, {}).get(key, "<not run>")
            if before == read:
                continue
            was, now = right(key, before), right(key, read)
            gained += now and not was
            lost += was and not now
            mark = "+" if now and not was else "-" if was and not now else " "
            print(f"{mark} {name:7s} {key}  {before} -> {read}")
    print(f"gained {gained}, lost {lost}")


if __name__ == "__main__":
    raise SystemExit(main())
