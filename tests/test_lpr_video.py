"""lpr.video (tracking, voting, the video loop, `lpr video`) and lpr.drawing, on synthetic plate
sequences and a small generated video with a fake reader: nothing here depends on a model."""
from __future__ import annotations

import argparse
import dataclasses
import json
import threading
from pathlib import Path

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from lpr.drawing import ImageWriteError, _label_origin, _style, draw_plates, write_image  # noqa: E402
from lpr.results import CharRead, PlateBox, PlateRead  # noqa: E402
from lpr.video.command import add_video_command  # noqa: E402
from lpr.video.runner import VideoSourceError, parse_source, read_video  # noqa: E402
from lpr.video.tracking import PlateTracker, TrackReport, vote  # noqa: E402


def plate(text: str, confidence: float, box, *, country=None, fmt=None, chars=()) -> PlateRead:
    return PlateRead(text=text, confidence=confidence, box=tuple(float(v) for v in box),
                     detection_confidence=confidence, chars=chars, country=country, format=fmt)


def moved(box, dx: float, dy: float = 0.0):
    x1, y1, x2, y2 = box
    return (x1 + dx, y1 + dy, x2 + dx, y2 + dy)


def run_tracker(tracker: PlateTracker, frames) -> list[TrackReport]:
    """Feed ``frames`` (lists of plates, frame index = position) and finish."""
    reports = []
    for index, plates in enumerate(frames):
        reports += tracker.update(index, plates)
    return reports + tracker.finish()


# --------------------------------------------------------------------------- tracking

def test_a_moving_plate_is_one_track():
    box = (40, 100, 140, 130)
    frames = [[plate("1-ABC-234", 0.8, moved(box, 12 * i, 2 * i))] for i in range(20)]
    reports = run_tracker(PlateTracker(), frames)
    assert len(reports) == 1
    report = reports[0]
    assert (report.track_id, report.text, report.frames, report.readings) == (1, "1-ABC-234", (0, 19), 20)
    assert report.votes == 20 and report.confidence == pytest.approx(0.8)


def test_fast_motion_without_overlap_stays_one_track():
    # 90 px a frame for a 100 px plate: IoU 0.05 with the last box, the centre-distance fallback
    # takes the first step, the velocity estimate the rest
    box = (0, 100, 100, 130)
    frames = [[plate("AB12CDE", 0.7, moved(box, 90 * i))] for i in range(8)]
    reports = run_tracker(PlateTracker(), frames)
    assert [(r.text, r.frames, r.readings) for r in reports] == [("AB12CDE", (0, 7), 8)]
    # without the fallback and prediction it would break up: check the test would notice
    assert len(run_tracker(PlateTracker(max_distance=0.0), frames)) == 0   # 8 one-reading tracks, all noise


def test_another_plate_arriving_where_one_left_starts_a_new_track():
    """A plate that overlaps no track is paired by centre distance only when its text could be
    the track's: another vehicle's plate arriving next to where one left is a new track, while a
    misread character does not break a fast-moving plate's track."""
    box = (0, 100, 100, 130)
    first = [[plate("1-ABC-234", 0.8, moved(box, 10 * i))] for i in range(6)]
    # 90 px past the first's expected box: IoU 0.05, centre distance 0.9 plate widths
    second = [[plate("2-XYZ-987", 0.7, moved(box, 150 + 10 * i))] for i in range(6)]
    reports = run_tracker(PlateTracker(), first + second)
    assert [(r.text, r.frames) for r in reports] == [("1-ABC-234", (0, 5)), ("2-XYZ-987", (6, 11))]
    fast = [[plate("AB12CDE" if i % 3 else "AB12CDF", 0.7, moved(box, 90 * i))] for i in range(8)]
    assert [(r.text, r.readings) for r in run_tracker(PlateTracker(), fast)] == [("AB12CDE", 8)]


def test_two_plates_side_by_side_stay_two_tracks():
    left, right = (20, 100, 120, 130), (140, 102, 240, 132)
    frames = []
    for i in range(12):
        pair = [plate("1-ABC-234", 0.8, moved(left, 3 * i)), plate("2-XYZ-987", 0.7, moved(right, 3 * i))]
        frames.append(pair if i % 2 else pair[::-1])       # the reader's order must not matter
    reports = run_tracker(PlateTracker(), frames)
    assert sorted((r.text, r.readings, r.votes, r.frames) for r in reports) == [
        ("1-ABC-234", 12, 12, (0, 11)), ("2-XYZ-987", 12, 12, (0, 11))]
    assert sorted(r.track_id for r in reports) == [1, 2]


def test_a_plate_gone_longer_than_max_missed_starts_a_new_track():
    box = (50, 50, 150, 80)
    seen = [[plate("1-ABC-234", 0.9, box)]]
    tracker = PlateTracker(max_missed=2)
    ended = []
    for index, plates in enumerate(seen * 5 + [[]] * 3 + seen * 5):   # gone for frames 5, 6, 7
        reports = tracker.update(index, plates)
        if reports:
            ended.append((index, reports))
    assert [(index, [(r.track_id, r.frames) for r in reports]) for index, reports in ended] == [(7, [(1, (0, 4))])]
    rest = tracker.finish()
    assert [(r.track_id, r.frames, r.readings) for r in rest] == [(2, (8, 12), 5)]


def test_a_gap_of_max_missed_frames_keeps_the_track():
    box = (50, 50, 150, 80)
    seen = [[plate("1-ABC-234", 0.9, box)]]
    reports = run_tracker(PlateTracker(max_missed=2), seen * 5 + [[]] * 2 + seen * 5)
    assert [(r.track_id, r.frames, r.readings) for r in reports] == [(1, (0, 11), 10)]


def test_one_plate_per_track_per_frame():
    # two detections on the same plate in one frame: one continues the track, the other starts one
    box = (50, 50, 150, 80)
    tracker = PlateTracker(min_hits=1)
    tracker.update(0, [plate("1ABC234", 0.9, box)])
    tracker.update(1, [plate("1ABC234", 0.9, box), plate("1ABC234", 0.5, moved(box, 2))])
    reports = tracker.finish()
    assert sorted(r.readings for r in reports) == [1, 2]


def test_frame_indices_must_increase():
    tracker = PlateTracker()
    tracker.update(3, [])
    with pytest.raises(ValueError, match="increase"):
        tracker.update(3, [])


def test_min_hits_drops_a_one_frame_ghost():
    box, ghost = (50, 50, 150, 80), (220, 160, 300, 185)
    frames = [[plate("1-ABC-234", 0.8, box)] for _ in range(10)]
    frames[4] = frames[4] + [plate("8-GHO-555", 0.95, ghost)]
    reports = run_tracker(PlateTracker(min_hits=2), frames)
    assert [(r.track_id, r.text) for r in reports] == [(1, "1-ABC-234")]
    # the same frames with min_hits=1 do report the ghost: the filter is what removed it
    assert sorted(r.text for r in run_tracker(PlateTracker(min_hits=1), frames)) == ["1-ABC-234", "8-GHO-555"]


def test_snapshot_gives_the_tracks_text_so_far():
    box = (50, 50, 150, 80)
    tracker = PlateTracker(min_hits=2)
    tracker.update(0, [plate("1-ABC-234", 0.9, box)])
    assert tracker.snapshot() == [None]                   # not confirmed yet
    tracker.update(1, [plate("1-ABC-284", 0.3, box)])
    (current,) = tracker.snapshot()
    assert (current.track_id, current.text, current.readings) == (1, "1-ABC-234", 2)


# --------------------------------------------------------------------------- settling

BOX = (100.0, 100.0, 160.0, 120.0)


def feed(tracker: PlateTracker, texts, start: int = 0, dx: float = 2.0) -> list[bool]:
    """One frame per text (None: the plate is found but left unread when the tracker says so);
    returns, per frame, whether needs_reading asked for a reading."""
    asked = []
    for k, text in enumerate(texts):
        index = start + k
        box = moved(BOX, dx * index)
        (need,) = tracker.needs_reading(index, [box])
        asked.append(need)
        if need:
            assert text is not None, f"frame {index} needed a reading"
            tracker.update(index, [plate(text, 0.9, box)])
        else:
            tracker.update(index, [], seen=[box])
    return asked


def test_a_track_settles_after_agreeing_readings_and_is_reread_every_reread_updates():
    tracker = PlateTracker(settle=3, reread=4)
    asked = feed(tracker, ["1ABC234"] * 3 + [None, None, None, "1ABC234", None, None, None, "1ABC234"])
    #                         read read read  skip  skip  skip  re-read    skip  skip  skip  re-read
    assert asked == [True, True, True, False, False, False, True, False, False, False, True]
    (report,) = tracker.finish()
    assert (report.text, report.readings, report.votes, report.frames) == ("1ABC234", 5, 5, (0, 10))


def test_settle_0_reads_every_plate():
    assert feed(PlateTracker(settle=0), ["1ABC234"] * 6) == [True] * 6


def test_disagreeing_readings_do_not_settle_and_a_disagreeing_reread_unsettles():
    tracker = PlateTracker(settle=3, reread=2)
    assert feed(tracker, ["1ABC234", "1ABC284", "1ABC234", "1ABC234"]) == [True] * 4
    # the last three readings disagree: not settled yet
    assert feed(tracker, ["1ABC234", None, "1ABC284", "1ABC234", "1ABC234"], start=4) == [True, False, True,
                                                                                          True, True]
    # settled at frame 4, re-read at 6 reads 1ABC284: the next frames are read again


def test_unread_plates_move_the_track_and_keep_it_open_without_votes():
    tracker = PlateTracker(settle=2, reread=100, max_missed=1)
    feed(tracker, ["1ABC234", "1ABC234"] + [None] * 20, dx=5.0)
    assert tracker.active == 1                              # 20 unread frames: never missed
    assert tracker.snapshot()[0].text == "1ABC234"          # the seen box's track
    (report,) = tracker.finish()
    assert (report.readings, report.frames) == (2, (0, 21))


def test_a_seen_box_that_pairs_with_no_track_is_dropped():
    tracker = PlateTracker()
    assert tracker.update(0, [], seen=[BOX]) == []
    assert tracker.active == 0 and tracker.snapshot() == [None]


def test_a_box_that_only_jumps_to_a_settled_track_is_read():
    """Centre-distance pairing (no overlap) may be another vehicle: it is read, not assumed."""
    tracker = PlateTracker(settle=2, reread=100)
    feed(tracker, ["1ABC234", "1ABC234"], dx=0.0)
    assert tracker.needs_reading(2, [BOX]) == [False]
    jumped = moved(BOX, 45.0)                               # no overlap, 0.75 plate widths away
    assert tracker.needs_reading(2, [jumped]) == [True]
    tracker.update(2, [plate("1ABC234", 0.9, jumped)])
    (report,) = tracker.finish()                            # read as the track's text: the fallback pairs it
    assert report.readings == 3
    feed(tracker, ["1ABC234", "1ABC234"], dx=0.0)
    tracker.update(2, [plate("9XYZ876", 0.9, jumped)])
    (report,) = tracker.finish()                            # another plate: a track of its own (one reading: noise)
    assert (report.text, report.readings) == ("1ABC234", 2)


def test_only_confirmed_tracks_settle():
    """settle below min_hits: a track still waiting for its confirming reading is read."""
    tracker = PlateTracker(settle=1, min_hits=2)
    assert feed(tracker, ["1ABC234", "1ABC234", None]) == [True, True, False]


@pytest.mark.parametrize("bad", [{"settle": -1}, {"settle": 1.5}, {"reread": 0}, {"reread": 2.5}])
def test_bad_settle_options_are_refused(bad):
    with pytest.raises(ValueError):
        PlateTracker(**bad)


# --------------------------------------------------------------------------- voting

def test_vote_picks_the_largest_confidence_sum_over_the_most_frequent():
    box = (50, 50, 150, 80)
    readings = [plate("1-ABC-284", 0.2, box)] * 3 + [plate("1-ABC-234", 0.9, box)] + \
               [plate("1-ABC-284", 0.2, box)] * 2 + [plate("1-ABC-234", 0.85, box)]
    # 1ABC284: 5 readings, sum 1.0; 1ABC234: 2 readings, sum 1.75
    reports = run_tracker(PlateTracker(), [[r] for r in readings])
    assert len(reports) == 1
    report = reports[0]
    assert (report.text, report.votes, report.readings, report.method) == ("1-ABC-234", 2, 7, "text")
    assert report.confidence == pytest.approx(0.875)
    assert report.box == (50.0, 50.0, 150.0, 80.0) and report.best_frame == 3


def test_vote_compares_texts_in_compact_form():
    box = (0, 0, 10, 10)
    result = vote([plate("1-ABC-234", 0.5, box), plate("1abc 234", 0.5, box), plate("7ABC234", 0.8, box)])
    assert (result.compact, result.votes) == ("1ABC234", 2)
    assert result.text == "1-ABC-234"                     # as the most confident reading of it wrote it


def test_vote_across_lengths_prefers_the_sum():
    box = (0, 0, 10, 10)
    result = vote([plate("AB123", 0.15, box)] * 5 + [plate("1ABC234", 0.8, box)] * 2)
    assert (result.compact, result.method, result.votes) == ("1ABC234", "text", 2)


def test_per_position_vote_recovers_the_plate_from_single_errors():
    box = (50, 50, 150, 80)
    readings = [plate("1-ABX-234", 0.8, box), plate("1-AXC-234", 0.7, box), plate("7-ABC-234", 0.75, box)]
    reports = run_tracker(PlateTracker(), [[r] for r in readings])
    assert len(reports) == 1
    report = reports[0]
    assert (report.compact, report.text, report.method) == ("1ABC234", "1-ABC-234", "chars")
    assert report.votes == 2 and report.readings == 3
    assert 0.7 <= report.confidence <= 0.8
    # the text vote alone would have taken the most confident reading
    assert vote(readings[:1]).compact == "1ABX234"


def test_per_position_vote_written_in_the_country_format():
    box = (0, 0, 10, 10)
    readings = [plate("AB-123-CX", 0.8, box, country="fr", fmt="fr:LL-DDD-LL"),
                plate("AB-128-CD", 0.7, box, country="fr", fmt="fr:LL-DDD-LL"),
                plate("XB-123-CD", 0.75, box, country="fr", fmt="fr:LL-DDD-LL")]
    result = vote(readings)
    assert (result.compact, result.method, result.text, result.country) == ("AB123CD", "chars", "AB-123-CD", "fr")
    # AB123CD was read by no one: written by the French rules' match, in their format's name
    assert result.format == "fr:FF-DDD-FF"


def test_a_winning_text_is_not_overruled_by_a_weaker_assembly():
    box = (0, 0, 10, 10)
    # one strong reading against two weak ones that disagree with it and with each other
    result = vote([plate("1ABC234", 0.9, box), plate("1ABX284", 0.3, box), plate("1ABX284", 0.3, box)])
    assert (result.compact, result.method) == ("1ABC234", "text")


# --------------------------------------------------------------------------- the video loop

WIDTH, HEIGHT, FRAMES, FPS = 320, 240, 30, 10.0
PLATE_W, PLATE_H = 60, 20


def plate_x(index: int) -> int:
    return 20 + 6 * index


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    """30 frames, 320x240, MJPG: a white 60x20 'plate' moving right 6 px a frame on grey."""
    path = tmp_path_factory.mktemp("video") / "moving.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (WIDTH, HEIGHT))
    assert writer.isOpened()
    for i in range(FRAMES):
        frame = np.full((HEIGHT, WIDTH, 3), 60, np.uint8)
        cv2.rectangle(frame, (plate_x(i), 110), (plate_x(i) + PLATE_W - 1, 110 + PLATE_H - 1), (255, 255, 255), -1)
        writer.write(frame)
    writer.release()
    return path


class FakeReader:
    """Finds the bright rectangle and reads it as 1-ABC-234; optionally Ctrl-C on call N."""

    def __init__(self, interrupt_at: int | None = None) -> None:
        self.calls = 0
        self.interrupt_at = interrupt_at
        self.closed = False

    def read(self, image: np.ndarray) -> list[PlateRead]:
        self.calls += 1
        if self.interrupt_at is not None and self.calls == self.interrupt_at:
            raise KeyboardInterrupt
        ys, xs = np.nonzero(image.max(axis=2) > 200)
        if len(xs) == 0:
            return []
        box = (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
        char = CharRead("1", 0.9, (box[0] + 2, box[1] + 2, box[0] + 10, box[3] - 2))
        return [plate("1-ABC-234", 0.9, box, chars=(char,))]

    def close(self) -> None:
        self.closed = True


def count_frames(path: Path) -> tuple[int, tuple[int, int]]:
    capture = cv2.VideoCapture(str(path))
    assert capture.isOpened()
    count, size = 0, (0, 0)
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        count, size = count + 1, (frame.shape[1], frame.shape[0])
    capture.release()
    return count, size


def test_fake_reader_follows_the_plate(video):
    capture = cv2.VideoCapture(str(video))
    ok, frame = capture.read()
    capture.release()
    (found,) = FakeReader().read(frame)
    assert found.box == pytest.approx((plate_x(0), 110, plate_x(0) + PLATE_W, 110 + PLATE_H), abs=2)


def test_video_run_reports_one_vehicle_and_writes_the_annotated_video(video, tmp_path):
    reader = FakeReader()
    out = tmp_path / "annotated" / "out.mp4"
    run = read_video(video, reader, out_path=out, progress=False)
    reports = list(run)
    assert [(r.track_id, r.text, r.frames, r.readings) for r in reports] == [(1, "1-ABC-234", (0, FRAMES - 1), FRAMES)]
    summary = run.summary
    assert (summary.frames, summary.processed, summary.tracks, summary.interrupted) == (FRAMES, FRAMES, 1, False)
    assert reader.calls == FRAMES
    assert summary.reader_fps > 0 and summary.wall_fps > 0
    assert summary.source_fps == pytest.approx(FPS)
    assert run.video.closed
    assert count_frames(out) == (FRAMES, (WIDTH, HEIGHT))
    # the annotated frames differ from the source (boxes and labels were drawn)
    capture = cv2.VideoCapture(str(out))
    ok, first = capture.read()
    capture.release()
    assert ok and np.abs(first.astype(int) - 60).max() > 0
    assert np.any((first[:, :, 0] < 100) & (first[:, :, 1] > 120))     # the box or label colour


def test_video_run_every_nth_frame_and_max_frames(video):
    reader = FakeReader()
    run = read_video(str(video), reader, every=3, progress=False)
    reports = list(run)
    assert [(r.text, r.frames, r.readings) for r in reports] == [("1-ABC-234", (0, 27), 10)]
    assert (run.summary.frames, run.summary.processed, reader.calls) == (FRAMES, 10, 10)

    run = read_video(video, FakeReader(), max_frames=12, progress=False)
    assert [r.frames for r in run] == [(0, 11)]
    assert run.summary.frames == 12


def test_video_run_stops_cleanly_on_ctrl_c(video, tmp_path):
    out = tmp_path / "partial.mp4"
    run = read_video(video, FakeReader(interrupt_at=11), out_path=out, progress=False)
    reports = list(run)
    assert [(r.text, r.frames) for r in reports] == [("1-ABC-234", (0, 9))]
    assert run.summary.interrupted and run.summary.frames == 10
    assert run.video.closed
    assert count_frames(out)[0] == 10                       # the writer was released: a readable file


class DetectingFakeReader(FakeReader):
    """FakeReader that also finds without reading (detect_plates / read_boxes), as lpr.Reader."""

    def __init__(self) -> None:
        super().__init__()
        self.detected = self.boxes_read = 0

    def detect_plates(self, image: np.ndarray) -> list[PlateBox]:
        self.detected += 1
        return [PlateBox(p.box, p.detection_confidence) for p in FakeReader().read(image)]

    def read_boxes(self, image: np.ndarray, boxes) -> list[PlateRead]:
        self.boxes_read += len(boxes)
        return [dataclasses.replace(p, box=b.box) for b in boxes for p in FakeReader().read(image)]


def test_video_run_leaves_settled_plates_unread_and_reports_the_same(video, tmp_path):
    plain = list(read_video(video, FakeReader(), progress=False))
    reader = DetectingFakeReader()
    out = tmp_path / "settled.mp4"
    run = read_video(video, reader, progress=False, out_path=out, tracker=PlateTracker(settle=3, reread=10))
    reports = list(run)
    assert [(r.text, r.frames) for r in reports] == [(r.text, r.frames) for r in plain] == [("1-ABC-234", (0, 29))]
    # read on frames 0-2 (settling), then re-read on 12 and 22
    assert (reader.calls, reader.detected, reader.boxes_read, reports[0].readings) == (0, FRAMES, 5, 5)
    assert (run.summary.plates_read, run.summary.plates_unread) == (5, FRAMES - 5)
    assert count_frames(out)[0] == FRAMES

    reader = DetectingFakeReader()
    run = read_video(video, reader, progress=False, tracker=PlateTracker(settle=0))
    assert [r.readings for r in run] == [FRAMES]
    # found first, then every plate read
    assert (reader.calls, reader.detected, reader.boxes_read, run.summary.plates_unread) == (0, FRAMES, FRAMES, 0)
    run = read_video(video, FakeReader(), progress=False, tracker=PlateTracker(settle=3))
    assert [r.readings for r in run] == [FRAMES]          # a reader that cannot find without reading


class ThreadNotingReader(DetectingFakeReader):
    """DetectingFakeReader that notes the threads its calls run in, and fails at detection N."""

    def __init__(self, fail_at: int | None = None, interrupt_at: int | None = None) -> None:
        super().__init__()
        self.fail_at, self.interrupt_reading_at = fail_at, interrupt_at
        self.detect_threads: set[str] = set()
        self.read_threads: set[str] = set()

    def detect_plates(self, image: np.ndarray) -> list[PlateBox]:
        self.detect_threads.add(threading.current_thread().name)
        if self.fail_at is not None and self.detected + 1 == self.fail_at:
            raise RuntimeError("detector broke")
        return super().detect_plates(image)

    def read_boxes(self, image: np.ndarray, boxes) -> list[PlateRead]:
        self.read_threads.add(threading.current_thread().name)
        if self.interrupt_reading_at is not None and self.boxes_read + len(boxes) >= self.interrupt_reading_at:
            raise KeyboardInterrupt
        return super().read_boxes(image, boxes)


def _prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "lpr-video-prefetch"]


@pytest.mark.parametrize("settle", [0, 3])
def test_prefetching_finds_plates_in_a_background_thread_and_reports_the_same(video, settle):
    runs = {}
    for prefetch in (False, True):
        reader = ThreadNotingReader()
        run = read_video(video, reader, progress=False, tracker=PlateTracker(settle=settle, reread=10),
                         prefetch=prefetch)
        reports = list(run)
        runs[prefetch] = ([dataclasses.astuple(r) for r in reports], run.summary.frames, run.summary.processed,
                          run.summary.plates_read, run.summary.plates_unread, reader.calls, reader.boxes_read)
        main = threading.current_thread().name
        assert reader.detect_threads == ({"lpr-video-prefetch"} if prefetch else {main})
        assert reader.read_threads == {main} and reader.calls == 0
    assert runs[True] == runs[False]
    assert not _prefetch_threads()


def test_prefetching_raises_the_detectors_error_in_the_loop_and_stops(video):
    reader = ThreadNotingReader(fail_at=7)
    run = read_video(video, reader, progress=False, tracker=PlateTracker(settle=3, reread=10))
    with pytest.raises(RuntimeError, match="detector broke"):
        list(run)
    assert run.video.closed and not _prefetch_threads()
    assert run.summary.frames == 6                          # the frames before the failing one


def test_prefetching_stops_on_ctrl_c(video):
    reader = ThreadNotingReader(interrupt_at=4)
    run = read_video(video, reader, progress=False, tracker=PlateTracker(settle=3, reread=10))
    assert [r.frames for r in run] == [(0, 11)]      # read on frames 0-2, Ctrl-C at the re-read on 12
    assert run.summary.interrupted and run.video.closed and not _prefetch_threads()


def test_the_prefetcher_stays_a_few_frames_ahead_and_stops_on_close():
    from lpr.video.runner import PREFETCH_DEPTH, _Prefetch

    made = []

    def endless():                      # a camera: frames until told to stop
        while True:
            made.append(len(made))
            yield np.full((4, 4, 3), len(made) % 256, np.uint8)

    prefetch = _Prefetch(endless(), lambda frame: [PlateBox((0, 0, 2, 2), float(frame[0, 0, 0]) / 255)],
                         every=2, max_frames=None)
    frames = iter(prefetch)
    taken = [next(frames) for _ in range(5)]
    assert [(i, f is not None) for i, _, f, _ in taken] == [(0, True), (1, False), (2, True), (3, False), (4, True)]
    assert taken[2][2][0].confidence == pytest.approx(3 / 255)
    prefetch.close()
    assert not _prefetch_threads()
    assert len(made) <= len(taken) + PREFETCH_DEPTH + 1      # decoded ahead, but not on and on


def test_bad_video_sources_raise_a_clear_error(tmp_path):
    missing = tmp_path / "nope.mp4"
    with pytest.raises(VideoSourceError, match="nope.mp4.*no such file"):
        read_video(missing, FakeReader(), progress=False)
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"this is not a video" * 100)
    with pytest.raises(VideoSourceError, match="junk.avi"):
        read_video(junk, FakeReader(), progress=False)
    with pytest.raises(VideoSourceError, match="folder"):
        read_video(tmp_path, FakeReader(), progress=False)


def test_parse_source_tells_cameras_from_paths():
    assert parse_source(0) == 0 and parse_source("1") == 1 and parse_source(" 2 ") == 2
    assert parse_source("clip.mp4") == "clip.mp4" and parse_source(Path("7.mp4")) == "7.mp4"
    assert parse_source("rtsp://cam/1") == "rtsp://cam/1"


# --------------------------------------------------------------------------- drawing

def sample_plate(country="be") -> PlateRead:
    chars = tuple(CharRead(c, 0.9, (60 + 12 * i, 105, 70 + 12 * i, 125)) for i, c in enumerate("1ABC234"))
    return plate("1-ABC-234", 0.87, (50, 100, 150, 130), country=country, chars=chars)


def test_draw_plates_returns_an_annotated_copy():
    image = np.full((240, 320, 3), 30, np.uint8)
    before = image.copy()
    drawn = draw_plates(image, [sample_plate()])
    assert drawn.shape == image.shape and drawn.dtype == np.uint8
    assert not np.array_equal(drawn, image)
    assert np.array_equal(image, before)                 # the input is untouched
    # character boxes only with show_chars
    plain = draw_plates(image, [sample_plate()], show_chars=False)
    assert not np.array_equal(plain, drawn)
    # nothing to draw: an equal copy, not the same array
    empty = draw_plates(image, [])
    assert np.array_equal(empty, image) and empty is not image


def test_draw_plates_handles_tiny_huge_and_odd_inputs():
    tiny = np.zeros((1, 1, 3), np.uint8)
    assert draw_plates(tiny, [sample_plate()]).shape == (1, 1, 3)
    gray = np.zeros((60, 80), np.uint8)
    assert draw_plates(gray, [sample_plate()]).shape == (60, 80, 3)
    big = np.zeros((2000, 3000, 3), np.uint8)
    ghost = plate("X", 0.5, (float("nan"), 0, 10, 10))
    huge = plate("FAR", 0.5, (-1e12, -1e12, 1e12, 1e12))
    drawn = draw_plates(big, [sample_plate(), ghost, huge], labels=["#1 1-ABC-234 0.90", None, None])
    assert drawn.shape == big.shape and drawn.any()
    assert _style(3000, 2000)["box"] > _style(320, 240)["box"]
    assert _style(3000, 2000)["font_scale"] > _style(320, 240)["font_scale"]
    with pytest.raises(ValueError, match="labels"):
        draw_plates(big, [sample_plate()], labels=[])


def test_labels_stay_inside_the_image():
    # room above: above the box
    assert _label_origin(50, 100, 130, 80, 20, 320, 240) == (50, 80)
    # at the top edge: below the box
    assert _label_origin(50, 0, 30, 80, 20, 320, 240) == (50, 30)
    # box filling the height: inside, at the top
    assert _label_origin(50, 0, 240, 80, 20, 320, 240) == (50, 0)
    # at the right edge: shifted left to fit
    assert _label_origin(300, 100, 130, 80, 20, 320, 240) == (240, 80)
    # a spot another label took: the next free one above the box, else below it
    assert _label_origin(50, 100, 130, 80, 20, 320, 240, [(40, 75, 120, 95)]) == (50, 40)
    assert _label_origin(50, 30, 60, 80, 20, 320, 240, [(40, 5, 120, 25)]) == (50, 60)
    assert _label_origin(50, 100, 130, 80, 20, 320, 240, [(200, 75, 280, 95)]) == (50, 80)   # no overlap
    # nowhere free: the first spot
    everywhere = [(0, 0, 320, 240)]
    assert _label_origin(50, 100, 130, 80, 20, 320, 240, everywhere) == (50, 80)
    # two plates side by side: their labels do not cover each other
    pair = [plate("1-ABC-234", 0.9, (100, 100, 180, 120), country="be"),
            plate("1-XYZ-987", 0.8, (110, 102, 190, 122), country="be")]
    white = np.full((240, 320, 3), 255, np.uint8)
    one = draw_plates(white, pair[:1], show_chars=False)[:100]      # above the boxes: the labels
    both = draw_plates(white, pair, show_chars=False)[:100]
    first_label = (one != 255).any(axis=2)
    assert first_label.any() and np.array_equal(both[first_label], one[first_label])
    assert ((both != 255).any(axis=2) & ~first_label).sum() > 0.5 * first_label.sum()
    # the drawn label of a plate at the very top is inside the image (fill colour present)
    drawn = draw_plates(np.zeros((240, 320, 3), np.uint8), [plate("1-ABC-234", 0.9, (250, 0, 320, 20), country="be")])
    assert drawn[20:40, 200:320].any()


def test_write_image_creates_the_folder_and_reports_encoding_errors(tmp_path):
    image = draw_plates(np.zeros((40, 60, 3), np.uint8), [sample_plate()])
    path = write_image(tmp_path / "a" / "b" / "out.png", image)
    assert np.array_equal(cv2.imread(str(path)), image)
    with pytest.raises(ImageWriteError, match=r"\.xyz"):
        write_image(tmp_path / "out.xyz", image)
    with pytest.raises(ImageWriteError, match="extension"):
        write_image(tmp_path / "noext", image)
    with pytest.raises(ImageWriteError, match="nothing to write"):
        write_image(tmp_path / "empty.png", np.zeros((0, 0, 3), np.uint8))


# --------------------------------------------------------------------------- lpr video

def video_parser(reader_factory):
    parser = argparse.ArgumentParser(prog="lpr")
    sub = parser.add_subparsers(dest="command")
    add_video_command(sub, reader_factory=reader_factory)
    return parser


def test_cli_json_lines(video, capsys):
    readers = []

    def factory(args):
        readers.append(FakeReader())
        return readers[-1]

    args = video_parser(factory).parse_args(["video", str(video), "--json", "--no-progress"])
    assert args.func(args) == 0
    lines = capsys.readouterr().out.splitlines()
    objects = [json.loads(line) for line in lines]
    assert len(objects) == 2
    track, summary = objects
    assert {"track", "text", "confidence", "frames", "votes", "box"} <= set(track)
    assert (track["track"], track["text"], track["frames"], track["votes"]) == (1, "1-ABC-234", [0, FRAMES - 1], FRAMES)
    assert track["confidence"] == pytest.approx(0.9) and len(track["box"]) == 4
    assert summary["summary"]["frames"] == FRAMES and summary["summary"]["tracks"] == 1
    assert summary["summary"]["fps"] > 0
    assert readers[0].closed


def test_cli_text_output_and_options(video, capsys, tmp_path):
    seen = {}

    def factory(args):
        seen.update(engine=args.engine, countries=args.countries, models_dir=args.models_dir)
        return FakeReader()

    out = tmp_path / "o.mp4"
    args = video_parser(factory).parse_args(
        ["video", str(video), "--every", "2", "--out", str(out), "--engine", "opencv", "--countries", "be,FR",
         "--models-dir", "/tmp/m", "--no-progress"])
    assert args.func(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "1-ABC-234" in lines[0] and "frames 0-28" in lines[0] and "votes 15/15" in lines[0]
    assert "1 vehicle in 30 frames (15 processed)" in lines[1] and "fps" in lines[1] and str(out) in lines[1]
    assert seen == {"engine": "opencv", "countries": ("be", "fr"), "models_dir": Path("/tmp/m")}
    assert count_frames(out)[0] == FRAMES
    from lpr.formats import countries

    assert video_parser(factory).parse_args(["video", str(video), "--countries", "all"]).countries == countries()
    assert video_parser(factory).parse_args(["video", str(video)]).countries is None    # the Reader's default
    assert video_parser(factory).parse_args(["video", str(video)]).eu_band is True
    assert video_parser(factory).parse_args(["video", str(video), "--no-eu-band"]).eu_band is False
    with pytest.raises(SystemExit):
        video_parser(factory).parse_args(["video", str(video), "--countries", "xx"])
    with pytest.raises(SystemExit):
        video_parser(factory).parse_args(["video", str(video), "--every", "0"])


def test_cli_bad_source_exits_1(tmp_path, capsys):
    built = []
    args = video_parser(lambda a: built.append(1) or FakeReader()).parse_args(
        ["video", str(tmp_path / "missing.mp4"), "--no-progress"])
    assert args.func(args) == 1
    assert "cannot open" in capsys.readouterr().err
    assert built == []                                   # no models loaded for a source that cannot open


def test_cli_ctrl_c_exits_130_after_printing_what_was_found(video, capsys):
    args = video_parser(lambda a: FakeReader(interrupt_at=8)).parse_args(["video", str(video), "--json",
                                                                         "--no-progress"])
    assert args.func(args) == 130
    objects = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert objects[0]["text"] == "1-ABC-234" and objects[0]["frames"] == [0, 6]
    assert objects[-1]["summary"]["interrupted"] is True


def test_cli_settle_options_reach_the_tracker(video, capsys):
    args = video_parser(lambda a: DetectingFakeReader()).parse_args(
        ["video", str(video), "--json", "--no-progress", "--settle", "2", "--reread", "5"])
    assert args.func(args) == 0
    track, summary = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # read on frames 0-1 (settling), then every 5th update: 6, 11, 16, 21, 26
    assert (track["readings"], track["frames"]) == (7, [0, FRAMES - 1])
    assert (summary["summary"]["plates_read"], summary["summary"]["plates_unread"]) == (7, FRAMES - 7)

    args = video_parser(lambda a: DetectingFakeReader()).parse_args(["video", str(video), "--no-progress"])
    assert (args.settle, args.reread) == (3, 10)
    assert args.func(args) == 0
    assert "25 of 30 plates left unread (settled)" in capsys.readouterr().out
    for bad in (["--settle", "-1"], ["--reread", "0"]):
        with pytest.raises(SystemExit):
            video_parser(lambda a: FakeReader()).parse_args(["video", str(video), *bad])
