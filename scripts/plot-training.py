"""Plot the loss logs (loss.csv written by `lpr train`) of the shipped models into one PNG.

    python scripts/plot-training.py training/checkpoints/*-loss.csv -o training/checkpoints/loss.png
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path


def read_log(path: Path) -> tuple[list[int], list[float]]:
    """Iterations and darknet's running-average loss; a resumed run's repeated iterations keep
    the last value written."""
    by_iteration: dict[int, float] = {}
    with path.open() as f:
        for row in csv.DictReader(f):
            by_iteration[int(row["iteration"])] = float(row["avg_loss"])
    its = sorted(by_iteration)
    return its, [by_iteration[i] for i in its]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logs", type=Path, nargs="+")
    parser.add_argument("-o", "--out", type=Path, required=True)
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(args.logs), figsize=(4.2 * len(args.logs), 3.4))
    for ax, log in zip(axes if len(args.logs) > 1 else [axes], args.logs):
        its, avg = read_log(log)
        ax.plot(its, avg, lw=1.2)
        ax.set_yscale("log")
        ax.set_title(log.stem.replace("-loss", ""))
        ax.set_xlabel("iteration")
        ax.set_ylabel("average loss (darknet)")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(args.out)


if __name__ == "__main__":
    main()
