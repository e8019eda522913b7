"""darknet (this build) vs OpenCV DNN vs ONNX Runtime (lpr.engines.onnx_yolo): same cfg, same
weights, same letterboxed 416x416 input; and the shipped plate detector on all three.

Run with `make bench` (not part of the test command). Each benchmark also checks that the two
engines agree, so a fast wrong answer cannot win.
"""
from __future__ import annotations

import numpy as np
import pytest

import pydarknet
from conftest import model_files
from detection_asserts import assert_same_detections

cv2 = pytest.importorskip("cv2")

MODELS = ["yolov3-tiny", "yolov3"]


def _yolo_inputs(config):
    return [spec.index - 1 for spec in config.layers if spec.type == "yolo"]


def _as_opencv_rows(out, spec, net_w, net_h):
    """darknet's [yolo] output (1, anchors*(5+classes), h, w) in the rows OpenCV's yolo layer gives:
    one per (y, x, anchor): centre x, y, width, height (of the network input), objectness, then
    objectness times each class probability."""
    _, channels, h, w = out.shape
    mask = [int(m) for m in spec.get("mask")]
    anchors = np.asarray(spec.get("anchors"), np.float64).reshape(-1, 2)[mask]
    a = out.reshape(len(mask), channels // len(mask), h, w).transpose(2, 3, 0, 1).astype(np.float64)
    rows = np.empty_like(a)
    rows[..., 0] = (np.arange(w)[None, :, None] + a[..., 0]) / w
    rows[..., 1] = (np.arange(h)[:, None, None] + a[..., 1]) / h
    rows[..., 2] = np.exp(a[..., 2]) * anchors[:, 0] / net_w
    rows[..., 3] = np.exp(a[..., 3]) * anchors[:, 1] / net_h
    rows[..., 4] = a[..., 4]
    rows[..., 5:] = a[..., 4:5] * a[..., 5:]
    return rows.reshape(h * w * len(mask), -1)


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
    theirs = benchmark.pedantic(forward, rounds=10 if model.endswith("tiny") else 3, warmup_rounds=1)
    with pydarknet.Network(cfg, weights, gpu=-1) as net:
        ours = net.forward(blob)
        specs = [spec for spec in net.config.layers if spec.type == "yolo"]
        assert len(theirs) == len(ours) == len(specs)
        for out, spec, got in zip(ours, specs, theirs):
            want = _as_opencv_rows(out, spec, net.width, net.height)
            assert got.shape == want.shape
            np.testing.assert_allclose(got[:, :5], want[:, :5], atol=1e-3)
            # OpenCV zeroes the class scores at or below its threshold (0.2); compare the rest
            scored = got[:, 5:] > 0
            assert scored.any()
            np.testing.assert_allclose(got[:, 5:][scored], want[:, 5:][scored], atol=1e-3)
            assert want[:, 5:][~scored].max() <= 0.2 + 1e-3


@pytest.mark.parametrize("model", MODELS)
def test_forward_onnxruntime(benchmark, cfg_dir, picture, model):
    import onnxruntime

    from lpr.engines.onnx_yolo import OnnxYolo

    cfg, weights = model_files(cfg_dir, model)
    blob = pydarknet.letterbox(picture, 416, 416)[None]
    with OnnxYolo(cfg, weights) as engine:
        benchmark.group = f"forward {model} 416"
        benchmark.extra_info.update(engine="onnxruntime", model=model, build=f"ONNX Runtime {onnxruntime.__version__}")
        # the [yolo] layers' inputs, as the other rows' forward passes (the decoding is not timed)
        ours = benchmark.pedantic(engine._raw, args=(blob,), rounds=10 if model.endswith("tiny") else 3,
                                  warmup_rounds=1)
    with pydarknet.Network(cfg, weights, gpu=-1) as net:
        theirs = net.forward(blob, layers=_yolo_inputs(net.config))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, atol=1e-3)


@pytest.mark.parametrize("engine", ["darknet", "opencv", "onnxruntime"])
def test_forward_plate_detector(benchmark, picture, engine):
    """The shipped plate detector (lpr/models), 640x384, on each engine: the reader's first pass
    on a 16:9 frame."""
    from lpr import model_files as mf
    from lpr.engines.onnx_yolo import OnnxYolo
    from lpr.engines.opencv_yolo import OpenCVYolo

    files = mf.model_files(mf.PLATE_DETECTOR)
    blob = pydarknet.letterbox(picture, 640, 384)[None]
    with pydarknet.Network(files.cfg, files.weights, gpu=-1) as net:
        layers = _yolo_inputs(net.config)
        expected = net.forward(blob, layers=layers)
        if engine == "darknet":
            run, build = (lambda: net.forward(blob, layers=layers)), pydarknet.build_info()["blas"]
            got = _timed(benchmark, run, engine, build)
    if engine != "darknet":
        kind = OpenCVYolo if engine == "opencv" else OnnxYolo
        with kind(files.cfg, files.weights) as other:
            build = f"OpenCV {cv2.__version__}" if engine == "opencv" else "ONNX Runtime"
            got = _timed(benchmark, lambda: other._raw(blob), engine, build)   # the [yolo] layers' inputs
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, atol=1e-3)


def _timed(benchmark, run, engine: str, build: str):
    benchmark.group = "forward plate detector 640x384 (shipped weights)"
    benchmark.extra_info.update(engine=engine, model="plate-detector", build=build)
    return benchmark.pedantic(run, rounds=20, warmup_rounds=2)


def test_detect_end_to_end_darknet(benchmark, cfg_dir, picture):
    """letterbox + forward + box decoding + NMS of a 1280x720 picture, as Network.detect() does it."""
    cfg, weights = model_files(cfg_dir, "yolov3-tiny")
    with pydarknet.Network(cfg, weights, gpu=-1) as net:
        benchmark.group = "detect yolov3-tiny 416 (1280x720 in)"
        benchmark.extra_info.update(engine="darknet", model="yolov3-tiny")
        ours = benchmark.pedantic(net.detect, args=(picture,), kwargs={"thresh": 0.6}, rounds=10,
                                  warmup_rounds=1)
    from lpr.engines.opencv_yolo import OpenCVYolo

    with OpenCVYolo(cfg, weights) as engine:
        theirs = engine.detect(picture, thresh=0.6)
    assert ours
    assert_same_detections(theirs, ours)


def test_forward_darknet_batchnorm_not_folded(benchmark, cfg_dir, picture):
    """The same yolov3-tiny forward without folding batch-norm at load (fuse_batchnorm=False)."""
    cfg, weights = model_files(cfg_dir, "yolov3-tiny")
    with pydarknet.Network(cfg, weights, gpu=-1, fuse_batchnorm=False) as net:
        blob = pydarknet.letterbox(picture, net.width, net.height)[None]
        benchmark.group = "forward yolov3-tiny 416"
        benchmark.extra_info.update(engine="darknet, batch-norm not folded", model="yolov3-tiny")
        unfolded = benchmark.pedantic(net.forward, args=(blob,), rounds=10, warmup_rounds=1)
    with pydarknet.Network(cfg, weights, gpu=-1) as folded_net:
        folded = folded_net.forward(blob)
    assert len(unfolded) == len(folded) == 2
    for a, b in zip(unfolded, folded):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("size", [(416, 416), (640, 384)], ids=["416", "640x384"])
@pytest.mark.parametrize("implementation", ["pydarknet", "pydarknet-2-threads", "darknet"])
def test_letterbox_1280x720(benchmark, picture, implementation, size):
    """Our letterbox from BGR uint8 (on one thread, and on two as the ONNX Runtime engine runs
    it) against darknet's conversion + letterbox_image (same bits), into yolov3-tiny's input and
    the plate detector's."""
    from pydarknet import _native

    fn = {"pydarknet": pydarknet.letterbox, "darknet": _native.letterbox_reference,
          "pydarknet-2-threads": lambda *a: pydarknet.letterbox(*a, threads=2)}[implementation]
    width, height = size
    benchmark.group = f"letterbox 1280x720 -> {width}x{height}"
    benchmark.extra_info.update(engine=implementation)
    result = benchmark.pedantic(fn, args=(picture, width, height), rounds=20, warmup_rounds=1)
    other = pydarknet.letterbox if implementation == "darknet" else _native.letterbox_reference
    assert result.shape == (3, height, width) and result.dtype == np.float32
    np.testing.assert_array_equal(result, other(picture, width, height))
