"""Pick the engine that runs a YOLO model: darknet (pydarknet, CPU or GPU), ONNX Runtime or
OpenCV DNN.

All take the same cfg and weights and return the same pydarknet.Detection lists (tested to
agree). ``auto``: darknet when it runs on a GPU, else ONNX Runtime when it is installed, else
OpenCV DNN when it is, else darknet: on a CPU, the fastest first (README, Benchmarks).
"""
from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

import pydarknet

from . import ENGINES


class YoloEngine(Protocol):
    @property
    def can_fit_input(self) -> bool:
        ...

    def detect(self, image: np.ndarray, *, thresh: float = 0.25, nms: float = 0.45,
               fit_input: bool = False, input_scale: float = 1.0) -> list[pydarknet.Detection]:
        ...

    def close(self) -> None:
        ...


def opencv_available() -> bool:
    try:
        import cv2
    except ImportError:
        return False
    return hasattr(cv2, "dnn") and hasattr(cv2.dnn, "readNetFromDarknet")


def require_opencv(option: str) -> None:
    """ValueError naming ``option`` (as in ``engine='opencv'``) when OpenCV's dnn module is missing."""
    if not opencv_available():
        raise ValueError(f"{option}='opencv' needs OpenCV with its dnn module (pip install opencv-python-headless)")


def require_onnxruntime(option: str) -> None:
    """ValueError naming ``option`` when ONNX Runtime is missing."""
    from .onnx_network import onnxruntime_available

    if not onnxruntime_available():
        raise ValueError(f"{option}='onnxruntime' needs the onnxruntime package (pip install onnxruntime)")


def fastest_cpu_engine() -> str | None:
    """'onnxruntime', else 'opencv', whichever is installed first (None: neither)."""
    from .onnx_network import onnxruntime_available

    if onnxruntime_available():
        return "onnxruntime"
    return "opencv" if opencv_available() else None


def resolve_engine(engine: str) -> str:
    """'darknet', 'onnxruntime' or 'opencv' for ``engine`` (one of ENGINES); ValueError otherwise."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine != "auto":
        if engine == "opencv":
            require_opencv("engine")
        elif engine == "onnxruntime":
            require_onnxruntime("engine")
        return engine
    if pydarknet.build_info().get("cuda_devices"):
        return "darknet"
    return fastest_cpu_engine() or "darknet"


def open_yolo(cfg, weights, names: Sequence[str], engine: str) -> YoloEngine:
    """A loaded detector on ``engine`` (see resolve_engine)."""
    engine = resolve_engine(engine)
    if engine == "onnxruntime":
        from .onnx_yolo import OnnxYolo

        return OnnxYolo(cfg, weights, names=list(names))
    if engine == "opencv":
        from .opencv_yolo import OpenCVYolo

        return OpenCVYolo(cfg, weights, names=list(names))
    return pydarknet.Network(cfg, weights, names=list(names))
