"""Exceptions raised by pydarknet.

Every failure that crosses the native boundary is turned into one of these
classes in exactly one place (``pydarknet/_native.pyx``, ``_raise_from_guard``).
Input problems are caught earlier, in Python, by ``pydarknet.cfg`` and
``pydarknet.weights``, because darknet itself answers a bad file with ``exit()``.
"""
from __future__ import annotations

import os


class DarknetError(RuntimeError):
    """darknet reported a failure (or tried to end the process) during a call."""


class _FileProblem(DarknetError, ValueError):
    """A problem with one input file, with the file and the reason kept apart."""

    kind = "file"

    def __init__(self, path: str | os.PathLike[str], reason: str, *, line: int | None = None):
        self.path = os.fspath(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


class ConfigError(_FileProblem):
    """A darknet ``.cfg`` (or ``.data``) file that darknet would reject or misread."""

    kind = "cfg"


class WeightsError(_FileProblem):
    """A ``.weights`` file that does not fit its cfg (truncated, oversized, bad header)."""

    kind = "weights"
