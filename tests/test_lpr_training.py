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
    assert score.precision == (score.true_positives / score.detections if score.detections else 0.0)
    assert score.recall == score.true_positives / 6
    assert score.median_ms > 0


def test_detector_scores_follow_the_greedy_matching_rule(tmp_path, monkeypatch):
    """Known detections on known labels: a hit, a duplicate on a matched truth, a right box of
    the wrong class, a box under the IoU threshold, two boxes whose result depends on the
    confidence order, and a detection on an image without plates."""
    import cv2
    import numpy as np
    import pytest

    from lpr.training import evaluate_detector as module

    root = tmp_path / "set"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    Det = pydarknet.Detection
    # (width, height), label lines (shares of the image), what the network "finds" (pixels)
    cases = {
        "a": ((100, 50), ["0 0.2 0.4 0.2 0.4",                # T1 class 0: (10, 10, 30, 30)
                          "1 0.75 0.5 0.3 0.6"],              # T2 class 1: (60, 10, 90, 40)
              [Det(0, "p", 0.8, (12, 10, 32, 30)),            # duplicate on T1 (IoU 0.82): false
               Det(1, "q", 0.6, (60, 10, 74, 40)),            # T2's class, IoU 14/30 < 0.5: false
               Det(0, "p", 0.9, (10, 10, 30, 30)),            # T1 exactly: true
               Det(0, "p", 0.7, (60, 10, 90, 40))]),          # T2's box, class 0: false
        "b": ((80, 40), ["0 0.225 0.25 0.25 0.5",             # Tb: (8, 0, 28, 20)
                         "0 0.125 0.25 0.25 0.5"],            # Ta: (0, 0, 20, 20)
              [Det(0, "p", 0.5, (0, 0, 18, 20)),              # Ta 0.9, Tb 10/28: Ta is gone, false
               Det(0, "p", 0.9, (3, 0, 23, 20))]),            # goes first, takes the truth it
                                                              # overlaps most: Ta 17/23 (Tb 0.6)
        "c": ((60, 60), [], [Det(0, "p", 0.99, (0, 0, 30, 30))]),   # no plate: false
    }
    found, paths = {}, []
    for name, ((width, height), lines, dets) in cases.items():
        path = root / "images" / f"{name}.png"
        cv2.imwrite(str(path), np.full((height, width, 3), 90, np.uint8))
        (root / "labels" / f"{name}.txt").write_text("".join(line + "\n" for line in lines))
        found[(height, width)] = dets
        paths.append(str(path))
    listing = root / "valid.txt"
    listing.write_text("\n".join(paths) + "\n")

    calls = []

    class FakeNetwork:
        def __init__(self, cfg, weights):
            calls.append(("open", cfg, weights))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            calls.append(("close",))

        def detect(self, image, *, thresh):
            calls.append(("detect", image.shape, thresh))
            return list(found[image.shape[:2]])

    monkeypatch.setattr(pydarknet, "Network", FakeNetwork)
    score = module.evaluate_detector(tmp_path / "net.cfg", tmp_path / "net.weights", listing, thresh=0.3)
    # hits: T1 by the 0.9 box in "a"; Ta by the 0.9 box in "b". Everything else is a false positive.
    assert (score.images, score.truths, score.detections, score.true_positives) == (3, 4, 7, 2)
    assert score.precision == pytest.approx(2 / 7)
    assert score.recall == pytest.approx(2 / 4)
    assert calls[0] == ("open", tmp_path / "net.cfg", tmp_path / "net.weights") and calls[-1] == ("close",)
    assert [c[1:] for c in calls[1:-1]] == [((50, 100, 3), 0.3), ((40, 80, 3), 0.3), ((60, 60, 3), 0.3)]

    # a looser IoU lets the 0.5 box in "b" take Tb (IoU 10/28) and the narrow box in "a" take T2
    loose = module.evaluate_detector(tmp_path / "net.cfg", tmp_path / "net.weights", listing, iou=0.3)
    assert (loose.true_positives, loose.detections) == (4, 7)
    assert loose.recall == 1.0


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
