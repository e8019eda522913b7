"""darknet cfg + weights -> an ONNX model, in memory, for ONNX Runtime (lpr.engines.onnx_network).

    model, outputs = darknet_to_onnx("plate-detector.cfg", "plate-detector.weights")
    # model: the serialised ModelProto (bytes); outputs: darknet layer index -> output name

The graph computes what darknet 61c9d02e's CPU forward pass computes, layer by layer:

- [convolutional] (any size, stride, padding, groups; batch norm folded into the weights as
  darknet's normalize_cpu divides, by sqrt(variance) + 1e-6), with linear, relu, leaky (0.1)
  or logistic activation;
- [maxpool] with darknet's padding (``padding``, default size - 1: the first padding // 2 rows
  and columns before the image, the rest after, none of them ever the maximum);
- [route] (channels concatenated), [upsample] (nearest, darknet's ``out[i] = in[i // stride]``,
  scale 1), [shortcut] between layers of one shape (``alpha`` times the previous layer plus
  ``beta`` times the ``from`` layer, then the activation: YOLOv3's residuals), [dropout]
  (nothing at inference);
- [connected] (with batch norm folded) and [softmax] (groups 1, temperature 1), for classifiers;
- [yolo]: nothing is computed; the graph outputs the layer's input, which the caller decodes as
  darknet does (lpr.engines.yolo_decoding).

The batch, and for networks without [connected] layers the height and width, are free
dimensions, so one model runs a detector at any input size its strides allow (fit_input, the
large-plate pass). Anything else raises ValueError naming the layer.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

import pydarknet

from . import onnx_proto

PathLike = str | os.PathLike[str]

__all__ = ["darknet_to_onnx", "OPSET", "IR_VERSION"]

OPSET = 17
IR_VERSION = 8                 # what ONNX Runtime releases of the last years read
_BN_EPS = 1e-6                 # normalize_cpu: (x - mean) / (sqrt(variance) + .000001f)
_LEAKY = 0.1
_ACTIVATIONS = ("linear", "relu", "leaky", "logistic")


class _Graph:
    """The nodes and weights of the model being built (encoded: lpr.engines.onnx_proto); darknet
    layer index -> its output name."""

    def __init__(self) -> None:
        self.nodes: list[bytes] = []
        self.weights: list[bytes] = []
        self.layer_outputs: dict[int, str] = {}

    def constant(self, name: str, value: np.ndarray) -> str:
        self.weights.append(onnx_proto.tensor(name, value))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attributes) -> str:
        self.nodes.append(onnx_proto.node(op, inputs, [output], **attributes))
        return output

    def activate(self, x: str, activation: str, name: str) -> str:
        if activation == "linear":
            return x
        if activation == "relu":
            return self.node("Relu", [x], name)
        if activation == "leaky":
            return self.node("LeakyRelu", [x], name, alpha=_LEAKY)
        return self.node("Sigmoid", [x], name)


def _fail(spec, reason: str):
    raise ValueError(f"layer {spec.index} [{spec.type}] (line {spec.line}): {reason} (ONNX export)")


def _folded(spec, params: dict[str, np.ndarray], weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The weights and biases with the layer's batch norm folded in (darknet's order: normalise,
    scale, add the bias)."""
    biases = params["biases"].astype(np.float64)
    if not spec.get("batch_normalize"):
        return weights.astype(np.float32), biases.astype(np.float32)
    factor = params["scales"].astype(np.float64) / (np.sqrt(params["rolling_variance"].astype(np.float64)) + _BN_EPS)
    shape = (-1,) + (1,) * (weights.ndim - 1)
    folded = weights.astype(np.float64) * factor.reshape(shape)
    return folded.astype(np.float32), (biases - params["rolling_mean"].astype(np.float64) * factor).astype(np.float32)


def _activation(spec) -> str:
    activation = str(spec.get("activation"))
    if activation not in _ACTIVATIONS:
        _fail(spec, f"activation {activation!r} is not exported (only {', '.join(_ACTIVATIONS)})")
    return activation


def _convolutional(g: _Graph, spec, x: str, params: dict[str, np.ndarray]) -> str:
    size, stride, groups = int(spec.get("size")), int(spec.get("stride")), int(spec.get("groups"))
    pad = size // 2 if spec.get("pad") else int(spec.get("padding"))
    if spec.values.get("binary") or spec.values.get("xnor"):
        _fail(spec, "binary / xnor convolutions are not exported")
    weights, biases = _folded(spec, params, params["weights"])
    name = f"conv_{spec.index}"
    y = g.node("Conv", [x, g.constant(name + "_w", weights), g.constant(name + "_b", biases)], name + "_linear",
               kernel_shape=[size, size], strides=[stride, stride], pads=[pad] * 4, group=groups)
    return g.activate(y, _activation(spec), name)


def _maxpool(g: _Graph, spec, x: str) -> str:
    size, stride = int(spec.get("size")), int(spec.get("stride"))
    padding = int(spec.get("padding"))
    before, after = padding // 2, padding - padding // 2
    if before >= size or after >= size:       # ONNX wants pads smaller than the kernel
        _fail(spec, f"padding {padding} with size {size} is not exported")
    return g.node("MaxPool", [x], f"maxpool_{spec.index}", kernel_shape=[size, size], strides=[stride, stride],
                  pads=[before, before, after, after])


def _upsample(g: _Graph, spec, x: str) -> str:
    stride = int(spec.get("stride"))
    if stride < 1 or float(spec.values.get("scale", 1.0)) != 1.0:
        _fail(spec, "only upsampling by a positive stride with scale 1 is exported")
    scales = g.constant(f"upsample_{spec.index}_scales", np.array([1, 1, stride, stride], np.float32))
    return g.node("Resize", [x, "", scales], f"upsample_{spec.index}", mode="nearest",
                  coordinate_transformation_mode="asymmetric", nearest_mode="floor")


def _shortcut(g: _Graph, spec, x: str, config) -> str:
    (source,) = spec.sources
    if config.layers[source].out_shape != spec.in_shape:
        _fail(spec, "only a shortcut between layers of one shape is exported")
    name = f"shortcut_{spec.index}"
    alpha, beta = float(spec.values.get("alpha", 1.0)), float(spec.values.get("beta", 1.0))
    previous, added = x, g.layer_outputs[source]
    if alpha != 1.0:
        previous = g.node("Mul", [x, g.constant(name + "_alpha", np.array(alpha, np.float32))], name + "_previous")
    if beta != 1.0:
        added = g.node("Mul", [added, g.constant(name + "_beta", np.array(beta, np.float32))], name + "_added")
    return g.activate(g.node("Add", [previous, added], name + "_sum"), _activation(spec), name)


def _connected(g: _Graph, spec, x: str, params: dict[str, np.ndarray]) -> str:
    weights, biases = _folded(spec, params, params["weights"])      # (outputs, inputs)
    name = f"connected_{spec.index}"
    flat = g.node("Flatten", [x], name + "_flat", axis=1)
    y = g.node("Gemm", [flat, g.constant(name + "_w", weights), g.constant(name + "_b", biases)], name + "_linear",
               transB=1)
    return g.activate(y, _activation(spec), name)


def _softmax(g: _Graph, spec, x: str) -> str:
    if int(spec.values.get("groups", 1)) != 1 or float(spec.values.get("temperature", 1.0)) != 1.0:
        _fail(spec, "only softmax with groups=1 and temperature=1 is exported")
    flat = g.node("Flatten", [x], f"softmax_{spec.index}_flat", axis=1)
    return g.node("Softmax", [flat], f"softmax_{spec.index}", axis=1)


def darknet_to_onnx(cfg_path: PathLike, weights_path: PathLike,
                    metadata: Callable[[dict[int, str]], dict[str, str]] | None = None
                    ) -> tuple[bytes, dict[int, str]]:
    """The ONNX model of a darknet network (see the module's docstring) and its outputs: for each
    [yolo] layer, its index -> the name of the output holding the layer's input; else the last
    layer's index -> its output. ``metadata``: given those outputs, the key/value strings to
    store in the model (``metadata_props``). The files are checked as pydarknet checks them
    (ConfigError, WeightsError, FileNotFoundError). Needs no ``onnx`` package: the model is
    encoded by lpr.engines.onnx_proto, and ONNX Runtime checks it when it loads it."""
    config = pydarknet.parse_cfg(Path(cfg_path))
    params = pydarknet.read_weights(Path(weights_path), config)     # WeightsError for a partial file
    g = _Graph()
    flat_input = any(spec.type == "connected" for spec in config.layers)
    c, h, w = config.input_shape
    x = "input"
    inputs = [onnx_proto.value_info(x, ["batch", c, h if flat_input else "height", w if flat_input else "width"])]
    outputs: dict[int, str] = {}
    shapes: dict[str, list] = {}           # output name -> its shape (free dimensions named)
    for spec in config.layers:
        if spec.type == "convolutional":
            x = _convolutional(g, spec, x, params[spec.index])
        elif spec.type == "maxpool":
            x = _maxpool(g, spec, x)
        elif spec.type == "route":
            names = [g.layer_outputs[i] for i in spec.sources]
            x = names[0] if len(names) == 1 else g.node("Concat", names, f"route_{spec.index}", axis=1)
        elif spec.type == "upsample":
            x = _upsample(g, spec, x)
        elif spec.type == "shortcut":
            x = _shortcut(g, spec, x, config)
        elif spec.type == "dropout":
            pass
        elif spec.type == "connected":
            x = _connected(g, spec, x, params[spec.index])
        elif spec.type == "softmax":
            x = _softmax(g, spec, x)
        elif spec.type == "yolo":
            outputs[spec.index] = x       # its input; the layer's own output is decoded by the caller
            shapes[x] = ["batch", spec.in_shape.c, f"height_{spec.index}", f"width_{spec.index}"]
        else:
            _fail(spec, "this layer type is not exported")
        g.layer_outputs[spec.index] = x
    if not outputs:
        last = config.layers[-1]
        outputs[last.index] = x
        shapes[x] = ["batch", last.out_shape.size]
    if len(set(outputs.values())) != len(outputs):
        raise ValueError(f"{cfg_path}: two [yolo] layers read the same tensor (ONNX export)")
    graph_outputs = [onnx_proto.value_info(name, shapes[name]) for name in outputs.values()]
    graph = onnx_proto.graph(g.nodes, Path(cfg_path).stem, inputs, graph_outputs, g.weights)
    model = onnx_proto.model(graph, ir_version=IR_VERSION, opset=OPSET, producer="lpr",
                             metadata=metadata(outputs) if metadata is not None else None)
    return model, outputs
