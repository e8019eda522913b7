"""benchmarks/interleaved_latency.py: every configuration is timed in turn on each photo, the order
rotating, and the table's ratios are per photo; the pipelines keep the benchmark ids they had."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "interleaved_latency.py"


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def timing():
    return _module(SCRIPT, "interleaved_latency")


def test_every_reader_reads_every_image_and_the_order_rotates(timing):
    calls: list[tuple[str, int]] = []

    def reader(name):
        def read(image):
            calls.append((name, image))
            return f"{name}:{image}"
        return read

    ticks = []
    times, results = timing.time_in_turn([10, 11, 12, 13], {n: reader(n) for n in "abc"}, rounds=2,
                                         progress=ticks.append)
    assert [len(times[n]) for n in "abc"] == [8, 8, 8] and all(t >= 0 for n in "abc" for t in times[n])
    assert results["b"] == [f"b:{i}" for i in (10, 11, 12, 13)] * 2
    assert len(ticks) == 8
    firsts = [calls[k][0] for k in range(0, len(calls), 3)]
    # image k of round r starts with reader (k + r) mod 3: each reader goes first as often as the others
    assert firsts == ["a", "b", "c", "a", "b", "c", "a", "b"]
    assert calls[3:6] == [("b", 11), ("c", 11), ("a", 11)]


def test_the_ratio_to_the_first_is_the_median_of_per_photo_ratios(timing):
    times = {"first": [10.0, 20.0, 40.0], "other": [5.0, 30.0, 20.0]}
    rows = {r["name"]: r for r in timing.summary(times, "first")}
    assert rows["first"]["ratio_to_first"] == 1.0
    assert rows["other"]["ratio_to_first"] == pytest.approx(0.5)     # ratios 0.5, 1.5, 0.5
    assert rows["other"]["median_ms"] == 20.0 and rows["other"]["mean_ms"] == pytest.approx(55 / 3)
    assert rows["other"]["p90_ms"] == pytest.approx(28.0) and rows["other"]["photos"] == 3
    text = timing.table({"machine": "m", "date": "d", "rounds": 1, "sets": {"br": list(rows.values())}})
    assert "| other | 20.0 | 28.0 | 18.3 | 0.50 |" in text


def test_unknown_sets_and_pipelines_are_refused(timing):
    with pytest.raises(ValueError, match="nowhere"):
        timing.photo_sets(["br", "nowhere"])
    for argument in (["--sets", "nowhere"], ["--pipelines", "99"], ["--pipelines", "x"]):
        run = subprocess.run([sys.executable, str(SCRIPT), *argument], capture_output=True, text=True, timeout=120)
        assert run.returncode == 2 and "error" in run.stderr, (argument, run.stderr)


def test_the_pipelines_keep_their_benchmark_ids_and_reader_options():
    pipelines = _module(ROOT / "benchmarks" / "reader_pipelines.py", "reader_pipelines").PIPELINES
    names = [p.name for p in pipelines]
    assert len(set(names)) == len(names)
    assert names[0] == "onnxruntime-contours-compact-cnn-onnxruntime"
    assert names[-1] == "onnxruntime-contours-slim-cnn-onnxruntime"
    assert "opencv-contours-compact-cnn-opencv-no-fallback" in names and "darknet-yolo" in names
    no_fallback = next(p for p in pipelines if not p.fallback).reader_options()
    from lpr.reader import ReaderOptions
    assert no_fallback["fallback_threshold"] == ReaderOptions.plate_threshold
    assert "fallback_threshold" not in pipelines[0].reader_options()
    assert pipelines[1].description == "onnxruntime, contours + compact cnn (onnxruntime), no alternatives"
