"""End to end: lpr's Reader.read per image on the evaluation sets (models loaded, image decoded;
one round per image, so the median is the per-image median)."""
from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import pytest

import lpr

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "eval"


@pytest.fixture(scope="module", params=[("opencv", "contours", True), ("opencv", "contours", False),
                                        ("opencv", "yolo", True), ("darknet", "contours", True),
                                        ("darknet", "yolo", True)],
                ids=lambda p: "-".join(map(str, p[:2])) + ("" if p[2] else "-no-alternatives"))
def reader(request):
    engine, segmenter, alternatives = request.param
    with lpr.Reader(engine=engine, segmenter=segmenter, alternatives=alternatives) as r:
        pipeline = "contours + cnn" if segmenter == "contours" else "yolo + yolo"
        if segmenter == "contours" and not alternatives:
            pipeline += ", no alternatives"
        yield f"{engine}, {pipeline}", r


@pytest.mark.parametrize("subset", ["br", "us"])
def test_read_plate_per_image(benchmark, reader, subset):
    engine, r = reader
    paths = sorted((EVAL / subset).glob("*.jpg"))
    if not paths:
        pytest.skip(f"{EVAL / subset} is not available")
    images = [cv2.imread(str(p)) for p in paths]
    r.read(images[0])                                       # warm up
    cycle = itertools.cycle(images)
    benchmark.group = f"read_plate, eval/{subset} ({len(images)} images)"
    benchmark.extra_info.update(engine=engine, build="lpr " + lpr.__version__)
    benchmark.pedantic(lambda: r.read(next(cycle)), rounds=len(images), iterations=1)
