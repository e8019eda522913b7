"""The YOLO engines that are not darknet, lpr.engines.opencv_yolo.OpenCVYolo (OpenCV DNN) and
lpr.engines.onnx_yolo.OnnxYolo (ONNX Runtime), against pydarknet.Network.detect: same cfg,
weights, images. Every test of an engine runs on both (``ocv``: the engine under test).

Two networks: the shipped plate detector (lpr/models/plate-detector.cfg and .weights) on real
ro-plates frames (../shared/data, or LPR_SHARED_DATA) and odd-sized, tiny and grey images made
from them; and a two-head, 36-class YOLO written here, with seeded random weights whose objectness
biases are pushed down so that it detects tens to hundreds of things, not every cell.

The engines' convolutions differ by ~1e-5, so results are compared with tolerances (boxes 0.05 px,
confidences 1e-4) and matched one to one, not position by position: two detections whose
confidences differ by less than the engines' rounding may come out in either order. Inputs where
many boxes tie exactly (flat images that detect something) are avoided: which of two tied boxes
NMS keeps is decided by the last bits of the convolutions.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import pydarknet
from pydarknet.weights import layout

cv2 = pytest.importorskip("cv2")
if not hasattr(cv2, "dnn") or not hasattr(cv2.dnn, "readNetFromDarknet"):
    pytest.skip("this OpenCV has no darknet importer (OpenCV 5 removed it)", allow_module_level=True)

from lpr.engines.onnx_yolo import OnnxYolo  # noqa: E402
from lpr.engines.opencv_yolo import OpenCVYolo  # noqa: E402
from detection_asserts import assert_same_detections  # noqa: E402
from worker_threads import run_in_threads  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PLATE_CFG = REPO / "lpr" / "models" / "plate-detector.cfg"
PLATE_WEIGHTS = REPO / "lpr" / "models" / "plate-detector.weights"
DATA = Path(os.environ.get("LPR_SHARED_DATA", REPO.parent / "shared" / "data"))
FRAMES = DATA / "ro-plates" / "valid" / "images"
THRESHOLDS = (0.25, 0.05)
ENGINES = {"opencv": OpenCVYolo, "onnxruntime": OnnxYolo}


# --------------------------------------------------------------------------- comparison
def _detect_both(ocv, dn, image, thresh, nms=0.45):
    return ocv.detect(image, thresh=thresh, nms=nms), dn.detect(image, thresh=thresh, nms=nms)


# --------------------------------------------------------------------------- the plate detector
@pytest.fixture(scope="module", params=list(ENGINES))
def plate_engines(request):
    if not PLATE_WEIGHTS.is_file():
        pytest.skip(f"training checkpoint {PLATE_WEIGHTS} is not there")
    with ENGINES[request.param](PLATE_CFG, PLATE_WEIGHTS, names=["plate"]) as ocv, \
            pydarknet.Network(PLATE_CFG, PLATE_WEIGHTS, names=["plate"]) as dn:
        yield ocv, dn


@pytest.fixture(scope="module")
def frames():
    paths = sorted(FRAMES.glob("*.jpg")) if FRAMES.is_dir() else []
    if not paths:
        pytest.skip(f"no ro-plates validation frames in {FRAMES}")
    picked = [paths[0], paths[len(paths) // 2], paths[-1]]
    images = [cv2.imread(str(p)) for p in picked]
    assert all(img is not None for img in images)
    return dict(zip((p.name for p in picked), images))


def _made_images(frame: np.ndarray) -> dict[str, np.ndarray]:
    """Odd sizes (both letterbox branches, boxes clipped at the borders), tiny and grey inputs."""
    return {
        "resized 517x333": cv2.resize(frame, (517, 333), interpolation=cv2.INTER_AREA),
        "cropped 517x333": np.ascontiguousarray(frame[300:633, 100:617]),
        "strip 1280x200": np.ascontiguousarray(frame[350:550]),
        "portrait 333x517": np.ascontiguousarray(frame[100:617, 400:733]),
        "1x1": cv2.resize(frame, (1, 1), interpolation=cv2.INTER_AREA),
        "3x2": cv2.resize(frame, (3, 2), interpolation=cv2.INTER_AREA),
        "grey": cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR),
    }


@pytest.mark.parametrize("thresh", THRESHOLDS)
def test_plate_detector_on_real_frames(plate_engines, frames, thresh):
    ocv, dn = plate_engines
    total = 0
    for name, frame in frames.items():
        ours, expected = _detect_both(ocv, dn, frame, thresh)
        assert_same_detections(ours, expected)
        total += len(ours)
        assert all(d.name == "plate" and d.class_id == 0 for d in ours)
    assert total >= 3, "the frames should show plates"


@pytest.mark.parametrize("thresh", THRESHOLDS)
def test_plate_detector_on_made_images(plate_engines, frames, thresh):
    ocv, dn = plate_engines
    made = _made_images(next(iter(frames.values())))
    counts = {}
    for name, image in made.items():
        ours, expected = _detect_both(ocv, dn, image, thresh)
        try:
            assert_same_detections(ours, expected)
        except AssertionError as exc:
            raise AssertionError(f"{name} {image.shape}: {exc}") from exc
        counts[name] = len(ours)
    # the plates survive the odd sizes; a cropped one is clipped at the image border
    assert counts["resized 517x333"] and counts["cropped 517x333"] and counts["strip 1280x200"]
    assert counts["grey"]
    clipped = ocv.detect(made["cropped 517x333"], thresh=thresh)
    assert any(d.box[2] == 517.0 or d.box[0] == 0.0 for d in clipped)


def test_plate_detector_without_nms_and_at_other_nms(plate_engines, frames):
    ocv, dn = plate_engines
    frame = next(iter(frames.values()))
    for nms in (0.0, 0.2, 0.9):
        ours, expected = _detect_both(ocv, dn, frame, 0.05, nms=nms)
        assert_same_detections(ours, expected)
    assert len(ocv.detect(frame, thresh=0.05, nms=0.0)) > len(ocv.detect(frame, thresh=0.05))


def test_raw_outputs_match_darknet_forward(plate_engines, frames):
    ocv, dn = plate_engines
    frame = next(iter(frames.values()))
    ours = ocv.raw_outputs(frame)
    theirs = dn.forward(pydarknet.letterbox(frame, *ocv.input_size)[None])
    assert [o.shape for o in ours] == [t.shape for t in theirs] == [(1, 18, 24, 40), (1, 18, 48, 80)]
    for a, b in zip(ours, theirs):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=0)
    assert ocv.input_size == (640, 384) and ocv.classes == 1


def test_comparison_catches_small_differences(plate_engines, frames):
    """The checks above can fail: a 0.1 px shift, a lost detection or another class is caught."""
    ocv, dn = plate_engines
    ours, expected = _detect_both(ocv, dn, next(iter(frames.values())), 0.25)
    assert ours
    first = ours[0]
    shifted = [pydarknet.Detection(first.class_id, first.name, first.confidence,
                                   (first.box[0] + 0.1, *first.box[1:]))] + ours[1:]
    other_class = [pydarknet.Detection(5, "x", first.confidence, first.box)] + ours[1:]
    for bad in (shifted, ours[1:], other_class):
        with pytest.raises(AssertionError):
            assert_same_detections(bad, expected)


def test_opencv_own_yolo_output_drops_probabilities_below_its_thresh(frames):
    """Why OpenCVYolo decodes the [yolo] layers' inputs itself: OpenCV's [yolo] output rows are
    (cx, cy, w, h) relative to the network input, objectness, objectness*class -- the latter
    zeroed unless above the layer's thresh (0.2 when the cfg sets none)."""
    ocv = OpenCVYolo(PLATE_CFG, PLATE_WEIGHTS, names=["plate"])
    frame = next(iter(frames.values()))
    net = cv2.dnn.readNetFromDarknet(str(PLATE_CFG), str(PLATE_WEIGHTS))
    net.setInput(pydarknet.letterbox(frame, *ocv.input_size)[None])
    rows = net.forward("yolo_19")
    ours = ocv.raw_outputs(frame)[1][0].reshape(3, 6, 48 * 80)    # anchors, entries, cells
    darknet_rows = ours.transpose(2, 0, 1).reshape(-1, 6)          # (cell, anchor) rows
    assert rows.shape == (48 * 80 * 3, 6)
    np.testing.assert_allclose(rows[:, 4], darknet_rows[:, 4], atol=1e-4)
    prob = darknet_rows[:, 4] * darknet_rows[:, 5]
    assert ((prob > 0.01) & (prob < 0.2)).any()
    np.testing.assert_array_equal(rows[prob < 0.199, 5], 0)
    np.testing.assert_allclose(rows[prob > 0.201, 5], prob[prob > 0.201], atol=1e-4)


# --------------------------------------------------------------------------- fitted inputs
def _shaped_crops(frame: np.ndarray) -> dict[str, np.ndarray]:
    """Square, 4:3 and portrait cuts of a 16:9 frame, and the frame."""
    h, w = frame.shape[:2]
    four_three = (w - h * 4 // 3) // 2
    crops = {"square left": frame[:, :h], "square centre": frame[:, (w - h) // 2:(w + h) // 2],
             "square right": frame[:, w - h:], "4:3": frame[:, four_three:four_three + h * 4 // 3],
             "portrait 333x517": frame[100:617, 400:733], "16:9": frame}
    return {name: np.ascontiguousarray(crop) for name, crop in crops.items()}


FITTED_SIZES = {"square left": (448, 384), "square centre": (448, 384), "square right": (448, 384),
                "4:3": (576, 384), "portrait 333x517": (320, 384), "16:9": (640, 384)}


@pytest.mark.parametrize("thresh", THRESHOLDS)
def test_fitted_input_engines_agree(plate_engines, frames, thresh):
    """fit_input: both engines run the plate detector at the same smaller input and agree."""
    ocv, dn = plate_engines
    assert ocv.can_fit_input and dn.can_fit_input and dn.config.input_stride == 16
    for name, image in _shaped_crops(next(iter(frames.values()))).items():
        ours = ocv.detect(image, thresh=thresh, fit_input=True)
        expected = dn.detect(image, thresh=thresh, fit_input=True)
        assert dn._handle.input_size_in_use == FITTED_SIZES[name]
        try:
            assert_same_detections(ours, expected)
        except AssertionError as exc:
            raise AssertionError(f"{name} {image.shape}: {exc}") from exc


def test_fitted_input_detects_what_the_full_input_does(plate_engines, frames):
    """The grey it drops is not seen by the detections: on square, 4:3 and portrait cuts of
    real frames (plates at the cut's edge included) the fitted input finds the same plates with
    the same confidences as the cfg's 640x384 (measured: within 1e-5 on 504 cuts)."""
    ocv, _ = plate_engines
    found = 0
    for frame in frames.values():
        for name, image in _shaped_crops(frame).items():
            full = ocv.detect(image, thresh=0.05)
            assert_same_detections(ocv.detect(image, thresh=0.05, fit_input=True), full)
            found += len(full)
    assert found >= 10, "the cuts should show plates"


@pytest.mark.parametrize("thresh", THRESHOLDS)
def test_half_size_input_engines_agree(plate_engines, frames, thresh):
    """input_scale=0.5 (the reader's large-plate pass): both engines run the plate detector at
    half its input, fitted or not, and agree; the boxes are in the image's pixels."""
    ocv, dn = plate_engines
    frame = next(iter(frames.values()))
    sizes = {"square centre": (256, 192), "16:9": (320, 192), "portrait 333x517": (192, 192)}
    crops = _shaped_crops(frame)
    for name, size in sizes.items():
        image = crops[name]
        ours = ocv.detect(image, thresh=thresh, fit_input=True, input_scale=0.5)
        expected = dn.detect(image, thresh=thresh, fit_input=True, input_scale=0.5)
        assert dn._handle.input_size_in_use == size
        assert_same_detections(ours, expected)
    assert_same_detections(ocv.detect(frame, thresh=thresh, input_scale=0.5),
                           dn.detect(frame, thresh=thresh, input_scale=0.5))
    with pytest.raises(ValueError, match="input_scale"):
        ocv.detect(frame, input_scale=0.0)


def test_inputs_of_several_shapes_in_turn_give_what_each_gives_alone(frames):
    """OpenCVYolo keeps a network per input shape (the last shapes_kept): the same copy serves a
    shape again, the least recently used one is planned again for a new shape, shapes in turn
    (more of them than it keeps) detect what a fresh engine detects for each, and closing drops
    them."""
    ocv = OpenCVYolo(PLATE_CFG, PLATE_WEIGHTS, names=["plate"])
    frame = next(iter(frames.values()))
    crops = list(_shaped_crops(frame).values())
    runs = [(image, scale) for image in crops for scale in (1.0, 0.5)]

    def shape(image, scale):
        return (1, 3) + ocv.config.fitted_input_size(image.shape[1], image.shape[0], scale)[::-1]

    assert len({shape(im, s) for im, s in runs}) > ocv.shapes_kept == 2
    square, cfg_shape = crops[1], (1, 3, ocv.config.height, ocv.config.width)
    assert shape(square, 1.0) != cfg_shape and shape(frame, 1.0) == cfg_shape
    with OpenCVYolo(PLATE_CFG, PLATE_WEIGHTS, names=["plate"]) as engine:
        # loading ran the cfg's shape on the loaded network
        assert list(engine._by_shape) == [cfg_shape] and engine._by_shape[cfg_shape] is engine._net
        engine.detect(square, thresh=0.05, fit_input=True)                     # a copy for a new shape
        copy = engine._by_shape[shape(square, 1.0)]
        assert list(engine._by_shape) == [cfg_shape, shape(square, 1.0)] and copy is not engine._net
        engine.detect(frame, thresh=0.05, fit_input=True)                      # served again, now the newest
        assert list(engine._by_shape) == [shape(square, 1.0), cfg_shape]
        engine.detect(square, thresh=0.05, fit_input=True, input_scale=0.5)   # takes the oldest copy
        assert list(engine._by_shape) == [cfg_shape, shape(square, 0.5)]
        assert engine._by_shape[shape(square, 0.5)] is copy
        first = [engine.detect(im, thresh=0.05, fit_input=True, input_scale=s) for im, s in runs]
        assert len(engine._by_shape) == engine.shapes_kept
        again = [engine.detect(im, thresh=0.05, fit_input=True, input_scale=s) for im, s in reversed(runs)]
    assert not engine._by_shape
    for (image, scale), a, b in zip(runs, first, reversed(again)):
        with OpenCVYolo(PLATE_CFG, PLATE_WEIGHTS, names=["plate"]) as fresh:
            alone = fresh.detect(image, thresh=0.05, fit_input=True, input_scale=scale)
        assert a == alone and b == alone


# --------------------------------------------------------------------------- a 36-class network
MULTI_CLASS_CFG = """\
[net]
batch=1
subdivisions=1
width=160
height=96
channels=3

[convolutional]
batch_normalize=1
filters=16
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=32
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=64
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

# 6: stride-8 features, 20x12
[convolutional]
batch_normalize=1
filters=64
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=128
size=3
stride=1
pad=1
activation=leaky

[convolutional]
size=1
stride=1
pad=1
filters=123
activation=linear

# 10: 10x6
[yolo]
mask=3,4,5
anchors=8,6, 14,10, 22,14, 30,24, 48,30, 80,50
classes=36
num=6

[route]
layers=-3

[convolutional]
batch_normalize=1
filters=32
size=1
stride=1
pad=1
activation=leaky

[upsample]
stride=2

[route]
layers=-1, 6

[convolutional]
batch_normalize=1
filters=64
size=3
stride=1
pad=1
activation=leaky

[convolutional]
size=1
stride=1
pad=1
filters=123
activation=linear

# 17: 20x12
[yolo]
mask=0,1,2
anchors=8,6, 14,10, 22,14, 30,24, 48,30, 80,50
classes=36
num=6
"""


def _make_detector_like(weights: Path, config, seed: int) -> None:
    """Random weights detect everywhere; set the objectness biases of the convolutions before
    the [yolo] layers to -6 and spread the class biases, so a few cells and classes stand out."""
    data = bytearray(weights.read_bytes())
    extents = {e.index: e for e in layout(config)}
    rng = np.random.default_rng(seed)
    for spec in config.layers:
        if spec.type != "yolo":
            continue
        conv = config.layers[spec.index - 1]
        extent = extents[conv.index]
        values = np.frombuffer(bytes(data[extent.start:extent.end]), "<f4").copy()
        filters = conv.out_shape.c            # linear conv, no batch norm: biases come first
        biases = values[:filters].reshape(3, -1)
        biases[:, 4] = -6.0
        biases[:, 5:] = rng.uniform(-3.0, 1.0, biases[:, 5:].shape)
        values[filters:] *= 2.0
        data[extent.start:extent.end] = values.astype("<f4").tobytes()
    weights.write_bytes(bytes(data))


@pytest.fixture(scope="module", params=list(ENGINES))
def multi_class_engines(tmp_path_factory, request):
    root = tmp_path_factory.mktemp("multi")
    cfg = root / "yolo-36.cfg"
    cfg.write_text(MULTI_CLASS_CFG)
    config = pydarknet.parse_cfg(cfg)
    assert config.classes == 36 and config.output_layers == [10, 17]
    weights = pydarknet.write_random_weights(config, root / "yolo-36.weights", seed=2)
    _make_detector_like(weights, config, seed=2)
    names = [f"c{i}" for i in range(36)]
    with ENGINES[request.param](cfg, weights, names=names) as ocv, pydarknet.Network(cfg, weights, names=names) as dn:
        yield ocv, dn


def _textured(h: int, w: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    for _ in range(6):
        y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
        img[y:y + h // 4, x:x + w // 3] = rng.integers(0, 256, 3)
    return img


MULTI_CLASS_IMAGES = {      # width x height
    "517x333": lambda: _textured(333, 517, 1),
    "640x480": lambda: _textured(480, 640, 2),
    "200x900 grey": lambda: cv2.cvtColor(cv2.cvtColor(_textured(900, 200, 3), cv2.COLOR_BGR2GRAY),
                                         cv2.COLOR_GRAY2BGR),
    "2x1": lambda: np.random.default_rng(8).integers(0, 256, (1, 2, 3), dtype=np.uint8),
    "2x3": lambda: np.random.default_rng(9).integers(0, 256, (3, 2, 3), dtype=np.uint8),
}


@pytest.mark.parametrize("name", MULTI_CLASS_IMAGES)
@pytest.mark.parametrize("thresh", THRESHOLDS)
def test_multi_class_two_heads(multi_class_engines, name, thresh):
    ocv, dn = multi_class_engines
    image = MULTI_CLASS_IMAGES[name]()
    ours, expected = _detect_both(ocv, dn, image, thresh)
    assert_same_detections(ours, expected)
    if name in ("517x333", "640x480") or thresh < 0.25:
        assert len({d.class_id for d in ours}) >= 5, "the test needs detections of several classes"
    assert all(d.name == f"c{d.class_id}" for d in ours)


def test_multi_class_raw_outputs(multi_class_engines):
    ocv, dn = multi_class_engines
    image = _textured(333, 517, 1)
    ours = ocv.raw_outputs(image)
    theirs = dn.forward(pydarknet.letterbox(image, 160, 96)[None])
    assert [o.shape for o in ours] == [(1, 123, 6, 10), (1, 123, 12, 20)]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=0)


def test_one_engine_shared_by_threads(multi_class_engines):
    ocv, _ = multi_class_engines
    images = [_textured(333, 517, 1), _textured(480, 640, 2), _textured(240, 320, 4)]
    alone = [ocv.detect(img, thresh=0.05) for img in images]
    results: dict[tuple[int, int], list] = {}

    def work(worker: int) -> None:
        for rep in range(4):
            k = (worker + rep) % len(images)
            results[(worker, rep)] = (k, ocv.detect(images[k], thresh=0.05))

    assert not run_in_threads(work, 4)
    assert len(results) == 16
    for k, found in results.values():
        assert found == alone[k]


# --------------------------------------------------------------------------- the object itself
def test_inputs_checked_and_closing(multi_class_engines, tmp_path):
    ocv, dn = multi_class_engines
    image = _textured(64, 64, 5)
    for bad in (dict(thresh=-0.1), dict(thresh=1.5), dict(nms=2.0)):
        with pytest.raises(ValueError):
            ocv.detect(image, **bad)
    with pytest.raises(ValueError):
        ocv.detect(image[:, :, 0])                   # grey without channels: as pydarknet
    with pytest.raises(TypeError):
        ocv.detect(image.astype(np.float32))
    assert ocv.detect(image[:, ::-1]) == ocv.detect(np.ascontiguousarray(image[:, ::-1]))

    cfg, weights = dn.cfg_path, dn.weights_path
    engine_type = type(ocv)
    with engine_type(cfg, weights) as engine:
        assert engine.names[:2] == ["0", "1"] and "160x96" in repr(engine)
        engine.detect(image)
    assert engine.closed and "closed" in repr(engine)
    with pytest.raises(ValueError, match="closed"):
        engine.detect(image)
    with pytest.raises(ValueError):
        engine_type(cfg, weights, names=["only one"])
    with pytest.raises(FileNotFoundError):
        engine_type(cfg, tmp_path / "missing.weights")
    cut = tmp_path / "cut.weights"
    cut.write_bytes(Path(weights).read_bytes()[:1000])
    with pytest.raises(pydarknet.WeightsError):
        engine_type(cfg, cut)


def test_fit_input_refused_where_the_network_cannot_take_other_sizes(multi_class_engines, tmp_path):
    ocv, dn = multi_class_engines
    image = _textured(900, 200, 3)
    assert ocv.can_fit_input
    assert_same_detections(ocv.detect(image, thresh=0.05, fit_input=True),
                           dn.detect(image, thresh=0.05, fit_input=True))
    assert dn._handle.input_size_in_use == (96, 96)
    cfg = tmp_path / "with-dropout.cfg"
    second_layer = MULTI_CLASS_CFG.index("[maxpool]")      # a dropout after the first: no weights, no resize
    cfg.write_text(MULTI_CLASS_CFG[:second_layer] + "[dropout]\nprobability=.1\n\n"
                   + MULTI_CLASS_CFG[second_layer:].replace("layers=-1, 6", "layers=-1, 7"))
    with type(ocv)(cfg, dn.weights_path) as engine:
        assert not engine.can_fit_input
        found = engine.detect(image, thresh=0.05)      # dropout is the identity at inference
        assert found
        assert_same_detections(found, ocv.detect(image, thresh=0.05))
        with pytest.raises(ValueError, match="other input sizes"):
            engine.detect(image, fit_input=True)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_networks_without_yolo_layers_are_refused(tmp_path, engine):
    cfg = tmp_path / "classifier.cfg"
    cfg.write_text("[net]\nwidth=32\nheight=32\nchannels=3\n\n[convolutional]\nfilters=4\nsize=3\n"
                   "stride=1\npad=1\nactivation=leaky\n\n[avgpool]\n\n[softmax]\n")
    weights = pydarknet.write_random_weights(cfg, tmp_path / "classifier.weights", seed=0)
    with pytest.raises(ValueError, match="yolo"):
        ENGINES[engine](cfg, weights)


@pytest.mark.parametrize("thresh", [0.02, 0.25, 0.5, 0.98, 0.995, 1e-7, 0.0])
def test_decoding_keeps_the_cells_a_logistic_of_every_cell_keeps(thresh):
    """_decode computes the logistic only of cells whose logit can pass: the same cells and
    values as darknet's logistic of every cell, with logits packed around the threshold's."""
    from lpr.engines import yolo_decoding as yd

    rng = np.random.default_rng(int(thresh * 1000))
    head = yd._YoloHead(layer=1, source="x", classes=2, height=12, width=20,
                        anchor_w=np.array([10.0, 20.0, 30.0]), anchor_h=np.array([5.0, 9.0, 12.0]))
    conv = rng.normal(0, 3, head.shape).astype(np.float32)
    t32 = np.float32(thresh)
    if 0 < thresh < 1:
        at = np.float32(np.log(thresh / (1 - thresh)))
        objectness = conv.reshape(3, 7, -1)[:, 4]
        near = rng.random(objectness.shape) < 0.5
        objectness[near] = at + rng.integers(-40, 40, near.sum()) * np.spacing(at)
    boxes, probs = yd._decode(conv, head, 320, 192, 640, 360, t32)
    every = yd._logistic(conv.reshape(3, 7, -1)[:, 4, :].T).reshape(-1)
    keep = np.flatnonzero(every > t32)
    assert len(boxes) == len(keep) and len(probs) == len(keep)
    cell, anchor = np.divmod(keep, 3)
    classes = yd._logistic(conv.reshape(3, 7, -1)[anchor, 5:, cell])
    expected = every[keep][:, None] * classes
    np.testing.assert_array_equal(probs, np.where(expected > t32, expected, np.float32(0)))
    if 0 < thresh < 1:
        assert 0 < len(keep) < every.size
