"""Network: shapes, batching, detections, thread safety, life cycle, build facts."""
from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest

import pydarknet
from pydarknet.build import build_info, has


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
        errors = []

        def work(worker: int) -> None:
            try:
                for rep in range(3):
                    for i, img in enumerate(images):
                        if (i + worker) % 2 == rep % 2:
                            results.setdefault(i, []).append(net.detect(img, thresh=0.05))
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
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
        dc, dg = cpu.detect(street_image, thresh=0.6), gpu.detect(street_image, thresh=0.6)
        assert [d.class_id for d in dc] == [d.class_id for d in dg]


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
    (37, 91, 67, 45), (2, 2, 8, 8),
])
def test_fast_letterbox_is_bit_identical_to_darknets(h, w, net_w, net_h):
    from pydarknet import _native
    image = np.random.default_rng(h * w).integers(0, 256, (h, w, 3), dtype=np.uint8)
    np.testing.assert_array_equal(pydarknet.letterbox(image, net_w, net_h),
                                  _native.letterbox_reference(image, net_w, net_h))


def test_letterbox_to_a_single_row_does_not_read_outside_the_image():
    """3x1000 into 416x416 scales to 416x1: darknet's resize divides by zero there and reads
    outside its buffer; ours uses the first row."""
    image = np.zeros((3, 1000, 3), np.uint8)
    image[0] = 255
    out = pydarknet.letterbox(image, 416, 416)
    row = (416 - 1) // 2
    np.testing.assert_allclose(out[:, row, :], 1.0)
    np.testing.assert_allclose(np.delete(out, row, axis=1), 0.5)
