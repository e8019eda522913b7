"""Recognition by the character CNN: grayscale 75x100 character crops -> class probabilities,
run by the NumPy engine (no darknet, no TensorFlow, no torch at inference) or by OpenCV DNN on
the same files (lpr.engines.opencv_classifier: faster, checked at load to give the NumPy
engine's outputs within 1e-4). "auto" takes OpenCV DNN when it is installed, else NumPy."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .numpy_network import NumpyNetwork

MAX_ALTERNATIVES = 4
CNN_ENGINES = ("auto", "numpy", "opencv")


class CharClassifier:
    """Wraps the character CNN. ``classify(crops)`` takes N x 100 x 75 float32 crops in [0, 1]
    (dark character on light, see lpr.segmentation.contours.char_crops) and returns, per crop,
    ``(char, probability)`` best first. ``engine``: "auto" (the default), "numpy" or "opencv"
    (see resolve_cnn_engine); ``.engine`` says which one runs."""

    def __init__(self, cfg, weights, names: Sequence[str], engine: str = "auto") -> None:
        engine = resolve_cnn_engine(engine)
        if engine == "opencv":
            from ..engines.opencv_classifier import OpenCVClassifier

            self.network: NumpyNetwork | OpenCVClassifier = OpenCVClassifier(cfg, weights)
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
        out = []
        for row in probabilities:
            top = np.argsort(-row, kind="stable")[:1 + MAX_ALTERNATIVES]
            out.append(tuple((self.names[i], float(row[i])) for i in top))
        return out

    def close(self) -> None:
        close = getattr(self.network, "close", None)
        if close is not None:
            close()


def resolve_cnn_engine(engine: str) -> str:
    """'numpy' or 'opencv' for ``engine`` (one of CNN_ENGINES): "auto" is OpenCV DNN when it is
    installed (the same outputs, several times faster here), else NumPy. ValueError otherwise."""
    from ..engines.select import opencv_available, require_opencv

    if engine not in CNN_ENGINES:
        raise ValueError(f"cnn_engine must be one of {', '.join(CNN_ENGINES)}, got {engine!r}")
    if engine == "auto":
        return "opencv" if opencv_available() else "numpy"
    if engine == "opencv":
        require_opencv("cnn_engine")
    return engine
