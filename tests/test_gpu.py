"""The CUDA build on a CUDA device: darknet's GPU forward pass and GPU training agree with the CPU.

Every test here is marked ``gpu`` and skips without a CUDA build and a device that answers
(`pydarknet.has("cuda")`); `make cuda-check` runs the suite on the CUDA build where a GPU is present.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import pydarknet
from conftest import ASSETS, make_square_dataset
from lpr import model_files as mf

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not pydarknet.has("cuda"), reason="needs a CUDA build and a CUDA device")]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _forward_both(cfg, weights, x):
    with pydarknet.Network(cfg, weights, gpu=-1) as cpu, pydarknet.Network(cfg, weights, gpu=0) as gpu:
        assert cpu.gpu == -1 and gpu.gpu == 0
        return cpu.forward(x), gpu.forward(x)


def test_training_on_the_gpu_lowers_the_loss_and_the_cpu_reads_its_weights(tmp_path):
    data = make_square_dataset(tmp_path / "squares", count=48)
    cfg = ASSETS / "tiny-yolo-64.cfg"
    seen = []
    result = pydarknet.train_detector(data, cfg, max_batches=40, gpus=[0], backup_dir=tmp_path / "out",
                                      progress=seen.append, seed=1)
    assert result.iteration == 40 and not result.stopped
    assert all(np.isfinite(p.loss) for p in seen)
    assert seen[-1].avg_loss < 0.5 * seen[0].avg_loss, [round(p.avg_loss, 2) for p in seen]
    x = np.random.default_rng(0).random((1, 3, 64, 64), dtype=np.float32)
    for a, b in zip(*_forward_both(cfg, result.weights, x)):
        np.testing.assert_allclose(a, b, atol=1e-3)


def test_classifier_training_on_the_gpu(tmp_path):
    from test_training import CLASSIFIER_CFG, _classifier_dataset

    data = _classifier_dataset(tmp_path / "ds")
    cfg = tmp_path / "bright.cfg"
    cfg.write_text(CLASSIFIER_CFG)
    result = pydarknet.train_classifier(data, cfg, max_batches=40, gpus=[0], backup_dir=tmp_path / "out")
    with pydarknet.Network(cfg, result.weights, gpu=-1) as net:
        (p_dark,) = net.forward(np.full((1, 3, 32, 32), 40 / 255, np.float32))
        (p_bright,) = net.forward(np.full((1, 3, 32, 32), 200 / 255, np.float32))
    assert p_dark.reshape(-1).argmax() == 0 and p_bright.reshape(-1).argmax() == 1


@pytest.mark.parametrize("name", [mf.PLATE_DETECTOR, mf.CHAR_DETECTOR, mf.CHAR_CNN])
def test_the_shipped_models_compute_the_same_on_gpu_and_cpu(name):
    files = mf.model_files(name)
    config = pydarknet.parse_cfg(files.cfg)
    x = np.random.default_rng(5).random((1, config.channels, config.height, config.width), dtype=np.float32)
    for a, b in zip(*_forward_both(files.cfg, files.weights, x)):
        np.testing.assert_allclose(a, b, atol=2e-3)


def test_the_plate_detector_finds_the_same_plates_on_gpu_and_cpu():
    files = mf.model_files(mf.PLATE_DETECTOR)
    images = [cv2.imread(str(p)) for p in sorted(EXAMPLES.glob("*.jpg"))]
    found = 0
    with pydarknet.Network(files.cfg, files.weights, gpu=-1) as cpu, \
            pydarknet.Network(files.cfg, files.weights, gpu=0) as gpu:
        for image in images:
            dc, dg = cpu.detect(image, thresh=0.1), gpu.detect(image, thresh=0.1)
            assert len(dc) == len(dg)
            for a, b in zip(sorted(dc, key=lambda d: d.box), sorted(dg, key=lambda d: d.box)):
                assert np.allclose(a.box, b.box, atol=0.5) and abs(a.confidence - b.confidence) < 2e-3
            found += len(dc)
    assert found >= len(images)
