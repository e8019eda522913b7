"""The few ONNX protobuf messages lpr.engines.onnx_export writes, encoded here: a model is bytes
ONNX Runtime loads, without the ``onnx`` package (whose import takes about a second here, at
every start of `lpr`).

Protocol buffers' wire format (varints, 32-bit floats, length-delimited fields), with the
field numbers of onnx.proto (proto2: repeated numbers unpacked, fields in number order, as
the official encoder writes them). Each function returns one message's bytes; the tests
check them against the ``onnx`` package's own encoder, message by message.
"""
from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

import numpy as np

FLOAT = 1                       # TensorProto.DataType
_ATTR_FLOAT, _ATTR_INT, _ATTR_STRING, _ATTR_INTS = 1, 2, 3, 7      # AttributeProto.AttributeType
_VARINT, _FIXED32, _BYTES = 0, 5, 2


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1      # int64 as two's complement, as protobuf does
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _int(field: int, value: int) -> bytes:
    return _key(field, _VARINT) + _varint(int(value))


def _float(field: int, value: float) -> bytes:
    return _key(field, _FIXED32) + struct.pack("<f", value)


def _bytes(field: int, value: bytes) -> bytes:
    return _key(field, _BYTES) + _varint(len(value)) + value


def _str(field: int, value: str) -> bytes:
    return _bytes(field, value.encode("utf-8"))


def _messages(field: int, messages: Iterable[bytes]) -> bytes:
    return b"".join(_bytes(field, m) for m in messages)


def attribute(name: str, value: int | float | str | Sequence[int]) -> bytes:
    """AttributeProto: an int, a float, a string or a list of ints, typed as onnx.helper types them."""
    if isinstance(value, bool) or isinstance(value, (int, np.integer)):
        return _str(1, name) + _int(3, int(value)) + _int(20, _ATTR_INT)
    if isinstance(value, (float, np.floating)):
        return _str(1, name) + _float(2, float(value)) + _int(20, _ATTR_FLOAT)
    if isinstance(value, str):
        return _str(1, name) + _bytes(4, value.encode("utf-8")) + _int(20, _ATTR_STRING)
    values = [int(v) for v in value]
    return _str(1, name) + b"".join(_int(8, v) for v in values) + _int(20, _ATTR_INTS)


def node(op_type: str, inputs: Sequence[str], outputs: Sequence[str], **attributes) -> bytes:
    """NodeProto (attributes in name order, as onnx.helper.make_node writes them)."""
    return (b"".join(_str(1, i) for i in inputs) + b"".join(_str(2, o) for o in outputs) + _str(4, op_type)
            + _messages(5, (attribute(k, v) for k, v in sorted(attributes.items()))))


def tensor(name: str, array: np.ndarray) -> bytes:
    """TensorProto of a float32 array, its values as raw little-endian bytes."""
    values = np.asarray(array, dtype="<f4")          # (not ascontiguousarray: it makes a scalar 1-d)
    return (b"".join(_int(1, d) for d in values.shape) + _int(2, FLOAT) + _str(8, name)
            + _bytes(9, values.tobytes(order="C")))


def value_info(name: str, shape: Sequence[int | str]) -> bytes:
    """ValueInfoProto of a float tensor; a str in ``shape`` is a free dimension's name."""
    dims = [_str(2, d) if isinstance(d, str) else _int(1, d) for d in shape]
    tensor_type = _int(1, FLOAT) + _bytes(2, _messages(1, dims))
    return _str(1, name) + _bytes(2, _bytes(1, tensor_type))


def graph(nodes: Sequence[bytes], name: str, inputs: Sequence[bytes], outputs: Sequence[bytes],
          initializers: Sequence[bytes]) -> bytes:
    """GraphProto."""
    return (_messages(1, nodes) + _str(2, name) + _messages(5, initializers) + _messages(11, inputs)
            + _messages(12, outputs))


def model(graph_bytes: bytes, *, ir_version: int, opset: int, producer: str,
          metadata: dict[str, str] | None = None) -> bytes:
    """ModelProto with the default domain's opset and key/value metadata."""
    props = (_str(1, str(k)) + _str(2, str(v)) for k, v in (metadata or {}).items())
    return (_int(1, ir_version) + _str(2, producer) + _bytes(7, graph_bytes)
            + _bytes(8, _str(1, "") + _int(2, opset)) + _messages(14, props))
