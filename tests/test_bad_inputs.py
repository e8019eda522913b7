"""Bad input never ends the process: each gives the right Python exception, and we live on."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

import pydarknet
from pydarknet import _native
from pydarknet.errors import ConfigError, DarknetError, WeightsError


def test_missing_files(tiny_yolo, tmp_path):
    cfg, weights = tiny_yolo
    with pytest.raises(FileNotFoundError):
        pydarknet.Network(tmp_path / "nope.cfg", weights)
    with pytest.raises(FileNotFoundError):
        pydarknet.Network(cfg, tmp_path / "nope.weights")


@pytest.mark.parametrize("change", ["truncate 1", "truncate 4", "drop half", "append 4", "append 1000"])
def test_weights_that_do_not_fit(tiny_yolo, tmp_path, change):
    cfg, weights = tiny_yolo
    data = weights.read_bytes()
    how, amount = change.split()
    if how == "truncate":
        data = data[:-int(amount)]
    elif how == "drop":
        data = data[:len(data) // 2]
    else:
        data = data + b"\0" * int(amount)
    bad = tmp_path / "bad.weights"
    bad.write_bytes(data)
    with pytest.raises(WeightsError) as info:
        pydarknet.Network(cfg, bad)
    assert str(bad) in str(info.value)


def test_weights_of_another_network(tiny_yolo, yolov3_tiny):
    with pytest.raises(WeightsError):
        pydarknet.Network(tiny_yolo[0], yolov3_tiny[1])


@pytest.mark.parametrize("text", [
    b"\x00\xff\xfe garbage \x89PNG\r\n",
    b"",
    b"[convolutional]\nfilters=8\n",                                   # no [net]
    b"[net]\nwidth=64\nheight=64\nchannels=3\n[sparkle]\n",            # unknown section
])
def test_garbage_cfgs(tmp_path, text):
    cfg = tmp_path / "bad.cfg"
    cfg.write_bytes(text)
    with pytest.raises(ConfigError):
        pydarknet.Network(cfg)


@pytest.mark.parametrize("old,new", [
    ("filters=18", "filters=17"),            # yolo input does not hold mask*(classes+5) channels
    ("filters=8\n", "fliters=8\n"),          # typo
    ("mask=0,1,2", "mask=0,1,5"),            # anchor index out of range
    ("activation=leaky", "activation=leakyy"),
    ("size=3", "size=0"),
    ("width=64", "width=sixty-four"),
])
def test_subtly_wrong_cfgs(tmp_path, old, new):
    from conftest import ASSETS
    text = (ASSETS / "tiny-yolo-64.cfg").read_text()
    assert old in text
    cfg = tmp_path / "subtle.cfg"
    cfg.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError):
        pydarknet.Network(cfg)


@pytest.mark.parametrize("image,error", [
    (np.zeros((64, 64, 3), np.float32), TypeError),
    (np.zeros((64, 64, 3), np.uint16), TypeError),
    (np.zeros((64, 64), np.uint8), ValueError),
    (np.zeros((64, 64, 4), np.uint8), ValueError),
    (np.zeros((0, 64, 3), np.uint8), ValueError),
    (np.zeros((64, 0, 3), np.uint8), ValueError),
    ([[0, 0, 0]], TypeError),
    (None, TypeError),
])
def test_bad_images(tiny_yolo, image, error):
    with pydarknet.Network(*tiny_yolo) as net:
        with pytest.raises(error):
            net.detect(image)


def test_unusual_but_valid_images(tiny_yolo):
    with pydarknet.Network(*tiny_yolo) as net:
        base = np.random.default_rng(0).integers(0, 255, (50, 70, 3), dtype=np.uint8)
        expected = net.detect(base, thresh=0.01)
        fortran = np.asfortranarray(base)
        assert net.detect(fortran, thresh=0.01) == expected
        padded = np.zeros((50, 70, 4), np.uint8)
        padded[..., :3] = base
        assert net.detect(padded[..., :3], thresh=0.01) == expected     # strided view
        # a 1x1 picture letterboxes to the same input as a 64x64 one of its colour: the same
        # detections, boxes in its own (1 px) scale
        colour = (30, 200, 240)
        pixel = net.detect(np.full((1, 1, 3), colour, np.uint8), thresh=0.01)
        square = net.detect(np.full((64, 64, 3), colour, np.uint8), thresh=0.01)
        assert len(pixel) == len(square) > 0
        for a, b in zip(pixel, square):
            assert (a.class_id, a.confidence) == (b.class_id, b.confidence)
            np.testing.assert_allclose(np.asarray(a.box) * 64, b.box, atol=1e-3)


@pytest.mark.parametrize("array,error", [
    (np.zeros((1, 3, 64, 64), np.float64), TypeError),
    (np.zeros((1, 3, 32, 64), np.float32), ValueError),
    (np.zeros((1, 1, 64, 64), np.float32), ValueError),
    (np.zeros((0, 3, 64, 64), np.float32), ValueError),
    (np.full((1, 3, 64, 64), np.nan, np.float32), ValueError),
    (np.zeros((64, 64), np.float32), ValueError),
])
def test_bad_forward_input(tiny_yolo, array, error):
    with pydarknet.Network(*tiny_yolo) as net:
        with pytest.raises(error):
            net.forward(array)
        with pytest.raises(IndexError):
            net.forward(np.zeros((1, 3, 64, 64), np.float32), layers=[99])


@pytest.mark.parametrize("kwargs", [{"thresh": 1.5}, {"thresh": -0.1}, {"nms": 2.0}])
def test_bad_thresholds(tiny_yolo, street_image, kwargs):
    with pydarknet.Network(*tiny_yolo) as net:
        with pytest.raises(ValueError):
            net.detect(street_image, **kwargs)


def test_bad_batch_and_gpu(tiny_yolo):
    with pytest.raises(ValueError):
        pydarknet.Network(*tiny_yolo, batch=0)
    if not pydarknet.build_info()["cuda"]:
        with pytest.raises(ValueError, match="without CUDA"):
            pydarknet.Network(*tiny_yolo, gpu=0)


def test_darknet_exit_becomes_an_exception(tmp_path):
    """Past the Python checks, darknet's own exit() is caught by the guard (native/pdn_guard.c)."""
    with pytest.raises(DarknetError, match="Couldn't open file"):
        _native.NetworkHandle(str(tmp_path / "missing.cfg"), None, 0, -1, False)
    # no [net] first: darknet's error() asserts and exits
    cfg = tmp_path / "odd.cfg"
    cfg.write_text("[convolutional]\nfilters=1\n")
    with pytest.raises(DarknetError, match="First section must be"):
        _native.NetworkHandle(str(cfg), None, 0, -1, False)
    # and the process is still fine afterwards
    assert pydarknet.has("openmp")


def test_training_inputs_are_checked_before_darknet(tmp_path, tiny_yolo):
    from conftest import make_square_dataset
    data = make_square_dataset(tmp_path / "ds", count=4)
    (tmp_path / "ds" / "labels" / "002.txt").unlink()
    with pytest.raises(ConfigError, match="missing label file"):
        pydarknet.train_detector(data, tiny_yolo[0], max_batches=1)
    shutil.rmtree(tmp_path / "ds" / "images")
    with pytest.raises(ConfigError, match="missing image"):
        pydarknet.train_detector(data, tiny_yolo[0], max_batches=1)
    with pytest.raises(FileNotFoundError):
        pydarknet.train_detector(tmp_path / "none.data", tiny_yolo[0], max_batches=1)
