"""End to end: lpr's Reader.read per image on the evaluation sets (models loaded, image decoded;
one round per image, so the median is the per-image median)."""
from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import pytest

import lpr

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "eval"


PIPELINES = [  # (engine, segmenter, alternatives, cnn_engine)
    ("opencv", "contours", True, "numpy"), ("opencv", "contours", False, "numpy"),
    ("opencv", "contours", True, "opencv"), ("opencv", "contours", False, "opencv"),
    ("opencv", "yolo", True, "numpy"), ("darknet", "contours", True, "numpy"), ("darknet", "yolo", True, "numpy"),
]


def _name(p) -> str:
    engine, segmenter, alternatives, cnn_engine = p
    return "-".join((engine, segmenter) + (() if alternatives else ("no-alternatives",))
                    + (("cnn-opencv",) if segmenter == "contours" and cnn_engine == "opencv" else ()))


@pytest.fixture(scope="module", params=PIPELINES, ids=_name)
def reader(request):
    engine, segmenter, alternatives, cnn_engine = request.param
    with lpr.Reader(engine=engine, segmenter=segmenter, alternatives=alternatives, cnn_engine=cnn_engine) as r:
        pipeline = "contours + cnn" if segmenter == "contours" else "yolo + yolo"
        if segmenter == "contours" and cnn_engine != "numpy":
            pipeline += f" ({cnn_engine} cnn)"
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
