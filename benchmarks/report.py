"""Turns a pytest-benchmark JSON file into the README's table (Markdown) and a bar chart (PNG)."""
from __future__ import annotations

import json
import platform
import sys
from pathlib import Path


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def main(path: str) -> None:
    data = json.loads(Path(path).read_text())
    rows = []
    for bench in data["benchmarks"]:
        info = bench.get("extra_info", {})
        stats = bench["stats"]
        rows.append((bench["group"], info.get("engine", "?"), info.get("build", ""),
                     stats["median"] * 1000, stats["min"] * 1000, stats["rounds"]))
    rows.sort()
    lines = [f"Machine: {machine()}; {data.get('datetime', '')[:10]}", "",
             "| benchmark | engine | build | median ms | min ms | rounds |",
             "|---|---|---|---:|---:|---:|"]
    lines += [f"| {g} | {e} | {b} | {med:.1f} | {mn:.1f} | {r} |" for g, e, b, med, mn, r in rows]
    table = "\n".join(lines)
    print(table)
    out = Path(path).with_suffix(".md")
    out.write_text(table + "\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    labels = [f"{g} · {e}" for g, e, *_ in rows]
    # room for the longest label beside a plot of fixed width; a log axis keeps 1 ms and 500 ms readable
    fig, ax = plt.subplots(figsize=(6.0 + 0.075 * max(map(len, labels)), 0.5 + 0.45 * len(rows)))
    ax.barh(labels, [r[3] for r in rows], color=["#c0392b" if r[1].startswith("darknet") else "#2e86c1" for r in rows])
    ax.set_xscale("log")
    ax.set_xlim(min(r[3] for r in rows) * 0.5, max(r[3] for r in rows) * 3.0)
    ax.set_xlabel("median ms per call, log scale (lower is better)")
    ax.invert_yaxis()
    for y, r in enumerate(rows):
        ax.text(r[3], y, f" {r[3]:.0f} ms" if r[3] >= 10 else f" {r[3]:.1f} ms", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(Path(path).with_suffix(".png"), dpi=110)


if __name__ == "__main__":
    main(sys.argv[1])
