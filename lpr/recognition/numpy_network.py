"""NumPy-only inference for darknet classifier networks: reads a .cfg and a .weights file itself.

Needs nothing but NumPy (no darknet, pydarknet, OpenCV, torch or TensorFlow)::

    net = NumpyNetwork("char-cnn.cfg", "char-cnn.weights")
    probabilities = net.predict(crops)          # float32 N x C x H x W (or N x H x W), in [0, 1]

Layers: [net], [convolutional], [maxpool], [dropout], [connected], [softmax], with the CPU
semantics of pjreddie/darknet 61c9d02e (the darknet pydarknet binds); activations linear, relu,
leaky and logistic.  Anything else raises ValueError naming the file, the layer and the line.

Activations flow through the network as (C, N, H, W) arrays, so each convolution is one im2col
copy plus one matmul for the whole batch, and its output is already in that layout.  Batch norm
is folded into the preceding weights once, at load time.  Everything stays float32.
"""
from __future__ import annotations

import os
import re
import struct
from pathlib import Path
from typing import NamedTuple, NoReturn, Sequence

import numpy as np

__all__ = ["NumpyNetwork"]

PathLike = str | os.PathLike[str]
Shape = tuple[int, int, int]  # (channels, height, width), as darknet's out_c, out_h, out_w

_F32 = np.float32
_FLT_MAX = float(np.finfo(np.float32).max)  # maxpool's "no value yet" (-FLT_MAX)
_BN_EPS = 1e-6  # normalize_cpu: (x - mean) / (sqrt(variance) + .000001f)
_ACTIVATIONS = frozenset({"linear", "relu", "leaky", "logistic"})

# string_to_layer_type (parser.c): section name -> canonical type.
_TYPES = {
    "net": "net", "network": "net",
    "convolutional": "convolutional", "conv": "convolutional",
    "maxpool": "maxpool", "max": "maxpool",
    "connected": "connected", "conn": "connected",
    "softmax": "softmax", "soft": "softmax",
    "dropout": "dropout",
}
_OTHER_DARKNET_TYPES = frozenset(
    "shortcut crop cost detection region yolo iseg local deconv deconvolutional activation "
    "logistic l2norm crnn gru lstm rnn reorg avg avgpool lrn normalization batchnorm route "
    "upsample".split())
# Read by darknet for every layer; none of them changes an inference forward pass.
_HARMLESS_COMMON = ("truth", "onlyforward", "stopbackward", "dontsave", "learning_rate", "smooth")
# Read for every layer, and they change what is loaded: accepted only at the neutral value.
_NEUTRAL_COMMON = {"dontload": 0, "numload": 0, "dontloadscales": 0}

_SECTION_RE = re.compile(r"\[([^\[\]]+)\]")
_INT_RE = re.compile(r"[+-]?[0-9]+")


# --------------------------------------------------------------------------------------
# cfg
# --------------------------------------------------------------------------------------


class _Options:
    """One cfg section's key=value pairs, read with darknet's defaults.

    Every key must be consumed (read, ignored as harmless, or checked to be neutral);
    :meth:`finish` rejects the rest, so an option this engine does not implement never
    passes silently.
    """

    def __init__(self, path: Path, kind: str, index: int | None, section: _Section):
        self.path, self.kind, self.index, self.line = path, kind, index, section.line
        self.entries, self.repeated = section.entries, section.repeated
        self.unused = set(self.entries)

    def label(self) -> str:
        return f"[{self.kind}]" if self.index is None else f"layer {self.index} [{self.kind}]"

    def fail(self, reason: str, key: str | None = None) -> NoReturn:
        line = self.entries[key][1] if key in self.entries else self.line
        raise ValueError(f"{self.path}:{line}: {self.label()}: {reason}")

    def _raw(self, key: str) -> str | None:
        self.unused.discard(key)
        if key in self.repeated:
            self.fail(f"{key} is set twice (again on line {self.repeated[key]}); darknet uses "
                      "the first, which is probably not what was meant", key)
        entry = self.entries.get(key)
        return None if entry is None else entry[0]

    def int(self, key: str, default: int, minimum: int | None = None) -> int:
        text = self._raw(key)
        if text is None:
            return default
        if not _INT_RE.fullmatch(text):
            self.fail(f"{key} must be an integer, got {text!r}", key)
        value = int(text)
        if minimum is not None and value < minimum:
            self.fail(f"{key} must be at least {minimum}, got {value}", key)
        return value

    def float(self, key: str, default: float) -> float:
        text = self._raw(key)
        if text is None:
            return default
        try:
            return float(text)
        except ValueError:
            self.fail(f"{key} must be a number, got {text!r}", key)

    def activation(self) -> str:
        name = self._raw("activation") or "logistic"  # darknet's default
        if name not in _ACTIVATIONS:
            supported = ", ".join(sorted(_ACTIVATIONS))
            self.fail(f"activation={name} is not supported (only {supported})", "activation")
        return name

    def neutral(self, key: str, value: float, why: str) -> None:
        """Accept ``key`` only at the value that leaves darknet's behaviour unchanged."""
        text = self._raw(key)
        if text is None:
            return
        try:
            ok = float(text) == value
        except ValueError:
            ok = False
        if not ok:
            self.fail(f"{key}={text} is not supported ({why})", key)

    def ignore(self, *keys: str) -> None:
        self.unused.difference_update(keys)

    def finish(self) -> None:
        self.ignore(*_HARMLESS_COMMON)
        for key, value in _NEUTRAL_COMMON.items():
            self.neutral(key, value, "every layer's weights must be loaded from the file")
        if self.unused:
            key = min(self.unused, key=lambda k: self.entries[k][1])
            self.fail(f"option {key!r} is not supported by NumpyNetwork", key)


class _Section(NamedTuple):
    """A cfg section as darknet's read_cfg tokenises it."""

    name: str
    line: int
    entries: dict[str, tuple[str, int]]  # key -> (value, line), the first of repeated keys
    repeated: dict[str, int]  # key -> line of its second occurrence


def _read_sections(path: Path) -> list[_Section]:
    """The cfg's sections, in order."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"darknet cfg file not found: {path}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text cfg file (bytes that are not UTF-8)") from None
    sections: list[_Section] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.replace(" ", "").replace("\t", "").replace("\r", "")  # darknet's strip()
        if not line or line[0] in "#;":
            continue
        if line[0] == "[":
            match = _SECTION_RE.fullmatch(line)
            if not match:
                raise ValueError(f"{path}:{number}: malformed section header {raw.strip()!r}")
            sections.append(_Section(match.group(1), number, {}, {}))
            continue
        key, sep, value = line.partition("=")
        if not sep or not key or not value:
            raise ValueError(f"{path}:{number}: expected [section] or key=value, "
                             f"got {raw.strip()!r}")
        if not sections:
            raise ValueError(f"{path}:{number}: {raw.strip()!r} comes before any [section]")
        section = sections[-1]
        if key in section.entries:
            section.repeated.setdefault(key, number)
        else:
            section.entries[key] = (value, number)
    return sections


# --------------------------------------------------------------------------------------
# Layers: each maps a (C, N, H, W) float32 array to a new one (never modifying its input)
# --------------------------------------------------------------------------------------


def _activate(y: np.ndarray, activation: str) -> None:
    """darknet's activate_array, in place."""
    if activation == "relu":
        np.maximum(y, _F32(0), out=y)
    elif activation == "leaky":  # x > 0 ? x : .1 * x
        np.maximum(y, y * _F32(0.1), out=y)
    elif activation == "logistic":  # 1 / (1 + exp(-x)), written so that it cannot overflow
        y *= _F32(0.5)
        np.tanh(y, out=y)
        y += _F32(1)
        y *= _F32(0.5)


def _fold_batch_norm(weights: np.ndarray, biases: np.ndarray, scales: np.ndarray,
                     mean: np.ndarray, variance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights and biases (first axis: outputs) with darknet's inference batch norm folded in."""
    k = scales.astype(np.float64) / (np.sqrt(variance.astype(np.float64)) + _BN_EPS)
    folded = weights * k.reshape((-1,) + (1,) * (weights.ndim - 1)).astype(_F32)
    return folded.astype(_F32), (biases - mean * k).astype(_F32)


class _Layer:
    kind = ""

    def __init__(self, opts: _Options, in_shape: Shape):
        self.index = opts.index
        self.in_shape = in_shape
        self.out_shape: Shape = in_shape
        self.image = True  # whether darknet gives the next layer an image (out_c/h/w set)
        self.params: list[tuple[str, int]] = []  # (name, float count) in file order

    @property
    def param_count(self) -> int:
        return sum(count for _, count in self.params)

    def load(self, values: dict[str, np.ndarray], transpose: bool) -> None:
        """Take this layer's parameters (darknet's names, as stored in the file)."""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def _spatial_out(opts: _Options, in_shape: Shape, padded_h: int, padded_w: int, size: int,
                 stride: int) -> tuple[int, int]:
    if padded_h < size or padded_w < size:
        opts.fail(f"the input ({in_shape[2]}x{in_shape[1]}, padded {padded_w}x{padded_h}) is "
                  f"smaller than the kernel size {size}")
    return (padded_h - size) // stride + 1, (padded_w - size) // stride + 1


def _need_image(opts: _Options, image: bool) -> None:
    if not image:  # darknet: "Layer before ... layer must output image."
        opts.fail("the layer before it must output an image ([softmax] does not)")


class _Taps:
    """Where kernel tap ``d`` of a sliding window lands, along one axis.

    Output position ``i`` reads input ``i * stride - offset + d``.  ``ranges[d]`` is
    ``(first, stop, start)``: the outputs ``first <= i < stop`` read inside the input,
    starting at input index ``start`` (empty when ``first >= stop``).
    """

    def __init__(self, extent: int, out: int, size: int, stride: int, offset: int):
        self.stride = stride
        self.ranges = []
        for d in range(size):
            first = max(0, -((d - offset) // stride))  # ceil((offset - d) / stride)
            stop = min(out, (extent - 1 + offset - d) // stride + 1)
            self.ranges.append((first, max(first, stop), first * stride - offset + d))

    def full(self, d: int, out: int) -> bool:
        first, stop, _ = self.ranges[d]
        return first == 0 and stop == out

    def source(self, d: int) -> slice:
        first, stop, start = self.ranges[d]
        if first == stop:
            return slice(0, 0)
        return slice(start, start + self.stride * (stop - first - 1) + 1, self.stride)


class _Convolutional(_Layer):
    kind = "convolutional"

    def __init__(self, opts: _Options, in_shape: Shape, image: bool):
        super().__init__(opts, in_shape)
        _need_image(opts, image)
        c, h, w = in_shape
        self.filters = opts.int("filters", 1, minimum=1)
        self.size = opts.int("size", 1, minimum=1)
        self.stride = opts.int("stride", 1, minimum=1)
        pad = opts.int("pad", 0)
        self.padding = opts.int("padding", 0, minimum=0)
        if pad:
            self.padding = self.size // 2
        self.batch_normalize = opts.int("batch_normalize", 0) != 0
        self.activation = opts.activation()
        opts.neutral("groups", 1, "grouped convolutions")
        opts.neutral("dilation", 1, "dilated convolutions")
        opts.neutral("binary", 0, "binary weights")
        opts.neutral("xnor", 0, "XNOR convolutions")
        opts.neutral("flipped", 0, "transposed weight storage")
        opts.ignore("dot")  # parsed by darknet, never used
        if self.size == 1 and (self.stride != 1 or self.padding != 0):
            opts.fail(f"size=1 with stride={self.stride}, padding={self.padding}: darknet skips "
                      "im2col for 1x1 kernels and ignores stride and padding, so its output "
                      "is not a convolution")
        out_h, out_w = _spatial_out(opts, in_shape, h + 2 * self.padding, w + 2 * self.padding,
                                    self.size, self.stride)
        self.out_shape = (self.filters, out_h, out_w)
        # im2col_get_pixel: input row i * stride - pad + dy, zero outside the image
        self.rows = _Taps(h, out_h, self.size, self.stride, self.padding)
        self.cols = _Taps(w, out_w, self.size, self.stride, self.padding)
        n = self.filters
        self.params = [("biases", n)]
        if self.batch_normalize:
            self.params += [("scales", n), ("rolling_mean", n), ("rolling_variance", n)]
        self.params.append(("weights", n * c * self.size * self.size))

    def load(self, values: dict[str, np.ndarray], transpose: bool) -> None:
        weights = values["weights"].reshape(self.filters, -1)  # (filters, c * size * size)
        biases = values["biases"]
        if self.batch_normalize:
            weights, biases = _fold_batch_norm(weights, biases, values["scales"],
                                               values["rolling_mean"], values["rolling_variance"])
        self.weights = np.ascontiguousarray(weights, dtype=_F32)
        self.biases = np.ascontiguousarray(biases, dtype=_F32).reshape(-1, 1)

    def _columns(self, x: np.ndarray) -> np.ndarray:
        """im2col: (C * size * size, N * out_h * out_w), rows in darknet's weight order."""
        c, n, h, w = x.shape
        k = self.size
        _, out_h, out_w = self.out_shape
        if k == 1:  # stride 1, no padding (checked at parse time)
            return x.reshape(c, n * h * w)
        columns = np.empty((c, k, k, n, out_h, out_w), dtype=_F32)
        for dy in range(k):
            i0, i1, _ = self.rows.ranges[dy]
            for dx in range(k):
                j0, j1, _ = self.cols.ranges[dx]
                tap = columns[:, dy, dx]
                tap[:, :, :i0] = 0
                tap[:, :, i1:] = 0
                tap[:, :, i0:i1, :j0] = 0
                tap[:, :, i0:i1, j1:] = 0
                tap[:, :, i0:i1, j0:j1] = x[:, :, self.rows.source(dy), self.cols.source(dx)]
        return columns.reshape(c * k * k, n * out_h * out_w)

    def __call__(self, x: np.ndarray, activate: bool = True) -> np.ndarray:
        y = self.weights @ self._columns(x)
        y += self.biases
        if activate:
            _activate(y, self.activation)
        _, out_h, out_w = self.out_shape
        return y.reshape(self.filters, x.shape[1], out_h, out_w)


class _Maxpool(_Layer):
    kind = "maxpool"

    def __init__(self, opts: _Options, in_shape: Shape, image: bool):
        super().__init__(opts, in_shape)
        _need_image(opts, image)
        c, h, w = in_shape
        self.stride = opts.int("stride", 1, minimum=1)
        self.size = opts.int("size", self.stride, minimum=1)
        self.padding = opts.int("padding", self.size - 1, minimum=0)
        out_h, out_w = _spatial_out(opts, in_shape, h + self.padding, w + self.padding,
                                    self.size, self.stride)
        self.out_shape = (c, out_h, out_w)
        # forward_maxpool_layer: input row i * stride - padding/2 + dy; cells outside the
        # input do not count, and a window with none inside gives -FLT_MAX.
        offset = self.padding // 2
        self.rows = _Taps(h, out_h, self.size, self.stride, offset)
        self.cols = _Taps(w, out_w, self.size, self.stride, offset)
        covered = lambda taps, out: all(any(first <= i < stop for first, stop, _ in taps.ranges)
                                        for i in range(out))
        self.empty_windows = not (covered(self.rows, out_h) and covered(self.cols, out_w))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        c, n = x.shape[:2]
        _, out_h, out_w = self.out_shape
        k = self.size
        seed = next(((dy, dx) for dy in range(k) for dx in range(k)
                     if self.rows.full(dy, out_h) and self.cols.full(dx, out_w)), None)
        if seed is None:
            y = np.full((c, n, out_h, out_w), -_FLT_MAX, dtype=_F32)
        else:
            y = x[:, :, self.rows.source(seed[0]), self.cols.source(seed[1])].copy()
        for dy in range(k):
            i0, i1, _ = self.rows.ranges[dy]
            for dx in range(k):
                j0, j1, _ = self.cols.ranges[dx]
                if (dy, dx) == seed or i0 == i1 or j0 == j1:
                    continue
                part = y[:, :, i0:i1, j0:j1]
                np.maximum(part, x[:, :, self.rows.source(dy), self.cols.source(dx)], out=part)
        return y


class _ConvPool:
    """A convolution and the [maxpool] right after it, activating after the pooling.

    Max commutes with every supported activation (all non-decreasing), so this is exact
    while no window is empty, and it activates a quarter of the values for 2x2 pooling.
    """

    def __init__(self, conv: _Convolutional, pool: _Maxpool):
        self.conv, self.pool = conv, pool

    def __call__(self, x: np.ndarray) -> np.ndarray:
        y = self.pool(self.conv(x, activate=False))
        _activate(y, self.conv.activation)
        return y


class _Dropout(_Layer):
    kind = "dropout"

    def __init__(self, opts: _Options, in_shape: Shape, image: bool):
        super().__init__(opts, in_shape)
        opts.float("probability", 0.5)  # training only
        self.image = image

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return x  # darknet's dropout shares its output buffer with the layer before


def _per_image(x: np.ndarray) -> np.ndarray:
    """(C, N, H, W) -> (N, C*H*W), each row in darknet's CHW order."""
    c, n, h, w = x.shape
    return x.transpose(1, 0, 2, 3).reshape(n, c * h * w)


class _Connected(_Layer):
    kind = "connected"

    def __init__(self, opts: _Options, in_shape: Shape, image: bool):
        super().__init__(opts, in_shape)
        self.inputs = in_shape[0] * in_shape[1] * in_shape[2]
        self.outputs = opts.int("output", 1, minimum=1)
        self.activation = opts.activation()
        self.batch_normalize = opts.int("batch_normalize", 0) != 0
        self.out_shape = (self.outputs, 1, 1)
        self.params = [("biases", self.outputs), ("weights", self.outputs * self.inputs)]
        if self.batch_normalize:
            n = self.outputs
            self.params += [("scales", n), ("rolling_mean", n), ("rolling_variance", n)]

    def load(self, values: dict[str, np.ndarray], transpose: bool) -> None:
        if transpose:  # load_connected_weights: transpose_matrix(weights, inputs, outputs)
            weights = values["weights"].reshape(self.inputs, self.outputs).T
        else:
            weights = values["weights"].reshape(self.outputs, self.inputs)
        biases = values["biases"]
        if self.batch_normalize:
            weights, biases = _fold_batch_norm(weights, biases, values["scales"],
                                               values["rolling_mean"], values["rolling_variance"])
        self.weights_t = np.ascontiguousarray(weights.T, dtype=_F32)  # (inputs, outputs)
        self.biases = np.ascontiguousarray(biases, dtype=_F32)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        y = _per_image(x) @ self.weights_t
        y += self.biases
        _activate(y, self.activation)
        return y.T.reshape(self.outputs, x.shape[1], 1, 1)


class _Softmax(_Layer):
    kind = "softmax"

    def __init__(self, opts: _Options, in_shape: Shape, image: bool):
        super().__init__(opts, in_shape)
        inputs = in_shape[0] * in_shape[1] * in_shape[2]
        self.groups = opts.int("groups", 1, minimum=1)
        if inputs % self.groups:
            opts.fail(f"groups={self.groups} must divide the number of inputs ({inputs})", "groups")
        self.temperature = opts.float("temperature", 1.0)
        if not self.temperature > 0:
            opts.fail(f"temperature must be positive, got {self.temperature}", "temperature")
        if opts._raw("tree") is not None:
            opts.fail("tree= (hierarchical softmax) is not supported", "tree")
        opts.neutral("spatial", 0, "darknet's CPU and GPU code disagree on it")
        opts.ignore("noloss")  # training only
        # make_softmax_layer leaves out_c/h/w at 0: the output is a flat vector, not an image
        self.out_shape = (inputs, 1, 1)
        self.image = False

    def __call__(self, x: np.ndarray) -> np.ndarray:
        n, inputs = x.shape[1], self.out_shape[0]
        z = _per_image(x).reshape(n * self.groups, inputs // self.groups)
        if self.temperature != 1.0:
            z = z / _F32(self.temperature)
        z = z - z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z.reshape(n, inputs).T.reshape(inputs, n, 1, 1)


_LAYERS: dict[str, type[_Layer]] = {
    "convolutional": _Convolutional, "maxpool": _Maxpool, "dropout": _Dropout,
    "connected": _Connected, "softmax": _Softmax,
}


# --------------------------------------------------------------------------------------
# weights
# --------------------------------------------------------------------------------------


def _read_header(path: Path, blob: bytes) -> tuple[int, bool]:
    """(header bytes, connected weights transposed) as load_weights_upto reads them."""
    if len(blob) < 12:
        raise ValueError(f"{path}: too short for a darknet weights header ({len(blob)} bytes)")
    major, minor, _revision = struct.unpack_from("<iii", blob)
    version = (major * 10 + minor + 2**31) % 2**32 - 2**31  # a C int, as darknet computes it
    header = 20 if version >= 2 and major < 1000 and minor < 1000 else 16  # uint64 or int seen
    if len(blob) < header:
        raise ValueError(f"{path}: too short for a darknet weights header ({len(blob)} bytes, "
                         f"version {major}.{minor} needs {header})")
    return header, major > 1000 or minor > 1000


# --------------------------------------------------------------------------------------
# the network
# --------------------------------------------------------------------------------------


class NumpyNetwork:
    """A darknet classifier network run with NumPy alone.

    ``NumpyNetwork(cfg_path, weights_path)`` parses the cfg, checks that the weights file
    holds exactly the floats darknet would read for it, and folds batch norm into the
    weights.  Raises ValueError (naming the file and layer) for anything unsupported or
    malformed, FileNotFoundError for a missing file.  Safe to share between threads.
    """

    def __init__(self, cfg_path: PathLike, weights_path: PathLike):
        self.cfg_path = Path(cfg_path)
        self.weights_path = Path(weights_path)
        self.layers: list[_Layer] = []
        self._parse_cfg()
        self._load_weights()

    # ---------------------------------------------------------------- loading
    def _parse_cfg(self) -> None:
        path = self.cfg_path
        sections = _read_sections(path)
        if not sections or _TYPES.get(sections[0].name) != "net":
            raise ValueError(f"{path}: the first section must be [net] or [network]")
        net = _Options(path, sections[0].name, None, sections[0])
        shape = tuple(net.int(key, 0) for key in ("channels", "height", "width"))
        if min(shape) < 1:
            net.fail(f"channels, height and width must all be set and positive, got "
                     f"channels={shape[0]} height={shape[1]} width={shape[2]}")
        net.neutral("inputs", shape[0] * shape[1] * shape[2], "it must be channels*height*width")
        self.input_shape: Shape = shape  # type: ignore[assignment]
        image = True
        for index, section in enumerate(sections[1:]):
            name = section.name
            kind = _TYPES.get(name)
            opts = _Options(path, name, index, section)
            if kind is None or kind == "net":
                known = name in _OTHER_DARKNET_TYPES or kind == "net"
                opts.fail("this layer type is not supported by NumpyNetwork" if known
                          else "unknown layer type")
            layer = _LAYERS[kind](opts, shape, image)
            opts.finish()
            self.layers.append(layer)
            shape, image = layer.out_shape, layer.image
        if not self.layers:
            raise ValueError(f"{path}: no layers after [net]")
        self._plan: list = []  # what predict() runs: the layers, a few of them fused
        for layer in self.layers:
            last = self._plan[-1] if self._plan else None
            if (isinstance(layer, _Maxpool) and isinstance(last, _Convolutional)
                    and not layer.empty_windows):
                self._plan[-1] = _ConvPool(last, layer)
            else:
                self._plan.append(layer)

    def _load_weights(self) -> None:
        path = self.weights_path
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(f"darknet weights file not found: {path}") from None
        header, transpose = _read_header(path, blob)
        needed = header + 4 * sum(layer.param_count for layer in self.layers)
        if len(blob) > needed:
            raise ValueError(f"{path}: {len(blob) - needed} bytes too long for {self.cfg_path} "
                             f"({len(blob)} bytes, the cfg needs {needed}): weights of another "
                             "network?")
        if len(blob) < needed:
            end, cut = header, None
            for layer in self.layers:
                end += 4 * layer.param_count
                if end > len(blob):
                    cut = layer
                    break
            raise ValueError(f"{path}: truncated: {len(blob)} bytes, {self.cfg_path} needs "
                             f"{needed} (layer {cut.index} [{cut.kind}] would be cut)")
        data = np.frombuffer(blob, dtype="<f4", offset=header)
        offset = 0
        for layer in self.layers:
            values = {}
            for name, count in layer.params:
                values[name] = data[offset:offset + count].astype(_F32)
                offset += count
            label = f"{path}: layer {layer.index} [{layer.kind}]"
            for name, array in values.items():
                if not np.isfinite(array).all():
                    raise ValueError(f"{label}: {name} holds NaN or infinite values")
            if (values.get("rolling_variance", np.zeros(1)) < 0).any():
                raise ValueError(f"{label}: rolling_variance holds negative values")
            layer.load(values, transpose)

    # ---------------------------------------------------------------- shape
    @property
    def output_shape(self) -> Shape:
        """(C, H, W) of the last layer's output, as pydarknet reports it."""
        return self.layers[-1].out_shape

    @property
    def classes(self) -> int:
        """Values per image in :meth:`predict`'s output."""
        c, h, w = self.output_shape
        return c * h * w

    def __repr__(self) -> str:
        c, h, w = self.input_shape
        return (f"<NumpyNetwork {self.cfg_path.name}: {len(self.layers)} layers, "
                f"input {c}x{h}x{w}, {self.classes} outputs>")

    # ---------------------------------------------------------------- inference
    def _prepare(self, batch: np.ndarray) -> np.ndarray:
        x = np.asarray(batch)
        if not np.issubdtype(x.dtype, np.floating):
            raise TypeError(f"the batch must hold floats in [0, 1], got {x.dtype}")
        c, h, w = self.input_shape
        if x.ndim == 3 and c == 1:
            x = x[:, None]
        if x.ndim != 4 or x.shape[1:] != (c, h, w):
            expected = f"(N, {c}, {h}, {w})" + (f" or (N, {h}, {w})" if c == 1 else "")
            raise ValueError(f"the batch must be shaped {expected}, got {x.shape}")
        return np.ascontiguousarray(x.transpose(1, 0, 2, 3), dtype=_F32)

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """The last layer's output per image: float32 (N, classes) (probabilities after [softmax]).

        ``batch``: float N x C x H x W (or N x H x W for one channel), values in [0, 1].
        """
        x = self._prepare(batch)
        for step in self._plan:
            x = step(x)
        return _per_image(x)

    def forward(self, batch: np.ndarray, layers: Sequence[int] | None = None) -> list[np.ndarray]:
        """Outputs of every layer (or of the ``layers`` given; negative counts from the end).

        Each is float32 (N, C, H, W), shaped as pydarknet's Network.forward() gives it.
        """
        count = len(self.layers)
        wanted = list(range(count)) if layers is None else [int(i) for i in layers]
        for index in wanted:
            if not -count <= index < count:
                raise IndexError(f"layer {index} out of range for {count} layers")
        wanted = [index % count for index in wanted]
        x = self._prepare(batch)
        outputs: dict[int, np.ndarray] = {}
        for index, layer in enumerate(self.layers[:max(wanted, default=-1) + 1]):
            x = layer(x)
            if index in wanted:
                outputs[index] = np.ascontiguousarray(x.transpose(1, 0, 2, 3))
        return [outputs[index] for index in wanted]
