"""A darknet classifier (the character CNN) run by OpenCV DNN: the same cfg and weights as
lpr.recognition.numpy_network, and the same outputs (checked when it loads: see
lpr.engines.checked_classifier), faster on a CPU.

The reader takes it with ``cnn_engine="opencv"``, and with ``"auto"`` when ONNX Runtime is not
installed (lpr.recognition.char_classifier).
"""
from __future__ import annotations

from .checked_classifier import AGREEMENT, CheckedClassifier
from .opencv_network import OpenCVNetwork

__all__ = ["OpenCVClassifier", "AGREEMENT"]


class OpenCVClassifier(CheckedClassifier, OpenCVNetwork):
    """``predict(batch)`` as NumpyNetwork.predict: float N x C x H x W (or N x H x W for one
    channel) in [0, 1] -> float32 (N, outputs). Forward passes are serialised by a lock (an OpenCV
    network is not thread-safe)."""

    engine = "OpenCV DNN"
