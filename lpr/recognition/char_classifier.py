"""Recognition by the character CNN: grayscale character crops -> class probabilities, run by
the NumPy engine (no darknet, no TensorFlow, no torch at inference), by ONNX Runtime or by
OpenCV DNN on the same files (lpr.engines.onnx_classifier, lpr.engines.opencv_classifier:
faster, checked at load to give the NumPy engine's outputs within 1e-4). "auto" takes ONNX
Runtime when it is installed, else OpenCV DNN, else NumPy."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .numpy_network import NumpyNetwork

if TYPE_CHECKING:
    from ..engines.checked_classifier import CheckedClassifier

MAX_ALTERNATIVES = 4
CNN_ENGINES = ("auto", "numpy", "onnxruntime", "opencv")


class CharClassifier:
    """Wraps the character CNN. ``classify(crops)`` takes N x 100 x 75 float32 crops in [0, 1]
    (dark character on light, see lpr.segmentation.contours.char_crops) and returns, per crop,
    ``(char, probability)`` best first. ``engine``: "auto" (the default), "numpy",
    "onnxruntime" or "opencv" (see resolve_cnn_engine); ``.engine`` says which one runs."""

    def __init__(self, cfg, weights, names: Sequence[str], engine: str = "auto") -> None:
        engine = resolve_cnn_engine(engine)
        self.network: NumpyNetwork | CheckedClassifier
        if engine == "onnxruntime":
            from ..engines.onnx_classifier import OnnxClassifier

            self.network = OnnxClassifier(cfg, weights)
        elif engine == "opencv":
            from ..engines.opencv_classifier import OpenCVClassifier

            self.network = OpenCVClassifier(cfg, weights)
        else:
            self.network = NumpyNetwork(cfg, weights)
        self.engine = engine
        self.names = tuple(names)
        channels, self.height, self.width = self.network.input_shape
        if channels != 1:
            raise ValueError(f"{cfg}: the character CNN must take one (grayscale) channel, not {channels}")

    @property
    def crop_size(self) -> tuple[int, int]:
        """(width, height) of the crops it takes."""
        return self.width, self.height

    def classify(self, crops: np.ndarray) -> list[tuple[tuple[str, float], ...]]:
        if len(crops) == 0:
            return []
        probabilities = self.network.predict(np.asarray(crops, dtype=np.float32).reshape(
            len(crops), 1, self.height, self.width))
        top = np.argsort(-probabilities, axis=1, kind="stable")[:, :1 + MAX_ALTERNATIVES]
        names = self.names
        return [tuple((names[i], p) for i, p in zip(ids, row))
                for ids, row in zip(top.tolist(), np.take_along_axis(probabilities, top, axis=1).tolist())]

    def close(self) -> None:
        close = getattr(self.network, "close", None)
        if close is not None:
            close()


def resolve_cnn_engine(engine: str) -> str:
    """'numpy', 'onnxruntime' or 'opencv' for ``engine`` (one of CNN_ENGINES): "auto" is ONNX
    Runtime when it is installed, else OpenCV DNN when it is (the same outputs, several times
    faster here), else NumPy. ValueError otherwise."""
    from ..engines.select import fastest_cpu_engine, require_onnxruntime, require_opencv

    if engine not in CNN_ENGINES:
        raise ValueError(f"cnn_engine must be one of {', '.join(CNN_ENGINES)}, got {engine!r}")
    if engine == "auto":
        return fastest_cpu_engine() or "numpy"
    if engine == "opencv":
        require_opencv("cnn_engine")
    elif engine == "onnxruntime":
        require_onnxruntime("cnn_engine")
    return engine
