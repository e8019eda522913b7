"""A picture of lpr eval's operating points: what keeping only reads of at least a confidence
gives, as the threshold goes from 0 to 1 (lpr.evaluation.EvalReport.operating_points).

    lpr eval ../shared/data/eval/br --curve br-confidence.png

Two curves per set: the labelled plates read right and kept (falls as the threshold rises), and
the kept reads of labelled plates that are right (rises). Needs matplotlib (the package's
``bench`` extra); the rest of lpr does not.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .evaluation import EvalReport

THRESHOLDS = tuple(float(t) for t in np.round(np.linspace(0.0, 1.0, 101), 2))


def require_matplotlib() -> None:
    """ImportError with what to install when matplotlib is missing (checked before a long run)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError("the confidence curve needs matplotlib: pip install matplotlib "
                          "(or the package with its bench extra)") from exc


def plot_operating_points(reports: Mapping[str, EvalReport], out: Path) -> Path:
    """Write the curves of each named report to ``out`` (PNG); returns ``out``."""
    require_matplotlib()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for k, (name, report) in enumerate(reports.items()):
        points = report.operating_points(THRESHOLDS)
        colour = f"C{k}"
        right = "read right" if report.has_text else "found"
        ax.plot([p.threshold for p in points], [p.recall for p in points], color=colour, lw=1.6,
                label=f"{name}: plates {right} and kept")
        ax.plot([p.threshold for p in points], [p.accuracy if p.kept else np.nan for p in points],
                color=colour, lw=1.6, ls="--", label=f"{name}: kept reads that are right")   # none kept: no point
    ax.set_xlabel("confidence threshold (PlateRead.confidence)")
    ax.set_ylabel("share")
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
