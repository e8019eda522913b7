"""End to end: lpr's Reader.read per image on the evaluation sets (models loaded, image decoded;
one round per image, so the median is the per-image median)."""
from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import pytest

import lpr
from lpr.reader import ReaderOptions

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "eval"


# (engine, segmenter, alternatives, cnn_engine, cnn_model, fit_input, fallback, large_plates); the first is the default
PIPELINES = [
    ("opencv", "contours", True, "opencv", "compact", True, True, True),
    ("opencv", "contours", True, "opencv", "compact", True, True, False),
    ("opencv", "contours", True, "opencv", "compact", True, False, True),
    ("opencv", "contours", False, "opencv", "compact", True, True, True),
    ("opencv", "contours", True, "opencv", "compact", False, True, True),
    ("opencv", "contours", True, "numpy", "compact", True, True, True),
    ("opencv", "contours", True, "opencv", "study", True, True, True),
    ("opencv", "contours", False, "opencv", "study", True, True, True),
    ("opencv", "contours", True, "numpy", "study", True, True, True),
    ("opencv", "yolo", True, "numpy", "compact", True, True, True),
    ("darknet", "contours", True, "numpy", "compact", True, True, True),
    ("darknet", "yolo", True, "numpy", "compact", True, True, True),
]


def _name(p) -> str:
    engine, segmenter, alternatives, cnn_engine, cnn_model, fit_input, fallback, large_plates = p
    if segmenter == "yolo":
        return f"{engine}-yolo"
    return "-".join((engine, "contours", cnn_model, f"cnn-{cnn_engine}")
                    + (() if alternatives else ("no-alternatives",)) + (() if fit_input else ("full-input",))
                    + (() if fallback else ("no-fallback",)) + (() if large_plates else ("one-pass",)))


@pytest.fixture(scope="module", params=PIPELINES, ids=_name)
def reader(request):
    engine, segmenter, alternatives, cnn_engine, cnn_model, fit_input, fallback, large_plates = request.param
    options = {} if fallback else {"fallback_threshold": ReaderOptions.plate_threshold}   # off
    with lpr.Reader(engine=engine, segmenter=segmenter, alternatives=alternatives, cnn_engine=cnn_engine,
                    cnn_model=cnn_model, fit_input=fit_input, large_plates=large_plates, **options) as r:
        if segmenter == "yolo":
            pipeline = "yolo + yolo"
        else:
            pipeline = (f"contours + {cnn_model} cnn ({cnn_engine})" + ("" if alternatives else ", no alternatives")
                        + ("" if fit_input else ", detector at the cfg's full input")
                        + ("" if fallback else ", no fallback")
                        + ("" if large_plates else ", no large-plate pass"))
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
