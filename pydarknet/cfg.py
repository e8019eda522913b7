"""Read and validate darknet ``.cfg`` files the way darknet (commit 61c9d02e) reads them.

darknet answers a malformed cfg with ``exit()``, a segfault, or -- worse -- silently:
``atoi``/``atof`` turn garbage into 0, an unknown activation becomes ``relu``, and the
asserts that would catch a yolo layer fed the wrong number of channels are compiled
out. :func:`parse_cfg` therefore re-reads the file in Python first, mirroring
``read_cfg``/``strip`` (utils.c), ``parse_net_options`` and every ``parse_*`` /
``make_*_layer`` function of ``parser.c``, and raises :class:`~pydarknet.errors.ConfigError`
for anything darknet would misread.  The result describes every layer's input and
output shape and the exact floats ``load_weights`` reads for it (used by
:mod:`pydarknet.weights`).
"""
from __future__ import annotations

import difflib
import errno
import math
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple, NoReturn, Union

from .errors import ConfigError
from .images import checked_input_scale, fitted_input_size

__all__ = [
    "ACTIVATIONS",
    "COST_TYPES",
    "POLICIES",
    "SUPPORTED_LAYER_TYPES",
    "LayerSpec",
    "NetworkConfig",
    "Shape",
    "parse_cfg",
]

_INT_MAX = 2**31 - 1  # darknet keeps sizes, counts and batch*outputs in C ints

# get_activation (activations.c); anything else silently becomes relu in darknet.
ACTIVATIONS = frozenset(
    "logistic loggy relu elu selu relie plse hardtan lhtan linear ramp leaky tanh stair".split()
)
# get_policy (parser.c); anything else silently becomes constant.
POLICIES = frozenset("random poly constant step exp sigmoid steps".split())
# get_cost_type (cost_layer.c); anything else silently becomes sse.
COST_TYPES = frozenset("seg sse masked smooth L1 wgan".split())

# string_to_layer_type (parser.c): section name -> canonical name, for the types pydarknet supports.
_LAYER_ALIASES: dict[str, str] = {
    "convolutional": "convolutional", "conv": "convolutional",
    "deconvolutional": "deconvolutional", "deconv": "deconvolutional",
    "connected": "connected", "conn": "connected",
    "maxpool": "maxpool", "max": "maxpool",
    "avgpool": "avgpool", "avg": "avgpool",
    "softmax": "softmax", "soft": "softmax",
    "route": "route", "shortcut": "shortcut", "upsample": "upsample",
    "yolo": "yolo", "region": "region", "reorg": "reorg", "dropout": "dropout",
    "cost": "cost", "batchnorm": "batchnorm", "crop": "crop", "l2norm": "l2norm",
    "logistic": "logistic",
}
SUPPORTED_LAYER_TYPES = frozenset(_LAYER_ALIASES.values())
# Types darknet's resize_network (network.c) gives a new input size to and that keep a spatial
# output; a network of these only can be run at another input size (NetworkConfig.input_stride).
RESIZABLE_LAYER_TYPES = frozenset("convolutional maxpool route shortcut upsample yolo region reorg".split())
# Types darknet knows but pydarknet does not handle.
_UNSUPPORTED_DARKNET_TYPES = frozenset(
    "local activation crnn gru lstm rnn detection iseg lrn normalization".split()
)
_NET_SECTIONS = frozenset({"net", "network"})


class Shape(NamedTuple):
    """A layer's tensor shape as darknet stores it: channels, height, width."""

    c: int
    h: int
    w: int

    @property
    def size(self) -> int:
        return self.c * self.h * self.w

    def __str__(self) -> str:
        return f"{self.w}x{self.h}x{self.c}"


Value = Union[int, float, str, tuple, None]

# --------------------------------------------------------------------------------------
# Option schema: every key darknet reads, per section type, with darknet's default.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Opt:
    kind: str  # "int", "float", "str", "ints", "floats"
    default: Value | Callable[[dict[str, Value]], Value] = None
    minimum: float | None = None
    maximum: float | None = None
    choices: frozenset[str] | None = None


def _int(default: Any = None, minimum: int | None = None, maximum: int | None = None) -> _Opt:
    return _Opt("int", default, minimum, maximum)


def _flag(default: int = 0) -> _Opt:
    return _Opt("int", default, 0, 1)


def _float(default: Any = None, minimum: float | None = None) -> _Opt:
    return _Opt("float", default, minimum)


def _str(default: str | None = None, choices: frozenset[str] | None = None) -> _Opt:
    return _Opt("str", default, choices=choices)


_INTS = _Opt("ints")
_FLOATS = _Opt("floats")

# parse_net_options.  Order matters: callable defaults may use earlier values.
_NET_OPTIONS: dict[str, _Opt] = {
    "batch": _int(1, 1),
    "learning_rate": _float(0.001),
    "momentum": _float(0.9),
    "decay": _float(0.0001),
    "subdivisions": _int(1, 1),
    "time_steps": _int(1, 1),
    "notruth": _int(0),
    "random": _int(0),
    "adam": _flag(),
    "B1": _float(0.9),
    "B2": _float(0.999),
    "eps": _float(0.0000001),
    "height": _int(0),
    "width": _int(0),
    "channels": _int(0),
    "inputs": _int(lambda v: v["height"] * v["width"] * v["channels"]),
    "max_crop": _int(lambda v: v["width"] * 2),
    "min_crop": _int(lambda v: v["width"]),
    "max_ratio": _float(lambda v: v["max_crop"] / v["width"] if v["width"] else 0.0),
    "min_ratio": _float(lambda v: v["min_crop"] / v["width"] if v["width"] else 0.0),
    "center": _int(0),
    "clip": _float(0.0),
    "angle": _float(0.0),
    "aspect": _float(1.0),
    "saturation": _float(1.0),
    "exposure": _float(1.0),
    "hue": _float(0.0),
    "policy": _str("constant", POLICIES),
    "burn_in": _int(0, 0),
    "power": _float(4.0),
    "step": _int(1),
    "scale": _float(1.0),
    "steps": _INTS,
    "scales": _FLOATS,
    "gamma": _float(1.0),
    "max_batches": _int(0, 0),
    # Never read by darknet (and [net] options are not checked for unused keys), but
    # the stock cfg/writing.cfg carries it, so it is accepted and ignored.
    "seen": _int(0),
}

# Read for every layer by parse_network_cfg, whatever its type.
_COMMON_LAYER_OPTIONS: dict[str, _Opt] = {
    "truth": _int(0),
    "onlyforward": _flag(),
    "stopbackward": _flag(),
    "dontsave": _flag(),
    "dontload": _flag(),
    "numload": _int(0, 0),
    "dontloadscales": _flag(),
    "learning_rate": _float(1.0),
    "smooth": _float(0.0),
}

_ACTIVATION_LOGISTIC = _str("logistic", ACTIVATIONS)

_LAYER_OPTIONS: dict[str, dict[str, _Opt]] = {
    "convolutional": {
        "filters": _int(1, 1), "size": _int(1, 1), "stride": _int(1, 1),
        "pad": _flag(), "padding": _int(0, 0), "groups": _int(1, 1),
        "activation": _ACTIVATION_LOGISTIC, "batch_normalize": _flag(),
        "binary": _flag(), "xnor": _flag(), "flipped": _flag(), "dot": _float(0.0),
    },
    "deconvolutional": {
        "filters": _int(1, 1), "size": _int(1, 1), "stride": _int(1, 1),
        "activation": _ACTIVATION_LOGISTIC, "batch_normalize": _flag(),
        "pad": _flag(), "padding": _int(0, 0),
    },
    "connected": {
        "output": _int(1, 1), "activation": _ACTIVATION_LOGISTIC, "batch_normalize": _flag(),
    },
    "maxpool": {
        "stride": _int(1, 1),
        "size": _int(lambda v: v["stride"], 1),
        "padding": _int(lambda v: v["size"] - 1, 0),
    },
    "avgpool": {},
    "route": {"layers": _INTS},
    "shortcut": {
        "from": _int(), "activation": _str("linear", ACTIVATIONS),
        "alpha": _float(1.0), "beta": _float(1.0),
    },
    "upsample": {"stride": _int(2), "scale": _float(1.0)},
    "yolo": {
        "classes": _int(20, 1), "num": _int(1, 1), "mask": _INTS, "max": _int(90, 0),
        "jitter": _float(0.2), "ignore_thresh": _float(0.5), "truth_thresh": _float(1.0),
        "random": _int(0), "map": _str(), "anchors": _FLOATS,
    },
    "region": {
        "coords": _int(4, 4), "classes": _int(20, 1), "num": _int(1, 1),
        "log": _int(0), "sqrt": _int(0), "softmax": _int(0), "background": _int(0),
        "max": _int(30, 0), "jitter": _float(0.2), "rescore": _int(0), "thresh": _float(0.5),
        "classfix": _int(0), "absolute": _int(0), "random": _int(0),
        "coord_scale": _float(1.0), "object_scale": _float(1.0), "noobject_scale": _float(1.0),
        "mask_scale": _float(1.0), "class_scale": _float(1.0), "bias_match": _int(0),
        "tree": _str(), "map": _str(), "anchors": _FLOATS,
    },
    "reorg": {"stride": _int(1, 1), "reverse": _flag(), "flatten": _flag(), "extra": _int(0, 0)},
    "softmax": {
        "groups": _int(1, 1), "temperature": _float(1.0), "tree": _str(),
        "spatial": _float(0.0), "noloss": _int(0),
    },
    "dropout": {"probability": _float(0.5, 0.0)},
    "cost": {
        "type": _str("sse", COST_TYPES), "scale": _float(1.0), "ratio": _float(0.0),
        "noobj": _float(1.0), "thresh": _float(0.0),
    },
    "batchnorm": {},
    "crop": {
        "crop_height": _int(1, 1), "crop_width": _int(1, 1), "flip": _int(0),
        "angle": _float(0.0), "saturation": _float(1.0), "exposure": _float(1.0),
        "noadjust": _int(0), "shift": _float(0.0),
    },
    "l2norm": {},
    "logistic": {},
}


def _layer_schema(kind: str) -> dict[str, _Opt]:
    return {**_LAYER_OPTIONS[kind], **_COMMON_LAYER_OPTIONS}


# --------------------------------------------------------------------------------------
# Public result types
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerSpec:
    """One layer as darknet will build it.

    ``options`` holds the raw strings of the keys present in the file; ``values`` holds the
    typed value darknet uses for *every* key it reads (defaults filled in; see :meth:`get`).
    ``in_shape``/``out_shape`` are ``(c, h, w)``.  ``params`` lists ``(name, float count)``
    in the exact order ``load_weights`` reads them for this layer (empty for layers without
    weights, or with ``dontload=1``; ``numload``/``dontloadscales`` are applied).
    ``flops`` counts 2 per multiply-add; ``sources`` are the layers a route/shortcut reads.
    ``spatial`` is False when darknet passes only a flat vector (not w/h/c) to the next
    layer: after softmax, cost and ``reorg extra=``, which never set their output shape.
    """

    index: int
    type: str
    options: dict[str, str]
    line: int
    in_shape: Shape
    out_shape: Shape
    params: list[tuple[str, int]] = field(default_factory=list)
    values: dict[str, Value] = field(default_factory=dict)
    flops: float = 0.0
    sources: tuple[int, ...] = ()
    spatial: bool = True

    def get(self, key: str) -> Value:
        """The typed value darknet uses for ``key`` in this layer (its default if absent)."""
        if key not in self.values:
            raise KeyError(f"darknet reads no key {key!r} for [{self.type}]")
        return self.values[key]

    @property
    def param_count(self) -> int:
        return sum(count for _, count in self.params)

    @property
    def outputs(self) -> int:
        return self.out_shape.size

    def __str__(self) -> str:
        return f"#{self.index} [{self.type}] {self.in_shape} -> {self.out_shape}"


@dataclass(frozen=True)
class NetworkConfig:
    """A validated darknet network description (result of :func:`parse_cfg`).

    ``batch`` and ``subdivisions`` are the cfg values; darknet's working batch is
    ``effective_batch`` (``batch / subdivisions * time_steps``).
    """

    path: Path
    net: dict[str, Value]
    width: int
    height: int
    channels: int
    batch: int
    subdivisions: int
    max_batches: int
    layers: list[LayerSpec]

    def get(self, key: str) -> Value:
        """The typed value darknet uses for the ``[net]`` option ``key`` (default if absent)."""
        if key not in self.net:
            raise KeyError(f"darknet reads no [net] key {key!r}")
        return self.net[key]

    @property
    def effective_batch(self) -> int:
        time_steps = int(self.net["time_steps"])  # type: ignore[arg-type]
        return self.batch // self.subdivisions * time_steps

    @property
    def input_shape(self) -> Shape:
        return Shape(self.channels, self.height, self.width)

    @property
    def input_stride(self) -> int | None:
        """What an input's width and height must be multiples of for this network to run at a
        size other than the cfg's (darknet's resize_network, or OpenCV DNN fed another size):
        the least common multiple of the factors by which its layers shrink the cfg's input.
        None when it cannot run at another size: a layer of a type resize_network does not
        handle (RESIZABLE_LAYER_TYPES: no connected, softmax or avgpool), or a layer whose
        output does not divide the input evenly."""
        stride = 1
        for spec in self.layers:
            if spec.type not in RESIZABLE_LAYER_TYPES or not spec.spatial:
                return None
            h, w = spec.out_shape.h, spec.out_shape.w
            if h < 1 or w < 1 or self.height % h or self.width % w:
                return None
            stride = math.lcm(stride, self.height // h, self.width // w)
        return stride

    def fitted_input_size(self, image_w: int, image_h: int, scale: float = 1.0) -> tuple[int, int]:
        """pydarknet.fitted_input_size of an image for this network's input (times ``scale``:
        scaled_input_size) and input_stride: the smaller input that detects what that size does.
        ValueError when the network cannot take other input sizes (input_stride is None: darknet
        cannot resize it)."""
        return fitted_input_size(image_w, image_h, *self.scaled_input_size(scale), self._resize_stride())

    def scaled_input_size(self, scale: float) -> tuple[int, int]:
        """The cfg's (width, height) times ``scale`` (0 < scale <= 1), each side rounded to the
        nearest multiple of input_stride (halves up; at least one stride): the input at which the
        network sees objects ``scale`` times their size at the cfg's, so that it finds those too
        large for it there (its anchors and receptive field). ValueError for a scale out of range
        or a network that cannot take other input sizes."""
        if checked_input_scale(scale) == 1.0:
            return self.width, self.height
        stride = self._resize_stride()
        return (max(stride, math.floor(self.width * scale / stride + 0.5) * stride),
                max(stride, math.floor(self.height * scale / stride + 0.5) * stride))

    def _resize_stride(self) -> int:
        stride = self.input_stride
        if stride is None:
            raise ValueError(f"fit_input and input_scale need a network that can take other input sizes; "
                             f"{self.path.name} has layers that cannot (darknet cannot resize them)")
        return stride

    @property
    def output_layers(self) -> list[int]:
        """Indices of the yolo/region layers, else darknet's output layer (last non-cost)."""
        detectors = [l.index for l in self.layers if l.type in ("yolo", "region")]
        if detectors:
            return detectors
        return [_last_non_cost(self.layers).index]

    @property
    def classes(self) -> int:
        """Classes of the last yolo/region layer, else the size of the output layer."""
        for spec in reversed(self.layers):
            if spec.type in ("yolo", "region"):
                return int(spec.get("classes"))  # type: ignore[arg-type]
        return _last_non_cost(self.layers).outputs

    @property
    def param_count(self) -> int:
        """Floats ``load_weights`` reads after the header."""
        return sum(spec.param_count for spec in self.layers)

    def flops(self) -> float:
        """Floating point operations of one forward pass for one image (2 per multiply-add).

        Convolutional layers follow darknet's BFLOPs print
        (``2 * n * size * size * c / groups * out_h * out_w``); deconvolutional and
        connected layers are counted the same way.
        """
        return sum(spec.flops for spec in self.layers)


def _last_non_cost(layers: list[LayerSpec]) -> LayerSpec:
    """get_network_output_layer (network.c)."""
    for spec in reversed(layers):
        if spec.type != "cost":
            return spec
    raise AssertionError("parse_cfg rejects networks made only of cost layers")


# --------------------------------------------------------------------------------------
# Reading the text (read_cfg + fgetl + strip)
# --------------------------------------------------------------------------------------


@dataclass
class _Entry:
    key: str
    value: str
    line: int


@dataclass
class _RawSection:
    name: str
    line: int
    entries: list[_Entry] = field(default_factory=list)


_SECTION_RE = re.compile(r"\[([^\[\]]+)\]")
_BAD_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "darknet cfg file not found", str(path)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            path, "not a text cfg file: bytes that are not UTF-8 (binary data?)", line=line
        ) from None
    bad = _BAD_CONTROL_RE.search(text)
    if bad:
        char = bad.group()
        line = text.count("\n", 0, bad.start()) + 1
        if char == "\r":
            reason = ("Windows line ending (carriage return): darknet keeps the '\\r' in "
                      "section names and values ('[net]\\r' is not recognised, an activation "
                      "'leaky\\r' silently becomes relu); convert the file to Unix line endings")
        else:
            reason = f"not a text cfg file: control character {char!r} (binary data?)"
        raise ConfigError(path, reason, line=line)
    return text


def _strip(line: str) -> str:
    """darknet's strip(): removes every space, tab and newline, also inside the line."""
    return line.replace(" ", "").replace("\t", "")


def _quote(text: str, limit: int = 60) -> str:
    text = text.strip()
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _tokenize(path: Path, text: str) -> list[_RawSection]:
    sections: list[_RawSection] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = _strip(raw)
        if not line or line[0] in "#;":
            continue
        if line[0] == "[":
            match = _SECTION_RE.fullmatch(line)
            if not match:
                raise ConfigError(path, f"malformed section header {_quote(raw)}", line=number)
            sections.append(_RawSection(match.group(1), number))
            continue
        key, sep, value = line.partition("=")
        if not sep or not key or not value:
            raise ConfigError(
                path, f"expected a [section] header or key=value, got {_quote(raw)}", line=number
            )
        if not sections:
            raise ConfigError(path, f"{_quote(raw)} comes before any [section]", line=number)
        sections[-1].entries.append(_Entry(key, value, number))
    return sections


# --------------------------------------------------------------------------------------
# Typed values
# --------------------------------------------------------------------------------------

_INT_RE = re.compile(r"[+-]?[0-9]+")
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class _BadValue(ValueError):
    pass


def _to_int(text: str) -> int:
    if not _INT_RE.fullmatch(text):
        raise _BadValue(f"must be an integer, got {_quote(text)}{_comment_hint(text)}")
    value = int(text)
    if not -_INT_MAX - 1 <= value <= _INT_MAX:
        raise _BadValue(f"{text} does not fit in a C int")
    return value


def _to_float(text: str) -> float:
    if not _FLOAT_RE.fullmatch(text):
        raise _BadValue(f"must be a number, got {_quote(text)}{_comment_hint(text)}")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _BadValue(f"{text} is out of range for a float")
    return value


def _to_list(text: str, convert: Callable[[str], Any]) -> tuple:
    items = text.split(",")
    if any(not item for item in items):
        raise _BadValue(
            f"has an empty item in the comma list {_quote(text)} (darknet would read it as 0)"
        )
    try:
        return tuple(convert(item) for item in items)
    except _BadValue as exc:
        raise _BadValue(f"list {_quote(text)}: every item {exc}") from None


def _comment_hint(text: str) -> str:
    if "#" in text or ";" in text:
        return " (darknet does not allow a comment after a value)"
    return ""


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "int": _to_int,
    "float": _to_float,
    "str": lambda text: text,
    "ints": lambda text: _to_list(text, _to_int),
    "floats": lambda text: _to_list(text, _to_float),
}


def _convert(opt: _Opt, text: str) -> Value:
    value = _CONVERTERS[opt.kind](text)
    if opt.choices is not None and value not in opt.choices:
        close = difflib.get_close_matches(str(value), sorted(opt.choices), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        accepted = ", ".join(sorted(opt.choices))
        raise _BadValue(f"unknown value {_quote(str(value))}{hint}; darknet accepts {accepted}")
    _check_range(opt, value)
    return value


def _check_range(opt: _Opt, value: Value) -> None:
    if not isinstance(value, (int, float)):
        return
    if opt.minimum == 0 and opt.maximum == 1 and value not in (0, 1):
        raise _BadValue(f"must be 0 or 1, got {value}")
    if opt.minimum is not None and value < opt.minimum:
        raise _BadValue(f"must be >= {opt.minimum:g}, got {value:g}")
    if opt.maximum is not None and value > opt.maximum:
        raise _BadValue(f"must be <= {opt.maximum:g}, got {value:g}")


# --------------------------------------------------------------------------------------
# Sections -> typed option tables
# --------------------------------------------------------------------------------------


@dataclass
class _Section:
    """A section with its keys checked and typed."""

    path: Path
    label: str  # "[net]" or "[convolutional] #3"
    line: int
    raw: dict[str, str]
    key_lines: dict[str, int]
    values: dict[str, Value]

    def fail(self, reason: str, key: str | None = None) -> NoReturn:
        line = self.key_lines.get(key, self.line) if key else self.line
        raise ConfigError(self.path, f"{self.label}: {reason}", line=line)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


def _collect_keys(
    path: Path, section: _RawSection, label: str, schema: Mapping[str, _Opt], *, first_wins: bool
) -> tuple[dict[str, str], dict[str, int]]:
    raw: dict[str, str] = {}
    lines: dict[str, int] = {}
    for entry in section.entries:
        if entry.key not in schema:
            raise ConfigError(path, _unknown_key_reason(entry.key, section.name, schema),
                              line=entry.line)
        if entry.key in raw:
            if raw[entry.key] == entry.value:
                continue
            if not first_wins:
                raise ConfigError(
                    path,
                    f"{label}: duplicate key '{entry.key}' (line {lines[entry.key]}: "
                    f"{_quote(raw[entry.key])}, line {entry.line}: {_quote(entry.value)})",
                    line=entry.line,
                )
            warnings.warn(
                f"{path}:{entry.line}: duplicate key '{entry.key}' in {label}; darknet uses "
                f"the first value {raw[entry.key]!r} (line {lines[entry.key]})",
                stacklevel=4,
            )
            continue
        raw[entry.key] = entry.value
        lines[entry.key] = entry.line
    return raw, lines


def _unknown_key_reason(key: str, section_name: str, schema: Mapping[str, _Opt]) -> str:
    reason = f"unknown key '{key}' in [{section_name}]"
    close = difflib.get_close_matches(key, list(schema), n=1)
    if close:
        reason += f" (did you mean '{close[0]}'?)"
    return reason


def _typed_section(
    path: Path, section: _RawSection, label: str, schema: Mapping[str, _Opt], *, first_wins: bool
) -> _Section:
    raw, lines = _collect_keys(path, section, label, schema, first_wins=first_wins)
    values: dict[str, Value] = {}
    for key, opt in schema.items():
        if key in raw:
            try:
                values[key] = _convert(opt, raw[key])
            except _BadValue as exc:
                raise ConfigError(path, f"{label}: {key} {exc}", line=lines[key]) from None
        else:
            values[key] = opt.default(values) if callable(opt.default) else opt.default
            _check_default(path, label, section.line, key, opt, values[key])
    return _Section(path, label, section.line, raw, lines, values)


def _check_default(path: Path, label: str, line: int, key: str, opt: _Opt, value: Value) -> None:
    """Defaults computed from other values (maxpool size/padding) still have to be in range."""
    try:
        _check_range(opt, value)
    except _BadValue as exc:
        raise ConfigError(path, f"{label}: {key} (default) {exc}", line=line) from None


# --------------------------------------------------------------------------------------
# [net]
# --------------------------------------------------------------------------------------


def _check_net(net: _Section) -> None:
    for key in ("width", "height", "channels"):
        if net[key] < 1:
            missing = " (missing)" if key not in net.raw else ""
            net.fail(f"{key} must be >= 1, got {net[key]}{missing}", key)
    if net["subdivisions"] > net["batch"]:
        net.fail(
            f"subdivisions ({net['subdivisions']}) must be <= batch ({net['batch']}): "
            "darknet's batch would be batch/subdivisions = 0", "subdivisions"
        )
    image = net["width"] * net["height"] * net["channels"]
    if image > _INT_MAX:
        net.fail(f"input {net['width']}x{net['height']}x{net['channels']} is too large", "width")
    if net["inputs"] != image:
        net.fail(f"inputs ({net['inputs']}) must equal width*height*channels ({image})", "inputs")
    if net["learning_rate"] <= 0:
        net.fail(f"learning_rate must be > 0, got {net['learning_rate']:g}", "learning_rate")
    _check_policy(net)


def _check_policy(net: _Section) -> None:
    policy = net["policy"]
    if policy == "steps":
        steps, scales = net["steps"], net["scales"]
        for key in ("steps", "scales"):
            if net[key] is None:
                net.fail(f"policy=steps needs both steps= and scales= ({key} is missing)", "policy")
        if len(steps) != len(scales):
            net.fail(
                f"policy=steps needs as many scales as steps, got {len(steps)} steps and "
                f"{len(scales)} scales", "scales"
            )
    if policy == "step" and net["step"] < 1:
        net.fail(f"step must be >= 1 for policy=step, got {net['step']}", "step")


# --------------------------------------------------------------------------------------
# Layers: one builder per type, mirroring parse_* and make_*_layer
# --------------------------------------------------------------------------------------


@dataclass
class _Built:
    out: Shape
    spatial: bool = True
    params: list[tuple[str, int]] = field(default_factory=list)
    flops: float = 0.0
    sources: tuple[int, ...] = ()


@dataclass
class _Ctx:
    """What parse_network_cfg hands to a parse_* function: its options and the input."""

    section: _Section
    index: int
    kind: str
    inp: Shape
    spatial: bool  # darknet passes w/h/c (not just the input count) to this layer
    previous: list[LayerSpec]
    cwd: Path

    def fail(self, reason: str, key: str | None = None) -> NoReturn:
        self.section.fail(reason, key)

    def __getitem__(self, key: str) -> Any:
        return self.section.values[key]

    def image(self) -> Shape:
        """Layers that check ``h && w && c`` (or that would misbehave without them)."""
        if not self.spatial:
            before = self.previous[-1]
            self.fail(
                f"needs an image (w x h x c) as input, but layer #{before.index} "
                f"[{before.type}] only outputs a flat vector of {before.outputs} values"
            )
        return self.inp

    def reference(self, key: str, offset: int) -> LayerSpec:
        """Resolve a route/shortcut index: negative is relative, positive is absolute."""
        target = self.index + offset if offset < 0 else offset
        if target == self.index:
            self.fail(f"{key}={offset} refers to this layer itself", key)
        if target > self.index:
            self.fail(f"{key}={offset} refers to layer #{target}, which comes later", key)
        if target < 0:
            self.fail(f"{key}={offset} refers to layer #{target}, before the first layer", key)
        return self.previous[target]


def _bn_params(n: int) -> list[tuple[str, int]]:
    return [("scales", n), ("rolling_mean", n), ("rolling_variance", n)]


def _spatial_out(ctx: _Ctx, what: str, extent: int, padded: int, size: int, stride: int) -> int:
    """(padded - size) / stride + 1, refusing a kernel larger than the (padded) input."""
    if padded < size:
        ctx.fail(
            f"input {what} {extent} (padded: {padded}) is smaller than the kernel size {size}; "
            "the input image is too small for this network"
        )
    return (padded - size) // stride + 1


def _build_convolutional(ctx: _Ctx) -> _Built:
    c, h, w = ctx.image()
    n, size, stride, groups = ctx["filters"], ctx["size"], ctx["stride"], ctx["groups"]
    padding = size // 2 if ctx["pad"] else ctx["padding"]
    if c % groups:
        ctx.fail(f"groups={groups} must divide the input channels ({c})", "groups")
    if n % groups:
        ctx.fail(f"groups={groups} must divide filters ({n})", "groups")
    if ctx["flipped"] and groups > 1:
        ctx.fail("flipped=1 with groups > 1: darknet would transpose past the weights", "flipped")
    out_h = _spatial_out(ctx, "height", h, h + 2 * padding, size, stride)
    out_w = _spatial_out(ctx, "width", w, w + 2 * padding, size, stride)
    params = _conv_params(ctx, n, c // groups * size * size)
    flops = 2.0 * n * size * size * c / groups * out_h * out_w
    return _Built(Shape(n, out_h, out_w), params=params, flops=flops)


def _conv_params(ctx: _Ctx, n: int, per_filter: int) -> list[tuple[str, int]]:
    """load_convolutional_weights: biases, [scales, rolling_mean, rolling_variance], weights."""
    if ctx["dontload"]:
        return []
    numload = ctx["numload"]
    if numload > n:
        ctx.fail(f"numload={numload} is larger than filters={n}: darknet would write past "
                 "the layer's biases", "numload")
    if numload:
        n = numload
    params = [("biases", n)]
    if ctx["batch_normalize"] and not ctx["dontloadscales"]:
        params += _bn_params(n)
    return params + [("weights", per_filter * n)]


def _build_deconvolutional(ctx: _Ctx) -> _Built:
    c, h, w = ctx.image()
    n, size, stride = ctx["filters"], ctx["size"], ctx["stride"]
    padding = size // 2 if ctx["pad"] else ctx["padding"]
    out_h = (h - 1) * stride + size - 2 * padding
    out_w = (w - 1) * stride + size - 2 * padding
    if out_h < 1 or out_w < 1:
        ctx.fail(f"output would be {out_w}x{out_h}: padding={padding} is too large")
    params = _conv_params(ctx, n, c * size * size)
    flops = 2.0 * n * size * size * c * h * w
    return _Built(Shape(n, out_h, out_w), params=params, flops=flops)


def _build_connected(ctx: _Ctx) -> _Built:
    inputs, outputs = ctx.inp.size, ctx["output"]
    params: list[tuple[str, int]] = []
    if not ctx["dontload"]:
        params = [("biases", outputs), ("weights", outputs * inputs)]
        if ctx["batch_normalize"] and not ctx["dontloadscales"]:
            params += _bn_params(outputs)
    return _Built(Shape(outputs, 1, 1), params=params, flops=2.0 * inputs * outputs)


def _build_maxpool(ctx: _Ctx) -> _Built:
    c, h, w = ctx.image()
    size, stride, padding = ctx["size"], ctx["stride"], ctx["padding"]
    out_h = _spatial_out(ctx, "height", h, h + padding, size, stride)
    out_w = _spatial_out(ctx, "width", w, w + padding, size, stride)
    return _Built(Shape(c, out_h, out_w))


def _build_avgpool(ctx: _Ctx) -> _Built:
    c, _, _ = ctx.image()
    return _Built(Shape(c, 1, 1))


def _build_route(ctx: _Ctx) -> _Built:
    offsets = ctx["layers"]
    if offsets is None:
        ctx.fail("route needs layers= (darknet would crash)")
    sources = [ctx.reference("layers", offset) for offset in offsets]
    first = sources[0]
    if len(sources) == 1:
        return _Built(first.out_shape, first.spatial, sources=(first.index,))
    for source in sources:
        if not source.spatial:
            ctx.fail(f"cannot concatenate layer #{source.index} [{source.type}]: it has no "
                     "spatial output", "layers")
        if source.out_shape[1:] != first.out_shape[1:]:
            ctx.fail(
                f"cannot concatenate layer #{first.index} ({first.out_shape}) with layer "
                f"#{source.index} ({source.out_shape}): route inputs must have the same "
                "width and height", "layers"
            )
    channels = sum(source.out_shape.c for source in sources)
    out = Shape(channels, first.out_shape.h, first.out_shape.w)
    return _Built(out, sources=tuple(source.index for source in sources))


def _build_shortcut(ctx: _Ctx) -> _Built:
    if ctx["from"] is None:
        ctx.fail("shortcut needs from= (darknet would crash)")
    inp = ctx.image()
    source = ctx.reference("from", ctx["from"])
    if not source.spatial:
        ctx.fail(f"from= refers to layer #{source.index} [{source.type}], which has no "
                 "spatial output", "from")
    # shortcut_cpu (blas.c) asserts these; the asserts are compiled out.
    w1, h1, w2, h2 = source.out_shape.w, source.out_shape.h, inp.w, inp.h
    if w1 // w2 != h1 // h2 or w2 // w1 != h2 // h1:
        ctx.fail(
            f"cannot add layer #{source.index} ({source.out_shape}) to the input ({inp}): "
            "width and height must scale by the same factor", "from"
        )
    return _Built(inp, sources=(source.index,))


def _build_upsample(ctx: _Ctx) -> _Built:
    c, h, w = ctx.image()
    stride = ctx["stride"]
    if stride == 0:
        ctx.fail("stride must not be 0", "stride")
    out_h, out_w = (h * stride, w * stride) if stride > 0 else (h // -stride, w // -stride)
    if out_h < 1 or out_w < 1:
        ctx.fail(f"downsampling {w}x{h} by {-stride} leaves nothing", "stride")
    return _Built(Shape(c, out_h, out_w))


def _check_anchors(ctx: _Ctx, total: int) -> None:
    anchors = ctx["anchors"]
    if anchors is not None and len(anchors) != 2 * total:
        ctx.fail(
            f"anchors has {len(anchors)} numbers, needs 2*num = {2 * total} (a w,h pair per "
            "anchor)", "anchors"
        )


def _check_detector_input(ctx: _Ctx, per_cell: int, formula: str) -> Shape:
    """make_yolo_layer/make_region_layer assert outputs == inputs (compiled out)."""
    inp = ctx.image()
    if inp.c != per_cell:
        before = ctx.previous[-1] if ctx.previous else None
        hint = ""
        if before is not None and before.type == "convolutional":
            hint = f" (set filters={per_cell} in layer #{before.index})"
        ctx.fail(f"the layer before must output {formula} = {per_cell} channels, got {inp.c}"
                 + hint)
    return inp


def _build_yolo(ctx: _Ctx) -> _Built:
    classes, total, mask = ctx["classes"], ctx["num"], ctx["mask"]
    if mask is None:
        mask = tuple(range(total))
    for index in mask:
        if not 0 <= index < total:
            ctx.fail(f"mask index {index} is out of range: num={total} anchors", "mask")
    _check_anchors(ctx, total)
    _referenced_file(ctx, "map")
    per_cell = len(mask) * (classes + 4 + 1)
    inp = _check_detector_input(ctx, per_cell, f"len(mask)*(classes+5) = {len(mask)}*{classes + 5}")
    return _Built(inp)


def _build_region(ctx: _Ctx) -> _Built:
    coords, classes, num = ctx["coords"], ctx["classes"], ctx["num"]
    _check_anchors(ctx, num)
    nodes = _check_tree(ctx)
    if nodes is not None and nodes > classes:
        ctx.fail(f"tree has {nodes} nodes but classes={classes}", "tree")
    _referenced_file(ctx, "map")
    per_cell = num * (classes + coords + 1)
    formula = f"num*(classes+coords+1) = {num}*{classes + coords + 1}"
    return _Built(_check_detector_input(ctx, per_cell, formula))


def _build_reorg(ctx: _Ctx) -> _Built:
    c, h, w = ctx.image()
    stride, extra = ctx["stride"], ctx["extra"]
    if extra:
        outputs = c * h * w + extra
        return _Built(Shape(outputs, 1, 1), spatial=False)
    if c % (stride * stride):
        ctx.fail(f"input channels ({c}) must be divisible by stride*stride ({stride * stride})",
                 "stride")
    if ctx["reverse"]:
        return _Built(Shape(c // (stride * stride), h * stride, w * stride))
    if h % stride or w % stride:
        ctx.fail(f"input {w}x{h} must be divisible by stride={stride}", "stride")
    return _Built(Shape(c * stride * stride, h // stride, w // stride))


def _build_softmax(ctx: _Ctx) -> _Built:
    inputs, groups = ctx.inp.size, ctx["groups"]
    if inputs % groups:
        ctx.fail(f"groups={groups} must divide the number of inputs ({inputs})", "groups")
    if ctx["temperature"] <= 0:
        ctx.fail(f"temperature must be > 0, got {ctx['temperature']:g}", "temperature")
    nodes = _check_tree(ctx)
    if nodes is not None and nodes > inputs:
        ctx.fail(f"tree has {nodes} nodes but the layer has only {inputs} inputs", "tree")
    # parse_softmax never sets out_w/out_h/out_c: later layers only see a flat vector.
    return _Built(ctx.inp, spatial=False)


def _build_dropout(ctx: _Ctx) -> _Built:
    if ctx.index == 0:
        ctx.fail("dropout cannot be the first layer (darknet shares the previous layer's "
                 "output buffer and would read before the layer array)")
    if ctx["probability"] >= 1:
        ctx.fail(f"probability must be < 1, got {ctx['probability']:g}", "probability")
    return _Built(ctx.inp, ctx.spatial)


def _build_cost(ctx: _Ctx) -> _Built:
    return _Built(ctx.inp, spatial=False)


def _build_batchnorm(ctx: _Ctx) -> _Built:
    c = ctx.image().c
    params = [] if ctx["dontload"] else _bn_params(c)
    return _Built(ctx.inp, params=params)


def _build_crop(ctx: _Ctx) -> _Built:
    c, h, w = ctx.image()
    crop_h, crop_w = ctx["crop_height"], ctx["crop_width"]
    if crop_h > h or crop_w > w:
        ctx.fail(f"crop {crop_w}x{crop_h} is larger than the input {w}x{h}")
    return _Built(Shape(c, crop_h, crop_w))


def _build_l2norm(ctx: _Ctx) -> _Built:
    return _Built(ctx.image())


def _build_logistic(ctx: _Ctx) -> _Built:
    return _Built(ctx.inp, ctx.spatial)


_BUILDERS: dict[str, Callable[[_Ctx], _Built]] = {
    "convolutional": _build_convolutional,
    "deconvolutional": _build_deconvolutional,
    "connected": _build_connected,
    "maxpool": _build_maxpool,
    "avgpool": _build_avgpool,
    "route": _build_route,
    "shortcut": _build_shortcut,
    "upsample": _build_upsample,
    "yolo": _build_yolo,
    "region": _build_region,
    "reorg": _build_reorg,
    "softmax": _build_softmax,
    "dropout": _build_dropout,
    "cost": _build_cost,
    "batchnorm": _build_batchnorm,
    "crop": _build_crop,
    "l2norm": _build_l2norm,
    "logistic": _build_logistic,
}
assert set(_BUILDERS) == SUPPORTED_LAYER_TYPES == set(_LAYER_OPTIONS)


def _referenced_file(ctx: _Ctx, key: str) -> Path | None:
    """A tree=/map= file: darknet exits (map) or crashes (tree) when it cannot open it."""
    name = ctx[key]
    if name is None:
        return None
    target = ctx.cwd / name
    if not target.is_file():
        ctx.fail(
            f"{key} file {name!r} not found; darknet opens it relative to the current working "
            f"directory ({ctx.cwd}) and exits if it is missing", key
        )
    return target


def _check_tree(ctx: _Ctx) -> int | None:
    """read_tree (tree.c): one node per non-empty line.  Returns the node count."""
    target = _referenced_file(ctx, "tree")
    if target is None:
        return None
    try:
        lines = target.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        ctx.fail(f"cannot read tree file: {exc}", "tree")
    return sum(1 for line in lines if line.strip())


# --------------------------------------------------------------------------------------
# Putting it together
# --------------------------------------------------------------------------------------


def _layer_kind(path: Path, section: _RawSection, index: int) -> str:
    name = section.name
    if name in _LAYER_ALIASES:
        return _LAYER_ALIASES[name]
    if name in _NET_SECTIONS:
        reason = f"[{name}] may only be the first section (found as layer #{index})"
    elif name in _UNSUPPORTED_DARKNET_TYPES:
        reason = f"layer type [{name}] is not supported by pydarknet"
    else:
        reason = f"unknown section [{name}]"
        known = sorted(set(_LAYER_ALIASES) | _UNSUPPORTED_DARKNET_TYPES)
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            reason += f" (did you mean [{close[0]}]?)"
    raise ConfigError(path, reason, line=section.line)


def _build_layer(
    path: Path, raw: _RawSection, index: int, previous: list[LayerSpec], net: _Section, cwd: Path
) -> LayerSpec:
    kind = _layer_kind(path, raw, index)
    label = f"[{kind}] #{index}"
    section = _typed_section(path, raw, label, _layer_schema(kind), first_wins=False)
    if previous:
        before = previous[-1]
        inp, spatial = before.out_shape, before.spatial
    else:
        inp, spatial = Shape(net["channels"], net["height"], net["width"]), True
    ctx = _Ctx(section, index, kind, inp, spatial, previous, cwd)
    built = _BUILDERS[kind](ctx)
    _check_sizes(ctx, built, _effective_batch(net))
    return LayerSpec(
        index=index,
        type=kind,
        options=dict(section.raw),
        line=raw.line,
        in_shape=inp,
        out_shape=built.out,
        params=built.params,
        values=dict(section.values),
        flops=built.flops,
        sources=built.sources,
        spatial=built.spatial,
    )


def _effective_batch(net: _Section) -> int:
    return net["batch"] // net["subdivisions"] * net["time_steps"]


def _check_sizes(ctx: _Ctx, built: _Built, batch: int) -> None:
    """darknet computes sizes, weight counts and batch*outputs in C ints."""
    if min(built.out) < 1:
        ctx.fail(f"output size would be {built.out}")
    for what, count in [("output", built.out.size * batch), *built.params]:
        if count > _INT_MAX:
            ctx.fail(f"{what} has {count} floats, more than darknet's int sizes can hold")


def parse_cfg(path: str | os.PathLike[str]) -> NetworkConfig:
    """Parse and validate a darknet ``.cfg`` file.

    Raises ``FileNotFoundError`` if the file does not exist and
    :class:`~pydarknet.errors.ConfigError` (with the line number) for anything darknet
    would reject, crash on, or silently misread.  ``tree=``/``map=`` files are looked up
    relative to the current working directory, as darknet does.
    """
    path = Path(path)
    sections = _tokenize(path, _read_text(path))
    if not sections:
        raise ConfigError(path, "no sections: the file is empty or only has comments", line=1)
    first = sections[0]
    if first.name not in _NET_SECTIONS:
        raise ConfigError(path, f"first section must be [net] or [network], got [{first.name}]",
                          line=first.line)
    net = _typed_section(path, first, f"[{first.name}]", _NET_OPTIONS, first_wins=True)
    _check_net(net)
    if len(sections) < 2:
        raise ConfigError(path, "the network has no layers after [net]", line=first.line)
    cwd = Path.cwd()
    layers: list[LayerSpec] = []
    for index, raw in enumerate(sections[1:]):
        layers.append(_build_layer(path, raw, index, layers, net, cwd))
    if all(spec.type == "cost" for spec in layers):
        raise ConfigError(path, "the network has only cost layers (no output layer)",
                          line=sections[1].line)
    return NetworkConfig(
        path=path,
        net=dict(net.values),
        width=net["width"],
        height=net["height"],
        channels=net["channels"],
        batch=net["batch"],
        subdivisions=net["subdivisions"],
        max_batches=net["max_batches"],
        layers=layers,
    )
