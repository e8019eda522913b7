"""A darknet classifier (the character CNN) run by ONNX Runtime: the same cfg and weights as
lpr.recognition.numpy_network, exported to ONNX in memory (lpr.engines.onnx_export), and the same
outputs (checked when it loads: see lpr.engines.checked_classifier). The fastest of the three
engines here (README, Benchmarks); the reader's ``cnn_engine="auto"`` takes it when
``onnxruntime`` is installed (a dependency of the package).
"""
from __future__ import annotations

from .checked_classifier import CheckedClassifier
from .onnx_network import OnnxNetwork

__all__ = ["OnnxClassifier"]


class OnnxClassifier(CheckedClassifier, OnnxNetwork):
    """``predict(batch)`` as NumpyNetwork.predict: float N x C x H x W (or N x H x W for one
    channel) in [0, 1] -> float32 (N, outputs)."""

    engine = "ONNX Runtime"
