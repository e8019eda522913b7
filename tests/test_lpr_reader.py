"""The reader with the shipped models: loading, reading generated plates, engines agreeing,
threads, hostile inputs, the CLI's JSON lines."""
import dataclasses
import json
import multiprocessing
import subprocess
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

import lpr
from lpr import model_files as mf
from lpr.image_input import ImageError
from lpr.reader import _Rules
from worker_threads import run_in_threads

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def reader():
    with lpr.Reader(engine="darknet") as r:
        yield r


@pytest.fixture(scope="module")
def example_images():
    paths = sorted(EXAMPLES.glob("*.jpg"))
    assert len(paths) >= 4
    return [(p, cv2.imread(str(p))) for p in paths]


def test_the_models_ship_with_the_package():
    for name in (mf.PLATE_DETECTOR, mf.CHAR_DETECTOR, mf.CHAR_CNN, mf.CHAR_CNN_COMPACT, mf.CHAR_CNN_SLIM):
        files = mf.model_files(name)
        assert files.cfg.is_file() and files.weights.is_file()
    total = sum(p.stat().st_size for p in mf.MODELS_DIR.iterdir() if p.is_file())
    assert total < 40 * 1024 * 1024


def test_missing_models_are_reported(tmp_path):
    with pytest.raises(mf.ModelMissingError, match="plate-detector"):
        lpr.Reader(models_dir=tmp_path)


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="segmenter"):
        lpr.Reader(segmenter="magic")
    with pytest.raises(ValueError, match="recognizer='yolo'"):
        lpr.Reader(segmenter="contours", recognizer="yolo")
    with pytest.raises(ValueError, match="no format rules for xx"):
        lpr.Reader(countries=["xx"])
    with pytest.raises(ValueError, match="engine"):
        lpr.Reader(engine="tpu")
    with pytest.raises(ValueError, match="cnn_model must be one of compact, slim, study"):
        lpr.Reader(cnn_model="large")


def test_the_reader_tries_the_trained_countries_unless_told():
    from lpr.formats import countries, default_countries

    with lpr.Reader(engine="darknet") as reader:
        assert reader.options.countries == default_countries() and "es" not in reader.options.countries
    with lpr.Reader(engine="darknet", countries="all") as reader:
        assert reader.options.countries == countries()
    with lpr.Reader(engine="darknet", countries="es") as reader:
        assert reader.options.countries == ("es",)
    import argparse

    from lpr.read_command import add_reader_options, reader_from_args

    parser = argparse.ArgumentParser()
    add_reader_options(parser)
    with reader_from_args(parser.parse_args(["--engine", "darknet", "--no-eu-band"])) as reader:
        assert reader.options.eu_band is False and reader._band_countries is None
        assert reader.options.plate_shape is True and reader.options.mercosur_band is False
        assert reader.options.fallback_threshold == 0.02
    with reader_from_args(parser.parse_args(["--engine", "darknet", "--no-plate-shape",
                                             "--mercosur-band", "--fallback-threshold", "0.05"])) as reader:
        assert reader.options.plate_shape is False and reader.options.mercosur_band is True
        assert reader.options.fallback_threshold == 0.05
    with reader_from_args(parser.parse_args(["--engine", "darknet", "--countries", "all"])) as reader:
        assert reader.options.countries == countries()


def _synthetic_scene(seed: int):
    """A Belgian plate, level and sharp, pasted on a plain background: the image, its text, the
    plate's box and its characters' boxes (image pixels)."""
    from lpr.synth.formats import formats_for
    from lpr.synth.render import random_plate

    rng = np.random.default_rng(seed)
    plate = random_plate(formats_for(["be"]), rng, width_px=300)
    image = np.full((480, 720, 3), 90, np.uint8)
    crop = cv2.cvtColor(plate.image, cv2.COLOR_RGB2BGR)
    h, w = crop.shape[:2]
    y, x = 200, 150
    alpha = plate.alpha[:, :, None].astype(np.float32) / 255.0
    region = image[y:y + h, x:x + w].astype(np.float32)
    image[y:y + h, x:x + w] = (crop * alpha + region * (1.0 - alpha)).astype(np.uint8)
    chars = [(b.x1 + x, b.y1 + y, b.x2 + x, b.y2 + y) for b in plate.chars]
    return image, plate.text.chars, (x, y, x + w, y + h), chars


def test_reads_generated_belgian_plates(reader):
    found = exact = 0
    for seed in range(12):
        image, truth, box, _ = _synthetic_scene(seed)
        plates = reader.read(image)
        compact = truth
        for p in plates:
            x1, y1, x2, y2 = p.box
            if x1 < box[2] and x2 > box[0] and y1 < box[3] and y2 > box[1]:
                found += 1
                exact += p.compact == compact
                break
    assert found >= 10, f"found {found}/12 plates"
    assert exact >= 6, f"read {exact}/12 plates exactly"


def test_the_study_cnn_reads_generated_plates_too():
    import argparse

    from lpr.read_command import add_reader_options, reader_from_args

    parser = argparse.ArgumentParser()
    add_reader_options(parser)
    with reader_from_args(parser.parse_args(["--engine", "darknet", "--cnn-model", "study"])) as reader:
        assert "cnn_model='study'" in repr(reader) and reader._classifier.crop_size == (75, 100)
        exact = sum(p.compact == truth for image, truth, _, _ in map(_synthetic_scene, range(8))
                    for p in reader.read(image))
    assert exact >= 5, f"read {exact}/8 plates exactly"
    with reader_from_args(parser.parse_args(["--engine", "darknet"])) as reader:
        assert "cnn_model='compact'" in repr(reader) and reader._classifier.crop_size == (36, 48)
    with lpr.Reader(engine="darknet", segmenter="yolo") as reader:     # no CNN: no CNN model either
        assert reader.cnn_model is None and "cnn_model" not in repr(reader)


def test_results_are_well_formed(reader, example_images):
    total = 0
    for path, image in example_images:
        plates = reader.read(image)
        total += len(plates)
        h, w = image.shape[:2]
        assert plates == sorted(plates, key=lambda p: -p.confidence)
        for p in plates:
            assert isinstance(p, lpr.PlateRead) and 0.0 <= p.confidence <= 1.0
            assert 0 <= p.box[0] < p.box[2] <= w and 0 <= p.box[1] < p.box[3] <= h
            assert len(p.chars) >= 2 and p.compact == "".join(c.char for c in p.chars)
            assert all(isinstance(c, lpr.CharRead) and 0.0 <= c.confidence <= 1.0 for c in p.chars)
            assert p.confidence == pytest.approx(p.detection_confidence * p.reading_confidence, rel=1e-9)
            assert min(c.confidence for c in p.chars) <= p.reading_confidence <= max(c.confidence for c in p.chars)
            assert p.timings.total_ms >= p.timings.detect_ms > 0
    assert total >= len(example_images)            # every example holds at least one readable plate


def test_paths_bytes_and_arrays_read_the_same(reader, example_images):
    path, image = example_images[0]
    by_array = [(p.text, p.box) for p in reader.read(image)]
    assert by_array
    assert [(p.text, p.box) for p in reader.read(path)] == by_array
    assert [(p.text, p.box) for p in reader.read(path.read_bytes())] == by_array


def test_darknet_and_opencv_engines_agree(example_images):
    with lpr.Reader(engine="darknet") as a, lpr.Reader(engine="opencv") as b:
        for _, image in example_images:
            pa, pb = a.read(image), b.read(image)
            assert [p.text for p in pa] == [p.text for p in pb]
            for x, y in zip(pa, pb):
                assert np.allclose(x.box, y.box, atol=0.05)
                assert abs(x.confidence - y.confidence) < 1e-3


def test_fitted_detector_input_reads_square_photos_alike_and_smaller(example_images):
    """fit_input (the default): a square cut runs the plate detector at 448x384, not 640x384,
    and reads what the full input reads; --no-fit-input turns it off. (One pass each: the
    large-plate pass is tested below.)"""
    import argparse

    from lpr.read_command import add_reader_options, reader_from_args

    parser = argparse.ArgumentParser()
    add_reader_options(parser)
    assert parser.parse_args([]).fit_input and not parser.parse_args(["--no-fit-input"]).fit_input
    one_pass = ["--engine", "darknet", "--no-large-plates"]
    read = 0
    with reader_from_args(parser.parse_args(["--no-fit-input", *one_pass])) as full, \
            reader_from_args(parser.parse_args(one_pass)) as reader:
        assert not full.options.fit_input and reader.options.fit_input
        for _, image in example_images:
            h, w = image.shape[:2]
            for x0 in (0, (w - h) // 2, w - h):
                square = np.ascontiguousarray(image[:, x0:x0 + h])
                got = [(p.text, p.box, p.confidence) for p in reader.read(square)]
                assert reader._plate_detector._handle.input_size_in_use == (448, 384)
                expected = [(p.text, p.box, p.confidence) for p in full.read(square)]
                assert full._plate_detector._handle.input_size_in_use == (640, 384)
                assert [g[0] for g in got] == [e[0] for e in expected]
                for g, e in zip(got, expected):
                    assert np.allclose(g[1], e[1], atol=0.05) and abs(g[2] - e[2]) < 1e-4
                read += len(got)
    assert read >= 10
    # with the large-plate pass (the default), fitted or not, the same texts
    with reader_from_args(parser.parse_args(["--no-fit-input", "--engine", "darknet"])) as full, \
            reader_from_args(parser.parse_args(["--engine", "darknet"])) as reader:
        assert reader.options.large_plates and full.options.large_plates
        for _, image in example_images:
            h, w = image.shape[:2]
            for x0 in (0, (w - h) // 2, w - h):
                square = np.ascontiguousarray(image[:, x0:x0 + h])
                assert [p.text for p in reader.read(square)] == [p.text for p in full.read(square)]


def test_one_reader_from_four_threads_matches_sequential(reader, example_images):
    images = [image for _, image in example_images] * 3
    expected = [[(p.text, p.box) for p in reader.read(image)] for image in images]
    assert sum(map(len, expected)) >= len(images)
    results: dict[int, list] = {}

    def work(k: int) -> None:
        results[k] = [[(p.text, p.box) for p in reader.read(image)] for image in images[k::4]]

    assert not run_in_threads(work, 4)
    for k in range(4):
        assert results[k] == expected[k::4]


@pytest.mark.parametrize("make", [
    lambda: np.zeros((1, 1, 3), np.uint8),
    lambda: np.zeros((1, 500, 3), np.uint8),
    lambda: np.full((300, 400), 128, np.uint8),
    lambda: np.full((300, 400, 4), 200, np.uint8),
    lambda: (np.random.default_rng(0).integers(0, 65535, (200, 300, 3))).astype(np.uint16),
])
def test_odd_images_without_plates_read_as_none(reader, make):
    assert reader.read(make()) == []


def test_a_huge_noise_image_reads_boxes_inside_it(reader):
    image = np.random.default_rng(1).integers(0, 256, (8000, 8000, 3), dtype=np.uint8)
    plates = reader.read(image)
    assert isinstance(plates, list)
    assert all(0 <= p.box[0] <= p.box[2] <= 8000 and 0 <= p.box[1] <= p.box[3] <= 8000 for p in plates)


def test_other_pixel_formats_read_like_bgr(reader, example_images):
    """16-bit (the 8-bit values times 257) and BGRA copies of a photo hold the same pixels once
    converted, so they read the same plates in the same boxes; a grey copy loses the colour
    tests, but its surest plate is still the photo's."""
    image = example_images[0][1]
    key = lambda plates: [(p.text, p.box) for p in plates]
    bgr = reader.read(image)
    assert bgr
    assert key(reader.read(image.astype(np.uint16) * 257)) == key(bgr)
    assert key(reader.read(cv2.cvtColor(image, cv2.COLOR_BGR2BGRA))) == key(bgr)
    assert reader.read(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))[0].text == bgr[0].text


def test_broken_inputs_raise_image_error(reader, example_images):
    """Cut or damaged JPEG files give an ImageError or a list of plates, never a crash; a
    damaged body mostly still decodes (libjpeg fills what it cannot read) and is read, and a
    file cut inside its header cannot be decoded at all."""
    data = example_images[0][0].read_bytes()
    header = data.find(b"\xff\xda")                  # the start-of-scan marker: the pixels follow
    assert header > 0
    rng = np.random.default_rng(2)
    read_damaged = with_plates = 0
    for k in range(200):
        if k % 2:
            cut = int(rng.integers(0, len(data)))
            broken = bytearray(data[:cut])
        else:
            cut = None
            broken = bytearray(data)
            for i in rng.integers(100, len(broken), 40):
                broken[i] = int(rng.integers(0, 256))
        try:
            plates = reader.read(bytes(broken))
        except ImageError:
            continue
        assert isinstance(plates, list) and all(isinstance(p, lpr.PlateRead) for p in plates)
        assert cut is None or cut > header, cut        # no image without its header
        read_damaged += cut is None
        with_plates += cut is None and bool(plates)
    assert read_damaged >= 50 and with_plates >= 10, (read_damaged, with_plates)
    for bad in (b"", b"\x00" * 10, "does-not-exist.jpg"):
        with pytest.raises(ImageError):
            reader.read(bad)


@pytest.mark.parametrize("name", [mf.CHAR_CNN, mf.CHAR_CNN_COMPACT, mf.CHAR_CNN_SLIM])
def test_numpy_cnn_matches_darknet_on_the_shipped_weights(name):
    import pydarknet
    from lpr.recognition.numpy_network import NumpyNetwork

    files = mf.model_files(name)
    network = NumpyNetwork(files.cfg, files.weights)
    crops = np.random.default_rng(3).random((5, *network.input_shape), dtype=np.float32)
    ours = network.predict(crops)
    with pydarknet.Network(files.cfg, files.weights, fuse_batchnorm=False) as net:
        theirs = np.concatenate([net.forward(crops[i:i + 1])[0].reshape(1, -1) for i in range(5)])
    assert np.abs(ours - theirs).max() < 1e-4


def test_annotated_copies_of_same_named_images_do_not_overwrite_each_other():
    from lpr.read_command import drawn_name

    used: set[str] = set()
    names = [drawn_name(Path(p), used) for p in ("a/car.jpg", "b/car.jpg", "car.png", "a/bus.jpg", "c/car.jpeg")]
    assert names == ["car.jpg", "car-2.jpg", "car-3.jpg", "bus.jpg", "car-4.jpg"]


def test_cli_json_lines_and_exit_status(tmp_path, example_images):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    good = example_images[0][0]
    run = subprocess.run([sys.executable, "-m", "lpr.cli", "read", "--json", "--engine", "darknet", str(good),
                          str(bad), "--draw", str(tmp_path / "drawn")],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [item["image"] for item in lines] == [str(good), str(bad)]
    assert set(lines[0]) == {"image", "plates", "ms"} and lines[0]["ms"] > 0
    for plate in lines[0]["plates"]:
        assert set(plate) == {"text", "confidence", "box"} and len(plate["box"]) == 4
    assert "error" in lines[1]
    assert (tmp_path / "drawn" / f"{good.stem}.jpg").is_file()
    only_bad = subprocess.run([sys.executable, "-m", "lpr.cli", "read", "--json", str(bad)],
                              capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert only_bad.returncode == 1


def test_python_dash_m_lpr_is_the_lpr_command(tmp_path):
    """`python -m lpr` runs the same command line as the `lpr` script: its help lists the
    commands, and a usage error exits 2."""
    help_run = subprocess.run([sys.executable, "-m", "lpr", "--help"], capture_output=True, text=True,
                              cwd=tmp_path, timeout=120)
    assert help_run.returncode == 0, help_run.stderr
    assert all(command in help_run.stdout for command in ("read", "video", "eval", "export-onnx"))
    bad = subprocess.run([sys.executable, "-m", "lpr", "read"], capture_output=True, text=True, cwd=tmp_path,
                         timeout=120)
    assert bad.returncode == 2 and "usage" in bad.stderr


def test_cli_read_says_why_it_cannot_write_its_drawings(tmp_path, capsys, example_images):
    """--draw into a folder that cannot be made (a file stands on its path): a message and exit
    status 1, not a traceback and not a usage error."""
    from lpr.cli import main

    (tmp_path / "afile").write_text("not a folder")
    assert main(["read", "--quiet", "--engine", "darknet", str(example_images[0][0]),
                 "--draw", str(tmp_path / "afile" / "drawn")]) == 1
    assert "Not a directory" in capsys.readouterr().err


def test_cli_min_confidence_shows_only_the_surer_reads(capsys, example_images):
    from lpr.cli import main

    image = next(path for path, _ in example_images if path.stem.endswith("t100"))   # reads of 0.06-0.94
    assert main(["read", "--json", "--quiet", "--engine", "darknet", str(image)]) == 0
    every = json.loads(capsys.readouterr().out)["plates"]
    assert main(["read", "--json", "--quiet", "--engine", "darknet", "--min-confidence", "0.3", str(image)]) == 0
    kept = json.loads(capsys.readouterr().out)["plates"]
    assert kept == [p for p in every if p["confidence"] >= 0.3] and 0 < len(kept) < len(every)
    assert main(["read", "--quiet", "--engine", "darknet", "--min-confidence", "0.3", str(image)]) == 0
    table = capsys.readouterr().out
    assert f"{len(every) - len(kept)} under 0.3 not shown" in table and table.count(" box ") == len(kept)
    assert main(["read", "--min-confidence", "1.5", str(image)]) == 2


def test_lpr_read_decodes_ahead_in_a_thread_in_order_with_errors_in_place(tmp_path, monkeypatch):
    import lpr.image_input
    from lpr.read_workers import decoded_ahead

    paths = []
    for k in range(6):
        path = tmp_path / f"{k}.png"
        if k == 2:
            path.write_bytes(b"not an image")
        else:
            cv2.imwrite(str(path), np.full((10 + k, 20, 3), k, np.uint8))
        paths.append(path)
    started: list[tuple[str, str]] = []
    load = lpr.image_input.load_image

    def noting(path):
        started.append((Path(path).name, threading.current_thread().name))
        return load(path)

    monkeypatch.setattr(lpr.image_input, "load_image", noting)
    handed, ahead_at = [], []
    for path, pixels in decoded_ahead(paths, ahead=2):
        ahead_at.append(len(started))
        handed.append((path, pixels))
    assert [p for p, _ in handed] == paths
    assert isinstance(handed[2][1], ImageError)
    assert [px.shape[0] for k, (_, px) in enumerate(handed) if k != 2] == [10, 11, 13, 14, 15]
    assert all(thread.startswith("lpr-read-decode") for _, thread in started)
    assert sorted(name for name, _ in started) == sorted(p.name for p in paths)
    assert all(k + 1 <= n <= k + 3 for k, n in enumerate(ahead_at))     # at most two ahead


def test_read_files_reads_each_file_as_read_does_in_order_here_or_in_workers(tmp_path, example_images):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG not really")
    paths = [p for p, _ in example_images[:3]] + [bad] + [example_images[0][0]]
    with lpr.Reader(engine="darknet") as reader:
        expected = [[(p.text, p.box) for p in reader.read(image)] for _, image in example_images[:3]]
    expected = expected + [None, expected[0]]
    here = list(lpr.read_files(paths, engine="darknet"))
    assert [r.path for r in here] == paths and [r.error is not None for r in here] == [False] * 3 + [True, False]
    assert [[(p.text, p.box) for p in r.plates] if r.error is None else None for r in here] == expected
    assert all(r.ms > 0 for r in here if r.error is None) and "not a readable image" in here[3].error
    targets = [tmp_path / f"drawn-{k}.jpg" for k in range(len(paths))]
    reads = lpr.read_files(paths, workers=2, engine="darknet", draw_to=targets)
    two = [next(reads)]
    assert len(multiprocessing.active_children()) >= 2          # two processes really read
    two += list(reads)
    assert [r.path for r in two] == paths and two[3].error == here[3].error
    for a, b in zip(here, two):
        assert [p.text for p in a.plates] == [p.text for p in b.plates]
        assert all(np.allclose(p.box, q.box, atol=0.5) for p, q in zip(a.plates, b.plates))
    assert [t.is_file() for t in targets] == [True] * 3 + [False, True]
    for bad_call in (dict(workers=0), dict(workers=1.5), dict(draw_to=targets[:2]), dict(engine="tpu")):
        with pytest.raises(ValueError):
            lpr.read_files(paths, **bad_call)
    with pytest.raises(TypeError, match="list of paths"):
        lpr.read_files(str(paths[0]))
    with pytest.raises(TypeError, match="worker"):
        lpr.read_files(paths, worker=2)


def _lines_without_time(stdout: str) -> list[dict]:
    lines = [json.loads(line) for line in stdout.splitlines()]
    for item in lines:
        assert item.pop("ms", 1.0) > 0
    return lines


def test_cli_workers_read_what_one_reader_reads_in_the_same_order(tmp_path):
    """--workers 2: every image read by one of two processes, the lines in the files' order,
    the broken file's error in its place, the same plates and the same annotated copies."""
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    runs = {}
    for workers in (1, 2):
        run = subprocess.run([sys.executable, "-m", "lpr.cli", "read", "--json", "--quiet", "--workers", str(workers),
                              str(EXAMPLES), str(bad), "--draw", str(tmp_path / f"drawn{workers}")],
                             capture_output=True, text=True, cwd=tmp_path, timeout=300)
        assert run.returncode == 0, run.stderr
        runs[workers] = _lines_without_time(run.stdout)
    one, two = runs[1], runs[2]
    assert [i["image"] for i in two] == [str(p) for p in sorted(EXAMPLES.glob("*.jpg"))] + [str(bad)]
    assert [i["image"] for i in one] == [i["image"] for i in two] and "error" in two[-1]
    for a, b in zip(one[:-1], two[:-1]):       # each worker runs its networks on fewer threads
        assert [p["text"] for p in a["plates"]] == [p["text"] for p in b["plates"]]
        for p, q in zip(a["plates"], b["plates"]):
            assert abs(p["confidence"] - q["confidence"]) <= 1e-3
            assert np.allclose(p["box"], q["box"], atol=0.5)
    assert sum(len(i["plates"]) for i in two[:-1]) >= len(two) - 1
    drawn = sorted(p.name for p in (tmp_path / "drawn2").iterdir())
    assert drawn == sorted(p.name for p in (tmp_path / "drawn1").iterdir()) and len(drawn) == len(two) - 1
    assert subprocess.run([sys.executable, "-m", "lpr.cli", "read", "--workers", "0", str(EXAMPLES)],
                          capture_output=True, cwd=tmp_path, timeout=60).returncode == 2


@pytest.mark.parametrize("workers, twice", [(1, False), (2, False), (2, True)])
def test_cli_read_stops_on_ctrl_c_and_says_how_far_it_got(tmp_path, workers, twice):
    """Ctrl-C as a terminal sends it: to the whole process group, workers included, and a second
    one while the run stops (that one once left the workers' pool half shut down, hanging)."""
    import os
    import signal
    import time

    run = subprocess.Popen([sys.executable, "-u", "-m", "lpr.cli", "read", "--json", "--workers", str(workers),
                            *[str(EXAMPLES)] * 20], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
                           start_new_session=True)
    first = run.stdout.readline()
    os.killpg(run.pid, signal.SIGINT)
    if twice:
        time.sleep(0.05)
        os.killpg(run.pid, signal.SIGINT)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 130, err
    assert json.loads(first)["image"].endswith(".jpg")
    err = err.decode()
    assert "interrupted after" in err and "of 120 images" in err and "Traceback" not in err, err


def test_cli_workers_end_when_the_main_process_is_killed(tmp_path):
    """Killed outright (SIGKILL: no cleanup runs), lpr read leaves no worker behind holding its
    output open."""
    import os
    import signal
    import time

    run = subprocess.Popen([sys.executable, "-u", "-m", "lpr.cli", "read", "--json", "--workers", "2",
                            *[str(EXAMPLES)] * 20], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           cwd=tmp_path, start_new_session=True)
    run.stdout.readline()

    def state(pid: int) -> tuple[int, str] | None:
        """(parent pid, state letter) of a live process, None once it is gone or a zombie."""
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return None if fields[0] == "Z" else (int(fields[1]), fields[0])

    workers = [int(p.name) for p in Path("/proc").glob("[0-9]*") if (st := state(int(p.name))) and st[0] == run.pid]
    assert len(workers) >= 2, workers
    run.kill()
    run.wait(timeout=60)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(state(p) for p in workers):
        time.sleep(0.2)
    alive = [p for p in workers if state(p)]
    for p in alive:
        os.kill(p, signal.SIGKILL)
    assert not alive, f"workers {alive} outlived the killed lpr read"


def test_cli_stops_quietly_when_its_reader_stops_reading(tmp_path):
    # `lpr read DIR | head -1`: the pipe closes while lpr still has lines to write
    run = subprocess.Popen([sys.executable, "-u", "-m", "lpr.cli", "read", "--json", str(EXAMPLES), str(EXAMPLES)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    first = run.stdout.readline()
    run.stdout.close()
    stderr = run.stderr.read().decode()
    assert run.wait(timeout=300) == 1
    assert json.loads(first)["image"].endswith(".jpg")
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr


def test_cli_eval_on_a_darknet_list_scores_boxes(tmp_path, capsys):
    """lpr eval on a darknet image list with YOLO labels: the generated plate's box is found at
    IoU 0.5; a label far from any plate is missed; no text accuracy is claimed."""
    from lpr.cli import main

    image, _, (x1, y1, x2, y2), _ = _synthetic_scene(3)
    h, w = image.shape[:2]
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "scene.png"), image)
    (tmp_path / "labels" / "scene.txt").write_text(
        f"0 {(x1 + x2) / 2 / w} {(y1 + y2) / 2 / h} {(x2 - x1) / w} {(y2 - y1) / h}\n0 0.05 0.05 0.04 0.02\n")
    (tmp_path / "valid.txt").write_text("images/scene.png\n")
    assert main(["eval", str(tmp_path / "valid.txt"), "--iou", "0.5", "--json", "--quiet",
                 "--engine", "darknet"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["plates"] == 2 and report["detection_recall"] == 0.5 and report["iou"] == 0.5
    assert report["plates_read"] >= 1 and report["precision"] == 1.0 / report["plates_read"]
    assert "folded_accuracy" not in report
    (tmp_path / "extra.txt").write_text("# one more box, where nothing is\nscene.png 600 20 700 40\n")
    assert main(["eval", str(tmp_path / "valid.txt"), "--iou", "0.5", "--json", "--quiet", "--engine", "darknet",
                 "--extra-labels", str(tmp_path / "extra.txt")]) == 0
    assert json.loads(capsys.readouterr().out)["plates"] == 3
    assert main(["eval", str(tmp_path / "valid.txt"), "--iou", "0"]) == 2
    # --misses: the two labels nothing was read at, in one picture (4 tiles of 320 px to a row)
    assert main(["eval", str(tmp_path / "valid.txt"), "--iou", "0.5", "--quiet", "--engine", "darknet",
                 "--extra-labels", str(tmp_path / "extra.txt"), "--misses", str(tmp_path / "misses.png")]) == 0
    assert "drawn to" in capsys.readouterr().err
    sheet = cv2.imread(str(tmp_path / "misses.png"))
    assert sheet is not None and sheet.shape[1] == 4 * 320
    for option in ("--misses", "--curve"):          # refused before anything is read
        assert main(["eval", str(tmp_path / "valid.txt"), option, str(tmp_path / "picture")]) == 2
        assert ".png" in capsys.readouterr().err and not (tmp_path / "picture").exists()


def test_the_cnn_recognizes_what_either_segmenter_finds(example_images, monkeypatch):
    """recognizer='cnn' classifies every character box (the detector's classes are not used)."""
    from lpr.recognition.char_classifier import CharClassifier

    seen = []

    def fake_classify(self, crops):
        seen.append(crops.shape)
        return [(("Z", 0.9), ("2", 0.05))] * len(crops)

    monkeypatch.setattr(CharClassifier, "classify", fake_classify)
    with lpr.Reader(engine="darknet", segmenter="yolo", recognizer="cnn", countries=["us"]) as reader:
        plates = [p for _, image in example_images for p in reader.read(image)]
    assert seen and all(shape[1:] == (48, 36) for shape in seen)     # the compact CNN's input
    assert plates and all(set(p.compact) <= {"Z", "2"} for p in plates)


def _fake_segmenter(monkeypatch, candidates) -> None:
    """Make the reader's contour segmenter give `candidates(crop_image, alternatives)` (lists of
    CharBox, as segment_candidates) for every crop (the reader asks lpr.segmentation.contours'
    PlateSegmentations for them)."""
    from lpr.segmentation import contours

    class FakeSegmentations:
        def __init__(self, crop_image):
            self.crop_image = crop_image

        def candidates(self, alternatives=True):
            return candidates(self.crop_image, alternatives)

    monkeypatch.setattr(contours, "PlateSegmentations", FakeSegmentations)


def test_readings_longer_than_any_plate_are_not_returned(example_images, monkeypatch):
    """A reading that fits no format and has more than MAX_UNMATCHED_CHARS characters is texture."""
    from lpr import reader as reader_module
    from lpr.recognition.char_classifier import CharClassifier
    from lpr.segmentation import contours

    count = {"n": 0}

    def fake_segment(crop_image):
        h, w = crop_image.shape[:2]
        step = w / (count["n"] + 1)
        return [contours.CharBox((k * step, 0.2 * h, (k + 0.8) * step, 0.8 * h)) for k in range(count["n"])]

    _fake_segmenter(monkeypatch, lambda crop_image, alternatives=True: [fake_segment(crop_image)])
    monkeypatch.setattr(CharClassifier, "classify", lambda self, crops: [(("W", 0.9), ("M", 0.05))] * len(crops))
    with lpr.Reader(engine="darknet", straighten=False) as reader:
        image = example_images[0][1]
        count["n"] = reader_module.MAX_UNMATCHED_CHARS
        longest = reader.read(image)
        count["n"] = reader_module.MAX_UNMATCHED_CHARS + 1
        too_long = reader.read(image)
    assert longest and all(p.text == "W" * reader_module.MAX_UNMATCHED_CHARS and p.country is None for p in longest)
    assert too_long == []


def _belgian_plates_read_right(monkeypatch, segmentations, seeds=range(6)) -> int:
    """How many of the 1-ABC-234 plates of 7 characters that `seeds` draw the reader reads right
    when the contour segmenter returns `segmentations(boxes)` for every crop (`boxes`: each
    character's box in the rendered plate)."""
    from lpr.segmentation import contours
    from lpr.synth.formats import formats_for
    from lpr.synth.render import random_plate

    right = 0
    for seed in seeds:
        plate = random_plate(formats_for(["be"]), np.random.default_rng(seed), width_px=300)
        if not plate.text.chars[0].isdigit() or len(plate.chars) != 7:
            continue
        image = cv2.cvtColor(plate.image, cv2.COLOR_RGB2BGR)
        found = segmentations([(b.x1, b.y1, b.x2, b.y2) for b in plate.chars])
        _fake_segmenter(monkeypatch, lambda crop_image, alternatives=True, found=found:
                        [[contours.CharBox(tuple(float(v) for v in b)) for b in seg] for seg in found])
        with lpr.Reader(engine="darknet", countries=["be"], straighten=False) as reader:
            got = reader.read_crop(image)
        right += got is not None and got.compact == plate.text.chars
    return right


def test_two_characters_in_one_box_are_read_halved(monkeypatch):
    """When the segmenter leaves two touching characters in one box (twice the others' width),
    the alternatives include each segmentation with its widest box cut in two
    (char_layout.halve_widest), and the format rules take it; with HALVED_WIDTH out of reach
    the plate reads one character short."""
    from lpr import reader as reader_module

    def merged_pair(boxes):
        a, b = boxes[1], boxes[2]                    # two letters of 1-ABC-234, side by side
        return boxes[:1] + [(a[0], min(a[1], b[1]), b[2], max(a[3], b[3]))] + boxes[3:]

    def read(halved_width, second=False):
        """Plates read right; `second`: the merged segmentation comes second, after one of the
        first three characters alone (which no layout fits), so only its own halving helps."""
        monkeypatch.setattr(reader_module, "HALVED_WIDTH", halved_width)
        return _belgian_plates_read_right(
            monkeypatch, lambda boxes: [merged_pair(boxes)[:3], merged_pair(boxes)] if second else [merged_pair(boxes)])

    assert reader_module.HALVED_WIDTH == 1.5
    halved, whole = read(1.5), read(float("inf"))
    assert halved >= 4 and whole == 0, (halved, whole)
    halved, whole = read(1.5, second=True), read(float("inf"), second=True)
    assert halved >= 4 and whole == 0, (halved, whole)


def test_a_touching_pair_cut_inside_a_glyph_is_read_cut_evenly(monkeypatch):
    """When the segmenter cuts two touching letters in the middle of the second (as at an H's
    crossbar: the first box holds a letter and half the next, the second box the other half),
    the reader tries that pair cut evenly (char_layout.even_recuts) and takes it when the CNN
    reads both halves surely and the format fits better; with RECUT_SURE out of reach the
    misplaced cut is what is read."""
    from lpr import reader as reader_module

    def cut_inside(boxes):
        a, b = boxes[1], boxes[2]                    # two letters of 1-ABC-234, side by side
        at = (b[0] + b[2]) / 2
        y1, y2 = min(a[1], b[1]), max(a[3], b[3])
        return [boxes[:1] + [(a[0], y1, at, y2), (at, y1, b[2], y2)] + boxes[3:]]

    def read(sure):
        monkeypatch.setattr(reader_module, "RECUT_SURE", sure)
        return _belgian_plates_read_right(monkeypatch, cut_inside, seeds=range(10))   # 7 of them 1-ABC-234

    assert reader_module.RECUT_SURE == 0.9
    recut, as_cut = read(0.9), read(1.1)
    assert recut >= 4 and as_cut <= recut - 3, (recut, as_cut)


def _reading(text, probability=0.95, gap_after=None):
    """(crop, boxes in a row, CNN candidates) for `text`: each character, then a weak runner-up;
    a separator's gap after `gap_after` characters when given."""
    shift = [10.0 if gap_after is not None and k >= gap_after else 0.0 for k in range(len(text))]
    boxes = [(10.0 * k + s, 0.0, 10.0 * k + s + 8, 20.0) for k, s in zip(range(len(text)), shift)]
    return None, boxes, [((c, probability), ("Q", 0.01)) for c in text]


def test_a_reading_a_format_fits_wins_over_one_none_fits(reader):
    from lpr.reader import ALTERNATIVE_MARGIN

    chosen = reader._choose([_reading("WWABC234"), _reading("1ABC234")], _Rules(reader.options.countries))
    assert chosen[3] is not None and chosen[3].compact == "1ABC234" and len(chosen[2]) == 7
    # ... unless it was read much less surely than the first: a plate no rule fits stays as read
    chosen = reader._choose([_reading("WWABC234"), _reading("1ABC234", 0.80)], _Rules(reader.options.countries))
    assert chosen[3] is None and "".join(c[0][0] for c in chosen[2]) == "WWABC234"
    # the segmenter's choice stands unless another reading fits a format clearly better
    first, other = _reading("1ABC234", 0.80), _reading("1ABC284", 0.80 * ALTERNATIVE_MARGIN * 0.98)
    assert reader._choose([first, other], _Rules(reader.options.countries))[3].compact == "1ABC234"
    other = _reading("1ABC284", min(0.80 * ALTERNATIVE_MARGIN * 1.1, 1.0))
    assert reader._choose([first, other], _Rules(reader.options.countries))[3].compact == "1ABC284"
    # no rule fits any: the first reading as read; too short for a plate: nothing
    chosen = reader._choose([_reading("WWW"), _reading("MMMM")], _Rules(reader.options.countries))
    assert chosen[3] is None and "".join(c[0][0] for c in chosen[2]) == "WWW"
    rules = _Rules(reader.options.countries)
    assert reader._choose([_reading("W"), _reading("1ABC234")], rules)[3].compact == "1ABC234"
    assert reader._choose([], _Rules(reader.options.countries)) is None


def test_a_reading_that_adds_a_character_needs_no_margin(reader):
    """The first segmentation read "ABC123" (a Belgian layout of six) and missed the last
    character; a wider crop reads "ABC1234" (Brazil's old layout), fitting it a little better.
    It keeps every character of the first and adds one, so it wins without the margin another
    reading needs; a reading that changes a character at that score still does not. The added
    character may stand between two (a touching pair the first segmentation read as one)."""
    def choose(*readings):
        chosen = reader._choose(list(readings), _Rules(reader.options.countries))
        return chosen[3].compact, chosen[3].format

    first = _reading("ABC123", 0.85, gap_after=3)
    assert choose(first) == ("ABC123", "be:LLL-DDD")
    assert choose(first, _reading("ABC1234", 0.87, gap_after=3)) == ("ABC1234", "br-old:LLL-DDDD")
    # ... not when it fits worse, and not when it also changes a character
    assert choose(first, _reading("ABC1234", 0.83, gap_after=3)) == ("ABC123", "be:LLL-DDD")
    assert choose(first, _reading("ABD1234", 0.87, gap_after=3)) == ("ABC123", "be:LLL-DDD")
    # the added character may stand first too, or between two
    assert choose(first, _reading("1ABC123", 0.95, gap_after=4)) == ("1ABC123", "be:N-LLL-DDD")
    first = _reading("ABC124", 0.85, gap_after=3)
    assert choose(first, _reading("ABC1234", 0.87, gap_after=3)) == ("ABC1234", "br-old:LLL-DDDD")
    assert choose(first, _reading("ABC1334", 0.87, gap_after=3)) == ("ABC124", "be:LLL-DDD")
    # the layouts may name one glyph differently once a character is added: ABC-102 read, then
    # ABC1O23 (Mercosur, where the fifth is a letter) is still the same characters and one more
    from lpr.formats.matching import FormatMatch
    from lpr.reader import ALTERNATIVE_MARGIN, EXTENSION_MARGIN, _margin

    def fitted(compact):
        return FormatMatch(text=compact, compact=compact, country="", format="", score=0.9, chars=tuple(compact))

    assert _margin(fitted("ABC102"), fitted("ABC1O23")) == EXTENSION_MARGIN
    assert _margin(fitted("ABC102"), fitted("ABC1D23")) == ALTERNATIVE_MARGIN


def test_a_reading_that_leaves_out_a_surely_read_character_does_not_replace_the_first(reader):
    """The first segmentation read "ABC123I", an old Brazilian plate (ABC-1231, the I taken for
    a 1 at a penalty); another lost the last character, and "ABC123" fits a Belgian layout
    better than the swap lets the first fit. The character it leaves out was read surely and
    looks like the others, so it is not traded away (the first reading would not drop it to fit
    a format either); one read unsure may be."""
    def choose(*readings):
        chosen = reader._choose(list(readings), _Rules(reader.options.countries))
        return chosen[3].compact, chosen[3].format

    from lpr.reader import ALTERNATIVE_MARGIN

    rules = _Rules(reader.options.countries)
    shorter = _reading("ABC123", 0.99, gap_after=3)
    first = _reading("ABC123I", 0.95, gap_after=3)
    # by its score alone the shorter reading would win: it fits clearly better
    assert reader._choose([shorter], rules)[3].score > ALTERNATIVE_MARGIN * reader._choose([first], rules)[3].score
    assert choose(shorter) == ("ABC123", "be:LLL-DDD")
    assert choose(first, shorter) == ("ABC1231", "br-old:LLL-DDDD")
    # a character left out in the middle counts too (ABC-1123 read with its second 1 as I)
    middle = _reading("ABC1I23", 0.95, gap_after=3)
    assert reader._choose([shorter], rules)[3].score > ALTERNATIVE_MARGIN * reader._choose([middle], rules)[3].score
    assert choose(middle, shorter) == ("ABC1123", "br-old:LLL-DDDD")
    unsure = _reading("ABC123I", 0.95, gap_after=3)
    unsure[2][-1] = (("I", 0.6), ("Q", 0.01))
    assert choose(unsure, shorter) == ("ABC123", "be:LLL-DDD")


def test_which_characters_a_shorter_reading_leaves_out():
    from lpr.reader import _drops_sure_characters

    _, boxes, candidates = _reading("ABC1234", 0.95)
    assert _drops_sure_characters(candidates, boxes, "ABC123")          # the sure last character
    assert _drops_sure_characters(candidates, boxes, "AB1234")          # one in the middle
    assert _drops_sure_characters(candidates, boxes, "A0C1234") is False  # not left out: changed
    assert _drops_sure_characters(candidates, boxes, "ABC1234") is False  # nothing left out
    assert _drops_sure_characters(candidates, boxes, "ABCI23") is True    # I and 1 are one glyph
    unsure = [c if k != 6 else (("4", 0.5),) for k, c in enumerate(candidates)]
    assert _drops_sure_characters(unsure, boxes, "ABC123") is False
    # a last character taller than the rest (a border) or far from its neighbour may go
    tall = boxes[:6] + [(60.0, -8.0, 68.0, 28.0)]
    assert _drops_sure_characters(candidates, tall, "ABC123") is False
    far = boxes[:6] + [(100.0, 0.0, 108.0, 20.0)]
    assert _drops_sure_characters(candidates, far, "ABC123") is False
    # "ABC1224" left out one of two 2s: either way a sure one
    _, boxes, candidates = _reading("ABC1224", 0.95)
    assert _drops_sure_characters(candidates, boxes, "ABC124")
    # ... unless one of them may be left out: then the reading may stand for that
    candidates[4] = (("2", 0.5),)
    assert _drops_sure_characters(candidates, boxes, "ABC124") is False


def test_an_end_character_is_dropped_to_fit_a_format_only_when_it_may_be_no_character(reader):
    """"1ABC2345" fits no rule; "1ABC234" (Belgian) does. The 5 is dropped when it may be a
    border or screw read as a character (read unsure, sized or placed unlike the others), and
    kept, the reading unformatted, when it is read sure and looks like the others (a plate of a
    layout no rule has, such as German THW 89065)."""
    def match(text, probs=None, boxes=None):
        _, row, candidates = _reading(text)
        if probs:
            candidates = [((c[0][0], probs.get(k, c[0][1])),) + c[1:] for k, c in enumerate(candidates)]
        if boxes:
            row = [boxes.get(k, b) for k, b in enumerate(row)]
        found, keep = reader._match(candidates, np.asarray(row), _Rules(reader.options.countries))
        return None if found is None else found.compact, keep

    assert match("1ABC2345") == (None, slice(None))                          # sure, alike: kept
    assert match("1ABC2345", probs={7: 0.6}) == ("1ABC234", slice(None, -1))   # unsure: dropped
    assert match("1ABC2345", boxes={7: (70.0, 6.0, 78.0, 14.0)})[0] == "1ABC234"    # too small
    assert match("1ABC2345", boxes={7: (100.0, 0.0, 108.0, 20.0)})[0] == "1ABC234"  # far off
    assert match("91ABC234", probs={0: 0.5}) == ("1ABC234", slice(1, None))   # the first end too
    assert match("1ABC234") == ("1ABC234", slice(None))


@pytest.mark.parametrize("first_text, calls", [("1ABC234", 1), ("WWWWWWWWW", 2), ("ABC234", 2)])
def test_alternatives_are_read_only_when_they_could_win(example_images, monkeypatch, first_text, calls):
    """A first reading a format fits almost perfectly stands without the CNN reading the other
    segmentations (no Belgian layout has 8 characters), unless a layout has one character
    more: then the readings of that length are read, since one adding a character to the
    first needs no margin (ABC-234, a Belgian layout of six, against 1-ABC-234). One that fits
    no format makes the reader read them all (one batch)."""
    from lpr import reader as reader_module
    from lpr.recognition.char_classifier import CharClassifier
    from lpr.segmentation import contours

    def fake_candidates(crop_image, alternatives=True):
        h, w = crop_image.shape[:2]
        rows = [[contours.CharBox((w * (k + 0.1) / n, 0.2 * h, w * (k + 0.9) / n, 0.8 * h)) for k in range(n)]
                for n in (len(first_text), 7)]
        return rows if alternatives else rows[:1]

    seen = []

    def fake_classify(self, crops):
        seen.append(len(crops))
        text = first_text if len(seen) % 2 else "1ABC234"
        return [((text[k % len(text)], 0.99), ("Q", 0.005)) for k in range(len(crops))]

    _fake_segmenter(monkeypatch, fake_candidates)
    monkeypatch.setattr(CharClassifier, "classify", fake_classify)
    # evenly spaced boxes fit the Belgian layouts' gaps only so well (1-ABC-234 scores ~0.79):
    # with this margin a first reading that fits is out of reach (0.79 x 2 > 1), as a
    # near-perfect one is at 1.1
    monkeypatch.setattr(reader_module, "ALTERNATIVE_MARGIN", 2.0)
    with lpr.Reader(engine="darknet", straighten=False, countries=["be"]) as reader:
        seen.clear()
        plates = reader.read(example_images[0][1])
        assert plates and len(seen) == calls * len(plates)
        assert all(p.text == "1-ABC-234" for p in plates)
    with lpr.Reader(engine="darknet", straighten=False, countries=["be"], alternatives=False) as reader:
        seen.clear()
        plates = reader.read(example_images[0][1])
        assert plates and len(seen) == len(plates)


def test_only_the_kept_crops_alternatives_are_made(example_images, monkeypatch):
    """A tilted plate's crop and the crop turned level are both segmented, one is kept, and only
    the kept one's alternative segmentations are made (when recognition reads them), so asking
    for alternatives costs nothing for the other: on the example images, more crops are
    segmented with alternatives wanted than there are plates to read, and no more alternatives
    are made than plates read."""
    from lpr.segmentation import contours

    made, wanted, plates = [], [], []
    real_make = contours.PlateSegmentations._with_alternatives
    monkeypatch.setattr(contours.PlateSegmentations, "_with_alternatives",
                        lambda self: made.append(self) or real_make(self))
    with lpr.Reader() as reader:
        real_segment, real_read = reader._segment, reader._read_plate
        monkeypatch.setattr(reader, "_segment", lambda crop, alternatives, *rest: (
            wanted.append(alternatives), real_segment(crop, alternatives, *rest))[1])
        monkeypatch.setattr(reader, "_read_plate", lambda *a, **k: plates.append(1) or real_read(*a, **k))
        reads = [reader.read(image) for _, image in example_images]
    assert sum(map(len, reads)) >= 6
    assert len({id(m) for m in made}) == len(made)          # each crop's alternatives made once
    assert len(made) <= len(plates) < sum(wanted)


@pytest.mark.parametrize("first_chars", [0, 3])
def test_a_faint_box_that_reads_as_no_plate_gets_no_alternatives(example_images, monkeypatch, first_chars):
    """A box under sure_plate is returned only when a format fits its reading well; when its first
    reading fits none and has fewer than FAINT_FIRST_CHARS characters (or the segmenter finds
    none), the other segmentations are not made and nothing more is read. A sure box with the
    same reading gets them."""
    from lpr import reader as reader_module
    from lpr.recognition.char_classifier import CharClassifier
    from lpr.segmentation import contours

    asked, batches = [], []

    def fake_candidates(crop_image, alternatives=True):
        asked.append(alternatives)
        h, w = crop_image.shape[:2]
        rows = [[contours.CharBox((w * (k + 0.1) / n, 0.2 * h, w * (k + 0.9) / n, 0.8 * h)) for k in range(n)]
                for n in (first_chars, 7)]
        rows = [r for r in rows if r]
        return rows if alternatives else rows[:1] if first_chars else []

    _fake_segmenter(monkeypatch, fake_candidates)
    monkeypatch.setattr(CharClassifier, "classify",
                        lambda self, crops: batches.append(len(crops)) or [(("W", 0.95), ("M", 0.01))] * len(crops))
    assert first_chars < reader_module.FAINT_FIRST_CHARS
    image = example_images[0][1]
    h, w = image.shape[:2]
    box = (w * 0.3, h * 0.4, w * 0.6, h * 0.5)
    with lpr.Reader(engine="darknet", straighten=False, countries=["be"]) as reader:
        faint = reader.read_boxes(image, [lpr.PlateBox(box, reader.options.sure_plate / 2)])
        faint_asked, faint_batches = asked[:], batches[:]
        asked.clear(), batches.clear()
        sure = reader.read_boxes(image, [lpr.PlateBox(box, 0.9)])
    assert faint == [] and True not in faint_asked
    assert faint_batches == ([first_chars] if first_chars else [])
    assert True in asked                                   # the sure box's alternatives were made
    assert len(sure) == 1 and set(sure[0].compact) == {"W"}   # a sure box is returned as read


def test_a_box_that_cuts_off_the_last_character_is_read_from_a_wider_crop(monkeypatch):
    """A detector box ending inside the last character: the segmenter drops the character the
    crop's side cuts, so the reading is one short and fits no format; the alternatives include
    a wider crop of the detection, which reads the whole plate."""
    from lpr.plate_crop import MARGIN_X
    from pydarknet import Detection

    with lpr.Reader(engine="darknet", countries=["be"]) as reader:
        whole = narrow = 0
        for seed in range(6):
            image, truth, _, chars = _synthetic_scene(seed)
            x1 = min(c[0] for c in chars) - 20
            y1, y2 = min(c[1] for c in chars) - 12, max(c[3] for c in chars) + 12
            middle = (chars[-1][0] + chars[-1][2]) / 2      # the crop (box + margin) ends here
            x2 = (middle + MARGIN_X * x1) / (1 + MARGIN_X)
            box = (float(x1), float(y1), float(x2), float(y2))
            monkeypatch.setattr(reader._plate_detector, "detect",
                                lambda img, thresh, nms, fit_input, box=box, **_: [Detection(0, "plate", 0.9, box)])
            reader.options = dataclasses.replace(reader.options, alternatives=False)
            narrow += any(p.compact == truth for p in reader.read(image))
            reader.options = dataclasses.replace(reader.options, alternatives=True)
            whole += any(p.compact == truth for p in reader.read(image))
    assert narrow <= 1 and whole >= 5, (narrow, whole)


def test_a_faint_detection_is_a_plate_only_when_a_format_fits_its_reading(monkeypatch):
    """Detections between plate_threshold and sure_plate are returned only when a format rule
    fits their reading well (FAINT_PLATE_FIT); surer ones whatever they read."""
    from lpr.recognition.char_classifier import CharClassifier
    from pydarknet import Detection

    image, truth, box, _ = _synthetic_scene(0)
    with lpr.Reader(engine="darknet", countries=["be"]) as reader:
        def read(confidence):
            monkeypatch.setattr(reader._plate_detector, "detect", lambda img, thresh, nms, fit_input, **_: [
                Detection(0, "plate", confidence, tuple(float(v) for v in box))])
            return [p.compact for p in reader.read(image)]

        assert reader.options.plate_threshold < 0.07 < reader.options.sure_plate
        assert read(0.07) == [truth] and read(0.5) == [truth]
        with monkeypatch.context() as m:      # the same boxes read as a text no rule has
            m.setattr(CharClassifier, "classify", lambda self, crops: [(("W", 0.9), ("M", 0.05))] * len(crops))
            assert read(0.07) == []
            assert read(0.5) == ["W" * len(truth)]
    with lpr.Reader(engine="darknet", countries=["be"], sure_plate=0.05) as reader:
        monkeypatch.setattr(CharClassifier, "classify", lambda self, crops: [(("W", 0.9), ("M", 0.05))] * len(crops))
        monkeypatch.setattr(reader._plate_detector, "detect", lambda img, thresh, nms, fit_input, **_: [
            Detection(0, "plate", 0.07, tuple(float(v) for v in box))])
        assert [p.compact for p in reader.read(image)] == ["W" * len(truth)]
    with pytest.raises(ValueError, match="sure_plate"):
        lpr.Reader(engine="darknet", sure_plate=1.5)


def test_faint_boxes_are_read_when_nothing_else_reads_as_a_plate(monkeypatch):
    """read(): when no box down to plate_threshold reads as a plate, the FALLBACK_BOXES surest
    boxes down to fallback_threshold are read (and, being faint, returned only when a format
    fits them well); not when a surer box read as a plate, and not below fallback_threshold."""
    from lpr.reader import FALLBACK_BOXES
    from lpr.recognition.char_classifier import CharClassifier
    from pydarknet import Detection

    left, truth, plate, _ = _synthetic_scene(0)
    right, truth2, plate2, _ = _synthetic_scene(1)
    shift = left.shape[1]
    image = np.hstack([left, right])
    plate2 = (plate2[0] + shift, plate2[1], plate2[2] + shift, plate2[3])
    blank = [(20.0 + 40 * k, 20.0, 60.0 + 40 * k, 40.0) for k in range(FALLBACK_BOXES)]   # plain grey

    def detector(boxes):
        return lambda img, thresh, nms, fit_input, **_: [Detection(0, "plate", c, tuple(float(v) for v in b))
                                                     for c, b in boxes if c >= thresh]

    with lpr.Reader(engine="darknet", countries=["be"]) as reader:
        assert reader.options.fallback_threshold <= 0.03 < reader.options.plate_threshold
        monkeypatch.setattr(reader._plate_detector, "detect", detector([(0.03, plate2)]))
        assert [p.compact for p in reader.read(image)] == [truth2]
        assert reader.detect_plates(image) == []            # detect_plates keeps to plate_threshold
        # a box down to plate_threshold reads as a plate: the faint one is not read
        monkeypatch.setattr(reader._plate_detector, "detect", detector([(0.5, plate), (0.03, plate2)]))
        assert [p.compact for p in reader.read(image)] == [truth]
        # ... one that reads as nothing does not count
        monkeypatch.setattr(reader._plate_detector, "detect", detector([(0.5, blank[0]), (0.03, plate2)]))
        assert [p.compact for p in reader.read(image)] == [truth2]
        # only the FALLBACK_BOXES surest faint boxes are read
        monkeypatch.setattr(reader._plate_detector, "detect",
                            detector([(0.03, plate2)] + [(0.04, b) for b in blank]))
        assert reader.read(image) == []
    with lpr.Reader(engine="darknet", countries=["be"], fallback_threshold=0.05) as reader:   # off
        monkeypatch.setattr(reader._plate_detector, "detect", detector([(0.03, plate2)]))
        assert reader.read(image) == []
    # a fallback box is returned only when a format fits its reading, whatever sure_plate says
    with lpr.Reader(engine="darknet", countries=["be"], sure_plate=0.01) as reader:
        monkeypatch.setattr(reader._plate_detector, "detect", detector([(0.03, plate2)]))
        assert [p.compact for p in reader.read(image)] == [truth2]
        monkeypatch.setattr(CharClassifier, "classify", lambda self, crops: [(("W", 0.9), ("M", 0.05))] * len(crops))
        assert reader.read(image) == []
        assert [p.compact for p in reader.read_boxes(image, [lpr.PlateBox(plate2, 0.03)])] == ["W" * len(truth2)]
    with pytest.raises(ValueError, match="fallback_threshold"):
        lpr.Reader(engine="darknet", fallback_threshold=-0.1)


def _close_up(seed: int):
    """A Belgian plate on a plain 1280x720 frame, about 470 px wide (asked for 620, its
    characters capped at 64 px high; over a third of the frame, 235 px of the detector's
    640 px input): the image, its text, the plate's box."""
    from lpr.synth.formats import formats_for
    from lpr.synth.render import random_plate

    plate = random_plate(formats_for(["be"]), np.random.default_rng(seed), width_px=620)
    image = np.full((720, 1280, 3), 90, np.uint8)
    crop = cv2.cvtColor(plate.image, cv2.COLOR_RGB2BGR)
    h, w = crop.shape[:2]
    y, x = 200, 300
    alpha = plate.alpha[:, :, None].astype(np.float32) / 255.0
    image[y:y + h, x:x + w] = (crop * alpha + image[y:y + h, x:x + w] * (1.0 - alpha)).astype(np.uint8)
    return image, plate.text.chars, (x, y, x + w, y + h)


def test_close_ups_are_found_surely_by_the_large_plate_pass():
    """large_plates (the default): a plate too large for the detector's anchors is found at half
    its input far more surely than at its cfg's size alone (measured: 0.81-0.96 against
    0.22-0.74 on these ten), and the pass's boxes read."""
    from lpr.data.boxes import xyxy_iou

    with lpr.Reader(engine="darknet") as both, lpr.Reader(engine="darknet", large_plates=False) as one:
        sure = {"both": [], "one": []}
        read = 0
        for seed in range(10):
            image, truth, box = _close_up(seed)
            for name, reader in (("both", both), ("one", one)):
                on_plate = [b.confidence for b in reader.detect_plates(image) if xyxy_iou(b.box, box) >= 0.5]
                sure[name].append(max(on_plate, default=0.0))
            read += truth in [p.compact for p in both.read(image)]
    assert min(sure["both"]) >= 0.75 and np.median(sure["one"]) < 0.6, sure
    assert all(a > b for a, b in zip(sure["both"], sure["one"])), sure
    assert read >= 8


def test_the_large_plate_pass_runs_and_keeps_only_what_it_should(monkeypatch):
    """The second pass runs only when the first has a box LARGE_PLATE_TRIGGER wide (in the
    detector's input), down to fallback_threshold for read() and detect_plates() alike; of its
    boxes only those LARGE_PLATE_WIDTH wide and over LARGE_PLATE_SURE are kept, and of two boxes
    of the two passes on one plate the surer; large_plates=False: one pass."""
    from lpr.reader import LARGE_PLATE_SURE, LARGE_PLATE_TRIGGER, LARGE_PLATE_WIDTH
    from pydarknet import Detection

    image = np.full((720, 1280, 3), 90, np.uint8)       # 1280 px -> 640: a pixel of input is two of image
    calls = []

    def detector(first, second):
        def detect(img, thresh, nms, fit_input, input_scale=1.0):
            calls.append(input_scale)
            boxes = first if input_scale == 1.0 else second
            return [Detection(0, "plate", c, b) for c, b in boxes if c > thresh]
        return detect

    def wide(px, x=100.0, y=300.0):      # a box px wide in the detector's input
        return (x, y, x + 2 * px, y + 0.5 * px)

    small, large = (0.9, wide(LARGE_PLATE_TRIGGER - 10)), (0.2, wide(LARGE_PLATE_WIDTH + 40))
    surer_large = (0.8, wide(LARGE_PLATE_WIDTH + 40, x=104.0))
    with lpr.Reader(engine="darknet") as reader:
        assert reader.options.large_plates
        monkeypatch.setattr(reader._plate_detector, "detect", detector([small], [surer_large]))
        assert [b.confidence for b in reader.detect_plates(image)] == [0.9] and calls == [1.0]
        calls.clear()
        monkeypatch.setattr(reader._plate_detector, "detect", detector([large], [surer_large]))
        assert [(b.confidence, b.box) for b in reader.detect_plates(image)] == [surer_large]
        assert calls == [1.0, 0.5]
        narrow = (0.8, wide(LARGE_PLATE_WIDTH - 10, x=700.0, y=20.0))        # three places apart
        faint = (LARGE_PLATE_SURE - 0.05, wide(LARGE_PLATE_WIDTH + 40, x=700.0, y=200.0))
        elsewhere = (0.5, wide(LARGE_PLATE_WIDTH + 40, x=700.0, y=500.0))
        monkeypatch.setattr(reader._plate_detector, "detect", detector([large], [narrow, faint, elsewhere]))
        assert [b.confidence for b in reader.detect_plates(image)] == [0.5, 0.2]
        # a faint first-pass box (under plate_threshold, over fallback_threshold) starts it too, in
        # detect_plates as in read(), and is not returned itself
        calls.clear()
        faint_large = (0.03, large[1])
        assert reader.options.fallback_threshold < 0.03 < reader.options.plate_threshold
        monkeypatch.setattr(reader._plate_detector, "detect", detector([faint_large], [surer_large]))
        assert [(b.confidence, b.box) for b in reader.detect_plates(image)] == [surer_large]
        in_read = reader._detect(image, reader.options.fallback_threshold)      # what read() looks at
        assert [(b.confidence, b.box) for b in in_read] == [surer_large]
        assert calls == [1.0, 0.5, 1.0, 0.5]
        # two boxes of one pass are not compared again (darknet's NMS did that)
        twin = (0.6, wide(LARGE_PLATE_WIDTH + 40, x=110.0))
        monkeypatch.setattr(reader._plate_detector, "detect", detector([large, twin], []))
        assert [b.confidence for b in reader.detect_plates(image)] == [0.6, 0.2]
    calls.clear()
    with lpr.Reader(engine="darknet", large_plates=False) as reader:
        monkeypatch.setattr(reader._plate_detector, "detect", detector([large], [surer_large]))
        assert [b.confidence for b in reader.detect_plates(image)] == [0.2] and calls == [1.0]
    import argparse

    from lpr.read_command import add_reader_options

    parser = argparse.ArgumentParser()
    add_reader_options(parser)
    assert parser.parse_args([]).large_plates and not parser.parse_args(["--no-large-plates"]).large_plates


def test_two_boxes_on_one_plate_give_one_read(monkeypatch):
    """The detector may leave two boxes on one plate (overlapping less than its NMS asks): the
    plate is read once, from the surer box; two plates side by side stay two reads."""
    from pydarknet import Detection

    left, truth, (x1, y1, x2, y2), _ = _synthetic_scene(0)
    right, truth2, _, _ = _synthetic_scene(1)
    image = np.hstack([left, right])
    shift = left.shape[1]
    boxes = [(0.9, (x1, y1, x2, y2)), (0.6, (x1 + 0.35 * (x2 - x1), y1 - 4, x2 + 12, y2 + 4)),
             (0.8, (x1 + shift, y1, x2 + shift, y2))]
    with lpr.Reader(engine="darknet", countries=["be"]) as reader:
        monkeypatch.setattr(reader._plate_detector, "detect", lambda img, thresh, nms, fit_input, **_: [
            Detection(0, "plate", c, tuple(float(v) for v in b)) for c, b in boxes])
        found = reader.read(image)
        both = [reader._read_plate(image, lpr.PlateBox(tuple(float(v) for v in b), c), 0.0, True)
                for c, b in boxes[:2]]
    assert [p.compact for p in found] == [truth, truth2]
    assert found[0].detection_confidence == 0.9
    # without the rule the part box would be a read of its own: it reads the plate's characters
    assert both[1] is not None and len(both[1].chars) >= 3


def test_cli_refuses_an_impossible_pipeline_with_a_message(capsys):
    from lpr.cli import main

    assert main(["read", "--segmenter", "contours", "--recognizer", "yolo", str(EXAMPLES)]) == 2
    assert "recognizer='yolo'" in capsys.readouterr().err


def test_read_crop_reads_a_plate_cut_out_of_its_image(reader, tmp_path, capsys, monkeypatch):
    """Reader.read_crop: no plate detector, the whole image is the plate; lpr eval does the same
    for a .tsv list of crops, reports what each confidence threshold keeps, and refuses to draw
    it without matplotlib (before reading anything)."""
    from lpr.cli import main

    listing, right = tmp_path / "crops.tsv", 0
    lines = []
    for seed in range(4):
        image, text, (x1, y1, x2, y2), _ = _synthetic_scene(seed)
        crop = image[y1 - 6:y2 + 6, x1 - 10:x2 + 10]
        plate = reader.read_crop(crop)
        assert plate is not None and plate.detection_confidence == 1.0
        assert plate.box == (0.0, 0.0, float(crop.shape[1]), float(crop.shape[0]))
        assert all(0 <= c.box[0] < c.box[2] <= crop.shape[1] for c in plate.chars)
        right += plate.compact == text
        cv2.imwrite(str(tmp_path / f"crop{seed}.png"), crop)
        lines.append(f"crop{seed}.png\t{text}")
    assert right >= 3
    assert reader.read_crop(np.full((40, 160, 3), 200, np.uint8)) is None       # nothing written on it
    listing.write_text("\n".join(lines) + "\n")
    assert main(["eval", str(listing), "--json", "--quiet", "--engine", "darknet"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["plates"] == 4 and scores["detection_recall"] == 1.0
    assert scores["strict_accuracy"] == right / 4
    points = scores["by_confidence"]
    assert points[0] == {"threshold": 0.0, "kept": 4, "right": round(scores["folded_accuracy"] * 4), "extra": 0}
    assert all(a["kept"] >= b["kept"] and a["right"] >= b["right"] for a, b in zip(points, points[1:]))
    monkeypatch.setitem(sys.modules, "matplotlib", None)          # as if it were not installed
    assert main(["eval", str(listing), "--quiet", "--curve", str(tmp_path / "curve.png")]) == 1
    assert "needs matplotlib" in capsys.readouterr().err and not (tmp_path / "curve.png").exists()


def test_cli_eval_draws_the_confidence_curve(tmp_path, capsys):
    pytest.importorskip("matplotlib")           # the bench extra; `make test` does not install it
    from lpr.cli import main

    image, text, (x1, y1, x2, y2), _ = _synthetic_scene(0)
    cv2.imwrite(str(tmp_path / "crop.png"), image[y1 - 6:y2 + 6, x1 - 10:x2 + 10])
    (tmp_path / "crops.tsv").write_text(f"crop.png\t{text}\n")
    assert main(["eval", str(tmp_path / "crops.tsv"), "--quiet", "--engine", "darknet",
                 "--curve", str(tmp_path / "curve.png")]) == 0
    drawn = cv2.imread(str(tmp_path / "curve.png"))
    assert drawn is not None and drawn.shape[0] > 200 and drawn.std() > 10        # a picture, not a blank
    assert "keeping reads of confidence >= t" in capsys.readouterr().out


def test_a_banded_plate_is_read_with_every_countrys_rules():
    from test_lpr_reader_parts import _rendered_crop

    with lpr.Reader(engine="darknet") as reader, lpr.Reader(engine="darknet", eu_band=False) as narrow, \
            lpr.Reader(engine="darknet", countries=["be"]) as belgian:
        for seed in range(3):
            crop, text = _rendered_crop("es", seed)
            read = reader.read_crop(crop)
            assert (read.compact, read.country) == (text, "es")
            for other in (narrow.read_crop(crop), belgian.read_crop(crop)):
                assert other is None or other.country != "es"    # no band rule / countries given: kept to them


def test_a_tall_plate_is_not_read_as_a_long_european_one():
    """US-shaped plates (12x6 in) carrying a French-looking registration (LL DDD LL): with the
    plate's shape, the reading stays as drawn and unformatted, no tall plate has that layout;
    without it, the French, Serbian and UK rules fit it and change characters to fit (CI -> CJ,
    UQ -> JQ). A two-row UK square plate is tall too, and keeps its rule."""
    from lpr.synth.formats import FORMATS_BY_KEY, Layout, generate_text
    from lpr.synth.render import render_plate
    from test_lpr_reader_parts import _rendered_crop

    us_plate = dataclasses.replace(FORMATS_BY_KEY["us"], layouts=(Layout(("LL DDD LL",)),))
    with lpr.Reader(engine="darknet") as reader, lpr.Reader(engine="darknet", plate_shape=False) as anyway:
        shaped, unshaped = [], []
        for seed in range(12):
            rng = np.random.default_rng(seed)
            text = generate_text(us_plate, rng)
            plate = render_plate(us_plate, text, rng, cap_px=48, holder_probability=0.0)
            b = plate.plate_box
            crop = cv2.cvtColor(plate.image, cv2.COLOR_RGB2BGR)[int(b.y1):int(b.y2), int(b.x1):int(b.x2)]
            read, other = reader.read_crop(crop), anyway.read_crop(crop)
            assert read.country is None and other.country in ("fr", "rs", "uk")
            shaped.append(read.compact == text.chars)
            unshaped.append(other.compact == text.chars)
        assert sum(shaped) >= 11 and sum(unshaped) <= sum(shaped) - 3
        for seed in range(3):
            crop, text = _rendered_crop("uk-square", seed)
            read = reader.read_crop(crop)
            assert read.country == "uk" and " " in read.text


def test_an_old_brazilian_plate_without_the_mercosur_band_keeps_its_digits(reader):
    """The CNN reads a 0 as O on old Brazilian plates, whose typeface draws them alike. The
    Mercosur layout (ABC1D23) then fits the reading as it is, with a letter fifth, and the old
    layout (ABC-1234) only with the O taken for a 0. A plate that shows no blue band across
    its top is no Mercosur plate: the old layout reads it; unknown (a grey image), both stand."""
    def chosen(top_band):
        rules = _Rules(reader.options.countries, False, top_band)
        return reader._choose([_reading("ABC1O34", 0.9)], rules)[3]

    assert (chosen(True).compact, chosen(True).format) == ("ABC1O34", "br:LLLDLDD")
    assert chosen(None).format == "br:LLLDLDD"
    assert (chosen(False).text, chosen(False).format) == ("ABC-1034", "br-old:LLL-DDDD")


def test_the_mercosur_band_is_seen_on_read_plates_in_colour_only():
    from test_lpr_reader_parts import _rendered_crop

    with lpr.Reader(engine="darknet", mercosur_band=True) as reader, lpr.Reader(engine="darknet") as anyway:
        for seed in range(3):
            crop, text = _rendered_crop("br", seed)
            read = reader.read_crop(crop)
            assert (read.compact, read.format) == (text, "br:LLLDLDD")
            gray = cv2.cvtColor(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
            assert reader.read_crop(gray).format == "br:LLLDLDD"       # no colour: the band is not asked for
            # the band painted over in the plate's white, the plate on a car's red paint (a colour
            # image): no Mercosur layout; without the option (the default), the Mercosur layout
            plain = crop.copy()
            plain[:int(0.3 * crop.shape[0])] = np.median(crop[crop.shape[0] // 2:], axis=(0, 1))
            on_car = cv2.copyMakeBorder(plain, 30, 30, 40, 40, cv2.BORDER_CONSTANT, value=(40, 40, 170))
            h, w = on_car.shape[:2]
            box = lpr.PlateBox((40.0, 30.0, w - 40.0, h - 30.0), 0.9)
            assert [p.format for p in reader.read_boxes(on_car, [box])] != ["br:LLLDLDD"]
            assert [p.format for p in anyway.read_boxes(on_car, [box])] == ["br:LLLDLDD"]


def test_cli_self_label_writes_the_plates_it_reads_surely(tmp_path, capsys):
    """`lpr data self-label --scenes` on generated Belgian scenes: each plate kept carries the
    characters the reader read, each box over one of the drawn characters, and the image a
    crop list excludes is not read."""
    from lpr.cli import main
    from lpr.data.boxes import xyxy_iou
    from lpr.training.evaluate_detector import read_yolo_boxes

    truths = {}
    for seed in range(6):
        image, text, _, chars = _synthetic_scene(seed)
        cv2.imwrite(str(tmp_path / f"scene{seed}.png"), image)
        truths[f"scene{seed}.png"] = (text, chars)
    (tmp_path / "measured.tsv").write_text("scene5.png\tX\n")
    out = tmp_path / "labels"
    code = main(["data", "self-label", str(out), str(tmp_path), "--scenes", "--quiet", "--engine", "darknet",
                 "--exclude", str(tmp_path / "measured.tsv")])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "5 images read (1 excluded)" in printed
    rows = [r.split("\t") for r in (out / "readings.tsv").read_text().splitlines()[1:]]
    assert len(rows) >= 3 and not any(r[1].endswith("scene5.png") for r in rows)
    right = 0
    for name, source, text, country, _, sureness in rows:
        assert country and float(sureness) >= 0.9
        image = cv2.imread(str(out / "images" / name))
        boxes, classes = read_yolo_boxes(str(out / "images" / name), image.shape[1], image.shape[0])
        assert "".join(mf.CHARACTERS[c] for c in classes) == "".join(c for c in text if c.isalnum())
        truth_text, truth_chars = truths[Path(source).name]
        right += "".join(mf.CHARACTERS[c] for c in classes) == truth_text
        # the crop's offset in the scene: the label boxes, moved back, lie over the drawn characters
        scene = cv2.imread(source)
        found = cv2.matchTemplate(scene, image, cv2.TM_SQDIFF)
        left, top = cv2.minMaxLoc(found)[2]
        for box in boxes + [left, top, left, top]:
            assert max(xyxy_iou(box, t) for t in truth_chars) > 0.5
    assert right >= len(rows) - 1


def test_read_is_detect_plates_then_read_boxes(reader, example_images):
    """On photos where a box above plate_threshold reads as a plate (every example image):
    when none does, read() also tries its fallback (test_faint_boxes_are_read_...)."""
    def strip(plates):
        return [dataclasses.replace(p, timings=lpr.Timings()) for p in plates]

    for path, image in example_images:
        found = reader.detect_plates(image)
        assert all(isinstance(f, lpr.PlateBox) for f in found)
        assert [f.confidence for f in found] == sorted((f.confidence for f in found), reverse=True)
        plates = reader.read(image)
        assert plates, path
        assert strip(reader.read_boxes(image, found)) == strip(plates)
        assert {p.box for p in plates} <= {f.box for f in found}
        # a subset of the boxes reads that subset
        best = max(plates, key=lambda p: p.confidence)
        (one,) = reader.read_boxes(path, [lpr.PlateBox(best.box, best.detection_confidence)])
        assert strip([one]) == strip([best])


def test_read_boxes_reads_your_own_boxes_and_refuses_bad_ones(reader, example_images):
    path, image = example_images[0]
    best = max(reader.read(image), key=lambda p: p.confidence)
    (mine,) = reader.read_boxes(image, [lpr.PlateBox(best.box, 0.5)])
    assert (mine.text, mine.detection_confidence) == (best.text, 0.5)
    assert mine.confidence == pytest.approx(0.5 * mine.reading_confidence)
    assert reader.read_boxes(image, []) == []
    with pytest.raises(TypeError):
        reader.read_boxes(image, [best.box])
    for bad in [(float("nan"), 0, 10, 10), (50, 0, 10, 10), (0, 0, 10)]:
        with pytest.raises(ValueError):
            reader.read_boxes(image, [lpr.PlateBox(bad, 0.5)])
    with pytest.raises(ValueError):
        reader.read_boxes(image, [lpr.PlateBox(best.box, 1.5)])
    with pytest.raises(ImageError):
        reader.read_boxes(b"not an image", [lpr.PlateBox(best.box, 0.5)])
    with pytest.raises(ImageError):
        reader.detect_plates(b"not an image")


def test_a_synthetic_drive_reports_each_vehicle_once_reading_settled_plates_less(tmp_path):
    from lpr.synth.video import write_drive_video
    from lpr.video.runner import read_video
    from lpr.video.tracking import PlateTracker

    path = tmp_path / "drive.avi"
    truth = write_drive_video(path, vehicles=2, frames=45, size=(960, 540), seed=3)
    expected = [(t.text, (t.first, t.last)) for t in truth]
    with lpr.Reader() as r:
        every = read_video(path, r, progress=False, tracker=PlateTracker(settle=0))
        assert [(x.compact, x.frames) for x in every] == expected
        settled = read_video(path, r, progress=False)           # the default: settle 3, reread 10
        assert [(x.compact, x.frames) for x in settled] == expected
    assert every.summary.plates_unread == 0
    assert every.summary.plates_read == sum(t.last - t.first + 1 for t in truth)
    assert settled.summary.plates_read + settled.summary.plates_unread == every.summary.plates_read
    assert settled.summary.plates_read < every.summary.plates_read / 3
