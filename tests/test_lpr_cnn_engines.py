"""The character CNN's fast engines, lpr.engines.opencv_classifier.OpenCVClassifier (OpenCV DNN)
and lpr.engines.onnx_classifier.OnnxClassifier (ONNX Runtime): the shipped CNN on each against
the NumPy engine (itself tested against darknet), their load-time agreement check, their
errors, and the reader built on them."""
from __future__ import annotations

import numpy as np
import pytest

from lpr import model_files as mf

cv2 = pytest.importorskip("cv2")
if not hasattr(cv2, "dnn") or not hasattr(cv2.dnn, "readNetFromDarknet"):
    pytest.skip("this OpenCV has no darknet importer (OpenCV 5 removed it)", allow_module_level=True)

from lpr.engines import checked_classifier  # noqa: E402
from lpr.engines.onnx_classifier import OnnxClassifier  # noqa: E402
from lpr.engines.opencv_classifier import OpenCVClassifier  # noqa: E402
from lpr.recognition.numpy_network import NumpyNetwork  # noqa: E402
from worker_threads import run_in_threads  # noqa: E402

CNN = mf.model_files(mf.CHAR_CNN)
COMPACT = mf.model_files(mf.CHAR_CNN_COMPACT)
SLIM = mf.model_files(mf.CHAR_CNN_SLIM)
ENGINES = {"opencv": OpenCVClassifier, "onnxruntime": OnnxClassifier}


@pytest.fixture(scope="module", params=list(ENGINES))
def engines(request):
    net = ENGINES[request.param](CNN.cfg, CNN.weights)
    yield net, NumpyNetwork(CNN.cfg, CNN.weights)
    net.close()


def _glyph_crops(count: int) -> np.ndarray:
    """Drawn characters, the way the reader's crops look (dark on light, in [0, 1])."""
    crops = np.ones((count, 100, 75), np.float32)
    for k, crop in enumerate(crops):
        cv2.putText(crop, "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"[k % 33], (8, 82), cv2.FONT_HERSHEY_SIMPLEX,
                    2.4, 0.0, 7 + k % 3)
    return crops


def test_each_gives_the_numpy_engines_probabilities(engines):
    opencv_net, numpy_net = engines
    crops = _glyph_crops(20)
    got, expected = opencv_net.predict(crops), numpy_net.predict(crops)
    assert got.shape == expected.shape == (20, 36)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()
    np.testing.assert_allclose(opencv_net.predict(crops[:1, None]), expected[:1], rtol=0, atol=1e-4)


def test_bad_batches_and_closed_networks_are_refused(engines):
    opencv_net, _ = engines
    with pytest.raises(ValueError, match=r"\(N, 1, 100, 75\)"):
        opencv_net.predict(np.zeros((2, 100, 74), np.float32))
    assert opencv_net.predict(np.zeros((0, 100, 75), np.float32)).shape == (0, 36)
    with type(opencv_net)(CNN.cfg, CNN.weights) as other:
        assert not other.closed
    assert other.closed
    with pytest.raises(ValueError, match="closed"):
        other.predict(_glyph_crops(1))


@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_disagreeing_engine_is_refused_at_load(monkeypatch, engine):
    monkeypatch.setattr(checked_classifier, "AGREEMENT", -1.0)     # nothing agrees within a negative margin
    with pytest.raises(RuntimeError, match="disagree"):
        ENGINES[engine](CNN.cfg, CNN.weights)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_broken_files_are_refused_before_the_engine_reads_them(tmp_path, engine):
    weights = tmp_path / "cut.weights"
    weights.write_bytes(CNN.weights.read_bytes()[:-4])
    with pytest.raises(ValueError, match="truncated"):
        ENGINES[engine](CNN.cfg, weights)
    with pytest.raises(FileNotFoundError):
        ENGINES[engine](CNN.cfg, tmp_path / "missing.weights")


@pytest.mark.parametrize("model", [COMPACT, SLIM], ids=["compact", "slim"])
@pytest.mark.parametrize("engine", list(ENGINES))
def test_the_small_cnns_on_the_fast_engines_give_the_numpy_engines_probabilities(model, engine):
    crops = np.stack([cv2.resize(crop, (36, 48), interpolation=cv2.INTER_AREA) for crop in _glyph_crops(12)])
    with ENGINES[engine](model.cfg, model.weights) as net:
        got = net.predict(crops)
    expected = NumpyNetwork(model.cfg, model.weights).predict(crops)
    assert got.shape == expected.shape == (12, 36)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


def test_threads_share_one_network(engines):
    opencv_net, _ = engines
    batches = [_glyph_crops(3 + k) for k in range(8)]
    expected = [opencv_net.predict(b) for b in batches]
    results = [None] * len(batches)

    def work(k: int) -> None:
        results[k] = opencv_net.predict(batches[k])

    assert not run_in_threads(work, len(batches))
    for got, want in zip(results, expected):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_the_reader_on_each_cnn_engine_reads_the_same(tmp_path, engine):
    import lpr

    from test_lpr_reader import _synthetic_scene

    with lpr.Reader(engine="darknet", cnn_engine="numpy") as a, \
            lpr.Reader(engine="darknet", cnn_engine=engine) as b:
        assert "cnn_engine='numpy'" in repr(a) and f"cnn_engine='{engine}'" in repr(b)
        for seed in range(4):
            image, _text, _box, _chars = _synthetic_scene(seed)
            pa, pb = a.read(image), b.read(image)
            assert pa, f"seed {seed}: nothing read"
            assert [p.text for p in pa] == [p.text for p in pb]
            for x, y in zip(pa, pb):
                assert abs(x.confidence - y.confidence) < 1e-3
    with pytest.raises(ValueError, match="cnn_engine"):
        lpr.Reader(cnn_engine="tpu")


def test_auto_cnn_engine_is_onnxruntime_when_installed_else_opencv_else_numpy(monkeypatch):
    import lpr
    from lpr.engines import onnx_network, select
    from lpr.recognition.char_classifier import resolve_cnn_engine

    assert resolve_cnn_engine("auto") == "onnxruntime"
    with lpr.Reader(engine="darknet") as reader:
        assert "cnn_engine='onnxruntime'" in repr(reader)
    monkeypatch.setattr(onnx_network, "onnxruntime_available", lambda: False)
    assert resolve_cnn_engine("auto") == "opencv"
    with pytest.raises(ValueError, match="needs the onnxruntime package"):
        resolve_cnn_engine("onnxruntime")
    with lpr.Reader(engine="darknet") as reader:
        assert "cnn_engine='opencv'" in repr(reader)
    monkeypatch.setattr(select, "opencv_available", lambda: False)
    assert resolve_cnn_engine("auto") == "numpy"
    assert resolve_cnn_engine("numpy") == "numpy"
    with pytest.raises(ValueError, match="needs OpenCV"):
        resolve_cnn_engine("opencv")
    with lpr.Reader(engine="darknet") as reader:
        assert "cnn_engine='numpy'" in repr(reader)


def test_cli_reads_the_same_with_each_cnn_engine(tmp_path, capsys):
    import json

    from lpr.cli import main
    from test_lpr_reader import _synthetic_scene

    image = tmp_path / "scene.png"
    cv2.imwrite(str(image), _synthetic_scene(7)[0])
    texts = {}
    for engine in ("numpy", "opencv", "onnxruntime"):
        assert main(["read", "--json", "--engine", "darknet", "--cnn-engine", engine, str(image)]) == 0
        texts[engine] = [p["text"] for p in json.loads(capsys.readouterr().out)["plates"]]
    assert texts["numpy"] and texts["numpy"] == texts["opencv"] == texts["onnxruntime"]
    assert main(["read", "--cnn-engine", "tpu", str(image)]) == 2
    assert "invalid choice: 'tpu'" in capsys.readouterr().err


def test_classify_ranks_each_crops_classes_best_first_ties_in_class_order(monkeypatch):
    """CharClassifier.classify: per crop, the 1 + MAX_ALTERNATIVES likeliest classes, most
    probable first and, on equal probabilities, in the order of the names; each probability
    the network's, as a Python float."""
    from lpr.recognition.char_classifier import MAX_ALTERNATIVES, CharClassifier

    classifier = CharClassifier(COMPACT.cfg, COMPACT.weights, COMPACT.names, engine="numpy")
    crops = np.stack([cv2.resize(crop, (36, 48), interpolation=cv2.INTER_AREA) for crop in _glyph_crops(5)])
    probabilities = classifier.network.predict(crops.reshape(5, 1, 48, 36))
    got = classifier.classify(crops)
    assert len(got) == 5
    for row, ranked in zip(probabilities, got):
        assert len(ranked) == 1 + MAX_ALTERNATIVES
        assert [p for _, p in ranked] == sorted((float(p) for p in row), reverse=True)[:len(ranked)]
        assert all(type(p) is float and p == row[COMPACT.names.index(c)] for c, p in ranked)
    tied = np.zeros((2, 36), np.float32)
    tied[0, [7, 3, 30]] = 0.25
    tied[1] = 1 / 36
    monkeypatch.setattr(classifier.network, "predict", lambda x: tied)
    first, second = classifier.classify(crops[:2])
    assert [c for c, _ in first] == [COMPACT.names[i] for i in (3, 7, 30, 0, 1)]
    assert [c for c, _ in second] == list(COMPACT.names[:5])
    assert classifier.classify(np.zeros((0, 48, 36), np.float32)) == []
