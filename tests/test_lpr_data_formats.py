"""lpr.data formats: VOC XML -> YOLO numbers, Tesseract .box y-flip, darknet's path rules."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from lpr.data.boxes import Box, iou, yolo_line
from lpr.data.classifier_dataset import LABEL_PREFIX, classifier_labels
from lpr.data.darknet_layout import darknet_label_path, matching_labels, safe_name
from lpr.data.issues import IssueKind
from lpr.data.tesseract_boxes import (CHAR_CLASSES, BoxEntry, BoxLineProblem, char_class_index, crop,
                                      load_pages, parse_box_text, text_lines, to_top_left)
from lpr.data.voc import VocAnnotation, VocProblem, parse_voc, parse_voc_text, voc_to_yolo_lines


def voc_xml(objects: str, width: str = "200", height: str = "100") -> str:
    return (f"<annotation><filename>x.jpg</filename><size><width>{width}</width><height>{height}</height>"
            f"<depth>3</depth></size>{objects}</annotation>")


def voc_object(name="license-plate", xmin="10", ymin="20", xmax="50", ymax="80") -> str:
    parts = "".join(f"<{k}>{v}</{k}>" for k, v in
                    (("xmin", xmin), ("ymin", ymin), ("xmax", xmax), ("ymax", ymax)) if v is not None)
    return f"<object><name>{name}</name><pose>Unspecified</pose><bndbox>{parts}</bndbox></object>"


# --------------------------------------------------------------------------- VOC

def test_voc_to_yolo_known_numbers():
    ann = parse_voc_text(voc_xml(voc_object()))
    assert isinstance(ann, VocAnnotation)
    assert (ann.width, ann.height) == (200, 100)
    # centre (30, 50), size 40 x 60 in a 200 x 100 image
    assert voc_to_yolo_lines(ann, ["license-plate"], 200, 100) == ["0 0.150000 0.500000 0.200000 0.600000"]


def test_voc_float_coordinates_of_the_real_data_format():
    # the first box of ro-plates' dayride_type1_001.mp4#t=1054.xml, normalized by 1280 x 720
    ann = parse_voc_text(voc_xml(voc_object(xmin="556.6500192086055", ymin="373.27868852459017",
                                            xmax="622.05147906262", ymax="389.5081967213115"),
                                 "1280", "720"))
    line = voc_to_yolo_lines(ann, ["license-plate"], 1280, 720)[0]
    assert line == "0 0.460430 0.529713 0.051095 0.022541"


def test_voc_second_class_index_and_no_clipping():
    ann = parse_voc_text(voc_xml(voc_object("a", "0", "0", "100", "50") + voc_object("b", "150", "50", "200.5", "100")))
    lines = voc_to_yolo_lines(ann, ["a", "b"], 200, 100)
    assert lines[0] == "0 0.250000 0.250000 0.500000 0.500000"
    assert lines[1].startswith("1 0.876250 ")          # 200.5 stays 200.5: (150 + 200.5) / 2 / 200
    with pytest.raises(ValueError, match="unknown label 'b'"):
        voc_to_yolo_lines(ann, ["a"], 200, 100)


@pytest.mark.parametrize("text, kind, needle", [
    ("<annotation><object>", IssueKind.UNREADABLE_ANNOTATION, "malformed XML"),
    ("not xml at all", IssueKind.UNREADABLE_ANNOTATION, "malformed XML"),
    ("<annotations/>", IssueKind.INVALID_ANNOTATION, "not <annotation>"),
    (voc_xml(voc_object(xmin="abc")), IssueKind.INVALID_ANNOTATION, "<xmin> is 'abc'"),
    (voc_xml(voc_object(ymax=None)), IssueKind.INVALID_ANNOTATION, "<ymax> is missing"),
    (voc_xml(voc_object(xmax="nan")), IssueKind.INVALID_ANNOTATION, "<xmax> is 'nan'"),
    (voc_xml("<object><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object>"),
     IssueKind.INVALID_ANNOTATION, "no <name>"),
    (voc_xml("<object><name>p</name></object>"), IssueKind.INVALID_ANNOTATION, "no <bndbox>"),
    (voc_xml("", width="wide"), IssueKind.INVALID_ANNOTATION, "<width> is 'wide'"),
])
def test_voc_problems_are_reported_not_raised(text, kind, needle):
    result = parse_voc_text(text, "f.xml")
    assert isinstance(result, VocProblem)
    assert result.kind is kind
    assert needle in result.message


def test_voc_missing_size_and_missing_file(tmp_path):
    ann = parse_voc_text("<annotation>" + voc_object() + "</annotation>")
    assert isinstance(ann, VocAnnotation) and (ann.width, ann.height) == (None, None)
    assert len(ann.boxes) == 1
    missing = parse_voc(tmp_path / "nope.xml")
    assert isinstance(missing, VocProblem) and missing.kind is IssueKind.UNREADABLE_ANNOTATION


# --------------------------------------------------------------------------- Tesseract boxes

def test_box_y_flip_known_coordinates():
    box_file = parse_box_text("A 10 20 30 60 0\n")
    entry = box_file.entries[0]
    assert entry == BoxEntry(1, "A", 10, 20, 30, 60, 0)
    cb = to_top_left(entry, page_height=100)
    # bottom 20 / top 60 from the bottom of a 100 px page -> rows 40..80 from the top
    assert (cb.box.x1, cb.box.y1, cb.box.x2, cb.box.y2) == (10, 40, 30, 80)
    assert cb.char == "A" and cb.page == 0


def test_box_y_flip_on_pixels_and_multipage_tif(tmp_path):
    page0 = np.full((100, 60), 255, np.uint8)
    page0[40:80, 10:30] = 0                       # the glyph, in top-left coordinates
    page1 = np.full((50, 60), 255, np.uint8)
    page1[5:15, 20:24] = 0
    tif = tmp_path / "sheet.tif"
    assert cv2.imwritemulti(str(tif), [page0, page1])
    pages = load_pages(tif)
    assert [p.shape for p in pages] == [(100, 60), (50, 60)]
    box_file = parse_box_text("A 10 20 30 60 0\n1 20 35 24 45 1")   # no newline at the end (like germany)
    boxes = [to_top_left(e, pages[e.page].shape[0]) for e in box_file.entries]
    assert (boxes[1].box.y1, boxes[1].box.y2) == (5, 15)       # flipped with page 1's height (50)
    for cb in boxes:
        pixels = crop(pages[cb.page], cb.box)
        assert pixels.size and (pixels == 0).all()              # the crop is exactly the glyph


def test_box_line_parsing_edge_cases():
    text = "\n".join(["0 1 2 3 4 0", "", "B 1 2 x 4 0", "C 1 2 3 4", "ab 1 2 3 4 0", "\ufeffZ 5 6 7 8 0"])
    box_file = parse_box_text(text)
    assert [(e.line_no, e.char) for e in box_file.entries] == [(1, "0"), (5, "ab"), (6, "\ufeffZ")]
    assert [p.line_no for p in box_file.problems] == [3, 4]       # non-integer; no page column
    assert all(isinstance(p, BoxLineProblem) for p in box_file.problems)


def test_char_classes():
    assert len(CHAR_CLASSES) == 36 and CHAR_CLASSES[:3] == ("0", "1", "2") and CHAR_CLASSES[-1] == "Z"
    assert char_class_index("0") == 0 and char_class_index("9") == 9
    assert char_class_index("A") == 10 and char_class_index("Z") == 35
    for other in ("a", "z", "#", "", "AB", " ", "Ä"):
        assert char_class_index(other) is None


def test_text_lines_follow_reading_order():
    h = 200
    rows = ["A 10 150 20 170 0", "B 30 151 40 171 0", "C 50 149 60 169 0",   # line 0
            "D 10 100 20 120 0", "E 30 100 40 120 0",                         # x jumps back: line 1
            "F 50 40 60 60 0",                                                # same x order, lower: line 2
            "G 10 40 20 60 1"]                                                # page 1: line 3
    boxes = [to_top_left(e, h) for e in parse_box_text("\n".join(rows)).entries]
    assert text_lines(boxes) == [0, 0, 0, 1, 1, 2, 3]


# --------------------------------------------------------------------------- boxes, darknet paths

def test_iou_and_yolo_line():
    a, b = Box("x", 0, 0, 10, 10), Box("x", 5, 0, 15, 10)
    assert iou(a, b) == pytest.approx(50 / 150)
    assert iou(a, Box("x", 20, 20, 30, 30)) == 0.0
    assert iou(a, Box("x", 3, 3, 3, 9)) == 0.0
    assert yolo_line(Box("x", 0, 0, 32, 16), 3, 64, 64) == "3 0.250000 0.125000 0.500000 0.250000"


def test_darknet_label_path_rules():
    assert darknet_label_path("/d/set/images/a.jpg") == "/d/set/labels/a.txt"
    assert darknet_label_path("/d/set/images/a.png") == "/d/set/labels/a.txt"
    # only the first 'images' is replaced: an output folder named like that breaks the convention
    assert darknet_label_path("/d/images_out/images/a.jpg") == "/d/labels_out/images/a.txt"
    assert darknet_label_path("/d/raw/images/a.jpg") == "/d/labels/labels/a.txt"


def test_safe_name():
    assert safe_name("dayride_type1_001.mp4#t=1054") == "dayride_type1_001.mp4_t_1054"
    assert safe_name("a b#c") == "a_b_c"
    assert safe_name("###") == "unnamed"


def test_classifier_labels_are_unique_substrings():
    labels = classifier_labels(CHAR_CLASSES)
    assert len(labels) == len(set(labels)) == 36
    assert not any(a != b and a in b for a in labels for b in labels)
    for label in labels:
        path = f"/data/out/crops/train/000123_{label}.png"
        assert matching_labels(path, labels) == [label]
    # the reason for the prefix: plain single letters match almost any path
    assert len(matching_labels("/data/out/crops/train/000123_A.png", list(CHAR_CLASSES))) > 1
    assert LABEL_PREFIX == "c_"


def test_box_file_on_disk_with_bom(tmp_path: Path):
    path = tmp_path / "s.box"
    path.write_bytes("\ufeffK 1 2 5 9 0\r\nL 6 2 9 9 0\r\n".encode())
    from lpr.data.tesseract_boxes import read_box_file

    box_file = read_box_file(path)
    assert [e.char for e in box_file.entries] == ["K", "L"] and not box_file.problems
