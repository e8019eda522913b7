"""One ONNX Runtime session made from darknet files, owned by one object: what the ONNX Runtime
engines (lpr.engines.onnx_yolo, lpr.engines.onnx_classifier) share.

The darknet network is turned into an ONNX model in memory (lpr.engines.onnx_export) and run by
ONNX Runtime's CPU provider, whose convolutions are faster here than OpenCV DNN's (README,
Benchmarks). One session serves every input shape (its height, width and batch are free). Forward
passes run under a lock per network, as every engine's do, so ``close()`` never frees a session
that is running; the outputs are NumPy copies. The owner is a context manager.

Threads: each session uses ``threads()`` intra-op threads (the usable CPUs, or what
``set_threads`` chose: lpr.read_workers gives each worker process its share), and its threads do
not spin-wait between passes, which would take the CPU from the reader's Python stages. A
detector's input is letterboxed by as many threads (two at most: pydarknet.letterbox).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

_Owner = TypeVar("_Owner", bound="OnnxNetwork")
_threads: int | None = None


def onnxruntime_available() -> bool:
    """Whether the ONNX Runtime engine can run: ``onnxruntime`` imports."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def set_threads(count: int | None) -> None:
    """Intra-op threads for the sessions made from now on (None: the usable CPUs)."""
    global _threads
    if count is not None and count < 1:
        raise ValueError(f"threads must be at least 1, got {count}")
    _threads = count


def threads() -> int:
    """The intra-op threads a new session gets."""
    if _threads is not None:
        return _threads
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:          # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class OnnxNetwork:
    """Base of the ONNX Runtime engines: subclasses call ``_load`` in their constructor and run
    ``_forward``."""

    _session = None
    threads = 1                     # the session's intra-op threads (set by _load)

    def _load(self, cfg_path: os.PathLike | str, weights_path: os.PathLike | str) -> dict[int, str]:
        """Export the darknet files (checked by the caller first) and open a session on them;
        returns the export's outputs (darknet layer index -> output name). ValueError when
        ONNX Runtime refuses the model."""
        import onnxruntime

        from .onnx_export import darknet_to_onnx

        self._name = os.fspath(cfg_path)
        model, outputs = darknet_to_onnx(cfg_path, weights_path)
        options = onnxruntime.SessionOptions()
        self.threads = options.intra_op_num_threads = threads()
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3                  # errors only: no warnings on stderr
        try:
            self._session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        except Exception as exc:          # onnxruntime raises its own exception types
            raise ValueError(f"ONNX Runtime cannot load {self._name}: {exc}") from exc
        self._input = self._session.get_inputs()[0].name
        self._lock = threading.Lock()
        return outputs

    def _forward(self, blob: np.ndarray, outputs: Sequence[str] | None = None) -> list[np.ndarray]:
        """float32 arrays of the named outputs for ``blob`` (every output when ``outputs`` is None)."""
        with self._lock:
            if self._session is None:
                raise ValueError("the network is closed")
            found = self._session.run(None if outputs is None else list(outputs),
                                      {self._input: np.ascontiguousarray(blob, dtype=np.float32)})
        return [np.asarray(out, dtype=np.float32) for out in found]

    def close(self) -> None:
        """Drop the session now; later forward passes raise ValueError."""
        with self._lock:
            self._session = None

    @property
    def closed(self) -> bool:
        return self._session is None

    def __enter__(self: _Owner) -> _Owner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
