"""End to end: lpr's Reader.read per image on the evaluation sets and on plate-free background
photos (models loaded, image decoded; one round per image, so the median is the per-image
median)."""
from __future__ import annotations

import itertools

import cv2
import pytest

import lpr

from reader_pipelines import PIPELINES, photo_sets


@pytest.fixture(scope="module", params=PIPELINES, ids=lambda p: p.name)
def reader(request):
    pipeline = request.param
    with lpr.Reader(**pipeline.reader_options()) as r:
        yield pipeline.description, r


@pytest.mark.parametrize("subset", ["br", "us", "backgrounds"])
def test_read_plate_per_image(benchmark, reader, subset):
    engine, r = reader
    paths = photo_sets([subset])[subset]
    if not paths:
        pytest.skip(f"the {subset} photos are not available")
    images = [cv2.imread(p) for p in paths]
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
