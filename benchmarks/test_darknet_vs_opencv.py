"""darknet (this build) vs OpenCV DNN: same cfg, same weights, same letterboxed 416x416 input.

Run with `make bench` (not part of the test command). Each benchmark also checks that the two
engines agree, so a fast wrong answer cannot win.
"""
from __future__ import annotations

import numpy as np
import pytest

import pydarknet
from conftest import model_files

cv2 = pytest.importorskip("cv2")

MODELS = ["yolov3-tiny", "yolov3"]


def _yolo_inputs(config):
    return [spec.index - 1 for spec in config.layers if spec.type == "yolo"]


@pytest.mark.parametrize("model", MODELS)
def test_forward_darknet(benchmark, cfg_dir, picture, model):
    cfg, weights = model_files(cfg_dir, model)
    with pydarknet.Network(cfg, weights, gpu=-1) as net:
        blob = pydarknet.letterbox(picture, net.width, net.height)[None]
        benchmark.group = f"forward {model} 416"
        benchmark.extra_info.update(engine="darknet", model=model, build=pydarknet.build_info()["blas"])
        benchmark.pedantic(net.forward, args=(blob,), rounds=10 if model.endswith("tiny") else 3,
                           warmup_rounds=1)
        ours = net.forward(blob, layers=_yolo_inputs(net.config))
    cv = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
    cv.setInput(blob)
    theirs = cv.forward([f"conv_{i}" for i in _yolo_inputs(net.config)])
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, atol=1e-3)


@pytest.mark.parametrize("model", MODELS)
def test_forward_opencv(benchmark, cfg_dir, picture, model):
    cfg, weights = model_files(cfg_dir, model)
    cv = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
    cv.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    cv.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    blob = pydarknet.letterbox(picture, 416, 416)[None]

    def forward():
        cv.setInput(blob)
        return cv.forward(cv.getUnconnectedOutLayersNames())

    benchmark.group = f"forward {model} 416"
    benchmark.extra_info.update(engine="opencv", model=model, build=f"OpenCV {cv2.__version__}")
    benchmark.pedantic(forward, rounds=10 if model.endswith("tiny") else 3, warmup_rounds=1)


def test_detect_end_to_end_darknet(benchmark, cfg_dir, picture):
    """letterbox + forward + box decoding + NMS of a 1280x720 picture, as Network.detect() does it."""
    cfg, weights = model_files(cfg_dir, "yolov3-tiny")
    with pydarknet.Network(cfg, weights, gpu=-1) as net:
        benchmark.group = "detect yolov3-tiny 416 (1280x720 in)"
        benchmark.extra_info.update(engine="darknet", model="yolov3-tiny")
        benchmark.pedantic(net.detect, args=(picture,), kwargs={"thresh": 0.6}, rounds=10, warmup_rounds=1)


def test_forward_darknet_batchnorm_not_folded(benchmark, cfg_dir, picture):
    """The same yolov3-tiny forward without folding batch-norm at load (fuse_batchnorm=False)."""
    cfg, weights = model_files(cfg_dir, "yolov3-tiny")
    with pydarknet.Network(cfg, weights, gpu=-1, fuse_batchnorm=False) as net:
        blob = pydarknet.letterbox(picture, net.width, net.height)[None]
        benchmark.group = "forward yolov3-tiny 416"
        benchmark.extra_info.update(engine="darknet, batch-norm not folded", model="yolov3-tiny")
        benchmark.pedantic(net.forward, args=(blob,), rounds=10, warmup_rounds=1)


@pytest.mark.parametrize("implementation", ["pydarknet", "darknet"])
def test_letterbox_1280x720(benchmark, picture, implementation):
    """Our letterbox from BGR uint8 against darknet's conversion + letterbox_image (same bits)."""
    from pydarknet import _native

    fn = pydarknet.letterbox if implementation == "pydarknet" else _native.letterbox_reference
    benchmark.group = "letterbox 1280x720 -> 416"
    benchmark.extra_info.update(engine=implementation)
    benchmark.pedantic(fn, args=(picture, 416, 416), rounds=20, warmup_rounds=1)
