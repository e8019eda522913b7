"""darknet's training loop driven from Python: loss goes down, weights load again, Ctrl-C saves a
backup that a second call resumes from."""
from __future__ import annotations

import numpy as np
import pytest

import pydarknet
from conftest import ASSETS, make_square_dataset
from pydarknet.weights import read_header


@pytest.fixture(scope="module")
def squares(tmp_path_factory):
    return make_square_dataset(tmp_path_factory.mktemp("squares"), count=48)


@pytest.mark.slow
def test_training_lowers_the_loss_and_writes_loadable_weights(squares, tmp_path):
    seen = []
    result = pydarknet.train_detector(squares, ASSETS / "tiny-yolo-64.cfg", max_batches=30,
                                      backup_dir=tmp_path, progress=seen.append, seed=1)
    assert [p.iteration for p in seen] == list(range(1, 31))
    assert all(np.isfinite(p.loss) and p.images_per_second > 0 for p in seen)
    assert seen[-1].avg_loss < 0.5 * seen[0].avg_loss, [round(p.avg_loss, 2) for p in seen]
    assert result.iteration == 30 and not result.stopped
    assert result.weights == tmp_path / "tiny-yolo-64_final.weights"
    header = read_header(result.weights)
    assert header.seen == 30 * 8
    cfg = ASSETS / "tiny-yolo-64.cfg"
    pydarknet.check_weights(result.weights, pydarknet.parse_cfg(cfg))
    black = np.zeros((64, 64, 3), np.uint8)
    with pydarknet.Network(cfg) as untrained:                   # darknet's initial weights
        assert untrained.detect(black, thresh=0.01)             # objectness near 0.5 everywhere
    with pydarknet.Network(cfg, result.weights) as net:
        # training has taught the loaded network that a black picture holds no square
        assert net.detect(black, thresh=0.01) == []


@pytest.mark.slow
def test_interrupt_saves_a_backup_and_resume_continues(squares, tmp_path):
    cfg = ASSETS / "tiny-yolo-64.cfg"

    def interrupt_at_4(p):
        if p.iteration == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pydarknet.train_detector(squares, cfg, max_batches=8, backup_dir=tmp_path, progress=interrupt_at_4)
    backup = tmp_path / "tiny-yolo-64.backup"
    assert read_header(backup).seen == 4 * 8

    seen = []
    result = pydarknet.train_detector(squares, cfg, max_batches=8, backup_dir=tmp_path, progress=seen.append)
    assert result.resumed_from == backup
    assert [p.iteration for p in seen] == [5, 6, 7, 8]
    assert read_header(result.weights).seen == 8 * 8


@pytest.mark.slow
def test_stop_training_from_the_callback(squares, tmp_path):
    def stop_at_3(p):
        if p.iteration == 3:
            raise pydarknet.StopTraining

    result = pydarknet.train_detector(squares, ASSETS / "tiny-yolo-64.cfg", max_batches=10,
                                      backup_dir=tmp_path, progress=stop_at_3)
    assert result.stopped and result.weights is None and result.iteration == 3
    assert read_header(result.backup).seen == 3 * 8


@pytest.mark.slow
def test_multi_scale_training_resizes_and_returns_to_the_cfg_size(squares, tmp_path):
    """random=1 in [yolo]: darknet's multi-scale loop, here between 32 and 64 pixels, ending
    (about the last 200 iterations) at the largest size; the weights still load at the cfg's size."""
    cfg = tmp_path / "multiscale.cfg"
    cfg.write_text((ASSETS / "tiny-yolo-64.cfg").read_text().replace("random=0", "random=1"))
    sizes = []
    result = pydarknet.train_detector(squares, cfg, max_batches=215, backup_dir=tmp_path,
                                      progress=lambda p: sizes.append(p.input_size), seed=2)
    # resizes happen every 10 iterations; from the first one within 200 of the end (before
    # iteration 21 here) darknet's rule keeps the largest size
    assert set(sizes[:20]) == {(32, 32)}       # the sizes are seeded: seed 2 draws 32 twice
    assert set(sizes[20:]) == {(64, 64)}
    with pydarknet.Network(cfg, result.weights) as net:
        assert net.input_shape == (1, 3, 64, 64)


def _classifier_dataset(root):
    import cv2
    (root / "img").mkdir(parents=True)
    rng = np.random.default_rng(0)
    paths = []
    for i in range(32):
        label = "bright" if i % 2 else "dark"
        base = 200 if label == "bright" else 40
        img = np.clip(rng.normal(base, 20, (32, 32, 3)), 0, 255).astype(np.uint8)
        path = root / "img" / f"{i:02d}_{label}.png"
        cv2.imwrite(str(path), img)
        paths.append(str(path))
    (root / "train.txt").write_text("\n".join(paths) + "\n")
    (root / "labels.txt").write_text("dark\nbright\n")
    data = root / "cls.data"
    data.write_text(f"classes = 2\ntrain = {root / 'train.txt'}\nlabels = {root / 'labels.txt'}\n"
                    f"backup = {root / 'backup'}\n")
    return data


# no batch-norm: 40 iterations are too few for its rolling statistics to settle
CLASSIFIER_CFG = """[net]
batch=16
subdivisions=1
width=32
height=32
channels=3
learning_rate=0.05
momentum=0.9
decay=0.0005
max_batches=40
policy=constant

[convolutional]
filters=8
size=3
stride=2
pad=1
activation=leaky

[avgpool]

[connected]
output=2
activation=linear

[softmax]
"""


@pytest.mark.slow
def test_classifier_training_learns_brightness(tmp_path):
    data = _classifier_dataset(tmp_path / "ds")
    cfg = tmp_path / "bright.cfg"
    cfg.write_text(CLASSIFIER_CFG)
    seen = []
    result = pydarknet.train_classifier(data, cfg, max_batches=40, backup_dir=tmp_path / "out",
                                        progress=seen.append)
    assert seen[-1].avg_loss < seen[0].avg_loss
    with pydarknet.Network(cfg, result.weights) as net:
        dark = np.full((1, 3, 32, 32), 40 / 255, np.float32)
        bright = np.full((1, 3, 32, 32), 200 / 255, np.float32)
        (p_dark,) = net.forward(dark)
        (p_bright,) = net.forward(bright)
    assert p_dark.reshape(-1).argmax() == 0 and p_bright.reshape(-1).argmax() == 1


def test_the_training_mirror_can_be_switched_off(tmp_path):
    """darknet mirrors half of the training images; flip=False (for characters) never does,
    and the boxes follow the pixels either way."""
    import cv2

    from pydarknet.training import sample_detection_batch

    images, labels = tmp_path / "images", tmp_path / "labels"
    images.mkdir()
    labels.mkdir()
    for k in range(4):
        picture = np.zeros((64, 64, 3), np.uint8)
        picture[24:40, 2 + k:18 + k] = 255                  # a white square near the left edge
        cv2.imwrite(str(images / f"{k}.png"), picture)
        (labels / f"{k}.txt").write_text(f"0 {(10 + k) / 64:.5f} 0.5 0.25 0.25\n")
    listing = tmp_path / "train.txt"
    listing.write_text("".join(f"{images / f'{k}.png'}\n" for k in range(4)))
    cfg = ASSETS / "tiny-yolo-64.cfg"

    def sides(flip: bool, seed: int):
        x, truths = sample_detection_batch(listing, cfg, 16, flip=flip, seed=seed)
        square_column = x.max(axis=(1, 2)).argmax(axis=1)    # white: brighter than the grey fill
        square_left = square_column < x.shape[3] // 2
        box_left = truths[:, 0, 0] < 0.5
        assert np.array_equal(square_left, box_left)         # labels follow the pixels
        return box_left

    assert all(sides(False, seed).all() for seed in range(3))
    mirrored = np.concatenate([~sides(True, seed) for seed in range(3)])
    assert 0.2 < mirrored.mean() < 0.8
