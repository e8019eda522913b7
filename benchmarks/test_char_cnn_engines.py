"""The shipped character CNNs (the compact default, the slim one and the origin study's): lpr's NumPy engine
against OpenCV DNN and ONNX Runtime (lpr.engines.onnx_classifier) on the same cfg and weights,
for a plate's worth of crops and for the batch the reader's alternatives send. Each benchmark
checks that its engine agrees with NumPy, so a fast wrong answer cannot win."""
from __future__ import annotations

import numpy as np
import pytest

from lpr import model_files as mf
from lpr.recognition.numpy_network import NumpyNetwork

cv2 = pytest.importorskip("cv2")


@pytest.fixture(scope="module", params=[mf.CHAR_CNN_SLIM, mf.CHAR_CNN_COMPACT, mf.CHAR_CNN])
def engines(request):
    from lpr.engines.onnx_classifier import OnnxClassifier

    files = mf.model_files(request.param)
    with OnnxClassifier(files.cfg, files.weights) as onnx_net:
        yield (request.param, NumpyNetwork(files.cfg, files.weights),
               cv2.dnn.readNetFromDarknet(str(files.cfg), str(files.weights)), onnx_net)


def _crops(count: int, shape: tuple[int, int, int]) -> np.ndarray:
    return np.random.default_rng(count).random((count, *shape), dtype=np.float32)


def _opencv(net, crops: np.ndarray) -> np.ndarray:
    net.setInput(crops)
    return net.forward().reshape(len(crops), -1)


@pytest.mark.parametrize("count", [7, 20])
@pytest.mark.parametrize("engine", ["numpy", "opencv", "onnxruntime"])
def test_char_cnn(benchmark, engines, engine, count):
    import onnxruntime

    name, numpy_net, opencv_net, onnx_net = engines
    crops = _crops(count, numpy_net.input_shape)
    run = {"numpy": lambda: numpy_net.predict(crops), "opencv": lambda: _opencv(opencv_net, crops),
           "onnxruntime": lambda: onnx_net.predict(crops)}[engine]
    _, height, width = numpy_net.input_shape
    benchmark.group = f"{name}, {count} crops {width}x{height}"
    benchmark.extra_info.update(engine=engine, build={"numpy": "lpr NumPy", "opencv": f"OpenCV {cv2.__version__}",
                                                      "onnxruntime": f"ONNX Runtime {onnxruntime.__version__}"}[engine])
    benchmark.pedantic(run, rounds=30, warmup_rounds=2)
    np.testing.assert_allclose(numpy_net.predict(crops), run(), atol=1e-4)
