"""`lpr video`'s loop on a synthetic drive (lpr.synth.video: 3 vehicles, 150 frames of 1280x720,
Motion JPEG), the default reader with either character CNN (and the compact one with the
networks on OpenCV DNN, the default engine before ONNX Runtime): every plate of every frame read
(settle 0) against settled tracks' plates left unread (the default, settle 3, reread 10). Each
round is the whole video, decoding included; divide by 150 for a frame."""
from __future__ import annotations

import pytest

import lpr
from lpr.synth.video import write_drive_video
from lpr.video.runner import read_video
from lpr.video.tracking import PlateTracker

FRAMES = 150


@pytest.fixture(scope="module")
def drive(tmp_path_factory):
    path = tmp_path_factory.mktemp("drive") / "drive.avi"
    return path, write_drive_video(path, vehicles=3, frames=FRAMES, size=(1280, 720), seed=1)


@pytest.fixture(scope="module", params=[("compact", "auto"), ("compact", "opencv"), ("study", "auto")],
                ids=lambda p: "-".join(p))
def reader(request):
    cnn_model, engine = request.param
    with lpr.Reader(cnn_model=cnn_model, engine=engine, cnn_engine=engine) as r:
        yield r


@pytest.mark.parametrize("settle", [0, 3], ids=["every-plate-read", "settled-unread"])
def test_video_drive(benchmark, drive, reader, settle):
    path, truth = drive
    runs = []

    def whole_video():
        run = read_video(path, reader, progress=False, tracker=PlateTracker(settle=settle, reread=10))
        runs.append((list(run), run.summary))

    benchmark.group = f"lpr video, synthetic drive ({FRAMES} frames 1280x720, 3 vehicles; whole run)"
    label = "every plate read (settle 0)" if settle == 0 else "settled plates unread (settle 3, reread 10)"
    pipeline = f"{reader.engine}, contours + {reader.cnn_model} cnn ({reader._classifier.engine})"
    benchmark.extra_info.update(engine=f"{pipeline}; {label}", build="lpr " + lpr.__version__)
    benchmark.pedantic(whole_video, rounds=3, iterations=1, warmup_rounds=0)
    reports, summary = runs[-1]
    assert [r.compact for r in reports] == [t.text for t in truth]     # the same vehicles either way
    benchmark.extra_info.update(plates_read=summary.plates_read, plates_unread=summary.plates_unread)
