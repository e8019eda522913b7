"""Check, read and write darknet ``.weights`` files against a parsed cfg.

A weights file is a header followed by raw little-endian float32 values, layer after
layer, in the order ``load_weights_upto`` (parser.c) reads them.  darknet never checks
the file size: a truncated file leaves layers half-initialised and an oversized one is
silently accepted.  :func:`check_weights` proves that a file matches its cfg byte for
byte before the native code loads it.

Header (``load_weights_upto``): int32 major, int32 minor, int32 revision, then ``seen``
as a uint64 when ``major*10 + minor >= 2 and major < 1000 and minor < 1000``, else as an
int32.  Connected-layer weights are stored transposed when ``major > 1000 or minor > 1000``.
"""
from __future__ import annotations

import errno
import itertools
import math
import os
import struct
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator, NamedTuple, Union

import numpy as np

from .cfg import LayerSpec, NetworkConfig, parse_cfg
from .errors import WeightsError

__all__ = [
    "FLOAT_BYTES",
    "HEADER_BYTES",
    "LayerExtent",
    "WeightsHeader",
    "check_weights",
    "expected_size",
    "header_size",
    "layout",
    "read_header",
    "read_weights",
    "write_random_weights",
    "write_weights",
]

FLOAT_BYTES = 4
HEADER_BYTES = 20  # what save_weights writes: major=0, minor=2, revision=0, uint64 seen
_VERSION = struct.Struct("<iii")
_SCAN_CHUNK = 1 << 22  # floats per chunk when scanning for NaN/inf

ConfigLike = Union[NetworkConfig, str, os.PathLike]


@dataclass(frozen=True)
class WeightsHeader:
    """The header of a weights file (and, from :func:`check_weights`, what it covers).

    ``layers_covered`` is the number of leading cfg layers whose weights the file holds
    completely (darknet's ``cutoff``): all layers for a complete file, fewer for a
    pretrained backbone such as ``darknet53.conv.74`` accepted with ``allow_partial``.
    """

    major: int
    minor: int
    revision: int
    seen: int
    header_bytes: int
    transpose: bool
    layers_covered: int | None = None
    complete: bool | None = None


class LayerExtent(NamedTuple):
    """Where one layer's floats lie in the file: bytes ``[start, end)``."""

    index: int
    start: int
    end: int


def _c_int(value: int) -> int:
    """Wrap to a 32-bit C int, as ``major*10 + minor`` does in darknet."""
    return (value + 2**31) % 2**32 - 2**31


def _seen_is_uint64(major: int, minor: int) -> bool:
    return _c_int(major * 10 + minor) >= 2 and major < 1000 and minor < 1000


def _open_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "darknet weights file not found", str(path)) from None


def read_header(path: str | os.PathLike[str]) -> WeightsHeader:
    """Read the version/seen header exactly as ``load_weights_upto`` does."""
    path = Path(path)
    size = _open_size(path)
    with path.open("rb") as handle:
        head = handle.read(HEADER_BYTES)
    if len(head) < _VERSION.size:
        raise WeightsError(path, f"too short for a darknet weights header: {size} bytes")
    major, minor, revision = _VERSION.unpack_from(head)
    if _seen_is_uint64(major, minor):
        seen_format, header_bytes = "<Q", 20
    else:
        seen_format, header_bytes = "<i", 16
    if len(head) < header_bytes:
        raise WeightsError(
            path,
            f"too short for a darknet weights header: {size} bytes, version "
            f"{major}.{minor}.{revision} needs {header_bytes}",
        )
    (seen,) = struct.unpack_from(seen_format, head, _VERSION.size)
    transpose = major > 1000 or minor > 1000
    return WeightsHeader(major, minor, revision, seen, header_bytes, transpose)


def header_size(path: str | os.PathLike[str]) -> int:
    """Bytes before the first float: 20 (uint64 ``seen``) or 16 (old int32 ``seen``)."""
    return read_header(path).header_bytes


def _as_config(config: ConfigLike) -> NetworkConfig:
    return config if isinstance(config, NetworkConfig) else parse_cfg(config)


def layout(config: ConfigLike, header_bytes: int = HEADER_BYTES) -> list[LayerExtent]:
    """Byte ranges of every layer that ``load_weights`` reads floats for, in file order."""
    config = _as_config(config)
    extents = []
    offset = header_bytes
    for spec in config.layers:
        if spec.params:
            end = offset + FLOAT_BYTES * spec.param_count
            extents.append(LayerExtent(spec.index, offset, end))
            offset = end
    return extents


def expected_size(config: ConfigLike, header_bytes: int = HEADER_BYTES) -> int:
    """Exact size in bytes of a complete weights file for ``config``."""
    return header_bytes + FLOAT_BYTES * _as_config(config).param_count


def _describe(spec: LayerSpec) -> str:
    return f"layer {spec.index} [{spec.type}]"


def _coverage(path: Path, config: NetworkConfig, header: WeightsHeader, size: int,
              allow_partial: bool) -> int:
    """How many leading layers the file covers; raises unless that is acceptable."""
    extents = layout(config, header.header_bytes)
    needed = extents[-1].end if extents else header.header_bytes
    if size > needed:
        raise WeightsError(path, f"oversized by {size - needed} bytes: {size} bytes, cfg needs "
                                 f"{needed}")
    if size == needed:
        return len(config.layers)
    cut = next(extent for extent in extents if extent.end > size)
    covered = [extent for extent in extents if extent.end <= size]
    at_boundary = cut.start == size and bool(covered)
    if allow_partial and at_boundary:
        return covered[-1].index + 1
    raise WeightsError(path, _truncation_reason(config, size, needed, cut, covered, allow_partial))


def _truncation_reason(config: NetworkConfig, size: int, needed: int, cut: LayerExtent,
                       covered: list[LayerExtent], allow_partial: bool) -> str:
    reason = f"truncated: {size} bytes, cfg needs {needed} "
    missing = _describe(config.layers[cut.index])
    if cut.start == size and covered:
        return reason + (f"(it ends after layer {covered[-1].index}: {missing} and later are "
                         "missing); pass allow_partial=True for a pretrained backbone")
    reason += f"({missing} would be cut)"
    if allow_partial and not covered:
        reason += "; it holds no complete layer"
    return reason


def _check_loadable(path: Path, config: NetworkConfig, covered: int) -> None:
    """darknet 61c9d02e crashes loading into a deconvolutional layer.

    load_convolutional_weights computes ``l.c/l.groups``, and make_deconvolutional_layer
    never sets ``groups`` (it stays 0): an integer division by zero (SIGFPE).
    """
    for spec in config.layers[:covered]:
        if spec.type == "deconvolutional" and spec.params:
            raise WeightsError(
                path,
                f"{_describe(spec)}: darknet cannot load weights into a deconvolutional layer "
                "(it divides by the layer's groups, which it leaves at 0); set dontload=1 "
                "on that layer",
            )


def check_weights(
    path: str | os.PathLike[str],
    config: ConfigLike,
    *,
    allow_partial: bool = False,
    scan_values: bool = True,
) -> WeightsHeader:
    """Prove that ``path`` holds exactly the floats darknet will read for ``config``.

    The size must be exactly header + 4 * (floats of every layer).  With ``allow_partial``,
    a file that ends exactly on a layer boundary is accepted too (``layers_covered`` in
    the result says how far it goes).  With ``scan_values``, NaN and infinite values are
    rejected as well (one sequential read of the file).
    """
    path = Path(path)
    config = _as_config(config)
    header = read_header(path)
    size = _open_size(path)
    covered = _coverage(path, config, header, size, allow_partial)
    _check_loadable(path, config, covered)
    if scan_values:
        _scan_values(path, config, header.header_bytes, size)
    return replace(header, layers_covered=covered, complete=covered == len(config.layers))


def _scan_values(path: Path, config: NetworkConfig, header_bytes: int, size: int) -> None:
    count = (size - header_bytes) // FLOAT_BYTES
    if count == 0:
        return
    values = np.memmap(path, dtype="<f4", mode="r", offset=header_bytes, shape=(count,))
    try:
        for start in range(0, count, _SCAN_CHUNK):
            chunk = values[start:start + _SCAN_CHUNK]
            bad = np.flatnonzero(~np.isfinite(chunk))
            if bad.size:
                _report_bad_value(path, config, header_bytes, start + int(bad[0]),
                                  float(chunk[bad[0]]))
    finally:
        del values


def _report_bad_value(path: Path, config: NetworkConfig, header_bytes: int, position: int,
                      value: float) -> None:
    offset = header_bytes + FLOAT_BYTES * position
    spec, name = _locate(config, header_bytes, offset)
    raise WeightsError(path, f"{value} at byte {offset} ({_describe(spec)} {name})")


def _locate(config: NetworkConfig, header_bytes: int, offset: int) -> tuple[LayerSpec, str]:
    for spec, name, start, count in _iter_params(config, header_bytes):
        if start <= offset < start + FLOAT_BYTES * count:
            return spec, name
    raise AssertionError("offset outside the layout")


def _iter_params(config: NetworkConfig, header_bytes: int
                 ) -> Iterator[tuple[LayerSpec, str, int, int]]:
    """(layer, parameter name, byte offset, float count) in file order."""
    offset = header_bytes
    for spec in config.layers:
        for name, count in spec.params:
            yield spec, name, offset, count
            offset += FLOAT_BYTES * count


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------


def _stored_shape(spec: LayerSpec, name: str, count: int, transpose: bool) -> tuple[int, ...]:
    """Shape of a parameter as laid out in the file (see :func:`_to_memory`)."""
    if name != "weights":
        return (count,)
    if spec.type == "convolutional":
        size = int(spec.get("size"))
        if spec.get("flipped"):
            return (spec.in_shape.c * size * size, count // (spec.in_shape.c * size * size))
        n = count // (spec.in_shape.c // int(spec.get("groups")) * size * size)
        return (n, spec.in_shape.c // int(spec.get("groups")), size, size)
    if spec.type == "deconvolutional":
        size = int(spec.get("size"))
        return (spec.in_shape.c, count // (spec.in_shape.c * size * size), size, size)
    if spec.type == "connected":
        outputs, inputs = spec.out_shape.c, spec.in_shape.size
        return (inputs, outputs) if transpose else (outputs, inputs)
    raise AssertionError(f"no weights for [{spec.type}]")


def _memory_shape(spec: LayerSpec, name: str, count: int) -> tuple[int, ...]:
    """Shape of a parameter as :func:`read_weights` returns it (current header: no transpose)."""
    shape = _stored_shape(spec, name, count, transpose=False)
    if name == "weights" and spec.type == "convolutional" and spec.get("flipped"):
        size = int(spec.get("size"))
        return (count // (spec.in_shape.c * size * size), spec.in_shape.c, size, size)
    return shape


def _to_stored(spec: LayerSpec, name: str, memory: np.ndarray) -> np.ndarray:
    """The inverse of :func:`_to_memory` for a current header (flipped conv transposed back)."""
    if name == "weights" and spec.type == "convolutional" and spec.get("flipped"):
        return memory.reshape(len(memory), -1).T
    return memory


def _to_memory(spec: LayerSpec, name: str, stored: np.ndarray, transpose: bool) -> np.ndarray:
    """Undo the transposes darknet applies after reading (flipped conv, old connected)."""
    if name != "weights":
        return stored
    if spec.type == "convolutional" and spec.get("flipped"):
        size = int(spec.get("size"))
        return stored.T.reshape(-1, spec.in_shape.c, size, size).copy()
    if spec.type == "connected" and transpose:
        return stored.T.copy()
    return stored


def read_weights(
    path: str | os.PathLike[str], config: ConfigLike, *, allow_partial: bool = False
) -> list[dict[str, np.ndarray]]:
    """Read every layer's parameters (after :func:`check_weights`, values not scanned).

    Returns one dict per cfg layer (empty for layers without weights, or beyond the end
    of a partial file), mapping darknet's names (``biases``, ``scales``, ``rolling_mean``,
    ``rolling_variance``, ``weights``) to float32 arrays in darknet's in-memory layout:
    convolutional weights ``(filters, channels/groups, size, size)``, deconvolutional
    ``(channels, filters, size, size)``, connected ``(outputs, inputs)``.
    """
    path = Path(path)
    config = _as_config(config)
    header = check_weights(path, config, allow_partial=allow_partial, scan_values=False)
    data = np.fromfile(path, dtype="<f4", offset=header.header_bytes)
    result: list[dict[str, np.ndarray]] = [{} for _ in config.layers]
    for spec, name, start, count in _iter_params(config, header.header_bytes):
        if spec.index >= (header.layers_covered or 0):
            break
        first = (start - header.header_bytes) // FLOAT_BYTES
        stored = data[first:first + count].reshape(
            _stored_shape(spec, name, count, header.transpose))
        result[spec.index][name] = _to_memory(spec, name, stored, header.transpose)
    return result


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def _fan_in(spec: LayerSpec) -> int:
    if spec.type == "connected":
        return spec.in_shape.size
    size = int(spec.get("size"))
    if spec.type == "deconvolutional":
        stride = int(spec.get("stride"))
        return max(1, spec.in_shape.c * size * size // (stride * stride))
    return spec.in_shape.c // int(spec.get("groups")) * size * size


class _Moments(NamedTuple):
    """Mean and second moment E[x^2] of a layer's output, averaged over its channels."""

    mean: float
    square: float


# Activations that are a*x for x > 0 and b*x for x < 0: exact Gaussian moments.
_PIECEWISE_LINEAR: dict[str, tuple[float, float]] = {
    "linear": (1.0, 1.0), "relu": (1.0, 0.0), "leaky": (1.0, 0.1), "relie": (1.0, 0.01),
    "ramp": (1.1, 0.1), "selu": (1.0507, 1.0507), "stair": (1.0, 1.0),
}
# The others, roughly (output mean, output E[y^2]) for an input near unit scale.
_SATURATING: dict[str, tuple[float, float]] = {
    "logistic": (0.5, 0.3), "loggy": (0.0, 0.3), "tanh": (0.0, 0.5), "hardtan": (0.0, 0.6),
    "lhtan": (0.0, 0.6), "plse": (0.5, 0.3), "elu": (0.2, 0.6),
}
_IMAGE = _Moments(0.5, 0.3)  # pixels in [0, 1]
_WEIGHT_GAIN = 2.0  # He initialisation: fan_in * Var(w) = 2
_NORMALISED = _Moments(0.0, 1.2)  # scale * x_hat + bias with the distributions used below


def _activate(spec: LayerSpec, moments: _Moments) -> _Moments:
    """Moments of f(x) for x ~ N(mean, square - mean^2)."""
    activation = str(spec.get("activation"))
    if activation in _SATURATING:
        return _Moments(*_SATURATING[activation])
    positive, negative = _PIECEWISE_LINEAR[activation]
    mean, square = moments
    sigma = max(square - mean * mean, 1e-12) ** 0.5
    z = mean / sigma
    cdf = 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))
    pdf = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    positive_mean = mean * cdf + sigma * pdf  # E[x; x > 0]
    positive_square = square * cdf + mean * sigma * pdf  # E[x^2; x > 0]
    return _Moments(
        positive * positive_mean + negative * (mean - positive_mean),
        positive ** 2 * positive_square + negative ** 2 * (square - positive_square),
    )


def _batch_norm_inputs(config: NetworkConfig) -> dict[int, float]:
    """Expected E[x^2] of what each batch-normalising layer normalises, by layer index.

    darknet normalises with the stored rolling statistics at inference, so a rolling
    variance that ignores the real scale of a layer's input lets activations grow layer
    after layer (over 1e6 at the end of yolov3).  Propagating the expected moments
    through the network lets :func:`write_random_weights` scale each layer's rolling
    variance to its input, which keeps every layer's output near unit scale.
    """
    outputs: list[_Moments] = []
    normalised: dict[int, float] = {}
    for spec in config.layers:
        moments = outputs[-1] if outputs else _IMAGE
        kind = spec.type
        if kind in ("convolutional", "deconvolutional", "connected"):
            moments = _Moments(0.0, _WEIGHT_GAIN * moments.square)
            if spec.get("batch_normalize"):
                normalised[spec.index] = moments.square
                moments = _NORMALISED
            moments = _activate(spec, moments)
        elif kind == "batchnorm":
            normalised[spec.index] = moments.square
            moments = _NORMALISED
        elif kind == "route":
            moments = _concatenated(config, spec, outputs)
        elif kind == "shortcut":
            moments = _activate(spec, _residual_sum(config, spec, moments, outputs))
        elif kind == "upsample":
            scale = float(spec.get("scale"))
            moments = _Moments(moments.mean * scale, moments.square * scale * scale)
        elif kind in ("softmax", "l2norm"):
            moments = _Moments(0.0, 1.0 / max(1, spec.in_shape.c))
        elif kind == "logistic":
            moments = _Moments(0.5, 0.3)
        outputs.append(moments)
    return normalised


def _residual_sum(config: NetworkConfig, spec: LayerSpec, moments: _Moments,
                  outputs: list[_Moments]) -> _Moments:
    """shortcut_cpu adds the other layer into the first min(c1, c2) channels only."""
    source = spec.sources[0]
    other = outputs[source]
    share = min(config.layers[source].out_shape.c, spec.out_shape.c) / spec.out_shape.c
    return _Moments(
        moments.mean + share * other.mean,
        moments.square + share * (other.square + 2 * moments.mean * other.mean),
    )


def _concatenated(config: NetworkConfig, spec: LayerSpec, outputs: list[_Moments]) -> _Moments:
    sizes = [config.layers[i].out_shape.c for i in spec.sources]
    total = sum(sizes)
    return _Moments(
        sum(outputs[i].mean * n for i, n in zip(spec.sources, sizes)) / total,
        sum(outputs[i].square * n for i, n in zip(spec.sources, sizes)) / total,
    )


def _random_layer(rng: np.random.Generator, spec: LayerSpec, bn_input: float | None
                  ) -> Iterator[np.ndarray]:
    for name, count in spec.params:
        if name == "weights":
            std = np.float32(np.sqrt(_WEIGHT_GAIN / _fan_in(spec)))  # He initialisation
            yield rng.standard_normal(count, dtype=np.float32) * std
        elif name == "scales":
            yield rng.uniform(0.5, 1.5, count).astype(np.float32)
        elif name == "rolling_variance":
            scale = 1.0 if bn_input is None else bn_input
            yield (rng.uniform(0.5, 1.5, count) * scale).astype(np.float32)
        elif name in ("biases", "rolling_mean"):
            yield rng.normal(0.0, 0.1, count).astype(np.float32)
        else:
            raise AssertionError(f"unknown parameter {name!r}")


def _header_bytes(seen: int = 0) -> bytes:
    return _VERSION.pack(0, 2, 0) + struct.pack("<Q", seen)


def _write_atomically(out_path: Path, chunks: Iterator[bytes]) -> Path:
    """Write the chunks to a temporary file beside ``out_path``, then rename it into place."""
    handle = tempfile.NamedTemporaryFile(
        "wb", dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, out_path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return out_path


def write_weights(
    out_path: str | os.PathLike[str], params: list[dict[str, np.ndarray]], config: ConfigLike,
    *, seen: int = 0
) -> Path:
    """Write ``params`` for the cfg as a current-header weights file (what darknet's
    ``save_weights`` writes): the inverse of :func:`read_weights`, which reads the file back to
    the same arrays, as darknet's ``load_weights`` does. (A ``flipped=1`` convolution is stored
    transposed, as ``load_weights`` expects; darknet's own ``save_weights`` would not transpose it.)

    ``params``: one dict per cfg layer, as :func:`read_weights` returns them (darknet's
    parameter names, its in-memory shapes; any float dtype, written as float32). ``seen``:
    the images trained on, stored in the header (darknet's training resumes from
    ``seen / batch`` iterations). A missing parameter, one of the wrong shape or one the
    layer does not have raises ValueError before anything is written. Written atomically.
    """
    config = _as_config(config)
    if not 0 <= seen < 2**64:
        raise ValueError(f"seen must fit an unsigned 64-bit header field, got {seen}")
    if len(params) != len(config.layers):
        raise ValueError(f"{len(params)} layers of parameters for a cfg of {len(config.layers)} layers")
    chunks: list[bytes] = [_header_bytes(seen)]
    for spec in config.layers:
        expected = dict(spec.params)
        given = params[spec.index]
        if set(given) != set(expected):
            raise ValueError(f"{_describe(spec)} has parameters {sorted(expected)}, "
                             f"got {sorted(given)}")
        for name, count in spec.params:
            values = np.asarray(given[name])
            shape = _memory_shape(spec, name, count)
            if values.shape != shape:
                raise ValueError(f"{_describe(spec)} {name}: shape {values.shape}, "
                                 f"the cfg needs {shape}")
            chunks.append(np.ascontiguousarray(_to_stored(spec, name, values), dtype="<f4").tobytes())
    return _write_atomically(Path(out_path), iter(chunks))


def write_random_weights(
    cfg_path_or_config: ConfigLike, out_path: str | os.PathLike[str], *, seed: int = 0
) -> Path:
    """Write a valid weights file for the cfg with random, well-scaled values.

    Convolutional/connected weights are He-initialised (``N(0, sqrt(2/fan_in))``), biases
    and BN rolling means ``N(0, 0.1)``, BN scales ``U(0.5, 1.5)``, BN rolling variances
    ``U(0.5, 1.5)`` times the expected variance of what the layer normalises (see
    :func:`_batch_norm_inputs`; darknet's own random init leaves rolling variances at 0,
    which divides by ~0 at inference).  Every layer's output stays near unit scale, so
    detections and class scores are non-degenerate.  Deterministic for a given seed;
    written atomically.
    """
    config = _as_config(cfg_path_or_config)
    rng = np.random.default_rng(seed)
    bn_inputs = _batch_norm_inputs(config)
    chunks = (values.astype("<f4", copy=False).tobytes()
              for spec in config.layers for values in _random_layer(rng, spec, bn_inputs.get(spec.index)))
    return _write_atomically(Path(out_path), itertools.chain([_header_bytes()], chunks))
