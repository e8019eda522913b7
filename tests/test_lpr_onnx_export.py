"""lpr.engines.onnx_export: darknet cfg + weights -> ONNX, checked layer kind by layer kind against
darknet's own forward pass (pydarknet) on networks written here with seeded random weights, and
its refusals. The shipped models on the ONNX Runtime engines: tests/test_lpr_yolo_engines.py and
tests/test_lpr_cnn_engines.py."""
from __future__ import annotations

import numpy as np
import pytest

import pydarknet
from pydarknet.weights import layout

pytest.importorskip("onnxruntime")

from lpr.engines import onnx_network, onnx_proto  # noqa: E402
from lpr.engines.onnx_export import darknet_to_onnx  # noqa: E402
from lpr.engines.onnx_yolo import OnnxYolo  # noqa: E402
from lpr.recognition.numpy_network import NumpyNetwork  # noqa: E402

# Every layer kind the export writes, in the variants darknet computes differently: a strided
# and a grouped convolution with explicit padding, each activation, a 3x3 pool on odd sizes
# (padding before and after), yolov3-tiny's 2x2 pool of stride 1, a dropout, a route of one
# layer and one of two, an upsample, two [yolo] heads.
DETECTOR_CFG = """\
[net]
width=96
height=64
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=2
padding=1
activation=leaky

[maxpool]
size=3
stride=2

[convolutional]
batch_normalize=1
filters=16
size=3
stride=1
pad=1
groups=2
activation=relu

[convolutional]
filters=16
size=1
stride=1
activation=logistic

[maxpool]
size=2
stride=1

[dropout]
probability=.2

[convolutional]
batch_normalize=1
filters=24
size=3
stride=2
pad=1
activation=linear

[convolutional]
size=1
stride=1
filters=18
activation=linear

[yolo]
mask=3,4,5
anchors=4,3, 8,6, 12,8, 16,12, 24,16, 32,24
classes=1
num=6

[route]
layers=-3

[upsample]
stride=2

[route]
layers=-1, 5

[convolutional]
size=1
stride=1
filters=18
activation=linear

[yolo]
mask=0,1,2
anchors=4,3, 8,6, 12,8, 16,12, 24,16, 32,24
classes=1
num=6
"""

CLASSIFIER_CFG = """\
[net]
width=20
height=24
channels=1

[convolutional]
batch_normalize=1
filters=6
size=3
stride=1
pad=1
activation=relu

[maxpool]
size=2
stride=2

[connected]
batch_normalize=1
output=16
activation=leaky

[connected]
output=5
activation=linear

[softmax]
groups=1
"""


def _session(model):
    """An ONNX Runtime session on a model's bytes or file, on the CPU."""
    import onnxruntime

    return onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])


def _write(tmp_path, name: str, text: str, seed: int, tiny_variance: bool = False):
    """The cfg and seeded random weights; ``tiny_variance``: the first layer's batch-norm
    variances made so small (about 1e-5) that darknet's epsilon counts in its normalisation."""
    cfg = tmp_path / f"{name}.cfg"
    cfg.write_text(text)
    weights = pydarknet.write_random_weights(cfg, tmp_path / f"{name}.weights", seed=seed)
    if tiny_variance:
        first = layout(pydarknet.parse_cfg(cfg))[0]
        data = bytearray(weights.read_bytes())
        values = np.frombuffer(bytes(data[first.start:first.end]), "<f4").copy()
        filters = pydarknet.parse_cfg(cfg).layers[0].out_shape.c    # biases, scales, means, variances, weights
        values[3 * filters:4 * filters] *= 1e-5 / values[3 * filters:4 * filters].mean()
        data[first.start:first.end] = values.astype("<f4").tobytes()
        weights.write_bytes(bytes(data))
    return cfg, weights


def test_detector_layers_match_darknet(tmp_path):
    cfg, weights = _write(tmp_path, "detector", DETECTOR_CFG, seed=4, tiny_variance=True)
    config = pydarknet.parse_cfg(cfg)
    assert [config.layers[i].type for i in (1, 2, 4, 5, 10)] == ["maxpool", "convolutional", "maxpool", "dropout",
                                                                  "upsample"]
    image = np.random.default_rng(5).integers(0, 256, (70, 101, 3), dtype=np.uint8)
    blob = pydarknet.letterbox(image, 96, 64)[None]
    with pydarknet.Network(cfg, weights) as dn, OnnxYolo(cfg, weights) as ort:
        theirs = dn.forward(blob)
        ours = ort.raw_outputs(image)
        assert [o.shape for o in ours] == [t.shape for t in theirs] == [(1, 18, 8, 12), (1, 18, 16, 24)]
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, atol=1e-4, rtol=0)
        assert float(np.abs(theirs[0]).max()) > 0.1      # not a network of zeros


def test_the_exported_graph_takes_other_input_sizes(tmp_path):
    """One model for every input size: at 64x64 it gives what darknet gives with the cfg's
    input set to 64x64 (the weights do not depend on it)."""
    cfg, weights = _write(tmp_path, "detector", DETECTOR_CFG, seed=6)
    model, outputs = darknet_to_onnx(cfg, weights)
    assert list(outputs) == [8, 13]
    session = _session(model)
    square = tmp_path / "square.cfg"
    square.write_text(DETECTOR_CFG.replace("width=96", "width=64"))
    blob = pydarknet.letterbox(np.random.default_rng(7).integers(0, 256, (64, 64, 3), dtype=np.uint8), 64, 64)[None]
    with pydarknet.Network(square, weights) as dn:
        theirs = dn.forward(blob)
    ours = session.run(list(outputs.values()), {"input": blob})
    assert [o.shape for o in ours] == [t.shape for t in theirs] == [(1, 18, 8, 8), (1, 18, 16, 16)]
    heads = pydarknet.parse_cfg(cfg).layers
    for out, reference, index in zip(ours, theirs, outputs):
        # darknet's [yolo] output has the logistic on x, y, objectness and class; the export its input
        raw = out.reshape(3, 6, -1).copy()
        raw[:, [0, 1, 4, 5]] = 1.0 / (1.0 + np.exp(-raw[:, [0, 1, 4, 5]]))
        np.testing.assert_allclose(raw.reshape(reference.shape), reference, atol=1e-4, rtol=0)
        assert heads[index].type == "yolo"


SHORTCUT_CFG = """\
[net]
width=32
height=32
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[convolutional]
batch_normalize=1
filters=8
size=1
stride=1
activation=leaky

[shortcut]
from=-2
activation=linear

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[shortcut]
from=-2
alpha=0.5
beta=2
activation=leaky
"""


def test_residual_shortcuts_match_darknet(tmp_path):
    cfg, weights = _write(tmp_path, "residual", SHORTCUT_CFG, seed=10)
    model, outputs = darknet_to_onnx(cfg, weights)
    assert list(outputs) == [4]
    session = _session(model)
    blob = np.random.default_rng(11).random((1, 3, 32, 32), dtype=np.float32)
    (ours,) = session.run(None, {"input": blob})
    with pydarknet.Network(cfg, weights) as dn:
        (theirs,) = dn.forward(blob)
    assert ours.shape == theirs.shape == (1, 8, 32, 32)
    np.testing.assert_allclose(ours, theirs, atol=1e-4, rtol=0)
    assert (theirs < 0).any()                  # leaky after the sum: negative values scaled, not cut


def test_classifier_layers_match_darknet_and_the_numpy_engine(tmp_path):
    cfg, weights = _write(tmp_path, "classifier", CLASSIFIER_CFG, seed=8)
    model, outputs = darknet_to_onnx(cfg, weights)
    assert list(outputs) == [4]
    session = _session(model)
    batch = np.random.default_rng(9).random((4, 1, 24, 20), dtype=np.float32)
    (ours,) = session.run(None, {"input": batch})
    with pydarknet.Network(cfg, weights) as dn:
        darknet = np.concatenate([np.asarray(dn.forward(batch[k:k + 1])[0]).reshape(1, -1) for k in range(4)])
    numpy_engine = NumpyNetwork(cfg, weights).predict(batch)
    assert ours.shape == darknet.shape == numpy_engine.shape == (4, 5)
    np.testing.assert_allclose(ours, darknet, atol=1e-5, rtol=0)
    np.testing.assert_allclose(ours, numpy_engine, atol=1e-5, rtol=0)
    np.testing.assert_allclose(ours.sum(axis=1), 1.0, atol=1e-5)
    assert ours.std(axis=0).max() > 1e-3                 # the inputs lead to different outputs


@pytest.mark.parametrize("section, message", [
    ("[avgpool]\n", r"layer 1 \[avgpool\].*not exported"),
    ("[reorg]\nstride=2\n", r"layer 1 \[reorg\].*not exported"),
    ("[maxpool]\nsize=2\nstride=2\n\n[shortcut]\nfrom=-2\nactivation=linear\n", r"one shape"),
    ("[convolutional]\nfilters=4\nsize=1\nactivation=tanh\n", r"activation 'tanh'"),
    ("[upsample]\nstride=2\nscale=0.5\n", r"scale 1"),
])
def test_layers_it_cannot_write_are_refused_by_name(tmp_path, section, message):
    text = ("[net]\nwidth=16\nheight=16\nchannels=3\n\n[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\n"
            "stride=1\npad=1\nactivation=leaky\n\n" + section)
    try:
        cfg, weights = _write(tmp_path, "odd", text, seed=1)
    except pydarknet.ConfigError:
        pytest.skip("pydarknet does not parse this cfg")
    with pytest.raises(ValueError, match=message):
        darknet_to_onnx(cfg, weights)


def test_own_encoder_writes_what_the_onnx_package_writes(tmp_path):
    """lpr.engines.onnx_proto against the onnx package's encoder (the test extra), message kind by
    message kind, then a whole exported model: decoded by onnx, equal to the model its helpers
    build from the same parts, and passing its checker."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    def same(ours: bytes, message) -> None:
        parsed = type(message)()
        parsed.ParseFromString(ours)
        assert parsed == message
        assert ours == message.SerializeToString()

    array = np.random.default_rng(14).standard_normal((4, 3, 3, 3)).astype(np.float32)
    same(onnx_proto.tensor("w", array), numpy_helper.from_array(array, "w"))
    same(onnx_proto.tensor("s", np.array(0.5, np.float32)), numpy_helper.from_array(np.array(0.5, np.float32), "s"))
    same(onnx_proto.value_info("input", ["batch", 3, "height", 640]),
         helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, "height", 640]))
    attributes = dict(kernel_shape=[3, 3], pads=[1, 1, 2, 2], group=-2, alpha=0.1, mode="nearest")
    same(onnx_proto.node("Conv", ["x", "", "w"], ["y"], **attributes),
         helper.make_node("Conv", ["x", "", "w"], ["y"], **attributes))
    for value in (0, 1, 300, -1, 2**40, 0.25, "asymmetric", [0, 5, -3]):
        same(onnx_proto.attribute("a", value), helper.make_attribute("a", value))

    cfg, weights = _write(tmp_path, "detector", DETECTOR_CFG, seed=15)
    model_bytes, _ = darknet_to_onnx(cfg, weights, metadata=lambda outputs: {"names": '["plate"]', "k": "v"})
    model = onnx.load_from_string(model_bytes)
    onnx.checker.check_model(model)
    assert model.ir_version == 8 and [(o.domain, o.version) for o in model.opset_import] == [("", 17)]
    assert {p.key: p.value for p in model.metadata_props} == {"names": '["plate"]', "k": "v"}
    rebuilt = helper.make_model(helper.make_graph(model.graph.node, model.graph.name, model.graph.input,
                                                  model.graph.output, model.graph.initializer),
                                opset_imports=[helper.make_opsetid("", 17)], producer_name="lpr")
    rebuilt.ir_version = 8
    for key, value in (("names", '["plate"]'), ("k", "v")):
        entry = rebuilt.metadata_props.add()
        entry.key, entry.value = key, value
    assert model == rebuilt and model_bytes == rebuilt.SerializeToString()
    assert len(model.graph.node) == 13 and {n.op_type for n in model.graph.node} >= {
        "Conv", "LeakyRelu", "Relu", "Sigmoid", "MaxPool", "Concat", "Resize"}


def test_thread_count_setting(monkeypatch):
    monkeypatch.setattr(onnx_network, "_threads", None)
    assert onnx_network.threads() >= 1
    onnx_network.set_threads(1)
    assert onnx_network.threads() == 1
    with pytest.raises(ValueError):
        onnx_network.set_threads(0)
    onnx_network.set_threads(None)
    assert onnx_network.threads() >= 1


def test_export_command_writes_models_other_runtimes_can_use(tmp_path, capsys):
    """`lpr export-onnx`: each file gives what the reader's engine computes, carries the class
    names and, for a YOLO model, its heads; an existing file is never overwritten."""
    import json

    import onnx

    from lpr import model_files as mf
    from lpr.cli import main
    from lpr.engines.onnx_classifier import OnnxClassifier

    out = tmp_path / "onnx"
    assert main(["export-onnx", str(out), "--model", "plate-detector", "--model", "char-cnn-compact"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["char-cnn-compact.onnx", "plate-detector.onnx"]
    assert "plate-detector.onnx" in capsys.readouterr().out

    plates = mf.model_files(mf.PLATE_DETECTOR)
    meta = {p.key: p.value for p in onnx.load(str(out / "plate-detector.onnx")).metadata_props}
    heads = json.loads(meta["yolo_heads"])
    assert json.loads(meta["names"]) == list(plates.names)
    assert [(h["stride"], h["classes"], len(h["anchors"])) for h in heads] == [(16, 1, 3), (8, 1, 3)]
    assert heads[0]["anchors"][-1] == [120.0, 32.0]
    image = np.random.default_rng(12).integers(0, 256, (300, 500, 3), dtype=np.uint8)
    blob = pydarknet.letterbox(image, 448, 384)[None]
    session = _session(str(out / "plate-detector.onnx"))
    got = session.run([h["output"] for h in heads], {"input": blob})
    with OnnxYolo(plates.cfg, plates.weights) as engine:
        expected = engine._raw(blob)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)

    cnn = mf.model_files(mf.CHAR_CNN_COMPACT)
    meta = {p.key: p.value for p in onnx.load(str(out / "char-cnn-compact.onnx")).metadata_props}
    assert "yolo_heads" not in meta and len(json.loads(meta["names"])) == 36
    crops = np.random.default_rng(13).random((5, 1, 48, 36), dtype=np.float32)
    session = _session(str(out / "char-cnn-compact.onnx"))
    with OnnxClassifier(cnn.cfg, cnn.weights) as classifier:
        np.testing.assert_array_equal(session.run(None, {"input": crops})[0], classifier.predict(crops))

    before = (out / "plate-detector.onnx").read_bytes()
    assert main(["export-onnx", str(out), "--model", "plate-detector"]) == 1
    assert "will not overwrite" in capsys.readouterr().err
    assert (out / "plate-detector.onnx").read_bytes() == before
    assert main(["export-onnx", str(tmp_path / "none"), "--models-dir", str(tmp_path)]) == 1
    assert not (tmp_path / "none").exists()
