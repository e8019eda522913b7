"""No leaks across the native boundary: repeated detect() and repeated open/close keep RSS flat."""
from __future__ import annotations

import gc

import numpy as np
import pytest

import pydarknet


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    import os
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.slow
def test_detect_2000_times_keeps_rss_flat(tiny_yolo):
    image = np.random.default_rng(1).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    with pydarknet.Network(*tiny_yolo) as net:
        for _ in range(50):
            net.detect(image, thresh=0.05)
        gc.collect()
        before = rss_mb()
        found = 0
        for _ in range(2000):
            found += len(net.detect(image, thresh=0.05))
        gc.collect()
        grown = rss_mb() - before
    assert found > 0, "detections must be made (and freed) for the test to mean something"
    assert grown < 10, f"RSS grew by {grown:.1f} MB over 2000 detect() calls"


@pytest.mark.slow
def test_open_close_200_networks_keeps_rss_flat(tiny_yolo):
    for _ in range(10):
        pydarknet.Network(*tiny_yolo).close()
    gc.collect()
    before = rss_mb()
    for _ in range(200):
        with pydarknet.Network(*tiny_yolo) as net:
            net.forward(np.zeros((1, 3, 64, 64), np.float32))
    gc.collect()
    grown = rss_mb() - before
    assert grown < 10, f"RSS grew by {grown:.1f} MB over 200 networks"


@pytest.mark.slow
def test_onnx_runtime_engines_keep_rss_flat():
    """The reader's default engines: 600 passes at the reader's input shapes (three photo shapes,
    both passes, three batch sizes) add nothing; 100 sessions opened and closed hold no model
    each (one leaked session would keep its ~1 MB model and buffers; measured: 0.5 MB in all)."""
    pytest.importorskip("onnxruntime")
    from lpr import model_files as mf
    from lpr.engines.onnx_classifier import OnnxClassifier
    from lpr.engines.onnx_yolo import OnnxYolo

    plates, cnn = mf.model_files(mf.PLATE_DETECTOR), mf.model_files(mf.CHAR_CNN_COMPACT)
    rng = np.random.default_rng(2)
    shapes = ((720, 1280, 3), (960, 1280, 3), (1280, 1280, 3))
    images = [rng.integers(0, 256, shape, dtype=np.uint8) for shape in shapes]
    crops = [rng.random((n, 48, 36), dtype=np.float32) for n in (3, 17, 40)]

    def passes(detector, classifier, count):
        for k in range(count):
            detector.detect(images[k % 3], thresh=0.05, fit_input=True, input_scale=(1.0, 0.5)[k % 2])
            classifier.predict(crops[k % 3])

    with OnnxYolo(plates.cfg, plates.weights) as detector, OnnxClassifier(cnn.cfg, cnn.weights) as classifier:
        passes(detector, classifier, 60)
        before = _settled_rss_mb()
        passes(detector, classifier, 600)
        grown = _settled_rss_mb() - before
    assert grown < 10, f"RSS grew by {grown:.1f} MB over 600 passes"
    for _ in range(5):
        OnnxYolo(plates.cfg, plates.weights).close()
    before = _settled_rss_mb()
    for _ in range(100):
        with OnnxYolo(plates.cfg, plates.weights) as detector:
            detector.detect(images[0])
    grown = _settled_rss_mb() - before
    assert grown < 10, f"RSS grew by {grown:.1f} MB over 100 sessions"


def _settled_rss_mb() -> float:
    """RSS after a garbage collection and glibc's malloc_trim (freed heap pages handed back: a
    session frees many blocks, and what glibc keeps of them is not a leak)."""
    import ctypes

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):     # pragma: no cover - not glibc
        pass
    return rss_mb()
