"""lpr.training: the plate detector's cfg, the progress monitor, resumable training runs."""
from __future__ import annotations

import csv

import pydarknet
from conftest import ASSETS, make_square_dataset
from lpr.training.plates import DEFAULT_CFG, train_plate_detector


def test_plate_detector_cfg_fits_the_cpu_budget():
    config = pydarknet.parse_cfg(DEFAULT_CFG)
    assert config.classes == 1
    assert (config.width, config.height) == (640, 384)
    assert config.flops() <= 1.5e9          # the budget per image
    heads = [config.layers[i].out_shape for i in config.output_layers]
    assert [(s.w, s.h) for s in heads] == [(40, 24), (80, 48)]     # strides 16 and 8


def test_training_logs_every_iteration_and_resumes(tmp_path):
    data = make_square_dataset(tmp_path / "ds", count=16)
    work = tmp_path / "work"
    first = train_plate_detector(data, work, cfg=ASSETS / "tiny-yolo-64.cfg", max_batches=3)
    second = train_plate_detector(data, work, cfg=ASSETS / "tiny-yolo-64.cfg", max_batches=5)
    assert first.iteration == 3 and first.resumed_from is None
    assert second.iteration == 5 and second.resumed_from == work / "tiny-yolo-64.backup"
    with (work / "loss.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [int(r["iteration"]) for r in rows] == [1, 2, 3, 4, 5]     # one header, resumed rows
    assert all(float(r["loss"]) > 0 and r["width"] == "64" for r in rows)


def test_detector_evaluation_counts_and_matching(tmp_path, tiny_yolo):
    import numpy as np

    from lpr.training.evaluate_detector import _iou, read_yolo_boxes, evaluate_detector

    truths = np.array([[0, 0, 10, 10], [20, 20, 30, 40]], dtype=float)
    np.testing.assert_allclose(_iou((0, 0, 10, 10), truths), [1.0, 0.0])
    np.testing.assert_allclose(_iou((5, 0, 15, 10), truths), [50 / 150, 0.0])

    make_square_dataset(tmp_path / "ds", count=6, size=64)
    listing = tmp_path / "ds" / "train.txt"
    first = listing.read_text().split()[0]
    box, classes = read_yolo_boxes(first, 64, 64)
    assert box.shape == (1, 4) and 16 <= box[0, 2] - box[0, 0] <= 32     # squares are 16..31 px
    assert classes.tolist() == [0]
    score = evaluate_detector(tiny_yolo[0], tiny_yolo[1], listing, thresh=0.05)
    assert (score.images, score.truths) == (6, 6)
    assert 0 <= score.true_positives <= min(score.detections, score.truths)
    assert score.median_ms > 0


def test_lpr_train_plates_cli_trains_resumes_and_scores(tmp_path, capsys):
    from lpr.cli import main

    data = make_square_dataset(tmp_path / "ds", count=8)
    text = data.read_text() + f"valid = {tmp_path / 'ds' / 'train.txt'}\n"
    data.write_text(text)
    args = ["train", "plates", str(data), str(tmp_path / "work"), "--cfg", str(ASSETS / "tiny-yolo-64.cfg"),
            "--thresh", "0.05"]
    assert main(args + ["--max-batches", "2"]) == 0
    assert main(args + ["--max-batches", "3"]) == 0
    out = capsys.readouterr().out
    assert "done at iteration 2" in out and "done at iteration 3" in out
    assert "8 images, 8 boxes" in out
    card = (tmp_path / "work" / "tiny-yolo-64.md").read_text()
    assert "3 iterations of" in card and "8 images, 8 boxes" in card
    assert (tmp_path / "work" / "tiny-yolo-64.cfg").is_file() and (tmp_path / "work" / "tiny-yolo-64.names").is_file()
    assert main(["train", "plates", str(tmp_path / "missing.data"), str(tmp_path / "w")]) == 1
