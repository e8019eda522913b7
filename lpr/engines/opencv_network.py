"""One OpenCV DNN network loaded from darknet files, owned by one object: what the OpenCV
engines (lpr.engines.opencv_yolo, lpr.engines.opencv_classifier) share.

OpenCV networks are not thread-safe, so forward passes run under a lock per network, and the
outputs are copied out of OpenCV's memory before the lock is released. ``close()`` drops the
network (later passes raise ValueError); the owner is a context manager.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

_Owner = TypeVar("_Owner", bound="OpenCVNetwork")


class OpenCVNetwork:
    """Base of the OpenCV engines: subclasses call ``_load`` in their constructor and run
    ``_forward``."""

    _net = None

    def _load(self, cfg_path: os.PathLike | str, weights_path: os.PathLike | str) -> None:
        """Read the darknet cfg and weights into OpenCV DNN on the CPU (ValueError when OpenCV
        cannot). The caller checks the files first."""
        import cv2

        try:
            net = cv2.dnn.readNetFromDarknet(os.fspath(cfg_path), os.fspath(weights_path))
        except cv2.error as exc:
            raise ValueError(f"OpenCV cannot load {cfg_path}: {exc}") from exc
        net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
        self._lock = threading.Lock()
        self._net = net

    def _forward(self, blob: np.ndarray, outputs: Sequence[str] | None = None) -> list[np.ndarray]:
        """float32 copies of the named layers' outputs for ``blob`` (of the last layer when
        ``outputs`` is None)."""
        with self._lock:
            if self._net is None:
                raise ValueError("the network is closed")
            self._net.setInput(blob)
            found = [self._net.forward()] if outputs is None else self._net.forward(list(outputs))
            return [np.array(out, dtype=np.float32, copy=True) for out in found]

    def close(self) -> None:
        """Drop the OpenCV network now; later forward passes raise ValueError."""
        with self._lock:
            self._net = None

    @property
    def closed(self) -> bool:
        return self._net is None

    def __enter__(self: _Owner) -> _Owner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
