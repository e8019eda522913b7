"""lpr data on the real ro-plates and ocr-chars folders (skipped when they are not there).

The data lives next to the project (`../shared/data`, or LPR_SHARED_DATA). These tests pin what
the validator finds in it today; a change in the data or in the checks shows up here.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from lpr.cli import main
from lpr.data.darknet_layout import darknet_label_path, matching_labels
from lpr.data.ro_plates import video_id

DATA = Path(os.environ.get("LPR_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
RO_PLATES = DATA / "ro-plates"
OCR_CHARS = DATA / "ocr-chars"


@pytest.mark.skipif(not RO_PLATES.is_dir(), reason=f"{RO_PLATES} is not there")
def test_real_ro_plates(tmp_path):
    out = tmp_path / "plates"
    assert main(["data", "plates", str(RO_PLATES), str(out), "--quiet", "--seed", "0"]) == 0
    report = json.loads((out / "validation_report.json").read_text())
    assert report["checked"] == 534
    # two all-black frames of dayride_type1_001 (t=558 and t=809, byte-identical), 3 plates on them
    assert report["issue_counts"] == {"blank_image": 2}
    assert {i["subject"] for i in report["issues"]} == {"train/dayride_type1_001.mp4#t=558",
                                                        "train/dayride_type1_001.mp4#t=809"}
    assert report["kept"] == 532
    lists = {side: (out / f"{side}.txt").read_text().split() for side in ("train", "valid")}
    assert len(lists["train"]) + len(lists["valid"]) == 532
    mapping = {row.split("\t")[0]: row.split("\t") for row in (out / "mapping.tsv").read_text().splitlines()[1:]}
    videos = {side: {video_id(Path(mapping[Path(p).name][3]).stem) for p in paths} for side, paths in lists.items()}
    assert not videos["train"] & videos["valid"]
    assert videos["train"] | videos["valid"] == {"dayride_type1_001.mp4", "dayride_type1_002.mp4",
                                                 "dayride_type1_003.mp4", "nightride_type3_001.mp4"}
    boxes = 0
    for paths in lists.values():
        for image in paths:
            lines = Path(darknet_label_path(image)).read_text().splitlines()
            assert lines and all(line.startswith("0 ") for line in lines)
            boxes += len(lines)
    assert boxes == 652 - 3
    split = json.loads((out / "split.json").read_text())
    assert 28 <= split["valid"]["frames"] <= 82          # whole videos only: ~10 % as near as they allow


@pytest.mark.skipif(not OCR_CHARS.is_dir(), reason=f"{OCR_CHARS} is not there")
def test_real_ocr_chars(tmp_path, capsys):
    # the validator over all seven sheets (writes nothing but the JSON report)
    report_path = tmp_path / "report.json"
    assert main(["data", "validate", "chars", str(OCR_CHARS), "--quiet", "--json", str(report_path)]) == 0
    capsys.readouterr()
    report = json.loads(report_path.read_text())
    # 12,334 boxes (the README's 1,299 for Germany is `wc -l` of a file without a final newline)
    assert report["checked"] == 12334
    # the only problem: glyphs that are pixel-for-pixel copies of earlier ones (font renderings)
    assert set(report["issue_counts"]) == {"duplicate_image"}
    per_sheet = Counter(i["subject"].split(":")[0] for i in report["issues"])
    assert per_sheet["eu/leu.germany.exp0"] == 1300 - 36           # one glyph per class, repeated
    assert report["kept"] == 12334 - sum(per_sheet.values())

    # the datasets, from one sheet to keep the test fast (thousands of small files)
    out = tmp_path / "chars"
    assert main(["data", "chars", str(OCR_CHARS), str(out), "--quiet", "--sheets", "uk"]) == 0
    labels = (out / "labels.txt").read_text().split()
    crops = {side: (out / f"classifier_{side}.txt").read_text().split() for side in ("train", "valid")}
    total = len(crops["train"]) + len(crops["valid"])
    assert total == 3598 - per_sheet["gb/luk.uk.exp0"]
    assert 0.08 < len(crops["valid"]) / total < 0.12
    classes = {side: Counter() for side in crops}
    for side, paths in crops.items():
        for path in paths:
            found = matching_labels(path, labels)
            assert len(found) == 1
            classes[side][found[0]] += 1
    # strips as groups plus the coverage pass keep every class of the class-sorted sheet on both sides
    assert set(classes["valid"]) == set(classes["train"])
    assert len(classes["train"]) == 34                                # the UK sheet has no I and no Q
    assert min(classes["valid"].values()) >= 3
    strips = (out / "train.txt").read_text().split() + (out / "valid.txt").read_text().split()
    assert sum(len(Path(darknet_label_path(p)).read_text().splitlines()) for p in strips) == 3598
