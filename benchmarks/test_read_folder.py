"""Throughput: `lpr read --json --workers N` over a folder of photos (eval/br), as a user runs
it: a process of its own, start-up and decoding included, one round per whole run. With
several workers each image takes longer and the folder less (lpr/read_workers.py)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import lpr
from lpr.evaluation import IMAGE_SUFFIXES

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
FOLDER = DATA / "eval" / "br"
WORKERS = [1, 2]
TEXTS: dict[int, list[list[str]]] = {}      # workers -> each image's plate texts, to compare runs


@pytest.mark.parametrize("workers", WORKERS)
def test_lpr_read_a_folder(benchmark, tmp_path, workers):
    images = sorted(p for p in FOLDER.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if FOLDER.is_dir() else []
    if not images:
        pytest.skip(f"{FOLDER} is not available")
    command = [sys.executable, "-m", "lpr.cli", "read", "--json", "--quiet", "--workers", str(workers), str(FOLDER)]
    outputs: list[str] = []

    def run() -> None:
        done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=600)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)

    benchmark.group = f"lpr read, eval/br ({len(images)} photos), whole run"
    benchmark.extra_info.update(engine=f"lpr read --workers {workers}", build="lpr " + lpr.__version__)
    benchmark.pedantic(run, rounds=3, iterations=1)
    if not outputs:                              # --benchmark-disable: one call
        run()
    lines = [json.loads(line) for line in outputs[-1].splitlines()]
    assert [item["image"] for item in lines] == [str(p) for p in images]
    TEXTS[workers] = [[p["text"] for p in item.get("plates", [])] for item in lines]
    assert sum(bool(t) for t in TEXTS[workers]) >= 0.8 * len(images)      # a run that read nothing is no run
    if 1 in TEXTS:                               # the workers read what one reader reads
        assert TEXTS[workers] == TEXTS[1]
