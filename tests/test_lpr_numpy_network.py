"""lpr.recognition.numpy_network: the NumPy-only engine against darknet itself (via pydarknet)."""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lpr
import pydarknet
from lpr.recognition.numpy_network import NumpyNetwork

CHAR_CNN = Path(lpr.__file__).parent / "models" / "char-cnn.cfg"
ATOL = 1e-4

# 3 channels, odd sizes, stride-2 5x5 conv without batch norm, leaky, a 3x3/2 maxpool with
# darknet's default padding on odd input, explicit padding=0, logistic, a stride-1 maxpool,
# connected layers with and without batch norm.
ODD_CFG = """
[net]
width=23
height=17
channels=3

[convolutional]
filters=6
size=5
stride=2
pad=1
activation=leaky

[maxpool]
size=3
stride=2

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
padding=0
activation=logistic

[maxpool]
size=2
stride=1

[connected]
batch_normalize=1
output=10
activation=leaky

[connected]
output=7
activation=linear

[softmax]
groups=1
"""

# One channel, the section aliases, a stride-2 conv with explicit padding, a 1x1 conv, a
# maxpool that drops the input's last rows, dropout, softmax in groups with a temperature.
STRIDED_CFG = """
[net]
width=31
height=29
channels=1

[conv]
batch_normalize=1
filters=5
size=3
stride=2
padding=1
activation=relu

[max]
stride=2

[convolutional]
filters=4
size=1
stride=1
activation=linear

[maxpool]
size=3
stride=3
padding=0

[dropout]
probability=.5

[connected]
output=12
activation=logistic

[soft]
groups=3
temperature=2
"""

# padding=6 puts the first pooling windows wholly outside the input: darknet gives -FLT_MAX.
EMPTY_WINDOWS_CFG = """
[net]
width=9
height=7
channels=2

[convolutional]
filters=3
size=3
stride=1
pad=1
activation=relu

[maxpool]
size=2
stride=2
padding=6
"""

SMALL_CFGS = {"odd": ODD_CFG, "strided": STRIDED_CFG, "empty-windows": EMPTY_WINDOWS_CFG}


def _darknet(cfg: Path, weights: Path, batch: int) -> pydarknet.Network:
    # fuse_batchnorm=False: darknet's own normalize_cpu path, not pydarknet's folding
    return pydarknet.Network(cfg, weights, batch=batch, gpu=-1, fuse_batchnorm=False)


def _images(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


@pytest.fixture(scope="module")
def char_cnn(tmp_path_factory) -> tuple[Path, Path]:
    weights = tmp_path_factory.mktemp("char-cnn") / "char-cnn.weights"
    return CHAR_CNN, pydarknet.write_random_weights(CHAR_CNN, weights, seed=5)


def _write_cfg(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.cfg"
    path.write_text(text.lstrip())
    return path


def _assert_matches_darknet(cfg: Path, weights: Path, x: np.ndarray) -> NumpyNetwork:
    net = NumpyNetwork(cfg, weights)
    layer_count = len(net.layers)
    with _darknet(cfg, weights, batch=len(x)) as reference:
        expected = reference.forward(x, layers=list(range(layer_count)))
    last = expected[-1][np.abs(expected[-1]) < 1e30]  # leave out empty pooling windows
    assert last.size and np.std(last) > 1e-3  # random weights give a non-degenerate output
    got = net.forward(x)
    assert len(got) == layer_count
    for index, (mine, theirs) in enumerate(zip(got, expected)):
        assert mine.dtype == np.float32
        assert mine.shape == theirs.shape, f"layer {index}"
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=ATOL, err_msg=f"layer {index}")
    probabilities = net.predict(x)
    assert probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities, expected[-1].reshape(len(x), -1), rtol=0, atol=ATOL)
    return net


# ------------------------------------------------------------------ darknet parity


def test_char_cnn_matches_darknet_layer_by_layer(char_cnn):
    cfg, weights = char_cnn
    x = _images((5, 1, 100, 75), seed=1)
    net = _assert_matches_darknet(cfg, weights, x)
    assert net.input_shape == (1, 100, 75)
    assert net.classes == 36
    probabilities = net.predict(x)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    # one channel: N x H x W is accepted too, with the same result
    np.testing.assert_array_equal(net.predict(x[:, 0]), probabilities)


def test_char_cnn_images_are_independent_of_the_batch(char_cnn):
    net = NumpyNetwork(*char_cnn)
    x = _images((4, 1, 100, 75), seed=2)
    whole = net.predict(x)
    alone = np.concatenate([net.predict(x[i:i + 1]) for i in range(len(x))])
    np.testing.assert_allclose(whole, alone, rtol=0, atol=1e-6)
    assert net.predict(np.empty((0, 1, 100, 75), np.float32)).shape == (0, 36)


@pytest.mark.parametrize("name", sorted(SMALL_CFGS))
def test_small_networks_match_darknet(tmp_path, name):
    cfg = _write_cfg(tmp_path, name, SMALL_CFGS[name])
    weights = pydarknet.write_random_weights(cfg, tmp_path / f"{name}.weights", seed=11)
    net = NumpyNetwork(cfg, weights)
    x = _images((3,) + net.input_shape, seed=3)
    _assert_matches_darknet(cfg, weights, x)


def test_empty_pooling_windows_give_minus_flt_max(tmp_path):
    cfg = _write_cfg(tmp_path, "empty", EMPTY_WINDOWS_CFG)
    weights = pydarknet.write_random_weights(cfg, tmp_path / "empty.weights", seed=4)
    pooled = NumpyNetwork(cfg, weights).forward(_images((2, 2, 7, 9), seed=4), layers=[-1])[0]
    assert pooled.shape == (2, 3, 6, 7)
    empty = np.zeros((6, 7), bool)  # windows on rows/columns -3, -2 and past the input's end
    empty[[0, -1], :] = empty[:, [0, -1]] = True
    assert (pooled[:, :, empty] == -np.finfo(np.float32).max).all()
    assert (pooled[:, :, ~empty] >= 0).all()  # relu outputs


def test_old_header_and_transposed_connected_weights(tmp_path):
    """minor > 1000: int32 ``seen`` (16-byte header) and connected weights stored transposed."""
    cfg = _write_cfg(tmp_path, "odd", ODD_CFG)
    modern = pydarknet.write_random_weights(cfg, tmp_path / "modern.weights", seed=6)
    floats = np.fromfile(modern, dtype="<f4", offset=20)
    net = NumpyNetwork(cfg, modern)
    offset = 0
    for layer in net.layers:  # transpose every connected layer's weights in the file
        for name, count in layer.params:
            if layer.kind == "connected" and name == "weights":
                block = floats[offset:offset + count].reshape(layer.outputs, layer.inputs)
                floats[offset:offset + count] = block.T.reshape(-1)
            offset += count
    legacy = tmp_path / "legacy.weights"
    legacy.write_bytes(struct.pack("<iiii", 0, 1001, 0, 12345) + floats.astype("<f4").tobytes())
    x = _images((2, 3, 17, 23), seed=7)
    _assert_matches_darknet(cfg, legacy, x)
    np.testing.assert_allclose(NumpyNetwork(cfg, legacy).predict(x), net.predict(x), atol=1e-6)


# ------------------------------------------------------------------ bad files


def test_weights_of_the_wrong_size_are_refused(tmp_path, char_cnn):
    cfg, weights = char_cnn
    data = weights.read_bytes()
    short = tmp_path / "short.weights"
    short.write_bytes(data[:-4])
    with pytest.raises(ValueError, match=r"short\.weights: truncated.*layer 8 \[connected\]"):
        NumpyNetwork(cfg, short)
    mid = tmp_path / "mid.weights"
    mid.write_bytes(data[:1000])
    with pytest.raises(ValueError, match=r"truncated.*layer 0 \[convolutional\] would be cut"):
        NumpyNetwork(cfg, mid)
    long = tmp_path / "long.weights"
    long.write_bytes(data + b"\0" * 4)
    with pytest.raises(ValueError, match=r"long\.weights: 4 bytes too long"):
        NumpyNetwork(cfg, long)
    header = tmp_path / "header.weights"
    header.write_bytes(data[:10])
    with pytest.raises(ValueError, match="too short for a darknet weights header"):
        NumpyNetwork(cfg, header)
    with pytest.raises(FileNotFoundError):
        NumpyNetwork(cfg, tmp_path / "missing.weights")


def test_non_finite_weights_are_refused(tmp_path, char_cnn):
    cfg, weights = char_cnn
    data = bytearray(weights.read_bytes())
    data[-8:-4] = struct.pack("<f", float("nan"))  # in the connected layer's weights
    bad = tmp_path / "nan.weights"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"layer 8 \[connected\]: weights holds NaN"):
        NumpyNetwork(cfg, bad)


_BASE = """[net]
width=8
height=8
channels=1

[convolutional]
filters=2
size=3
pad=1
activation=relu
"""


@pytest.mark.parametrize("extra, message", [
    ("[route]\nlayers=-1\n", r"layer 1 \[route\]: this layer type is not supported"),
    ("[avgpool]\n", r"layer 1 \[avgpool\]: this layer type is not supported"),
    ("[bogus]\n", r"layer 1 \[bogus\]: unknown layer type"),
    ("[convolutional]\nfilters=2\ngroups=2\n", r"layer 1 \[convolutional\]: groups=2 is not"),
    ("[convolutional]\nfilters=2\ndilation=2\n", "dilation=2 is not supported"),
    ("[convolutional]\nactivation=tanh\n", "activation=tanh is not supported"),
    ("[convolutional]\nsize=1\nstride=2\n", "size=1 with stride=2"),
    ("[convolutional]\nfilters=2\nfoo=1\n", "option 'foo' is not supported"),
    ("[convolutional]\nfilters=2\nfilters=3\n", r"filters is set twice \(again on line 14\)"),
    ("[convolutional]\ndontload=1\n", "dontload=1 is not supported"),
    ("[convolutional]\nsize=11\n", "smaller than the kernel size 11"),
    ("[softmax]\nspatial=1\n", "spatial=1 is not supported"),
    ("[softmax]\n[maxpool]\n", r"layer 2 \[maxpool\]: the layer before it must output an image"),
])
def test_unsupported_cfgs_are_refused(tmp_path, extra, message):
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(_BASE + "\n" + extra)
    with pytest.raises(ValueError, match=message) as info:
        NumpyNetwork(cfg, tmp_path / "never-read.weights")
    assert str(cfg) in str(info.value)


def test_bad_batches_are_refused(char_cnn):
    net = NumpyNetwork(*char_cnn)
    with pytest.raises(ValueError, match=r"\(N, 1, 100, 75\) or \(N, 100, 75\)"):
        net.predict(np.zeros((2, 1, 75, 100), np.float32))
    with pytest.raises(TypeError, match="floats"):
        net.predict(np.zeros((2, 100, 75), np.uint8))
    with pytest.raises(IndexError):
        net.forward(np.zeros((1, 100, 75), np.float32), layers=[10])


# ------------------------------------------------------------------ dependencies


def test_engine_imports_and_runs_with_numpy_alone(char_cnn, tmp_path):
    """In a fresh interpreter, importing and running the engine loads nothing beyond
    the standard library, NumPy and lpr (no pydarknet, no OpenCV)."""
    cfg, weights = char_cnn
    script = f"""
import json, sys
before = set(sys.modules)
import numpy as np
from lpr.recognition.numpy_network import NumpyNetwork
net = NumpyNetwork({str(cfg)!r}, {str(weights)!r})
out = net.predict(np.full((2, 100, 75), 0.5, np.float32))
added = {{name.split(".")[0] for name in set(sys.modules) - before}}
print(json.dumps({{"shape": out.shape, "added": sorted(added - set(sys.stdlib_module_names))}}))
"""
    env = {**os.environ, "PYTHONPATH": str(Path(lpr.__file__).parent.parent)}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["shape"] == [2, 36]
    assert report["added"] == ["lpr", "numpy"]
