"""One OpenCV DNN network loaded from darknet files, owned by one object: what the OpenCV
engines (lpr.engines.opencv_yolo, lpr.engines.opencv_classifier) share.

OpenCV networks are not thread-safe, so forward passes run under a lock per network, and the
outputs are copied out of OpenCV's memory before the lock is released. ``close()`` drops the
network (later passes raise ValueError); the owner is a context manager.

OpenCV plans a network's memory for one input shape and plans it again whenever the shape
changes (about 3 ms for the plate detector), so inputs of several shapes in turn (photos of
several aspect ratios at fit_input, the large-plate pass) may each get a copy of the network,
built from the files' bytes kept in memory: a subclass's ``shapes_kept`` shapes used last (the
plate detector's two: a camera's frames at both passes; each copy holds its own buffers, and two
took 30 MB more than one), with the least recently used copy planned again for a new shape. The
character CNN, whose batch size changes with every plate, keeps one network, planned again as
needed.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

_Owner = TypeVar("_Owner", bound="OpenCVNetwork")


class OpenCVNetwork:
    """Base of the OpenCV engines: subclasses call ``_load`` in their constructor and run
    ``_forward``."""

    _net = None
    shapes_kept = 1     # input shapes with a network of their own, the last used

    def _load(self, cfg_path: os.PathLike | str, weights_path: os.PathLike | str) -> None:
        """Read the darknet cfg and weights into OpenCV DNN on the CPU (ValueError when OpenCV
        cannot). The caller checks the files first."""
        self._name = os.fspath(cfg_path)
        self._files = (os.fspath(cfg_path), os.fspath(weights_path))
        if self.shapes_kept > 1:          # copies are made from memory, whatever happens to the files
            with open(cfg_path, "rb") as cfg, open(weights_path, "rb") as weights:
                self._files = (np.frombuffer(cfg.read(), np.uint8), np.frombuffer(weights.read(), np.uint8))
        self._lock = threading.Lock()
        self._by_shape: OrderedDict[tuple[int, ...], object] = OrderedDict()
        self._net = self._new_net()      # the first shape's; also what subclasses ask for layer names

    def _new_net(self):
        import cv2

        try:
            net = cv2.dnn.readNetFromDarknet(*self._files)
        except cv2.error as exc:
            raise ValueError(f"OpenCV cannot load {self._name}: {exc}") from exc
        net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
        return net

    def _net_for(self, shape: tuple[int, ...]):
        """The network for inputs of ``shape`` (under the lock): the one that ran that shape
        last, else the loaded one for the first shape, a new copy while there are fewer than
        shapes_kept, and then the least recently used one, planned again for this shape. With
        shapes_kept 1: the loaded one, whatever the shape."""
        if self.shapes_kept <= 1:
            return self._net
        net = self._by_shape.get(shape)
        if net is not None:
            self._by_shape.move_to_end(shape)
            return net
        if not self._by_shape:
            net = self._net
        elif len(self._by_shape) < self.shapes_kept:
            net = self._new_net()
        else:
            _, net = self._by_shape.popitem(last=False)
        self._by_shape[shape] = net
        return net

    def _forward(self, blob: np.ndarray, outputs: Sequence[str] | None = None) -> list[np.ndarray]:
        """float32 copies of the named layers' outputs for ``blob`` (of the last layer when
        ``outputs`` is None)."""
        with self._lock:
            if self._net is None:
                raise ValueError("the network is closed")
            net = self._net_for(tuple(blob.shape))
            net.setInput(blob)
            found = [net.forward()] if outputs is None else net.forward(list(outputs))
            return [np.array(out, dtype=np.float32, copy=True) for out in found]

    def close(self) -> None:
        """Drop the OpenCV networks now; later forward passes raise ValueError."""
        with self._lock:
            self._net = None
            self._by_shape.clear()
            self._files = None

    @property
    def closed(self) -> bool:
        return self._net is None

    def __enter__(self: _Owner) -> _Owner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
