"""lpr.data.self_labels: which readings become character labels, and that the labels written
are the reader's characters in the written image's pixels."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from lpr.data.self_label_command import excluded_images, source_images
from lpr.data.self_labels import SCENE_MARGIN, self_label
from lpr.model_files import CHARACTERS
from lpr.results import CharRead, PlateRead
from lpr.training.evaluate_detector import read_yolo_boxes


def _plate(text, boxes, *, country="be", sureness=0.95, box=(0.0, 0.0, 120.0, 40.0)):
    """A reading whose characters' confidences have the geometric mean ``sureness``, from a
    detection of confidence 0.3 (which must not count)."""
    chars = tuple(CharRead(c, sureness, b) for c, b in zip(text, boxes))
    return PlateRead(text=text, confidence=0.3 * sureness, box=box, detection_confidence=0.3, chars=chars,
                     country=country, format="x" if country else None)


def _row_boxes(n, x0=5.0, y0=8.0):
    return [(x0 + 12.0 * i, y0, x0 + 12.0 * i + 10.0, y0 + 24.0) for i in range(n)]


class FakeReader:
    """Answers by the image's fill value (its first pixel); counts what it was asked."""

    def __init__(self, crops=None, scenes=None):
        self.crops, self.scenes, self.asked = crops or {}, scenes or {}, []

    def read_crop(self, pixels):
        if not isinstance(pixels, np.ndarray):        # a path, as the real reader takes too
            pixels = cv2.imread(str(pixels))
        self.asked.append(int(pixels[0, 0, 0]))
        return self.crops.get(int(pixels[0, 0, 0]))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def read(self, pixels):
        self.asked.append(int(pixels[0, 0, 0]))
        return self.scenes.get(int(pixels[0, 0, 0]), [])


def _write(path, value, size=(40, 120)):
    image = np.full((*size, 3), value, np.uint8)
    cv2.imwrite(str(path), image)
    return path


def test_only_sure_readings_a_format_fits_are_kept_and_labelled_right(tmp_path):
    sources = [_write(tmp_path / f"{v}.png", v) for v in (10, 20, 30, 40, 50)]
    reader = FakeReader(crops={
        10: _plate("1ABC234", _row_boxes(7)),                        # kept
        20: _plate("XYZ99", _row_boxes(5), country=None),            # no rule fits: left out
        30: _plate("1ABC235", _row_boxes(7), sureness=0.5),        # not sure: left out
        40: _plate("B8S5", _row_boxes(4), country="nl"),             # excluded below, never read
    })                                                               # 50: no plate at all
    summary = self_label(reader, sources, tmp_path / "out", exclude=[tmp_path / "40.png"], show_progress=False)
    assert (summary.images, summary.kept, summary.characters) == (4, 1, 7)
    assert summary.per_country == {"be": 1}
    assert 40 not in reader.asked
    listed = summary.train_list.read_text().split()
    assert len(listed) == 1
    boxes, classes = read_yolo_boxes(listed[0], 120, 40)
    assert "".join(CHARACTERS[c] for c in classes) == "1ABC234"
    np.testing.assert_allclose(boxes, _row_boxes(7), atol=1e-3)
    rows = (tmp_path / "out" / "readings.tsv").read_text().splitlines()
    assert rows[1].split("\t")[1:] == [str(sources[0]), "1ABC234", "be", "x", "0.9500"]


def test_a_plate_cut_from_a_scene_keeps_its_characters_in_place(tmp_path):
    scene = np.full((300, 400, 3), 70, np.uint8)
    scene[100:140, 100:220] = 200
    path = tmp_path / "scene.png"
    cv2.imwrite(str(path), scene)
    chars = _row_boxes(6, x0=105.0, y0=108.0)
    reader = FakeReader(scenes={70: [_plate("AB12CD", chars, country="de", box=(100.0, 100.0, 220.0, 140.0)),
                                     _plate("QQ", _row_boxes(2), country=None)]})
    summary = self_label(reader, [path], tmp_path / "out", scenes=True, show_progress=False)
    assert summary.kept == 1
    written = cv2.imread(summary.train_list.read_text().split()[0])
    left, top = int(100 - SCENE_MARGIN[0] * 120), int(100 - SCENE_MARGIN[1] * 40)
    assert written.shape[:2] == (int(140 + SCENE_MARGIN[1] * 40 + 1) - top, int(220 + SCENE_MARGIN[0] * 120 + 1) - left)
    np.testing.assert_array_equal(written, scene[top:top + written.shape[0], left:left + written.shape[1]])
    boxes, classes = read_yolo_boxes(summary.train_list.read_text().split()[0], written.shape[1], written.shape[0])
    np.testing.assert_allclose(boxes + [left, top, left, top], chars, atol=1e-3)
    assert "".join(CHARACTERS[c] for c in classes) == "AB12CD"


def test_a_character_outside_the_image_drops_the_plate_and_a_dataset_is_not_overwritten(tmp_path):
    source = _write(tmp_path / "10.png", 10)
    outside = _row_boxes(3) + [(130.0, 8.0, 140.0, 32.0)]     # right of the 120 px crop
    reader = FakeReader(crops={10: _plate("AB12", outside)})
    assert self_label(reader, [source], tmp_path / "out", show_progress=False).kept == 0
    with pytest.raises(FileExistsError):
        self_label(reader, [source], tmp_path / "out", show_progress=False)
    with pytest.raises(ValueError):
        self_label(reader, [source], tmp_path / "other", min_sureness=1.5, show_progress=False)


def test_sources_and_exclusions_are_expanded(tmp_path):
    folder = tmp_path / "crops" / "sub"
    folder.mkdir(parents=True)
    a, b = _write(folder / "a.png", 1), _write(tmp_path / "crops" / "b.jpg", 2)
    (tmp_path / "crops" / "notes.md").write_text("not an image")
    listing = tmp_path / "list.txt"
    listing.write_text("# frames\ncrops/b.jpg\n\n")
    assert list(source_images([tmp_path / "crops", listing, a])) == [b, a, tmp_path / "crops/b.jpg", a]
    with pytest.raises(FileNotFoundError):
        list(source_images([tmp_path / "missing"]))
    tsv = tmp_path / "read.tsv"
    tsv.write_text("# IMAGE<TAB>TEXT\ncrops/sub/a.png\tAB12\n")
    assert excluded_images([tsv], tmp_path) == [a]


def test_label_precision_counts_the_kept_readings_that_are_right(tmp_path):
    from lpr.data.self_labels import label_precision
    from lpr.evaluation import read_labels

    for value in (10, 20, 30, 40):
        _write(tmp_path / f"{value}.png", value)
    (tmp_path / "known.tsv").write_text("10.png\t1ABC234\n20.png\tAB12CD\n30.png\tXY99\n40.png\tOO11\n")
    reader = FakeReader(crops={
        10: _plate("1ABC234", _row_boxes(7)),                       # kept, right
        20: _plate("AB12CO", _row_boxes(6)),                        # kept, wrong even folded
        30: _plate("XY99", _row_boxes(4), sureness=0.6),            # not kept
        40: _plate("0011", _row_boxes(4)),                          # kept, right only folded
    })
    found = label_precision(reader, read_labels(tmp_path / "known.tsv"), min_sureness=0.9)
    assert (found.crops, found.kept, found.right, found.right_folded) == (4, 3, 1, 2)
    assert [(Path(w[0]).name, w[1], w[2]) for w in found.wrong] == [("20.png", "AB12CD", "AB12CO"),
                                                                     ("40.png", "OO11", "0011")]


def test_the_check_command_prints_what_would_be_kept_and_refuses_other_lists(tmp_path, monkeypatch, capsys):
    import lpr.read_command
    from lpr.cli import main

    _write(tmp_path / "10.png", 10)
    _write(tmp_path / "20.png", 20)
    (tmp_path / "known.tsv").write_text("10.png\t1ABC234\n20.png\tAB12CD\n")
    reader = FakeReader(crops={10: _plate("1ABC234", _row_boxes(7)), 20: _plate("AB12CO", _row_boxes(6))})
    monkeypatch.setattr(lpr.read_command, "reader_from_args", lambda args: reader)
    assert main(["data", "self-label-check", str(tmp_path / "known.tsv")]) == 0
    out = capsys.readouterr().out
    assert "2 of 2 crops would be kept at sureness >= 0.9; right: 1 (0.500)" in out
    assert "truth AB12CD, read AB12CO" in out
    (tmp_path / "list.txt").write_text("10.png\n")
    assert main(["data", "self-label-check", str(tmp_path / "list.txt")]) == 2
    assert "crop list" in capsys.readouterr().err


def test_reading_confidence_is_the_geometric_mean_of_the_characters():
    plate = PlateRead(text="AB", confidence=0.2, box=(0, 0, 1, 1), detection_confidence=0.5,
                      chars=(CharRead("A", 0.9, (0, 0, 1, 1)), CharRead("B", 0.4, (0, 0, 1, 1))))
    assert plate.reading_confidence == pytest.approx(0.6)
    assert PlateRead(text="", confidence=0.0, box=(0, 0, 1, 1), detection_confidence=0.5).reading_confidence == 0.0
    zero = PlateRead(text="A", confidence=0.0, box=(0, 0, 1, 1), detection_confidence=0.5,
                     chars=(CharRead("A", 0.0, (0, 0, 1, 1)),))
    assert zero.reading_confidence == pytest.approx(1e-6)      # floored, as the reader scores it
