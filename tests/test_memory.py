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
