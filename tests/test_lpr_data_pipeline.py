"""lpr.data end to end on small generated data sets with broken samples: the validator's verdicts,
the darknet folders written by `lpr data plates|chars`, and the CLI's exit codes."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from lpr.cli import main
from lpr.data.build_chars import build_chars_dataset
from lpr.data.build_plates import build_plates_dataset
from lpr.data.darknet_layout import darknet_label_path, matching_labels
from lpr.data.issues import IssueKind
from lpr.data.tesseract_boxes import CHAR_CLASSES
from lpr.data.validate import validate_chars, validate_plates

W, H = 64, 48


# --------------------------------------------------------------------------- ro-plates fixture

def _frame(seed: int, width: int = W, height: int = H) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def _xml(boxes, width=W, height=H, name_tag=True) -> str:
    objects = "".join(
        f"<object><name>{label}</name><bndbox><xmin>{x1}</xmin><ymin>{y1}</ymin>"
        f"<xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>" for label, x1, y1, x2, y2 in boxes)
    size = f"<size><width>{width}</width><height>{height}</height><depth>3</depth></size>" if name_tag else ""
    return f"<annotation><filename>f.jpg</filename>{size}{objects}</annotation>"


PLATE = ("license-plate", 10.5, 20.25, 30.5, 28.25)

# stem -> (subset, reason it is excluded / None when kept)
BROKEN_PLATES = {
    "edge.mp4#t=1": ("train", IssueKind.UNREADABLE_ANNOTATION),
    "edge.mp4#t=2": ("train", IssueKind.INVALID_ANNOTATION),       # non-numeric coordinate
    "edge.mp4#t=3": ("train", IssueKind.INVALID_ANNOTATION),       # missing <ymax>
    "edge.mp4#t=4": ("train", IssueKind.OUT_OF_BOUNDS),
    "edge.mp4#t=5": ("train", IssueKind.ZERO_AREA),
    "edge.mp4#t=6": ("train", IssueKind.TINY_BOX),
    "edge.mp4#t=7": ("train", IssueKind.UNKNOWN_LABEL),
    "edge.mp4#t=8": ("train", IssueKind.MISSING_IMAGE),
    "edge.mp4#t=9": ("valid", IssueKind.MISSING_ANNOTATION),
    "edge.mp4#t=10": ("valid", IssueKind.DUPLICATE_IMAGE),          # same bytes as train/vid00 t=7
    "edge.mp4#t=11": ("valid", IssueKind.DUPLICATE_BOX),
    "edge.mp4#t=12": ("valid", IssueKind.SIZE_MISMATCH),
    "edge.mp4#t=13": ("valid", IssueKind.BLANK_IMAGE),
    "edge.mp4#t=14": ("valid", IssueKind.UNREADABLE_IMAGE),         # garbage bytes
    "edge.mp4#t=15": ("valid", IssueKind.UNREADABLE_IMAGE),         # truncated JPEG
}
KEPT_EDGE = {"edge.mp4#t=16": "box 0.6 px past the right edge: within tolerance, kept unclipped",
             "edge.mp4#t=17": "no objects: kept as a negative"}
VIDEOS, FRAMES = 20, 3


def make_plates(root: Path) -> Path:
    """20 good videos x 3 frames (1 or 2 plates each) plus one video of broken frames."""
    for subset in ("train", "valid"):
        (root / subset / "images").mkdir(parents=True)
        (root / subset / "annots").mkdir(parents=True)

    def put(subset, stem, image=None, xml=None, raw: bytes | None = None):
        if image is not None:
            assert cv2.imwrite(str(root / subset / "images" / f"{stem}.jpg"), image)
        if raw is not None:
            (root / subset / "images" / f"{stem}.jpg").write_bytes(raw)
        if xml is not None:
            (root / subset / "annots" / f"{stem}.xml").write_text(xml)

    for v in range(VIDEOS):
        for f in range(FRAMES):
            boxes = [PLATE] + ([("license-plate", 40, 5, 60, 12)] if f == 1 else [])
            put("train" if (v + f) % 4 else "valid", f"vid{v:02d}.mp4#t={f * 7}", _frame(100 * v + f), _xml(boxes))
    img = _frame(1)
    put("train", "edge.mp4#t=1", img, "<annotation><object><name>license-plate</name>")
    put("train", "edge.mp4#t=2", img + 1, _xml([("license-plate", "ten", 1, 20, 20)]))
    put("train", "edge.mp4#t=3", img + 2, _xml([]).replace("</annotation>",
        "<object><name>license-plate</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax></bndbox></object></annotation>"))
    put("train", "edge.mp4#t=4", img + 3, _xml([("license-plate", 50, 10, W + 5, 20)]))
    put("train", "edge.mp4#t=5", img + 4, _xml([("license-plate", 20, 10, 20, 20)]))
    put("train", "edge.mp4#t=6", img + 5, _xml([("license-plate", 20, 10, 23, 20)]))
    put("train", "edge.mp4#t=7", img + 6, _xml([PLATE, ("car", 1, 1, 40, 40)]))
    put("train", "edge.mp4#t=8", None, _xml([PLATE]))
    put("valid", "edge.mp4#t=9", img + 7, None)
    (root / "valid" / "images" / "edge.mp4#t=10.jpg").write_bytes(
        (root / "train" / "images" / "vid00.mp4#t=7.jpg").read_bytes())
    put("valid", "edge.mp4#t=10", None, _xml([PLATE]))
    put("valid", "edge.mp4#t=11", img + 8, _xml([PLATE, ("license-plate", 10.6, 20.25, 30.5, 28.25)]))
    put("valid", "edge.mp4#t=12", img + 9, _xml([PLATE], width=100, height=100))
    put("valid", "edge.mp4#t=13", np.zeros((H, W, 3), np.uint8), _xml([PLATE]))
    put("valid", "edge.mp4#t=14", None, _xml([PLATE]), raw=b"this is not a jpeg")
    ok, jpeg = cv2.imencode(".jpg", img + 10)
    put("valid", "edge.mp4#t=15", None, _xml([PLATE]), raw=jpeg.tobytes()[: len(jpeg) // 2])
    put("valid", "edge.mp4#t=16", img + 11, _xml([("license-plate", 50, 10, W + 0.6, 20)]))
    put("valid", "edge.mp4#t=17", img + 12, _xml([]))
    return root


@pytest.fixture(scope="module")
def plates_src(tmp_path_factory) -> Path:
    return make_plates(tmp_path_factory.mktemp("plates_src"))


def test_plate_validator_lists_every_broken_frame_with_its_reason(plates_src):
    validation = validate_plates(plates_src, show_progress=False)
    report = validation.report
    subset_of = {stem: subset for stem, (subset, _) in BROKEN_PLATES.items()}
    for stem, (subset, kind) in BROKEN_PLATES.items():
        subject = f"{subset_of[stem]}/{stem}"
        kinds = {i.kind for i in report.issues if i.subject == subject and i.excluded}
        assert kind in kinds, (stem, kinds)
    excluded = {f"{s}/{stem}" for stem, (s, _) in BROKEN_PLATES.items()}
    assert report.excluded_subjects == excluded                   # and nothing else
    kept_ids = {s.id for s in validation.samples}
    assert not kept_ids & excluded
    assert {"valid/edge.mp4#t=16", "valid/edge.mp4#t=17"} <= kept_ids
    assert report.checked == VIDEOS * FRAMES + len(BROKEN_PLATES) + len(KEPT_EDGE)
    assert report.kept == VIDEOS * FRAMES + len(KEPT_EDGE)
    warnings = [i for i in report.issues if not i.excluded]
    assert [(i.kind, i.subject) for i in warnings] == [(IssueKind.NO_OBJECTS, "valid/edge.mp4#t=17")]
    dup = report.issues_of(IssueKind.DUPLICATE_IMAGE)
    assert len(dup) == 1 and dup[0].detail == "same bytes as train/vid00.mp4#t=7"   # the first copy is kept
    unknown = [i for i in report.issues if i.kind is IssueKind.UNKNOWN_LABEL]
    assert "'car'" in unknown[0].detail
    # nothing silently fixed: the frame 0.6 px past the edge keeps its coordinates
    edge = next(s for s in validation.samples if s.id == "valid/edge.mp4#t=16")
    assert edge.boxes[0].x2 == W + 0.6
    # the readable summaries carry the same facts
    text = report.to_text()
    assert "edge.mp4#t=4" in text and "out_of_bounds" in text
    data = json.loads(report.to_json())
    assert data["issue_counts"]["unreadable_image"] == 2 and data["kept"] == report.kept


def test_plate_thresholds_are_configurable(plates_src):
    from lpr.data.validate import ValidationConfig

    lax = validate_plates(plates_src, ValidationConfig(min_box_px=2, bounds_tolerance_px=10), show_progress=False)
    kinds = {i.kind for i in lax.report.issues}
    assert IssueKind.TINY_BOX not in kinds and IssueKind.OUT_OF_BOUNDS not in kinds
    assert IssueKind.ZERO_AREA in kinds


def _read_split(out: Path) -> dict[str, list[str]]:
    return {side: (out / f"{side}.txt").read_text().split() for side in ("train", "valid")}


def _mapping(out: Path) -> dict[str, dict[str, str]]:
    rows = (out / "mapping.tsv").read_text().splitlines()
    header = rows[0].split("\t")
    return {r.split("\t")[0]: dict(zip(header, r.split("\t"))) for r in rows[1:]}


def test_plates_dataset_is_grouped_consistent_and_seeded(plates_src, tmp_path):
    out = tmp_path / "ds"
    assert main(["data", "plates", str(plates_src), str(out), "--seed", "3", "--quiet"]) == 0
    lists = _read_split(out)
    mapping = _mapping(out)
    assert len(lists["train"]) + len(lists["valid"]) == VIDEOS * FRAMES + len(KEPT_EDGE)
    videos = {side: {mapping[Path(p).name]["group"] for p in paths} for side, paths in lists.items()}
    assert not videos["train"] & videos["valid"]                          # no video on both sides
    assert 2 <= len(videos["valid"]) <= 3                                 # ~10 % of 21 videos
    for side, paths in lists.items():
        for image in paths:
            assert Path(image).is_absolute() and Path(image).exists()     # symlink resolves
            assert "#" not in image and " " not in image
            label = Path(darknet_label_path(image))
            assert label == out / "labels" / (Path(image).stem + ".txt")
            original = Path(mapping[Path(image).name]["original"])
            xml = original.parent.parent / "annots" / (original.stem + ".xml")
            expected = xml.read_text().count("<object>")
            lines = label.read_text().splitlines()
            assert len(lines) == expected
            assert all(len(line.split()) == 5 and line.split()[0] == "0" for line in lines)
            assert mapping[Path(image).name]["split"] == side
    assert (out / "obj.names").read_text() == "license-plate\n"
    data = dict(line.split(" = ") for line in (out / "obj.data").read_text().splitlines())
    assert data == {"classes": "1", "train": str(out / "train.txt"), "valid": str(out / "valid.txt"),
                    "names": str(out / "obj.names"), "backup": str(out / "backup")}
    assert (out / "backup").is_dir()
    report = json.loads((out / "validation_report.json").read_text())
    assert report["excluded"] == len(BROKEN_PLATES)
    # the known box, through the whole pipeline: vid00 t=0 is (10.5, 20.25)-(30.5, 28.25) in 64 x 48:
    # cx 20.5 / 64 = 0.3203125 (printed half-to-even), cy 24.25 / 48, w 20 / 64, h 8 / 48
    name = "vid00.mp4_t_0"
    assert (out / "labels" / f"{name}.txt").read_text() == "0 0.320312 0.505208 0.312500 0.166667\n"

    # same seed -> same lists; another seed -> another split
    again = tmp_path / "again"
    assert main(["data", "plates", str(plates_src), str(again), "--seed", "3", "--quiet"]) == 0
    assert [Path(p).name for p in _read_split(again)["valid"]] == [Path(p).name for p in lists["valid"]]
    other = tmp_path / "other"
    assert main(["data", "plates", str(plates_src), str(other), "--seed", "4", "--quiet"]) == 0
    assert [Path(p).name for p in _read_split(other)["valid"]] != [Path(p).name for p in lists["valid"]]


def test_plates_scene_grouping_and_copy(plates_src, tmp_path):
    build = build_plates_dataset(plates_src, tmp_path / "s", group_by="scene", scene_gap=5, copy=True,
                                 show_progress=False)
    # frames 7 s apart with a 5 s gap: every frame its own scene, each video split on its own
    assert not set(build.split.train_groups) & set(build.split.valid_groups)
    assert all("@" in g for g in build.split.valid_groups)
    image = Path(_read_split(tmp_path / "s")["train"][0])
    assert image.is_file() and not image.is_symlink()


def test_plates_output_folder_rules(plates_src, tmp_path):
    out = tmp_path / "ds"
    assert main(["data", "plates", str(plates_src), str(out), "--quiet"]) == 0
    (out / "backup" / "keep.weights").write_text("w")
    assert main(["data", "plates", str(plates_src), str(out), "--quiet"]) == 1          # not empty
    assert main(["data", "plates", str(plates_src), str(out), "--quiet", "--overwrite"]) == 0
    assert (out / "backup" / "keep.weights").exists()
    # darknet replaces the first 'images' of the path: such an output folder is refused
    assert main(["data", "plates", str(plates_src), str(tmp_path / "images_out"), "--quiet"]) == 1
    # never write into (or around) the source
    assert main(["data", "plates", str(plates_src), str(plates_src / "train"), "--quiet", "--overwrite"]) == 1
    assert main(["data", "plates", str(plates_src), str(plates_src.parent), "--quiet", "--overwrite"]) == 1
    assert (plates_src / "train" / "images").is_dir()


def test_cli_exit_codes(tmp_path, capsys, plates_src):
    assert main([]) == 2
    assert main(["data"]) == 2
    assert main(["--help"]) == 0
    for command in (["data", "--help"], ["data", "plates", "--help"], ["data", "chars", "--help"],
                    ["data", "validate", "--help"]):
        assert main(command) == 0
        assert "usage: lpr data" in capsys.readouterr().out
    assert main(["data", "plates", str(tmp_path / "missing"), str(tmp_path / "o")]) == 1
    assert main(["data", "plates", "a", "b", "--valid-fraction", "1.5"]) == 2
    assert main(["data", "plates", "a", "b", "--seed", "x"]) == 2
    assert main(["data", "chars", "a"]) == 2
    assert main(["data", "nope"]) == 2
    # nothing valid remains: a folder with only broken frames
    broken = tmp_path / "broken" / "train"
    (broken / "images").mkdir(parents=True)
    (broken / "annots").mkdir()
    (broken / "annots" / "x.xml").write_text("<annotation>")
    assert main(["data", "plates", str(tmp_path / "broken"), str(tmp_path / "o"), "--quiet"]) == 1
    assert not (tmp_path / "o").exists()
    assert main(["data", "validate", "plates", str(tmp_path / "broken"), "--quiet"]) == 1
    capsys.readouterr()
    json_path = tmp_path / "r.json"
    assert main(["data", "validate", "plates", str(plates_src), "--quiet", "--json", str(json_path)]) == 0
    assert "out_of_bounds" in capsys.readouterr().out
    assert json.loads(json_path.read_text())["checked"] == VIDEOS * FRAMES + len(BROKEN_PLATES) + len(KEPT_EDGE)
    assert main(["data", "validate", "plates", str(plates_src), "--quiet", "--strict"]) == 1


# --------------------------------------------------------------------------- ocr-chars fixture

CW, CH, PITCH_X, PITCH_Y, MARGIN = 8, 14, 14, 24, 10


def _glyph(rng: np.random.Generator) -> np.ndarray:
    """A unique binary 'character' whose ink touches all four sides of its box."""
    g = np.where(rng.random((CH, CW)) < 0.5, 0, 255).astype(np.uint8)
    g[0, :] = g[-1, :] = 0
    g[:, 0] = g[:, -1] = 0
    return g


def make_sheet(folder: Path, stem: str, lines: int, per_line: int, seed: int, extra: list[str] | None = None,
               first_class: int = 0) -> list[str]:
    """A tif with `lines` x `per_line` glyphs and its .box file. Returns the box lines."""
    rng = np.random.default_rng(seed)
    width, height = 2 * MARGIN + per_line * PITCH_X, 2 * MARGIN + lines * PITCH_Y
    page = np.full((height, width), 255, np.uint8)
    rows = []
    k = first_class
    for line in range(lines):
        for n in range(per_line):
            x, y = MARGIN + n * PITCH_X, MARGIN + line * PITCH_Y
            page[y:y + CH, x:x + CW] = _glyph(rng)
            rows.append(f"{CHAR_CLASSES[k % 36]} {x} {height - (y + CH)} {x + CW} {height - y} 0")
            k += 1
    folder.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(folder / f"{stem}.tif"), page)
    rows += extra or []
    (folder / f"{stem}.box").write_text("\n".join(rows) + "\n")
    return rows


def make_chars(root: Path) -> Path:
    make_sheet(root / "eu" / "input", "leu.alpha.exp0", lines=6, per_line=16, seed=1)
    make_sheet(root / "fr" / "input", "leu.beta.exp0", lines=6, per_line=16, seed=2, first_class=5)
    # a sheet with broken boxes after 2 good lines (32 chars); page height 2*10 + 2*24 = 68
    h = 2 * MARGIN + 2 * PITCH_Y
    broken = make_sheet(root / "gb" / "input", "luk.gamma.exp0", lines=2, per_line=16, seed=3)
    rows = broken + [
        "a 10 2 18 8 0",             # 33: lowercase: unknown label
        "# 24 2 32 8 0",             # 34: unknown label
        f"B 240 2 {2 * MARGIN + 16 * PITCH_X + 5} 8 0",   # 35: out of bounds (sheet width 244)
        "C 40 2 40 8 0",             # 36: zero area
        "D 50 2 53 8 0",             # 37: tiny (3 px wide)
        "E 1 2 x 4 0",               # 38: malformed line
        "F 60 2 68 8 0",             # 39: blank (no ink there)
        "G 10 2 18 8 3",             # 40: page 3 of a one-page tif
        # 41, 42: the same box twice (a duplicate box): the first glyph of line 0
        f"H {MARGIN} {h - MARGIN - CH} {MARGIN + CW} {h - MARGIN} 0",
        f"H {MARGIN} {h - MARGIN - CH} {MARGIN + CW} {h - MARGIN} 0",
    ]
    (root / "gb" / "input" / "luk.gamma.exp0.box").write_text("\n".join(rows) + "\n")
    # a pixel-for-pixel copy of an earlier glyph: left out of the crops only
    tif = root / "gb" / "input" / "luk.gamma.exp0.tif"
    page = cv2.imread(str(tif), cv2.IMREAD_GRAYSCALE)
    page[MARGIN + PITCH_Y:MARGIN + PITCH_Y + CH, MARGIN + PITCH_X:MARGIN + PITCH_X + CW] = \
        page[MARGIN:MARGIN + CH, MARGIN + PITCH_X:MARGIN + PITCH_X + CW]       # line 1 #1 := line 0 #1
    assert cv2.imwrite(str(tif), page)
    # sheet-level problems: a tif without .box, a .box without tif, a byte-identical copy of a sheet
    (root / "br" / "input").mkdir(parents=True)
    cv2.imwrite(str(root / "br" / "input" / "lbr.notext.exp0.tif"), np.full((20, 20), 255, np.uint8))
    (root / "br" / "input" / "lbr.noimage.exp0.box").write_text("A 1 1 5 5 0\n")
    for ext in (".tif", ".box"):
        (root / "br" / "input" / f"lbr.copy.exp0{ext}").write_bytes(
            (root / "eu" / "input" / f"leu.alpha.exp0{ext}").read_bytes())
    return root


BROKEN_CHARS = {  # subject -> reason
    "gb/luk.gamma.exp0:33": IssueKind.UNKNOWN_LABEL, "gb/luk.gamma.exp0:34": IssueKind.UNKNOWN_LABEL,
    "gb/luk.gamma.exp0:35": IssueKind.OUT_OF_BOUNDS, "gb/luk.gamma.exp0:36": IssueKind.ZERO_AREA,
    "gb/luk.gamma.exp0:37": IssueKind.TINY_BOX, "gb/luk.gamma.exp0:38": IssueKind.INVALID_ANNOTATION,
    "gb/luk.gamma.exp0:39": IssueKind.BLANK_IMAGE, "gb/luk.gamma.exp0:40": IssueKind.INVALID_ANNOTATION,
    "gb/luk.gamma.exp0:41": IssueKind.DUPLICATE_BOX, "gb/luk.gamma.exp0:42": IssueKind.DUPLICATE_BOX,
    "gb/luk.gamma.exp0:1": IssueKind.DUPLICATE_BOX,       # line 0 #0 sits under the duplicated boxes
}
BROKEN_SHEETS = {"br/lbr.notext.exp0": IssueKind.MISSING_ANNOTATION,
                 "br/lbr.noimage.exp0": IssueKind.MISSING_IMAGE,
                 "eu/leu.alpha.exp0": IssueKind.DUPLICATE_IMAGE}   # br/lbr.copy comes first (sorted)
GOOD_CHARS = 96 + 96 + 32


@pytest.fixture(scope="module")
def chars_src(tmp_path_factory) -> Path:
    return make_chars(tmp_path_factory.mktemp("chars_src"))


def test_char_validator_lists_every_broken_box(chars_src):
    validation = validate_chars(chars_src, show_progress=False)
    report = validation.report
    for subject, kind in {**BROKEN_CHARS, **BROKEN_SHEETS}.items():
        assert kind in {i.kind for i in report.issues if i.subject == subject}, subject
    assert validation.blocked == frozenset(BROKEN_CHARS) | frozenset(BROKEN_SHEETS)
    triple = next(i for i in report.issues if i.subject == "gb/luk.gamma.exp0:41")
    assert triple.kind is IssueKind.DUPLICATE_BOX
    assert triple.detail == "IoU 1.000 with gb/luk.gamma.exp0:1; IoU 1.000 with gb/luk.gamma.exp0:42"
    assert report.counts()["duplicate_box"] == 3               # one issue per box, not per pair
    lowercase = next(i for i in report.issues if i.subject == "gb/luk.gamma.exp0:33")
    assert "'a'" in lowercase.detail and "not folded" in lowercase.detail
    # the copied glyph (line 1, #1 = box-file line 18) is a duplicate crop: out of the crops only
    assert validation.crop_excluded == frozenset({"gb/luk.gamma.exp0:18"})
    copy = report.issues_of(IssueKind.DUPLICATE_IMAGE)
    assert {(i.subject, i.detail) for i in copy} == {
        ("gb/luk.gamma.exp0:18", "same pixels as gb/luk.gamma.exp0:2"),
        ("eu/leu.alpha.exp0", "same bytes as br/lbr.copy.exp0")}
    assert report.checked == GOOD_CHARS + 10                # the sheet copy's chars are not checked
    assert report.kept == GOOD_CHARS - 1 - 1                # minus the duplicate crop and line 0 #0
    assert [s.source.name for s in validation.sheets] == ["br/lbr.copy.exp0", "fr/leu.beta.exp0",
                                                          "gb/luk.gamma.exp0"]


def test_chars_datasets(chars_src, tmp_path):
    out = tmp_path / "chars"
    # margin 8 > the 6 px gap between glyphs: parts of the neighbouring strips fall inside each strip
    assert main(["data", "chars", str(chars_src), str(out), "--quiet", "--seed", "1", "--margin", "8"]) == 0
    lists = _read_split(out)
    mapping = _mapping(out)
    groups = {side: {mapping[Path(p).name]["group"] for p in paths} for side, paths in lists.items()}
    assert not groups["train"] & groups["valid"]
    assert groups["valid"]
    names = (out / "obj.names").read_text().split()
    assert names == list(CHAR_CLASSES)
    boxes = 0
    for side, paths in lists.items():
        for image in paths:
            label = Path(darknet_label_path(image))
            assert label == out / "labels" / (Path(image).stem + ".txt")
            lines = label.read_text().splitlines()
            pixels = cv2.imread(image, cv2.IMREAD_GRAYSCALE)
            assert 1 <= len(lines) <= 8
            for line in lines:
                cls, cx, cy, w, h = line.split()
                assert 0 <= int(cls) < 36
                # every labelled box is a glyph: its border is ink (the fixture's glyph frame)
                x1 = round((float(cx) - float(w) / 2) * pixels.shape[1])
                y1 = round((float(cy) - float(h) / 2) * pixels.shape[0])
                assert round(float(w) * pixels.shape[1]) == CW and round(float(h) * pixels.shape[0]) == CH
                assert (pixels[y1, x1:x1 + CW] == 0).all()
            boxes += len(lines)
            # nothing but the labelled glyphs is left on the strip
            ink = pixels < 128
            for line in lines:
                _, cx, cy, w, h = (float(v) for v in line.split())
                x1, y1 = round((cx - w / 2) * pixels.shape[1]), round((cy - h / 2) * pixels.shape[0])
                ink[y1:y1 + CH, x1:x1 + CW] = False
            assert not ink.any()
    # strips holding an excluded character are left out: line 0 #0..7 of gamma (the duplicate box)
    split_info = json.loads((out / "split.json").read_text())
    assert "gb_luk.gamma.exp0_L0000_R000" in split_info["regions"]["skipped"]
    assert boxes == split_info["regions"]["train_chars"] + split_info["regions"]["valid_chars"]

    # the classifier crops: exactly one label per path, and it is the file's class
    labels = (out / "labels.txt").read_text().split()
    assert labels == [f"c_{c}" for c in CHAR_CLASSES]
    crops = {side: (out / f"classifier_{side}.txt").read_text().split() for side in ("train", "valid")}
    assert len(crops["train"]) + len(crops["valid"]) == GOOD_CHARS - 2
    assert crops["valid"]
    for side, paths in crops.items():
        for path in paths:
            found = matching_labels(path, labels)
            assert len(found) == 1 and Path(path).stem.endswith("_" + found[0])
            assert Path(path).parent == out / "crops" / side
            crop = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
            assert crop.shape == (CH, CW)
    data = dict(line.split(" = ") for line in (out / "classifier.data").read_text().splitlines())
    assert data["classes"] == "36" and data["labels"] == str(out / "labels.txt")


def test_chars_crop_label_matches_box_file(chars_src, tmp_path):
    out = tmp_path / "c"
    build = build_chars_dataset(chars_src, out, sheets=["fr"], show_progress=False)
    rows = (out / "crops" / "mapping.tsv").read_text().splitlines()[1:]
    box_lines = (chars_src / "fr" / "input" / "leu.beta.exp0.box").read_text().splitlines()
    assert len(rows) == 96
    for row in rows:
        crop_path, split, group, original = row.split("\t")
        line_no = int(original.rsplit(":", 1)[1])
        char = box_lines[line_no - 1].split()[0]
        assert crop_path.endswith(f"_c_{char}.png")
        assert split == build.split.side(group)
    assert build.crops.valid_samples and build.crops.train_samples


def test_chars_split_by_lines_and_unknown_sheet(chars_src, tmp_path):
    build = build_chars_dataset(chars_src, tmp_path / "l", group_by="lines", lines_per_group=2,
                                show_progress=False)
    assert all("#L" in g and "R" not in g.split("#L")[1] for g in build.split.valid_groups)
    assert main(["data", "chars", str(chars_src), str(tmp_path / "x"), "--sheets", "nosuch", "--quiet"]) == 2
    assert main(["data", "validate", "chars", str(chars_src), "--sheets", "beta", "--quiet"]) == 0


def test_classifier_writer_refuses_an_ambiguous_folder(chars_src, tmp_path):
    # 'c_' must occur once in a crop's path: here the folder's own name holds one
    assert main(["data", "chars", str(chars_src), str(tmp_path / "abc_x"), "--sheets", "fr", "--quiet"]) == 1


def test_crop_counts_per_class(chars_src, tmp_path):
    build = build_chars_dataset(chars_src, tmp_path / "c", sheets=["eu", "fr"], show_progress=False)
    # without br/ (whose lbr.copy sheet comes first), eu/leu.alpha is no longer a duplicate sheet
    totals = Counter()
    for side in ("train", "valid"):
        totals.update(build.classifier.per_class[side])
    expected = Counter(line.split()[0] for sheet in ("eu/input/leu.alpha.exp0.box", "fr/input/leu.beta.exp0.box")
                       for line in (chars_src / sheet).read_text().splitlines())
    assert sum(expected.values()) == 192
    assert totals == expected
