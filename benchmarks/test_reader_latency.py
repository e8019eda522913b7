"""End to end: lpr's Reader.read per image on the evaluation sets and on plate-free background
photos (models loaded, image decoded; one round per image, so the median is the per-image
median)."""
from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import pytest

import lpr
from lpr.reader import ReaderOptions

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
EVAL = DATA / "eval"
BACKGROUNDS = 150      # plate-free photos timed: where the fallback and the large-plate pass cost most


# (engine, segmenter, alternatives, cnn_engine, cnn_model, fit_input, fallback, large_plates); the first is the
# default (auto: ONNX Runtime where it is installed), the third the default before it
PIPELINES = [
    ("onnxruntime", "contours", True, "onnxruntime", "compact", True, True, True),
    ("onnxruntime", "contours", False, "onnxruntime", "compact", True, True, True),
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


@pytest.mark.parametrize("subset", ["br", "us", "backgrounds"])
def test_read_plate_per_image(benchmark, reader, subset):
    engine, r = reader
    folder = DATA / subset if subset == "backgrounds" else EVAL / subset
    paths = sorted(folder.glob("*.jpg"))[:BACKGROUNDS if subset == "backgrounds" else None]
    if not paths:
        pytest.skip(f"{folder} is not available")
    images = [cv2.imread(str(p)) for p in paths]
    r.read(images[0])                                       # warm up
    cycle = itertools.cycle(images)
    name = f"{subset}, the first {len(images)} (no plates)" if subset == "backgrounds" else f"eval/{subset}"
    benchmark.group = f"read_plate, {name} ({len(images)} images)"
    benchmark.extra_info.update(engine=engine, build="lpr " + lpr.__version__)
    reads: list[int] = []
    benchmark.pedantic(lambda: reads.append(len(r.read(next(cycle)))), rounds=len(images), iterations=1)
    if len(reads) < len(images):                            # --benchmark-disable: one call
        reads = [len(r.read(image)) for image in images]
    # a reader that read nothing would time fastest: every pipeline finds plates in most
    # evaluation photos (each has one) and in few plate-free ones
    with_plates = sum(n > 0 for n in reads) / len(reads)
    benchmark.extra_info.update(photos_with_reads=round(with_plates, 3))
    if subset == "backgrounds":
        assert with_plates < 0.5, with_plates
    else:
        assert with_plates > 0.5, with_plates
