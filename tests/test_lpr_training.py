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
