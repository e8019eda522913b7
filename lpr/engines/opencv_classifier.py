"""A darknet classifier (the character CNN) run by OpenCV DNN: the same cfg and weights as
lpr.recognition.numpy_network, and the same outputs (checked when it loads), faster on a CPU.

The reader takes it when OpenCV is installed (``cnn_engine="auto"``, the default; NumPy alone
with ``cnn_engine="numpy"``). The files are checked by NumpyNetwork first, so a
cfg or weights file OpenCV would read differently, or silently accept, is refused the same way.
"""
from __future__ import annotations

import os

import numpy as np

from ..recognition.numpy_network import NumpyNetwork
from .opencv_network import OpenCVNetwork

AGREEMENT = 1e-4      # largest difference from the NumPy engine accepted at load time
_CHECK_BATCH = 3


class OpenCVClassifier(OpenCVNetwork):
    """``predict(batch)`` as NumpyNetwork.predict: float N x C x H x W (or N x H x W for one
    channel) in [0, 1] -> float32 (N, outputs). Forward passes are serialised by a lock (an OpenCV
    network is not thread-safe)."""

    def __init__(self, cfg_path: os.PathLike | str, weights_path: os.PathLike | str) -> None:
        reference = NumpyNetwork(cfg_path, weights_path)   # checks both files
        self.input_shape = reference.input_shape
        self.classes = reference.classes
        self._load(cfg_path, weights_path)
        probe = np.random.default_rng(0).random((_CHECK_BATCH, *self.input_shape), dtype=np.float32)
        expected, got = reference.predict(probe), self.predict(probe)
        if got.shape != expected.shape or not np.allclose(got, expected, rtol=0.0, atol=AGREEMENT):
            worst = float(np.abs(got - expected).max()) if got.shape == expected.shape else float("inf")
            self.close()
            raise RuntimeError(f"OpenCV DNN and the NumPy engine disagree on {cfg_path} (largest difference "
                               f"{worst:.3g}, shapes {got.shape} / {expected.shape}): use the NumPy engine")

    def predict(self, batch: np.ndarray) -> np.ndarray:
        x = np.asarray(batch, dtype=np.float32)
        c, h, w = self.input_shape
        if x.ndim == 3 and c == 1:
            x = x[:, None]
        if x.ndim != 4 or x.shape[1:] != (c, h, w):
            raise ValueError(f"the batch must be shaped (N, {c}, {h}, {w}), got {x.shape}")
        if not len(x):
            return np.zeros((0, self.classes), np.float32)
        (out,) = self._forward(np.ascontiguousarray(x))
        return out.reshape(len(x), -1)
