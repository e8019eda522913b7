"""What the classifier engines that are not NumPy share (lpr.engines.opencv_classifier,
lpr.engines.onnx_classifier): the files are checked by NumpyNetwork first, so a cfg or weights
file another engine would read differently, or silently accept, is refused the same way; and
when the engine has loaded them, its outputs on a seeded probe batch must be the NumPy engine's
within AGREEMENT, else it refuses to run."""
from __future__ import annotations

import os

import numpy as np

from ..recognition.numpy_network import NumpyNetwork

AGREEMENT = 1e-4      # largest difference from the NumPy engine accepted at load time
_CHECK_BATCH = 3


class CheckedClassifier:
    """Base of the classifier engines: ``predict(batch)`` as NumpyNetwork.predict, float N x C x H
    x W (or N x H x W for one channel) in [0, 1] -> float32 (N, outputs). A subclass provides
    ``_load(cfg, weights)``, ``_forward(blob)``, ``close()`` and ``engine`` (its name)."""

    engine = "?"

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
            raise RuntimeError(f"{self.engine} and the NumPy engine disagree on {cfg_path} (largest difference "
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
