#!/usr/bin/env python3
"""The reader's time a photo, for several configurations timed in turn on every photo in one process.

    .venv/bin/python benchmarks/interleaved_latency.py [--pipelines 0,1,2,5,11 | all]
        [--sets br,us,backgrounds] [--rounds 1] [--out benchmarks/results/latency]

This VM's speed drifts by tens of percent within minutes and by up to twice between days. The
pytest-benchmark rows (test_reader_latency.py) time one configuration after another, so two rows
of one run can differ by the drift between them. Here every configuration reads each photo in
turn (the order rotating from photo to photo), so a drift slows them all alike and their ratios
hold. Beside them, in the same turns, a fixed reference: the default reader's plate detector
(`detect_plates`, one pass) on one fixed 1280x720 frame, which tells how fast the machine ran that day.

Writes OUT.json (every time), OUT.md (the table: median, 90th percentile, and each
configuration's median per-photo ratio to the first) and OUT.png (the per-photo times, with the
15 ms target of issue 4 drawn).
"""
from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from reader_pipelines import PIPELINES, SETS, photo_sets  # noqa: E402  (beside this script)

# indices into reader_pipelines.PIPELINES: both engines with and without alternatives, the
# character detector's path, and the default with the slim CNN
DEFAULT_PIPELINES = (0, 1, 2, 5, 11, 14)
REFERENCE = "reference: the plate detector, one pass on one 1280x720 frame"
TARGET_MS = 15.0


def time_in_turn(images: Sequence, readers: Mapping[str, Callable], rounds: int = 1,
                 progress: Callable[[int], None] | None = None) -> tuple[dict[str, list[float]], dict[str, list]]:
    """Call every reader on each image in turn, the order rotating by one from image to image and
    round to round. Returns each reader's times (ms, in image order, round after round) and what
    it returned for each image. `progress(1)` is called after each image."""
    names = list(readers)
    times: dict[str, list[float]] = {name: [] for name in names}
    results: dict[str, list] = {name: [] for name in names}
    for round_ in range(rounds):
        for k, image in enumerate(images):
            shift = (k + round_) % len(names)
            for name in names[shift:] + names[:shift]:
                start = time.perf_counter()
                found = readers[name](image)
                times[name].append((time.perf_counter() - start) * 1e3)
                results[name].append(found)
            if progress is not None:
                progress(1)
    return times, results


def summary(times: Mapping[str, Sequence[float]], baseline: str) -> list[dict]:
    """Per reader: median, 90th percentile and mean ms, and the median of its per-photo ratios to
    `baseline`'s times."""
    base = np.asarray(times[baseline])
    rows = []
    for name, values in times.items():
        v = np.asarray(values)
        rows.append({"name": name, "median_ms": float(np.median(v)), "p90_ms": float(np.percentile(v, 90)),
                     "mean_ms": float(v.mean()), "photos": int(v.size),
                     "ratio_to_first": float(np.median(v / base))})
    return rows


def table(report: dict) -> str:
    lines = [f"Machine: {report['machine']}; {report['date']}; every configuration read each photo in "
             f"turn ({report['rounds']} round{'s' * (report['rounds'] > 1)}), with the reference in the same turns", ""]
    for name, rows in report["sets"].items():
        lines += [f"**{name}** ({rows[0]['photos']} reads each)", "",
                  "| configuration | median ms | p90 ms | mean ms | per photo / first |",
                  "|---|---:|---:|---:|---:|"]
        lines += [f"| {r['name']} | {r['median_ms']:.1f} | {r['p90_ms']:.1f} | {r['mean_ms']:.1f} | "
                  f"{r['ratio_to_first']:.2f} |" for r in rows]
        lines.append("")
    return "\n".join(lines)


def plot(report: dict, times: Mapping[str, Mapping[str, Sequence[float]]], path: Path) -> None:
    """One panel per set: each configuration's per-photo times (box: quartiles, whiskers: 5th to
    95th percentile), its median written beside it, and the target as a dashed line."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # `vert` gives way to `orientation` in Matplotlib 3.10
    horizontal = ({"orientation": "horizontal"} if tuple(map(int, matplotlib.__version__.split(".")[:2])) >= (3, 10)
                  else {"vert": False})
    sets = list(times)
    names = list(next(iter(times.values())))
    fig, axes = plt.subplots(len(sets), 1, figsize=(10, 0.6 + len(names) * 0.42 * len(sets) + 0.5 * len(sets)),
                             squeeze=False)
    for ax, set_name in zip(axes[:, 0], sets):
        data = [times[set_name][n] for n in names]
        ax.boxplot(data, whis=(5, 95), showfliers=False, widths=0.6, medianprops={"color": "#c0392b"},
                   **horizontal)
        ax.set_yticks(range(1, len(names) + 1), names, fontsize=8)
        ax.invert_yaxis()
        ax.axvline(TARGET_MS, color="#7f8c8d", linestyle="--", linewidth=1)
        ax.set_xscale("log")
        low, high = ax.get_xlim()
        high = max(high, max(float(np.percentile(v, 95)) for v in data) * 1.4)   # room for the medians' labels
        ax.set_xlim(low, high)
        ticks = [t for t in (2, 5, 10, 15, 20, 30, 50, 100, 200, 500, 1000) if low <= t <= high]
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.minorticks_off()
        ax.set_title(f"{set_name}: ms per photo (box: quartiles, whiskers: 5-95%; dashed: the {TARGET_MS:g} ms target)",
                     fontsize=9)
        for y, values in enumerate(data, start=1):
            ax.text(float(np.percentile(values, 95)) * 1.05, y, f"{np.median(values):.1f}", va="center", fontsize=8)
    axes[-1, 0].set_xlabel(f"ms, log scale; {report['date']}, {report['machine']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pipelines", default=",".join(map(str, DEFAULT_PIPELINES)),
                        help="indices into reader_pipelines.PIPELINES (comma separated), or 'all'")
    parser.add_argument("--sets", default=",".join(SETS), help="which photo sets (comma separated)")
    parser.add_argument("--rounds", type=int, default=1, help="reads of every photo by each configuration")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latency",
                        help="writes OUT.json, OUT.md and OUT.png")
    args = parser.parse_args(argv)
    try:
        sets = photo_sets(args.sets.split(","))
        chosen = (PIPELINES if args.pipelines == "all"
                  else [PIPELINES[int(i)] for i in args.pipelines.split(",")])
    except (ValueError, IndexError) as exc:
        parser.error(str(exc))

    import cv2
    from tqdm import tqdm

    import lpr
    from report import machine

    first = next((paths[0] for paths in sets.values() if paths), None)
    frame = np.full((720, 1280, 3), 128, np.uint8) if first is None else cv2.resize(cv2.imread(first), (1280, 720))
    readers = {p.description: lpr.Reader(**p.reader_options()) for p in chosen}
    reference = lpr.Reader(large_plates=False)      # one pass of the plate detector
    calls: dict[str, Callable] = {name: r.read for name, r in readers.items()}
    calls[REFERENCE] = lambda _image: reference.detect_plates(frame)
    report = {"machine": machine(), "date": datetime.date.today().isoformat(), "rounds": args.rounds,
              "lpr": lpr.__version__, "sets": {}}
    all_times: dict[str, dict[str, list[float]]] = {}
    try:
        for name, paths in sets.items():
            if not paths:
                print(f"{name}: no photos", file=sys.stderr)
                continue
            images = [cv2.imread(p) for p in paths]
            for call in calls.values():
                call(images[0])                 # the engines' first, slow pass
            with tqdm(total=len(images) * args.rounds, desc=name, unit="photo") as bar:
                times, _ = time_in_turn(images, calls, args.rounds, bar.update)
            all_times[name] = times
            report["sets"][name] = summary(times, next(iter(calls)))
    finally:
        for r in [*readers.values(), reference]:
            r.close()
    if not all_times:
        print("no photos found", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({**report, "times_ms": all_times}, indent=1) + "\n")
    text = table(report)
    args.out.with_suffix(".md").write_text(text + "\n")
    print(text)
    plot(report, all_times, args.out.with_suffix(".png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
