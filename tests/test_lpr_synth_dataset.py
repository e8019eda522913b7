"""lpr.synth.dataset and `lpr data synth`: darknet layout of the three dataset kinds, workers and
resumed runs giving the same bytes, the CLI. Small generated source images, no shared data."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from lpr.cli import main
from lpr.data.classifier_dataset import classifier_labels
from lpr.data.darknet_layout import darknet_label_path, matching_labels
from lpr.data.tesseract_boxes import CHAR_CLASSES
from lpr.synth.dataset import SynthSettings, crop_classes, generate_dataset, plan_sample
from lpr.synth.sources import build_pools, procedural_background

FRAME_BOX = (300.0, 250.0, 380.0, 270.0)    # the real plate of every fake ro-plates frame (640x360)


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sources")
    rng = np.random.default_rng(0)
    backgrounds = root / "backgrounds"
    backgrounds.mkdir()
    for k in range(8):
        image = procedural_background(rng, (int(rng.integers(200, 400)), int(rng.integers(150, 300))))
        if k % 2:
            image = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        cv2.imwrite(str(backgrounds / f"neg-{k}.jpg"), image)
    frames = root / "ro-plates"
    for subset in ("train", "valid"):
        (frames / subset / "images").mkdir(parents=True)
        (frames / subset / "annots").mkdir(parents=True)
    for k in range(6):
        subset = "train" if k < 4 else "valid"
        stem = f"ride_{k % 3}.mp4#t={k}"
        cv2.imwrite(str(frames / subset / "images" / f"{stem}.jpg"), procedural_background(rng, (640, 360)))
        x1, y1, x2, y2 = FRAME_BOX
        (frames / subset / "annots" / f"{stem}.xml").write_text(
            f"<annotation><filename>{stem}.jpg</filename><size><width>640</width><height>360</height>"
            f"<depth>3</depth></size><object><name>license-plate</name><bndbox><xmin>{x1}</xmin>"
            f"<ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object></annotation>")
    crops = root / "crops"
    crops.mkdir()
    for k in range(4):
        cv2.imwrite(str(crops / f"eu-{k}.png"), cv2.resize(procedural_background(rng, (40, 10)), (110, 24)))
    return {"backgrounds": backgrounds, "frames": frames, "crops": crops}


def _files(root: Path) -> dict[str, bytes]:
    """Every file's bytes, with the folder's own path taken out (lists hold absolute paths)."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[str(path.relative_to(root))] = path.read_bytes().replace(str(root).encode(), b"ROOT")
    return out


def _yolo(path: Path) -> list[list[float]]:
    return [[float(v) for v in line.split()] for line in path.read_text().splitlines()]


def _plates_settings(sources, **kw) -> SynthSettings:
    return SynthSettings(kind="plates", backgrounds=str(sources["backgrounds"]), frames=str(sources["frames"]),
                         crops=str(sources["crops"]), scene_width=400, valid_fraction=0.3, **kw)


def test_plates_dataset_is_where_darknet_looks(sources, tmp_path):
    settings = _plates_settings(sources)
    result = generate_dataset(tmp_path / "plates", settings, 16, workers=1, show_progress=False)
    root = result.root
    listed = [Path(p) for name in ("train.txt", "valid.txt") for p in (root / name).read_text().split()]
    assert len(listed) == 16 == result.train + result.valid and result.valid > 0
    boxes = frames_seen = 0
    pools = build_pools(backgrounds=sources["backgrounds"], frames=sources["frames"], crops=sources["crops"],
                        valid_fraction=0.3)
    for index, image_path in enumerate(sorted(listed)):
        assert image_path.name == f"synth_{index:07d}.jpg" and image_path.is_file()
        label = Path(darknet_label_path(str(image_path)))
        assert label == root / "labels" / f"synth_{index:07d}.txt" and label.is_file()
        lines = _yolo(label)
        assert lines, "every scene holds a plate"
        image = cv2.imread(str(image_path))
        h, w = image.shape[:2]
        assert w == 400 or w == 2 * cv2.imread(str(plan_sample(settings, pools, index).source.path)).shape[1]
        for c, cx, cy, bw, bh in lines:
            assert c == 0 and 0 < bw <= 1 and 0 < bh <= 1
            eps = 1e-5                 # labels have 6 decimals
            assert -eps <= cx - bw / 2 and cx + bw / 2 <= 1 + eps and -eps <= cy - bh / 2 and cy + bh / 2 <= 1 + eps
        # plates do not overlap
        rects = [(cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2) for _, cx, cy, bw, bh in lines]
        for i, a in enumerate(rects):
            for b in rects[i + 1:]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
        plan = plan_sample(settings, pools, index)
        if plan.source is not None and plan.source.kind == "frame":    # the frame's real plate is kept
            x1, y1, x2, y2 = (v * 400 / 640 for v in FRAME_BOX)
            real = (0, (x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h)
            assert any(np.allclose(line, real, atol=1e-5) for line in lines)
            frames_seen += 1
        boxes += len(lines)
    assert boxes == result.boxes and 0 < frames_seen < 16
    manifest = json.loads((root / "split.json").read_text())
    assert manifest["complete"] and manifest["boxes"] == boxes and manifest["train"] == result.train
    assert (root / "obj.names").read_text() == "license-plate\n"
    assert "classes = 1\n" in (root / "obj.data").read_text()
    mapping = (root / "mapping.tsv").read_text().splitlines()
    assert len(mapping) == 17 and mapping[1].startswith("synth_0000000.jpg\t")
    # valid samples never use a train-side frame or background
    valid_sources = {plan_sample(settings, pools, i).source for i in range(16)
                     if plan_sample(settings, pools, i).split == "valid"}
    train_sources = {plan_sample(settings, pools, i).source for i in range(16)
                     if plan_sample(settings, pools, i).split == "train"}
    assert not (valid_sources & train_sources) - {None}


def test_holdout_follows_the_real_datasets_split(sources, tmp_path):
    from lpr.data.build_plates import build_plates_dataset

    real = build_plates_dataset(sources["frames"], tmp_path / "real", valid_fraction=0.3, seed=5,
                                show_progress=False)
    valid_videos = set(real.split.valid_groups)
    assert valid_videos and set(real.split.train_groups)
    pools = build_pools(frames=sources["frames"], holdout=tmp_path / "real")
    assert {f.group for f in pools.frames["valid"]} == valid_videos
    assert not {f.group for f in pools.frames["train"]} & valid_videos
    # without it: the video split `lpr data plates` makes with the same seed and fraction
    default = build_pools(frames=sources["frames"], valid_fraction=0.3, split_seed=5)
    assert {f.group for f in default.frames["valid"]} == valid_videos


def test_chars_dataset_labels_every_character(sources, tmp_path):
    result = generate_dataset(tmp_path / "chars", SynthSettings(kind="chars", backgrounds=str(sources["backgrounds"])),
                              12, workers=1, show_progress=False)
    root = result.root
    assert (root / "obj.names").read_text().split() == list(CHAR_CLASSES)
    total = 0
    for image_path in (root / "images").iterdir():
        lines = _yolo(Path(darknet_label_path(str(image_path))))
        assert 3 <= len(lines) <= 8
        assert all(0 <= c < 36 and 0 < bw <= 1 and 0 < bh <= 1 for c, _, _, bw, bh in lines)
        total += len(lines)
    assert total == result.boxes


def test_crop_widths_set_the_size_of_chars_samples(sources, tmp_path):
    def widths(crop_widths):
        settings = SynthSettings(kind="chars", backgrounds=str(sources["backgrounds"]), crop_widths=crop_widths)
        root = generate_dataset(tmp_path / f"w{crop_widths[0]:.0f}", settings, 8, workers=1, show_progress=False).root
        return [cv2.imread(str(p)).shape[1] for p in sorted((root / "images").iterdir())]

    small, large = widths((40.0, 60.0)), widths((300.0, 400.0))
    assert max(small) <= 60 * 1.6 and min(large) >= 300 * 0.9        # the crop adds a margin to the plate
    with pytest.raises(ValueError, match="crop widths"):
        SynthSettings(kind="chars", crop_widths=(5.0, 50.0))


def test_classifier_crops_match_exactly_one_label(sources, tmp_path):
    result = generate_dataset(tmp_path / "crops", SynthSettings(kind="crops", backgrounds=str(sources["backgrounds"]),
                                                                countries=("nl", "de")),
                              30, workers=1, show_progress=False)
    root = result.root
    labels = classifier_labels(CHAR_CLASSES)
    assert (root / "labels.txt").read_text().split() == labels
    allowed = crop_classes(("nl", "de"))
    listed = [p for name in ("classifier_train.txt", "classifier_valid.txt")
              for p in (root / name).read_text().split()]
    assert len(listed) == 30
    for path in listed:
        found = matching_labels(path, labels)
        assert len(found) == 1, path
        assert found[0][2:] in allowed and Path(path).is_file()
    assert set(allowed) == set(CHAR_CLASSES) and "A" not in crop_classes(("nl",))   # no vowels on Dutch plates
    assert "classes = 36" in (root / "classifier.data").read_text()


def test_output_independent_of_workers_and_seeded(sources, tmp_path):
    settings = _plates_settings(sources)
    one = generate_dataset(tmp_path / "w1", settings, 8, workers=1, show_progress=False)
    two = generate_dataset(tmp_path / "w2", settings, 8, workers=2, show_progress=False)
    assert _files(one.root) == _files(two.root)
    other = generate_dataset(tmp_path / "s1", _plates_settings(sources, seed=1), 8, workers=1, show_progress=False)
    a, b = _files(one.root), _files(other.root)
    assert a.keys() == b.keys()
    assert all(a[k] != b[k] for k in a if k.startswith("images/"))


def test_resume_skips_written_samples_and_matches_a_fresh_run(sources, tmp_path):
    settings = SynthSettings(kind="chars", backgrounds=str(sources["backgrounds"]))
    fresh = generate_dataset(tmp_path / "fresh", settings, 10, workers=1, show_progress=False)
    out = tmp_path / "resumed"
    generate_dataset(out, settings, 6, workers=1, show_progress=False)
    (out / "labels" / "synth_0000002.txt").unlink()             # as if cut off while writing sample 2
    (out / "images" / ".synth_0000007.tmp.jpg").write_bytes(b"partial")
    resumed = generate_dataset(out, settings, 10, workers=1, show_progress=False)
    assert resumed.skipped == 5 and resumed.generated == 5
    assert _files(resumed.root) == _files(fresh.root)
    with pytest.raises(FileExistsError, match="seed"):
        generate_dataset(out, SynthSettings(kind="chars", seed=3, backgrounds=str(sources["backgrounds"])), 10,
                         show_progress=False)
    # a dataset of an older generator (other typefaces: other samples from the same seed) is not resumed
    manifest = json.loads((out / "split.json").read_text())
    manifest["settings"].pop("generator")
    (out / "split.json").write_text(json.dumps(manifest))
    with pytest.raises(FileExistsError, match="generator"):
        generate_dataset(out, settings, 10, workers=1, show_progress=False)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        generate_dataset(tmp_path / "other", settings, 2, show_progress=False)


def test_cli_synth(sources, tmp_path, capsys):
    assert main(["data", "synth", "--help"]) == 0
    out, preview = tmp_path / "cli", tmp_path / "preview"
    assert main(["data", "synth", "plates", str(out), "--count", "3", "--workers", "1", "--quiet",
                 "--backgrounds", str(sources["backgrounds"]), "--frames", str(sources["frames"]),
                 "--crops", str(sources["crops"]), "--scene-width", "320", "--preview", str(preview)]) == 0
    text = capsys.readouterr().out
    assert "3 scenes" in text and "samples/s" in text and (preview / "plates.png").is_file()
    assert cv2.imread(str(preview / "plates.png")) is not None
    for kind in ("chars", "crops"):
        assert main(["data", "synth", kind, str(tmp_path / kind), "--count", "3", "--workers", "1", "--quiet",
                     "--countries", "be,us", "--preview", str(preview)]) == 0
        assert (preview / f"{kind}.png").is_file()
    # usage errors: 2; a folder holding something else: 1
    assert main(["data", "synth", "chars", str(tmp_path / "x"), "--count", "2", "--countries", "zz"]) == 2
    assert main(["data", "synth", "plates", str(tmp_path / "x"), "--count", "2"]) == 2
    assert main(["data", "synth", "chars", str(tmp_path / "x"), "--count", "2", "--frames", str(sources["frames"])]) == 2
    assert main(["data", "synth", "chars", str(tmp_path / "x"), "--count", "0"]) == 2
    assert main(["data", "synth", "chars", str(out), "--count", "2", "--quiet"]) == 1
    # paths darknet would misread: 'images' above images/ (detector), 'c_' in a crop's path (classifier)
    assert main(["data", "synth", "chars", str(tmp_path / "images" / "x"), "--count", "2", "--quiet"]) == 1
    assert main(["data", "synth", "crops", str(tmp_path / "abc_set"), "--count", "2", "--quiet"]) == 1
    assert not (tmp_path / "images").exists() and not (tmp_path / "abc_set").exists()
    assert main(["data", "synth", "plates", str(tmp_path / "y"), "--count", "2", "--backgrounds",
                 str(tmp_path / "missing")]) == 1


@pytest.mark.parametrize("args, message", [
    (["--count", "0"], "--count: must be >= 1"),
    (["--countries", "us,zz"], "unknown country zz"),
    (["--widths", "50,20"], "need 8 <= MIN <= MAX"),
    (["--replace-real", "1.5"], "--replace-real: must be in [0.0, 1.0]"),
])
def test_check_set_script_refuses_bad_arguments(tmp_path, args, message):
    """scripts/make-synthetic-eval-set.py checks its arguments before touching any data."""
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "scripts" / "make-synthetic-eval-set.py"
    run = subprocess.run([sys.executable, str(script), str(tmp_path / "out"), *args],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and message in run.stderr, run.stderr
    assert not (tmp_path / "out").exists()
