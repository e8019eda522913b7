"""The reader's model-free stages: reading order, crops and their mapping back, grouping of
the character detector's per-class detections, evaluation scoring, the EU band."""
import math

import cv2
import numpy as np
import pytest

from pydarknet import Detection

from lpr.char_detection import group_detections
from lpr.char_layout import even_recuts, halve_widest, reading_order, skew_angle
from lpr.evaluation import LabelledImage, TruthPlate, read_labels, score_image
from lpr.plate_crop import crop_plate, straighten
from lpr.results import PlateRead


def test_reading_order_one_row_left_to_right():
    boxes = [(50, 10, 60, 30), (10, 12, 20, 32), (30, 11, 40, 31)]
    order, rows = reading_order(boxes)
    assert order == [1, 2, 0] and rows == [0, 0, 0]


def test_reading_order_two_rows_top_first():
    top = [(10 + 15 * i, 5, 22 + 15 * i, 25) for i in range(3)]
    bottom = [(5 + 15 * i, 35, 17 + 15 * i, 55) for i in range(4)]
    boxes = bottom[::-1] + top
    order, rows = reading_order(boxes)
    assert [boxes[i] for i in order] == top + bottom
    assert rows == [0] * 3 + [1] * 4


def test_reading_order_tilted_single_row_stays_one_row():
    boxes = [(10 * i, 2 * i, 10 * i + 8, 2 * i + 20) for i in range(7)]     # 11 degrees of slope
    assert reading_order(boxes)[1] == [0] * 7


def test_halve_widest_cuts_a_box_twice_the_others_width_in_two():
    boxes = [(0, 0, 10, 20), (12, 0, 22, 20), (24, 0, 44, 20), (46, 0, 55, 20)]   # widths 10, 10, 20, 9
    assert halve_widest(boxes, 1.5) == [(0, 0, 10, 20), (12, 0, 22, 20), (24, 0, 34.0, 20), (34.0, 0, 44, 20),
                                        (46, 0, 55, 20)]
    assert halve_widest(boxes, 2.1) is None                # 20 < 2.1 x the others' median 10
    assert halve_widest(boxes[:2], 1.0) is None            # fewer than three boxes: nothing to compare with
    even = [(0, 0, 8, 20), (10, 0, 22, 20), (24, 0, 42, 20)]     # the others 8 and 12: the median taken is 12
    assert halve_widest(even, 1.5) == [(0, 0, 8, 20), (10, 0, 22, 20), (24, 0, 33.0, 20), (33.0, 0, 42, 20)]
    assert halve_widest(even, 1.6) is None


def test_even_recuts_cut_a_touching_uneven_pair_into_equal_halves():
    # a letter with half the next (width 15) touching the other half (width 5), then a gap
    boxes = [(0, 0, 10, 20), (12, 0, 27, 20), (27, 0, 32, 21), (34, 0, 44, 20)]
    assert even_recuts(boxes, 0.3, 0.05) == [(1, [(0, 0, 10, 20), (12, 0, 22.0, 21), (22.0, 0, 32, 21),
                                                  (34, 0, 44, 20)])]
    assert len(even_recuts(boxes, 1.0, 0.05)) == 1 and even_recuts(boxes, 1.01, 0.05) == []   # 15 and 5 differ by their mean
    apart = [(0, 0, 10, 20), (14, 0, 29, 20), (31, 0, 36, 20)]     # gaps of 0.2 and 0.1 of the height
    assert even_recuts(apart, 0.3, 0.05) == [] and [i for i, _ in even_recuts(apart, 0.3, 0.1)] == [1]
    even = [(0, 0, 10, 20), (10, 0, 21, 20)]                # touching, but alike in width: a fair cut
    assert even_recuts(even, 0.3, 0.05) == []
    rows = [(20, 0, 35, 20), (0, 30, 5, 50)]                # the end of a top row and the start of the next
    assert even_recuts(rows, 0.3, 0.05) == []
    stacked = [(0, 0, 15, 20), (15, 14, 20, 34)]            # a box beside and well below: not one row
    assert even_recuts(stacked, 0.3, 0.05) == []


def test_skew_angle_sign_and_size():
    slope = math.tan(math.radians(10))
    boxes = [(x, 10 + x * slope - 20, x + 8, 10 + x * slope) for x in range(0, 80, 12)]
    assert skew_angle(boxes, [0] * len(boxes)) == pytest.approx(10, abs=0.01)
    assert skew_angle(boxes[:2], [0, 0]) == 0.0


def test_skew_angle_is_the_least_squares_line_of_the_longest_row():
    # the closed-form fit gives np.polyfit's line through the longest row's bottom-centres
    rng = np.random.default_rng(12)
    for _ in range(200):
        n = int(rng.integers(3, 10))
        x1 = np.sort(rng.uniform(0, 300, n))
        y2 = rng.uniform(20, 60) + rng.uniform(-0.5, 0.5) * x1 + rng.normal(0, 2, n)
        boxes = [(float(a), float(b) - 20, float(a) + 15, float(b)) for a, b in zip(x1, y2)]
        rows = [0] * n
        want = np.degrees(np.arctan(np.polyfit(x1 + 7.5, y2, 1)[0]))
        assert skew_angle(boxes, rows) == pytest.approx(want, abs=1e-9)
        # a shorter second row does not count; the longest row wins, the upper one on a tie
        extra = [(0.0, 100.0, 10.0, 130.0), (50.0, 160.0, 60.0, 190.0)]
        assert skew_angle(boxes + extra, rows + [1, 1]) == pytest.approx(want, abs=1e-9)
    flat = [(0.0, 40.0, 10.0, 60.0), (20.0, 40.0, 30.0, 60.0), (40.0, 40.0, 50.0, 60.0)]
    tilted = [(0.0, 0.0, 10.0, 20.0), (20.0, 10.0, 30.0, 30.0), (40.0, 20.0, 50.0, 40.0)]   # slope 0.5
    assert skew_angle(flat + tilted, [1, 1, 1, 0, 0, 0]) == pytest.approx(math.degrees(math.atan(0.5)))
    assert skew_angle(flat + tilted, [0, 0, 0, 1, 1, 1]) == 0.0       # as long: the upper row's
    assert skew_angle([(5.0, 0.0, 10.0, 20.0)] * 4, [0] * 4) == 0.0      # no spread: no line


def test_crop_maps_back_and_clips():
    image = np.zeros((100, 200, 3), np.uint8)
    crop = crop_plate(image, (50, 40, 150, 70))
    assert crop is not None
    x1, y1, x2, y2 = crop.box_to_image((0, 0, crop.image.shape[1], crop.image.shape[0]))
    assert x1 < 50 and x2 > 150 and y1 < 40 and y2 > 70
    assert crop.box_to_image((10, 5, 20, 9)) == pytest.approx((10 + x1, 5 + y1, 20 + x1, 9 + y1))
    edge = crop_plate(image, (-30, -10, 20, 30))
    assert edge.image.shape[:2] == (38, 24)            # clipped at the top-left corner
    assert crop_plate(image, (300, 300, 400, 400)) is None


def test_straighten_levels_a_tilted_bar_and_maps_boxes_back():
    import cv2

    image = np.full((120, 240, 3), 255, np.uint8)
    centre, angle = (120, 60), 12.0
    bar = cv2.boxPoints((centre, (150, 16), angle)).astype(np.int32)
    cv2.fillPoly(image, [bar], (0, 0, 0))
    crop = crop_plate(image, (20, 20, 220, 100))
    assert straighten(crop, 1.0) is None                 # too little to bother
    turned = straighten(crop, angle)
    ys, xs = np.nonzero(turned.image[:, :, 0] < 128)
    assert ys.max() - ys.min() < 24                      # level: about the bar's 16 px height
    # the straightened bar's box, mapped back, covers the tilted bar in the image
    x1, y1, x2, y2 = turned.box_to_image((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
    assert x1 <= bar[:, 0].min() + 3 and x2 >= bar[:, 0].max() - 3
    assert y1 <= bar[:, 1].min() + 3 and y2 >= bar[:, 1].max() - 3


def test_upright_aspect_undoes_a_tilted_plates_taller_box():
    from lpr.plate_crop import upright_aspect

    for aspect in (4.7, 2.0):
        for tilt in (0.0, 8.0, -20.0):
            c, s = math.cos(math.radians(tilt)), abs(math.sin(math.radians(tilt)))
            w, h = 100.0 * aspect, 100.0                  # the plate's box when it is turned by `tilt`
            box = (10.0, 5.0, 10.0 + w * c + h * s, 5.0 + w * s + h * c)
            assert upright_aspect(box, tilt) == pytest.approx(aspect, rel=1e-9)
            assert tilt == 0 or (box[2] - box[0]) / (box[3] - box[1]) < aspect - 0.3
    assert upright_aspect((0, 0, 400, 60), 30.0) == math.inf             # too flat for that tilt
    assert upright_aspect((0, 0, 0, 50)) == 0.0


def test_a_straightened_crop_knows_how_far_it_was_turned():
    image = np.zeros((120, 240, 3), np.uint8)
    crop = crop_plate(image, (20, 20, 220, 100))
    assert crop.tilt_degrees == 0.0
    assert straighten(crop, 12.0).tilt_degrees == pytest.approx(12.0)
    assert straighten(crop, -7.5).tilt_degrees == pytest.approx(7.5)


def _det(name, p, box):
    return Detection(class_id=0, name=name, confidence=p, box=box)


def test_group_detections_merges_classes_of_one_character():
    a = (10.0, 5.0, 20.0, 30.0)
    a_shifted = (10.5, 5.0, 20.5, 30.0)                   # another class's box on the same character
    b = (25.0, 5.0, 35.0, 30.0)
    dets = [_det("O", 0.3, a), _det("0", 0.6, a_shifted), _det("D", 0.05, a), _det("7", 0.9, b),
            _det("1", 0.1, (40.0, 5.0, 50.0, 30.0))]
    groups = group_detections(dets, thresh=0.25)
    assert len(groups) == 2                               # the 0.1 character is below the threshold
    first = next(g for g in groups if g.box == a_shifted)
    assert [c for c, _ in first.candidates] == ["0", "O", "D"]
    assert first.best == ("0", 0.6)


def test_read_labels_and_scoring(tmp_path):
    import cv2

    cv2.imwrite(str(tmp_path / "car.jpg"), np.zeros((50, 80, 3), np.uint8))
    (tmp_path / "car.txt").write_text("car.jpg\t10\t10\t40\t12\tAB1O23\n")
    cv2.imwrite(str(tmp_path / "unlabelled.jpg"), np.zeros((5, 5, 3), np.uint8))
    items = read_labels(tmp_path)
    assert [i.path.name for i in items] == ["car.jpg"]
    assert items[0].plates == (TruthPlate((10.0, 10.0, 50.0, 22.0), "AB1O23"),)

    def plate(text, box):
        return PlateRead(text=text, confidence=0.9, box=box, detection_confidence=0.9)

    item = items[0]
    outcomes, extra = score_image(item, [plate("AB-1023", (11, 10, 49, 23)), plate("ZZ", (60, 30, 70, 40))])
    assert extra == [0.9]                                    # the read matching no label, by its confidence
    (o,) = outcomes
    assert o.detected and not o.strict and o.folded and o.confidence == 0.9   # O/0 folded
    outcomes, extra = score_image(item, [plate("AB1O23", (45, 10, 90, 22))])   # IoU < 0.3
    assert not outcomes[0].detected and outcomes[0].confidence is None and extra == [0.9]
    (tmp_path / "bad.txt").write_text("bad.jpg\t1\t2\n")
    cv2.imwrite(str(tmp_path / "bad.jpg"), np.zeros((5, 5, 3), np.uint8))
    with pytest.raises(ValueError, match="bad.txt:1"):
        read_labels(tmp_path)
    assert isinstance(item, LabelledImage)


def test_operating_points_count_what_a_confidence_threshold_keeps():
    """Per threshold: the labelled plates read right (folded) by a kept read, how many kept reads
    of labelled plates are right, how many kept reads match no label; box-only labels count
    found plates; a report without the reads' confidences refuses."""
    from lpr.evaluation import EvalReport, PlateOutcome

    outcomes = (PlateOutcome("a.jpg", "AB123", "AB123", 0.8, 0.9),     # right, sure
                PlateOutcome("b.jpg", "CD1O5", "CD105", 0.7, 0.4),     # right when folded, unsure
                PlateOutcome("c.jpg", "EF777", "EF771", 0.6, 0.6),     # wrong
                PlateOutcome("d.jpg", "GH888", None, 0.0, None))       # not found
    report = EvalReport(4, 0, outcomes, (1.0,) * 4, 2, plates_read=5, extra_confidences=(0.05, 0.7))
    points = report.operating_points((0.0, 0.5, 0.95))
    assert [(p.kept, p.right, p.extra) for p in points] == [(3, 2, 2), (2, 1, 1), (0, 0, 0)]
    assert points[0].recall == 0.5 and points[0].accuracy == pytest.approx(2 / 3)
    assert points[1].recall == 0.25 and points[1].accuracy == 0.5
    assert points[2].accuracy == 1.0 and points[2].recall == 0.0            # nothing kept
    assert report.to_dict()["by_confidence"][5] == {"threshold": 0.5, "kept": 2, "right": 1, "extra": 1}
    assert "t 0.50: 0.250 (1/4)  0.500 (1/2)  1" in report.to_text()
    boxes = EvalReport(1, 0, (PlateOutcome("e.jpg", None, "X1", 0.5, 0.3),), (1.0,), 0, plates_read=1)
    assert [(p.kept, p.right) for p in boxes.operating_points((0.2, 0.4))] == [(1, 1), (0, 0)]
    unknown = EvalReport(1, 0, (PlateOutcome("f.jpg", "AB1", "AB1", 0.9),), (1.0,), 0, plates_read=1)
    assert report.has_confidences and not unknown.has_confidences
    with pytest.raises(ValueError, match="confidence"):
        unknown.operating_points()
    assert "by_confidence" not in unknown.to_dict() and "keeping reads" not in unknown.to_text()
    with pytest.raises(ValueError, match="2 confidences for 1"):
        EvalReport(1, 0, outcomes, (1.0,), 1, extra_confidences=(0.1, 0.2))


def test_the_miss_sheet_draws_the_plates_not_read_right(tmp_path):
    """One tile per plate not read right (a wrong read, an unfound plate, an unfound box-only
    label), none for a right one (folded); at most max_tiles drawn, every miss counted; no
    file when nothing was missed."""
    import cv2

    from lpr.evaluation import LabelledImage, PlateOutcome
    from lpr.miss_sheet import COLUMNS, TILE_WIDTH, MissSheet

    pixels = np.full((240, 400, 3), 90, np.uint8)
    cv2.rectangle(pixels, (100, 100), (220, 130), (255, 255, 255), cv2.FILLED)
    item = LabelledImage(tmp_path / "car.jpg", ())
    right = PlateOutcome("car.jpg", "AB1O2", "AB102", 0.9, 0.8, (100, 100, 220, 130), (102, 99, 221, 131))
    wrong = PlateOutcome("car.jpg", "AB123", "AB128", 0.9, 0.8, (100, 100, 220, 130), (90, 95, 200, 135))
    unfound = PlateOutcome("car.jpg", "CD456", None, 0.0, None, (10, 10, 60, 25), None)
    box_only = PlateOutcome("car.jpg", None, None, 0.0, None, (300, 200, 399, 239), None)
    sheet = MissSheet()
    assert sheet.write(tmp_path / "none.png") is None and not (tmp_path / "none.png").exists()
    sheet.add(item, pixels, [right, wrong, unfound, box_only])
    assert sheet.misses == 3 and len(sheet.tiles) == 3
    assert all(t.shape[1] == TILE_WIDTH for t in sheet.tiles)
    b, g, r = (sheet.tiles[0][..., k].astype(int) for k in range(3))
    assert ((r > 180) & (g < 90) & (b < 90)).sum() > 50                      # the read's box in red
    assert ((g > 150) & (r < 110) & (b < 100)).sum() > 50                    # the label's in green
    b, g, r = (sheet.tiles[1][..., k].astype(int) for k in range(3))
    assert ((r > 180) & (g < 90) & (b < 90)).sum() == 0                      # nothing read: no red box
    written = cv2.imread(str(sheet.write(tmp_path / "misses.png")))
    assert written.shape[1] == COLUMNS * TILE_WIDTH and written.shape[0] == max(t.shape[0] for t in sheet.tiles)
    few = MissSheet(max_tiles=2)
    few.add(item, pixels, [wrong, unfound, box_only])
    assert few.misses == 3 and len(few.tiles) == 2
    outside = PlateOutcome("car.jpg", "EF789", None, 0.0, None, (500, 300, 560, 320), None)   # a label off the image
    few = MissSheet()
    few.add(item, pixels, [outside])
    assert few.tiles[0].shape[1] == TILE_WIDTH
    with pytest.raises(ValueError):
        MissSheet(max_tiles=0)


def test_a_darknet_list_with_yolo_labels_scores_boxes_only(tmp_path):
    """lpr eval on a darknet image list: YOLO boxes (relative) become pixel boxes of each image;
    no text, so only recall and precision; a missing label or a bad line is an error."""
    import cv2

    from lpr.evaluation import EvalReport, score_image

    images = tmp_path / "images"
    labels = tmp_path / "labels"
    images.mkdir()
    labels.mkdir()
    cv2.imwrite(str(images / "frame.jpg"), np.zeros((100, 200, 3), np.uint8))
    (labels / "frame.txt").write_text("0 0.5 0.5 0.2 0.1\n")
    listing = tmp_path / "valid.txt"
    listing.write_text(f"{images / 'frame.jpg'}\n")
    (item,) = read_labels(listing)
    assert item.plates[0].text is None and item.plates[0].in_pixels(200, 100) == pytest.approx((80, 45, 120, 55))

    def plate(box):
        return PlateRead(text="X1", confidence=0.9, box=box, detection_confidence=0.9)

    outcomes, extra = score_image(item, [plate((82, 45, 120, 56)), plate((0, 0, 10, 10))], (200, 100), iou=0.5)
    assert outcomes[0].detected and not outcomes[0].folded and extra == [0.9]
    report = EvalReport(1, 0, tuple(outcomes), (5.0,), len(extra), iou=0.5, plates_read=2)
    assert not report.has_text and report.precision == 0.5 and report.detection_recall == 1.0
    assert "boxes only" in report.to_text() and "folded_accuracy" not in report.to_dict()
    outcomes, _ = score_image(item, [plate((90, 45, 130, 55))], (200, 100), iou=0.5)   # IoU 0.6
    assert outcomes[0].detected
    outcomes, _ = score_image(item, [plate((100, 45, 140, 55))], (200, 100), iou=0.5)  # IoU 1/3
    assert not outcomes[0].detected
    extra = tmp_path / "extra.txt"
    extra.write_text("# plates the annotators missed\nframe.jpg\t10\t20\t50\t30\n\n")
    (item,) = read_labels(listing, extra)
    assert [p.box for p in item.plates][1:] == [(10.0, 20.0, 50.0, 30.0)] and item.plates[1].text is None
    outcomes, extra_reads = score_image(item, [plate((10, 20, 50, 31))], (200, 100), iou=0.5)
    assert [o.detected for o in outcomes] == [False, True] and extra_reads == []
    for bad, message in (("other.jpg 1 2 3 4\n", "no image other.jpg"), ("frame.jpg 1 2 3\n", "extra.txt:1"),
                         ("frame.jpg 5 2 3 4\n", "x1 < x2")):
        extra.write_text(bad)
        with pytest.raises(ValueError, match=message):
            read_labels(listing, extra)
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(ValueError, match="darknet image list"):
        read_labels(folder, extra)
    (labels / "frame.txt").write_text("0 0.5 0.5\n")
    with pytest.raises(ValueError, match="frame.txt:1"):
        read_labels(listing)
    (labels / "frame.txt").unlink()
    with pytest.raises(FileNotFoundError, match="frame.txt"):
        read_labels(listing)
    with pytest.raises(FileNotFoundError):
        read_labels(tmp_path / "nothing")
    with pytest.raises(ValueError, match="darknet image list"):
        read_labels(images / "frame.jpg")


def test_a_list_of_plate_crops_reads_text_and_paths_from_a_root(tmp_path):
    """lpr eval's .tsv set: IMAGE<TAB>TEXT per line, each image one whole plate (relative box
    0..1), paths from --root (default: the list's folder); bad lines and missing images fail."""
    import cv2

    root = tmp_path / "data"
    (root / "crops").mkdir(parents=True)
    cv2.imwrite(str(root / "crops" / "a.png"), np.zeros((20, 80, 3), np.uint8))
    listing = tmp_path / "crops.tsv"
    listing.write_text("# plate text read by eye\ncrops/a.png\t1-abc-234\n\n")
    (item,) = read_labels(listing, root=root)
    assert item.crop and item.path == root / "crops" / "a.png"
    assert item.plates[0].text == "1ABC234" and item.plates[0].in_pixels(80, 20) == (0.0, 0.0, 80.0, 20.0)
    with pytest.raises(FileNotFoundError, match="a.png"):
        read_labels(listing)                       # relative to the list's folder: not there
    (tmp_path / "crops").symlink_to(root / "crops")
    assert read_labels(listing)[0].path == tmp_path / "crops" / "a.png"
    for bad in ("crops/a.png 1ABC234\n", "crops/a.png\t\n", "crops/a.png\tX\tY\n"):
        listing.write_text(bad)
        with pytest.raises(ValueError, match="crops.tsv:1"):
            read_labels(listing)
    listing.write_text("crops/a.png\tAB12\n")
    with pytest.raises(ValueError, match="crop list"):
        read_labels(listing, tmp_path / "extra.txt")
    with pytest.raises(ValueError, match="--root"):
        read_labels(root, root=root)               # a folder's labels name their own images


# --------------------------------------------------------------------------- the EU band

def _rendered_crop(key: str, seed: int, **kwargs) -> tuple[np.ndarray, str]:
    """A plate of synth format `key` drawn level (BGR, cut to the plate) and its text."""
    from lpr.synth.formats import FORMATS_BY_KEY, generate_text
    from lpr.synth.render import render_plate

    rng = np.random.default_rng(seed)
    fmt = FORMATS_BY_KEY[key]
    plate = render_plate(fmt, generate_text(fmt, rng), rng, cap_px=48, holder_probability=0.0, **kwargs)
    b = plate.plate_box
    bgr = cv2.cvtColor(plate.image, cv2.COLOR_RGB2BGR)
    return bgr[int(b.y1):int(b.y2), int(b.x1):int(b.x2)], plate.text.chars


def test_the_mercosur_band_is_found_on_mercosur_plates_only():
    from lpr.plate_band import has_colour, has_mercosur_band

    def with_margins(crop, scale=1.0, tilt=0.0):
        small = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if tilt:
            h, w = small.shape[:2]
            small = cv2.warpAffine(small, cv2.getRotationMatrix2D((w / 2, h / 2), tilt, 1.0), (w, h),
                                   borderMode=cv2.BORDER_REPLICATE)
        ph, pw = int(0.18 * small.shape[0]), int(0.08 * small.shape[1])   # the reader's crop margins
        return cv2.copyMakeBorder(small, ph, ph, pw, pw, cv2.BORDER_REPLICATE)

    for seed in range(6):
        crop = _rendered_crop("br", seed)[0]
        assert all(has_mercosur_band(with_margins(crop, s, t)) for s in (1.0, 0.3) for t in (0.0, 6.0))
        for key in ("br-old", "us", "be", "fr", "nl", "uk"):
            assert not has_mercosur_band(with_margins(_rendered_crop(key, seed)[0]))
    crop = _rendered_crop("br", 0)[0]
    assert not has_mercosur_band(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY))
    assert not has_mercosur_band(crop[crop.shape[0] // 3:])                 # the band cut away
    blue = np.zeros((60, 200, 3), np.uint8)
    blue[:] = (153, 51, 0)
    assert not has_mercosur_band(blue)                                       # a blue plate, no band
    assert has_colour(crop) and not has_colour(cv2.cvtColor(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY),
                                                               cv2.COLOR_GRAY2BGR))
    assert not has_colour(np.zeros((5, 5), np.uint8))


def test_the_eu_band_is_found_on_banded_plates_only():
    from lpr.plate_band import has_eu_band

    assert all(has_eu_band(_rendered_crop("es", seed)[0]) for seed in range(8))
    assert all(has_eu_band(_rendered_crop("be", seed)[0]) for seed in range(8))
    # US plates: white, gradient and all-blue styles, blue text: no band
    assert not any(has_eu_band(_rendered_crop("us", seed)[0]) for seed in range(30))
    crop = _rendered_crop("es", 0)[0]
    assert not has_eu_band(crop[:, crop.shape[1] // 4:])                 # the band cut away
    assert not has_eu_band(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY))      # grey: nothing to tell
    assert not has_eu_band(crop[:3, :5])
    blue = np.zeros((60, 300, 3), np.uint8)
    blue[:] = (153, 51, 0)                                               # EU blue, all over
    assert not has_eu_band(blue)

