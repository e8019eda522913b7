"""Network: shapes, batching, detections, thread safety, life cycle, build facts."""
from __future__ import annotations

import dataclasses
import re
import threading

import numpy as np
import pytest

import pydarknet
from pydarknet.build import build_info, has
from worker_threads import run_in_threads


def test_build_info_reports_what_was_built():
    info = build_info()
    assert info["darknet_commit"] == "61c9d02ec461e30d55762ec7669d6a1d3c356fb2"
    assert info["darknet_origin"] in {"submodule", "debian-source", "override"}
    assert info["openmp"] is True and info["openmp_threads"] >= 1
    assert "openblas" in info["blas"].lower()
    assert "OpenBLAS" in info["blas_config"]
    assert isinstance(info["cuda"], bool) and info["cudnn"] is False
    assert has("openmp") and has("blas")
    assert has("cuda") == (info["cuda"] and bool(info["cuda_devices"]))


def test_has_rejects_unknown_features():
    with pytest.raises(ValueError, match="unknown feature"):
        has("tensor-cores")


def test_forward_shapes_and_determinism(yolov3_tiny, street_image):
    cfg, weights = yolov3_tiny
    with pydarknet.Network(cfg, weights) as net:
        assert net.input_shape == (1, 3, 416, 416)
        x = pydarknet.letterbox(street_image, 416, 416)
        a = net.forward(x)
        b = net.forward(x[None])
        assert [o.shape for o in a] == [(1, 255, 13, 13), (1, 255, 26, 26)]
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)
        # an earlier layer can be asked for by index, negative ones count from the end
        (first,) = net.forward(x, layers=[0])
        assert first.shape == (1, 16, 416, 416)
        (last,) = net.forward(x, layers=[-1])
        np.testing.assert_array_equal(last, a[1])


def test_forward_in_batches_equals_one_by_one(tiny_yolo):
    cfg, weights = tiny_yolo
    rng = np.random.default_rng(0)
    x = rng.random((5, 3, 64, 64), dtype=np.float32)
    with pydarknet.Network(cfg, weights, batch=1) as single, pydarknet.Network(cfg, weights, batch=3) as batched:
        assert batched.batch == 3
        (expected,) = single.forward(x)
        (got,) = batched.forward(x)        # 5 images: a full batch of 3, then 2 + padding
    assert got.shape == (5, 18, 8, 8)
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("batch", [2, 3])
def test_detect_batch_equals_detect(tiny_yolo, street_image, batch):
    """batch=2 matters: darknet's box decoding treats a batch of two as a flipped pair."""
    cfg, weights = tiny_yolo
    images = [street_image, street_image[::-1].copy(), street_image[:240, :320].copy()]
    with pydarknet.Network(cfg, weights) as single, pydarknet.Network(cfg, weights, batch=batch) as net:
        expected = [single.detect(img, thresh=0.05) for img in images]
        got = net.detect_batch(images, thresh=0.05)
    assert sum(len(e) for e in expected) > 0
    assert len(got) == len(images)
    for g, e in zip(got, expected):
        assert [d.class_id for d in g] == [d.class_id for d in e]
        np.testing.assert_allclose([d.box for d in g], [d.box for d in e], atol=1e-3)
        np.testing.assert_allclose([d.confidence for d in g], [d.confidence for d in e], atol=1e-5)


def test_detections_are_frozen_sorted_and_inside_the_image(yolov3_tiny, street_image):
    cfg, weights = yolov3_tiny
    names = [f"class{i}" for i in range(80)]
    with pydarknet.Network(cfg, weights, names=names) as net:
        dets = net.detect(street_image, thresh=0.6)
    assert dets, "random weights at 0.6 still give detections on this image"
    h, w = street_image.shape[:2]
    confidences = [d.confidence for d in dets]
    assert confidences == sorted(confidences, reverse=True)
    for d in dets:
        assert isinstance(d.confidence, float) and 0.6 < d.confidence <= 1.0
        assert d.name == f"class{d.class_id}"
        x1, y1, x2, y2 = d.box
        assert 0 <= x1 <= x2 <= w and 0 <= y1 <= y2 <= h
    with pytest.raises(dataclasses.FrozenInstanceError):
        dets[0].confidence = 1.0


def test_names_from_file(tiny_yolo, tmp_path):
    cfg, weights = tiny_yolo
    names = tmp_path / "obj.names"
    names.write_text("plate\n")
    with pydarknet.Network(cfg, weights, names=names) as net:
        assert net.names == ["plate"]
    with pytest.raises(ValueError, match="1 classes need 1 names"):
        pydarknet.Network(cfg, weights, names=[])


def test_letterbox_is_rgb_with_grey_bars():
    blue_wide = np.zeros((100, 200, 3), np.uint8)
    blue_wide[..., 0] = 255                     # BGR blue
    out = pydarknet.letterbox(blue_wide, 64, 64)
    assert out.shape == (3, 64, 64) and out.dtype == np.float32
    np.testing.assert_allclose(out[:, 0, :], 0.5)          # bar above the picture
    np.testing.assert_allclose(out[:, -1, :], 0.5)         # bar below
    np.testing.assert_allclose(out[:, 32, :], [[0.0] * 64, [0.0] * 64, [1.0] * 64], atol=1e-6)


def test_one_network_from_four_threads_matches_sequential(tiny_yolo, street_image):
    cfg, weights = tiny_yolo
    rng = np.random.default_rng(5)
    images = [np.clip(street_image.astype(int) + rng.integers(-40, 40, street_image.shape), 0, 255)
              .astype(np.uint8) for _ in range(8)]
    with pydarknet.Network(cfg, weights) as net:
        expected = [net.detect(img, thresh=0.05) for img in images]
        results: dict[int, list] = {}

        def work(worker: int) -> None:
            for rep in range(3):
                for i, img in enumerate(images):
                    if (i + worker) % 2 == rep % 2:
                        results.setdefault(i, []).append(net.detect(img, thresh=0.05))

        errors = run_in_threads(work)
    assert not errors
    for i, runs in results.items():
        for run in runs:
            assert run == expected[i]


def test_close_and_context_manager(tiny_yolo, street_image):
    cfg, weights = tiny_yolo
    net = pydarknet.Network(cfg, weights)
    with net:
        net.detect(street_image)
    assert net.closed
    with pytest.raises(ValueError, match="closed"):
        net.detect(street_image)
    with pytest.raises(ValueError, match="closed"):
        net.forward(np.zeros((1, 3, 64, 64), np.float32))
    net.close()        # closing twice is fine


def test_save_weights_round_trip(tiny_yolo, tmp_path, street_image):
    cfg, weights = tiny_yolo
    with pydarknet.Network(cfg, weights, fuse_batchnorm=False) as net:
        out = net.save_weights(tmp_path / "copy.weights")
        x = pydarknet.letterbox(street_image, 64, 64)
        (before,) = net.forward(x)
    pydarknet.check_weights(out, pydarknet.parse_cfg(cfg))
    with pydarknet.Network(cfg, out, fuse_batchnorm=False) as again:
        (after,) = again.forward(x)
    np.testing.assert_array_equal(before, after)


def test_folded_batchnorm_gives_the_same_outputs(yolov3_tiny, street_image, tmp_path):
    cfg, weights = yolov3_tiny
    x = pydarknet.letterbox(street_image, 416, 416)
    with pydarknet.Network(cfg, weights, fuse_batchnorm=False) as plain, \
            pydarknet.Network(cfg, weights) as fused:
        assert fused._handle.fused_layers == 11 and plain._handle.fused_layers == 0
        for a, b in zip(plain.forward(x), fused.forward(x)):
            np.testing.assert_allclose(a, b, atol=1e-4)
            assert not np.array_equal(a, b)      # the folding really happened
        with pytest.raises(ValueError, match="folded"):
            fused.save_weights(tmp_path / "x.weights")


@pytest.mark.gpu
@pytest.mark.skipif(not has("cuda"), reason="needs a CUDA build and a CUDA device")
def test_gpu_matches_cpu(yolov3_tiny, street_image):
    cfg, weights = yolov3_tiny
    x = pydarknet.letterbox(street_image, 416, 416)
    with pydarknet.Network(cfg, weights, gpu=-1) as cpu, pydarknet.Network(cfg, weights, gpu=0) as gpu:
        assert gpu.gpu == 0
        for a, b in zip(cpu.forward(x), gpu.forward(x)):
            np.testing.assert_allclose(a, b, atol=1e-3)
        # Random weights give thousands of boxes near any threshold, and NMS between near-equal
        # confidences may keep either box; so without NMS, every box clearly above the threshold on
        # one device has a counterpart on the other: same class, confidence within 2e-3, box within
        # half a pixel (raw outputs agree within 1e-3, above).
        dc, dg = cpu.detect(street_image, thresh=0.6, nms=1.0), gpu.detect(street_image, thresh=0.6, nms=1.0)
        assert len(dc) > 100
        for ours, theirs in ((dc, dg), (dg, dc)):
            cls, conf = np.array([d.class_id for d in theirs]), np.array([d.confidence for d in theirs])
            boxes = np.array([d.box for d in theirs])
            for d in ours:
                if d.confidence > 0.6 + 2e-3:
                    assert ((cls == d.class_id) & (np.abs(conf - d.confidence) <= 2e-3)
                            & (np.abs(boxes - d.box) <= 0.5).all(axis=1)).any(), d


def test_set_threads_reaches_networks_run_from_other_threads(tiny_yolo):
    from pydarknet import _native
    before = _native.native_facts()["openmp_threads"]
    seen = []

    def run():
        with pydarknet.Network(*tiny_yolo) as net:
            net.forward(np.zeros((1, 3, 64, 64), np.float32))
        seen.append(_native.native_facts()["openmp_threads"])

    try:
        pydarknet.set_threads(1)
        worker = threading.Thread(target=run)
        worker.start()
        worker.join()
        assert seen == [1]
    finally:
        pydarknet.set_threads(before)


@pytest.mark.parametrize("h,w,net_w,net_h", [
    (720, 1280, 416, 416), (480, 640, 416, 416), (1, 1, 416, 416), (5, 3, 416, 416),
    (416, 416, 416, 416), (1000, 3, 416, 416), (7, 1000, 416, 416), (300, 301, 320, 192),
    (37, 91, 67, 45), (2, 2, 8, 8), (720, 1280, 640, 384), (1280, 1280, 448, 384), (181, 1000, 640, 384),
])
@pytest.mark.parametrize("threads", [1, 2])
def test_fast_letterbox_is_bit_identical_to_darknets(h, w, net_w, net_h, threads):
    """With two threads, an image scaled to at least 32,768 pixels (most of these; not the thin
    ones or the two smallest) is made in two bands of rows: every row is darknet's, wherever
    the bands meet."""
    from pydarknet import _native
    image = np.random.default_rng(h * w).integers(0, 256, (h, w, 3), dtype=np.uint8)
    np.testing.assert_array_equal(pydarknet.letterbox(image, net_w, net_h, threads=threads),
                                  _native.letterbox_reference(image, net_w, net_h))


def test_letterbox_refuses_no_threads():
    with pytest.raises(ValueError, match="threads must be at least 1"):
        pydarknet.letterbox(np.zeros((8, 8, 3), np.uint8), 8, 8, threads=0)


def test_letterbox_to_a_single_row_does_not_read_outside_the_image():
    """3x1000 into 416x416 scales to 416x1: darknet's resize divides by zero there and reads
    outside its buffer; ours uses the first row."""
    image = np.zeros((3, 1000, 3), np.uint8)
    image[0] = 255
    out = pydarknet.letterbox(image, 416, 416)
    row = (416 - 1) // 2
    np.testing.assert_allclose(out[:, row, :], 1.0)
    np.testing.assert_allclose(np.delete(out, row, axis=1), 0.5)


# ------------------------------------------------------------------ fitted inputs
@pytest.mark.parametrize("image, net, stride, expected", [
    ((1280, 1280), (640, 384), 16, (448, 384)),   # 384x384 used: cut by 3 steps of 32, 32 px grey a side
    ((1280, 960), (640, 384), 16, (576, 384)),    # 512x384 used
    ((1280, 720), (640, 384), 16, (640, 384)),    # 640x360: no grey to cut
    ((720, 1280), (640, 384), 16, (288, 384)),    # portrait: 216x384 used
    ((1, 8000), (640, 384), 16, (64, 384)),       # nothing wide: the least cut that keeps the phase
    ((640, 200), (416, 416), 32, (416, 288)),     # 416x130 used: 64 px grey a side at least
    ((640, 480), (416, 416), 32, (416, 416)),     # 416x312: 104 px grey in all, less than 2 x 64
])
def test_fitted_input_size(image, net, stride, expected):
    got = pydarknet.fitted_input_size(*image, *net, stride)
    assert got == expected
    used = pydarknet.letterbox_size(*image, *net)
    for full, fit, inside in zip(net, got, used):
        assert (full - fit) % (2 * stride) == 0          # the image keeps its place on the cells
        assert fit >= min(full, inside + 4 * stride)     # two strides of grey a side where there were
    with pytest.raises(ValueError):
        pydarknet.fitted_input_size(*image, *net, 0)


def test_input_stride_from_the_cfg(yolov3_tiny, tiny_yolo, tmp_path):
    assert pydarknet.parse_cfg(yolov3_tiny[0]).input_stride == 32
    assert pydarknet.parse_cfg(tiny_yolo[0]).input_stride == 8
    dense = tmp_path / "dense.cfg"
    dense.write_text("[net]\nwidth=32\nheight=32\nchannels=3\n\n[convolutional]\nfilters=4\nsize=3\n"
                     "stride=2\npad=1\nactivation=leaky\n\n[connected]\noutput=10\nactivation=linear\n")
    assert pydarknet.parse_cfg(dense).input_stride is None
    assert pydarknet.parse_cfg(yolov3_tiny[0]).fitted_input_size(640, 200) == (416, 288)
    with pytest.raises(ValueError, match="other input sizes"):
        pydarknet.parse_cfg(dense).fitted_input_size(640, 200)


def test_scaled_input_size_keeps_to_the_stride(yolov3_tiny, tiny_yolo, tmp_path):
    """input_scale's size: the cfg's times the scale, each side a whole number of strides (at
    least one); fitted_input_size fits that size to the image."""
    config = pydarknet.parse_cfg(yolov3_tiny[0])                   # 416x416, stride 32
    assert config.scaled_input_size(1.0) == (416, 416)
    assert config.scaled_input_size(0.75) == (320, 320)            # 312 -> 9.75 strides -> 10
    assert config.scaled_input_size(0.25) == (96, 96)              # 104 -> 3.25 strides -> 3
    assert config.scaled_input_size(0.01) == (32, 32)
    assert config.scaled_input_size(0.5) == (224, 224)             # 208 -> 6.5 strides -> 7: halves up
    assert config.fitted_input_size(640, 200, 0.75) == pydarknet.fitted_input_size(640, 200, 320, 320, 32)
    assert config.fitted_input_size(640, 200, 0.75) != config.fitted_input_size(640, 200)
    for bad in (0.0, -0.5, 1.5):
        with pytest.raises(ValueError, match="input_scale"):
            config.scaled_input_size(bad)
    dense = tmp_path / "dense.cfg"
    dense.write_text("[net]\nwidth=32\nheight=32\nchannels=3\n\n[convolutional]\nfilters=4\nsize=3\n"
                     "stride=2\npad=1\nactivation=leaky\n\n[connected]\noutput=10\nactivation=linear\n")
    with pytest.raises(ValueError, match="other input sizes"):
        pydarknet.parse_cfg(dense).scaled_input_size(0.5)


def test_input_scale_equals_a_network_built_at_that_size(yolov3_tiny, street_image, tmp_path):
    """detect(input_scale=s) runs the network at scaled_input_size(s) (fitted, with fit_input):
    it finds what a network whose cfg asks for that size finds, in the image's pixels."""
    cfg, weights = yolov3_tiny
    with pydarknet.Network(cfg, weights) as net, \
            pydarknet.Network(_cfg_at_size(cfg, tmp_path, 320, 320), weights) as small:
        scaled = net.detect(street_image, thresh=0.3, input_scale=0.75)
        assert net._handle.input_size_in_use == (320, 320)
        _assert_found_alike(scaled, small.detect(street_image, thresh=0.3))
        net.detect(street_image, thresh=0.3, fit_input=True, input_scale=0.75)
        assert net._handle.input_size_in_use == net.config.fitted_input_size(*street_image.shape[1::-1], 0.75)
        for bad in (0.0, 2.0):
            with pytest.raises(ValueError, match="input_scale"):
                net.detect(street_image, input_scale=bad)


def _assert_found_alike(found, expected):
    """The same detections (at least one), class by class, confidences within 1e-6, boxes 1e-3 px."""
    assert len(found) == len(expected) > 0
    for a, b in zip(found, expected):
        assert a.class_id == b.class_id and a.confidence == pytest.approx(b.confidence, abs=1e-6)
        np.testing.assert_allclose(a.box, b.box, atol=1e-3)


def _cfg_at_size(cfg, tmp_path, width, height):
    text = re.sub(r"(?m)^width=\d+", f"width={width}", cfg.read_text())
    path = tmp_path / f"at-{width}x{height}.cfg"
    path.write_text(re.sub(r"(?m)^height=\d+", f"height={height}", text))
    return path


def test_fit_input_equals_a_network_built_at_that_size(yolov3_tiny, street_image, tmp_path):
    """detect(fit_input=True) resizes the network to fitted_input_size and back: it finds what a
    network whose cfg asks for that size finds, and forward() and plain detect() are unchanged."""
    cfg, weights = yolov3_tiny
    strip = np.ascontiguousarray(street_image[140:340])            # 640x200 -> 416x288
    with pydarknet.Network(cfg, weights) as net, \
            pydarknet.Network(_cfg_at_size(cfg, tmp_path, 416, 288), weights) as small:
        x = pydarknet.letterbox(street_image, 416, 416)
        before, plain = net.forward(x), net.detect(strip, thresh=0.5)
        assert net.can_fit_input
        fitted = net.detect(strip, thresh=0.5, fit_input=True)
        assert net._handle.input_size_in_use == (416, 288)
        _assert_found_alike(fitted, small.detect(strip, thresh=0.5))
        assert net.input_shape == (1, 3, 416, 416)                 # what forward() takes
        for u, v in zip(net.forward(x), before):
            np.testing.assert_array_equal(u, v)
        again = net.detect(strip, thresh=0.5)
        assert net._handle.input_size_in_use == (416, 416)
        assert [(d.class_id, d.confidence, d.box) for d in again] == [(d.class_id, d.confidence, d.box) for d in plain]


def test_fit_input_batch_holds_the_largest(yolov3_tiny, street_image):
    cfg, weights = yolov3_tiny
    strip, tall = np.ascontiguousarray(street_image[140:340]), np.ascontiguousarray(street_image[:, 200:400])
    with pydarknet.Network(cfg, weights, batch=2) as net, pydarknet.Network(cfg, weights) as one:
        together = net.detect_batch([strip, tall], thresh=0.5, fit_input=True)
        assert net._handle.input_size_in_use == (416, 416)         # 416x288 and 352x416: room for both
        alone = [one.detect(img, thresh=0.5) for img in (strip, tall)]
    for g, e in zip(together, alone):
        assert [d.class_id for d in g] == [d.class_id for d in e]
        np.testing.assert_allclose([d.box for d in g], [d.box for d in e], atol=1e-3)


def test_fit_input_refused_where_darknet_cannot_resize(tiny_yolo, street_image, tmp_path, monkeypatch):
    cfg, weights = tiny_yolo
    text = cfg.read_text().replace("[yolo]", "[dropout]\nprobability=.1\n\n[yolo]", 1)
    with_dropout = tmp_path / "with-dropout.cfg"
    with_dropout.write_text(text)
    with pydarknet.Network(cfg, weights) as plain:
        expected = plain.detect(street_image, thresh=0.05)
    with pydarknet.Network(with_dropout, weights) as net:
        assert not net.can_fit_input
        # the cfg's size still works, and dropout is the identity at inference
        found = net.detect(street_image, thresh=0.05)
        assert found
        assert ([(d.class_id, d.confidence, d.box) for d in found]
                == [(d.class_id, d.confidence, d.box) for d in expected])
        with pytest.raises(ValueError, match="resize"):
            net.detect(street_image, fit_input=True)
        # darknet's own resize, reached past that check, fails part way: the network is closed,
        # not left with layers of two sizes
        with pytest.raises(pydarknet.DarknetError, match="closed"):
            net._handle.detect([street_image], 0.05, 0.5, 0.45, 320, 320)
        assert net._handle.closed
        with pytest.raises(ValueError, match="closed"):
            net.detect(street_image, thresh=0.05)
    facts = dict(pydarknet._native.native_facts(), cuda_compiled=True)
    with pydarknet.Network(cfg, weights) as net:
        assert net.can_fit_input
        monkeypatch.setattr(pydarknet.network._native, "native_facts", lambda: facts)   # as a CUDA build
        assert not net.can_fit_input
        with pytest.raises(ValueError, match="CUDA"):
            net.detect(street_image, fit_input=True)


def test_fit_input_from_four_threads_matches_sequential(yolov3_tiny, street_image):
    """Images of three shapes from four threads: each detect() resizes the shared network under
    its lock, so every result equals the one-thread result for that image; forward() too."""
    cfg, weights = yolov3_tiny
    images = [np.ascontiguousarray(street_image[140:340]), np.ascontiguousarray(street_image[:, 200:400]),
              street_image]
    x = pydarknet.letterbox(street_image, 416, 416)
    with pydarknet.Network(cfg, weights) as net:
        expected = [net.detect(img, thresh=0.5, fit_input=True) for img in images]
        forward = net.forward(x)
        results = []

        def work(worker: int) -> None:
            for rep in range(4):
                k = (worker + rep) % 4
                if k == 3:
                    results.append(("forward", net.forward(x)))
                else:
                    results.append((k, net.detect(images[k], thresh=0.5, fit_input=True)))

        errors = run_in_threads(work)
    assert not errors and len(results) == 16
    assert sum(bool(e) for e in expected) >= 2, "the test needs detections to compare"
    for k, got in results:
        if k == "forward":
            for a, b in zip(got, forward):
                np.testing.assert_array_equal(a, b)
        else:
            assert got == expected[k]
