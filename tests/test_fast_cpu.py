"""PYDARKNET_FAST_CPU: native/pdn_fast_cpu.c's kernels (im2col, activations, maxpool, batch-norm and
bias loops, fill/copy) against darknet's own, bit for bit, and whole CPU forward passes against
OpenCV DNN.

The kernel checks run in C (pdn_fast_cpu_selftest, reached through ctypes): each kernel and darknet's
original, kept in the build as pdn_darknet_<name>, on random shapes and inputs with signed zeros,
infinities, NaNs and ties; maxpool's `indexes` (what training's backward pass reads) included.
"""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

import pydarknet
from pydarknet import _build_info, _native
from pydarknet.weights import write_random_weights

KERNELS = ["im2col_cpu", "activate_array", "forward_maxpool_layer", "normalize_cpu", "scale_bias",
           "add_bias", "fill_cpu", "copy_cpu"]


@pytest.fixture(scope="module")
def fast_lib():
    if not getattr(_build_info, "FAST_CPU", False):
        pytest.skip("built with PYDARKNET_FAST_CPU=OFF")
    lib = ctypes.CDLL(_native.__file__)
    if not hasattr(lib, "pdn_fast_cpu_selftest"):
        pytest.fail("a PYDARKNET_FAST_CPU build must export the pdn_fast_cpu_* test hooks")
    lib.pdn_fast_cpu_selftest.argtypes = [ctypes.c_uint, ctypes.c_int]
    lib.pdn_fast_cpu_selftest.restype = ctypes.c_int
    lib.pdn_fast_cpu_set_threading.argtypes = [ctypes.c_int]
    lib.pdn_fast_cpu_set_threading.restype = None
    lib.pdn_fast_cpu_calls.argtypes = [ctypes.c_int]
    lib.pdn_fast_cpu_calls.restype = ctypes.c_long
    yield lib
    lib.pdn_fast_cpu_set_threading(-1)


@pytest.fixture
def threading_mode(fast_lib, request):
    """Forces the kernels serial (0) or threaded above their size thresholds (1)."""
    fast_lib.pdn_fast_cpu_set_threading(request.param)
    yield request.param
    fast_lib.pdn_fast_cpu_set_threading(-1)


def test_build_facts_record_fast_cpu():
    """The build facts say FAST_CPU exactly when the extension holds the kernels (their test
    hooks are compiled with them), so build_info() cannot claim a fast build that is not."""
    assert isinstance(getattr(_build_info, "FAST_CPU", None), bool)
    assert hasattr(ctypes.CDLL(_native.__file__), "pdn_fast_cpu_selftest") == _build_info.FAST_CPU


@pytest.mark.parametrize("threading_mode", [0, 1], indirect=True, ids=["serial", "threaded"])
def test_kernels_bit_identical_to_darknet(fast_lib, threading_mode):
    for seed in range(4):
        assert fast_lib.pdn_fast_cpu_selftest(seed, 50) == 0, f"seed {seed}"


def test_forward_reaches_every_fast_kernel(fast_lib, yolov3_tiny):
    """darknet's callers, also those in the kernel's own file (make_maxpool_layer's l.forward,
    forward_convolutional_layer's add_bias), land in the fast kernels."""
    cfg, weights = yolov3_tiny
    with pydarknet.Network(cfg, weights, gpu=-1, fuse_batchnorm=False) as net:
        x = np.random.default_rng(0).random(net.input_shape, dtype=np.float32)
        before = [fast_lib.pdn_fast_cpu_calls(k) for k in range(len(KERNELS))]
        net.forward(x)
        calls = {name: fast_lib.pdn_fast_cpu_calls(k) - before[k] for k, name in enumerate(KERNELS)}
    # 13 convolutions (9 of them 3x3 and so through im2col, 11 with batch-norm), 6 maxpools
    assert calls["im2col_cpu"] == 9
    assert calls["forward_maxpool_layer"] == 6
    assert calls["normalize_cpu"] == calls["scale_bias"] == 11
    assert calls["add_bias"] == 13
    assert calls["activate_array"] >= 13
    assert calls["fill_cpu"] >= 13 and calls["copy_cpu"] >= 11


@pytest.mark.parametrize("threading_mode", [0, 1], indirect=True, ids=["serial", "threaded"])
def test_threaded_forward_equals_serial(fast_lib, yolov3_tiny, street_image, threading_mode):
    cfg, weights = yolov3_tiny
    with pydarknet.Network(cfg, weights, gpu=-1, fuse_batchnorm=False) as net:
        x = pydarknet.letterbox(street_image, net.width, net.height)[None]
        out = net.forward(x, layers=[15, 22])
        fast_lib.pdn_fast_cpu_set_threading(1 - threading_mode)
        other = net.forward(x, layers=[15, 22])
    for a, b in zip(out, other):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))


# ------------------------------------------------------------------------------ against OpenCV

def _cv2():
    cv2 = pytest.importorskip("cv2")
    if not hasattr(cv2, "dnn") or not hasattr(cv2.dnn, "readNetFromDarknet"):
        pytest.skip("this OpenCV has no darknet importer")
    return cv2


def _opencv_net(cfg, weights):
    cv2 = _cv2()
    net = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    if hasattr(net, "enableWinograd"):
        net.enableWinograd(False)        # its own rounding would only blur the comparison
    return net


@pytest.mark.parametrize("fuse", [False, True], ids=["batchnorm", "fused"])
def test_yolov3_tiny_matches_opencv(yolov3_tiny, street_image, fuse):
    cfg, weights = yolov3_tiny
    with pydarknet.Network(cfg, weights, gpu=-1, fuse_batchnorm=fuse) as net:
        x = pydarknet.letterbox(street_image, net.width, net.height)[None]
        ours = net.forward(x, layers=[15, 22])
    cv = _opencv_net(cfg, weights)
    cv.setInput(x)
    theirs = cv.forward(["conv_15", "conv_22"])
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=0)
        assert np.abs(b).max() > 1.0                 # not a degenerate network


# An odd-sized input (67x45) through stride-2 and stride-1 convolutions, 3x3 and 1x1, with and
# without batch-norm, leaky/relu/logistic/linear, and maxpools of size 2 and 3, stride 1 and 2,
# darknet's default padding (size-1) and none.
CUSTOM_CFG = """
[net]
batch=1
subdivisions=1
width=67
height=45
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=3
stride=1

[convolutional]
batch_normalize=1
filters=16
size=3
stride=2
pad=1
activation=relu

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=16
size=1
stride=1
pad=1
activation=logistic

[maxpool]
size=3
stride=2

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=1

[convolutional]
filters=12
size=1
stride=1
pad=1
activation=linear

[convolutional]
filters=10
size=3
stride=2
pad=1
activation=relu

[maxpool]
size=2
stride=2
padding=0

[convolutional]
filters=6
size=3
stride=1
pad=1
activation=logistic
"""
# (type, activation) per layer, and the shapes darknet gives them
CUSTOM_LAYERS = [("conv", "leaky"), ("pool", None), ("conv", "relu"), ("pool", None),
                 ("conv", "logistic"), ("pool", None), ("conv", "leaky"), ("pool", None),
                 ("conv", "linear"), ("conv", "relu"), ("pool", None), ("conv", "logistic")]
CUSTOM_SHAPES = [(8, 45, 67), (8, 45, 67), (16, 23, 34), (16, 12, 17), (16, 12, 17), (16, 6, 9),
                 (8, 6, 9), (8, 6, 9), (12, 6, 9), (10, 3, 5), (10, 1, 2), (6, 1, 2)]


def _opencv_output_name(index, kind, activation):
    """OpenCV's darknet importer names a layer's parts conv_<i>, bn_<i>, <activation>_<i+1>, pool_<i>."""
    if kind == "pool":
        return f"pool_{index}"
    return f"conv_{index}" if activation == "linear" else f"{activation}_{index + 1}"


@pytest.fixture(scope="module")
def custom_net(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fast_cpu")
    cfg = folder / "fast-cpu-67x45.cfg"
    cfg.write_text(CUSTOM_CFG)
    weights = write_random_weights(cfg, folder / "fast-cpu-67x45.weights", seed=5)
    return cfg, weights


@pytest.mark.parametrize("fuse", [False, True], ids=["batchnorm", "fused"])
def test_custom_net_matches_opencv(custom_net, fuse):
    cfg, weights = custom_net
    img = np.random.default_rng(3).integers(0, 256, (90, 120, 3), dtype=np.uint8)
    with pydarknet.Network(cfg, weights, gpu=-1, fuse_batchnorm=fuse) as net:
        x = pydarknet.letterbox(img, net.width, net.height)[None]
        ours = net.forward(x, layers=list(range(len(CUSTOM_LAYERS))))
    cv = _opencv_net(cfg, weights)
    names = set(cv.getLayerNames())
    wanted = [_opencv_output_name(i, kind, act) for i, (kind, act) in enumerate(CUSTOM_LAYERS)]
    assert names.issuperset(wanted), sorted(names)
    cv.setInput(x)
    theirs = cv.forward(wanted)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.shape == (1, *CUSTOM_SHAPES[i]), f"layer {i}"
        assert b.shape == a.shape, f"layer {i}"
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=0, err_msg=f"layer {i} ({wanted[i]})")
        assert np.abs(a).max() > 0.1, f"layer {i} is degenerate"
