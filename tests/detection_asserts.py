"""Comparing two engines' detections: a one-to-one matching within tolerances (shared by the
tests and the benchmarks; pyproject's pytest pythonpath puts this folder on the import path)."""
from __future__ import annotations

import numpy as np


def _arrays(dets):
    return (np.array([d.class_id for d in dets], dtype=int),
            np.array([d.confidence for d in dets], dtype=np.float64),
            np.array([d.box for d in dets], dtype=np.float64).reshape(-1, 4))


def assert_same_detections(ours, expected, *, box_tol=0.05, conf_tol=1e-4):
    """Same number of detections, and a one-to-one matching with equal class, confidence within
    ``conf_tol``, every box coordinate within ``box_tol`` pixels. Also checks both are sorted."""
    assert len(ours) == len(expected), f"{len(ours)} detections, pydarknet has {len(expected)}"
    for dets in (ours, expected):
        conf = [d.confidence for d in dets]
        assert conf == sorted(conf, reverse=True), "detections not sorted by confidence"
    if not ours:
        return
    e_cls, e_conf, e_box = _arrays(expected)
    free = np.ones(len(expected), dtype=bool)
    for det in ours:
        fits = (free & (e_cls == det.class_id) & (np.abs(e_conf - det.confidence) <= conf_tol)
                & (np.abs(e_box - np.asarray(det.box)) <= box_tol).all(axis=1))
        hits = np.flatnonzero(fits)
        assert hits.size, f"no pydarknet counterpart for {det}"
        free[hits[0]] = False
    for det in ours:
        x1, y1, x2, y2 = det.box
        assert 0 <= x1 <= x2 and 0 <= y1 <= y2
