"""Read plates in a video file or a camera: frames -> reader -> tracker -> one report per vehicle.

    with lpr.Reader() as reader:
        run = read_video("traffic.mp4", reader, every=2, out_path="annotated.mp4")
        for report in run:                      # as each vehicle's track ends
            print(report.text, report.frames)
        print(run.summary.reader_fps)

``read_video`` opens the source at once (VideoSourceError when it cannot: no such file, a format
OpenCV cannot decode, no such camera) and reads while iterated. Ctrl-C during the loop ends it
cleanly: the open tracks are reported, the capture and the writer released and
``summary.interrupted`` set. Needs OpenCV (``pip install opencv-python-headless``).
"""
from __future__ import annotations

import math
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..results import PlateBox, PlateRead
from .tracking import PlateTracker, TrackReport

DEFAULT_FPS = 25.0      # for the annotated video when the source does not say (cameras, some streams)
PREFETCH_DEPTH = 2      # frames the background thread decodes (and detects in) ahead of the reading loop
STOP_WAIT = 5.0         # seconds close() waits for that thread to finish its frame before releasing the source


class VideoSourceError(OSError):
    """The video file or camera cannot be opened or read."""


class VideoWriteError(OSError):
    """The annotated video cannot be written."""


class PlateReader(Protocol):
    """What the video loop needs of a reader (lpr.Reader has it all). A reader that also has
    ``detect_plates(image) -> list[PlateBox]`` and ``read_boxes(image, boxes) -> list[PlateRead]``
    lets the loop find the plates ahead (read_video's ``prefetch``) and leave settled tracks'
    plates unread (see PlateTracker's ``settle``)."""

    def read(self, image: np.ndarray) -> list[PlateRead]:
        ...


def _cv2():
    try:
        import cv2
    except ImportError:
        raise ImportError("reading video needs OpenCV: pip install opencv-python-headless") from None
    return cv2


def parse_source(source: str | int | os.PathLike) -> str | int:
    """A camera index for an int or a digit string ("0"), else the path or URL as a string."""
    if isinstance(source, bool):
        raise VideoSourceError(f"not a video source: {source!r}")
    if isinstance(source, int):
        return source
    text = os.fspath(source)
    if text.strip().isdigit():
        return int(text.strip())
    return text


class VideoSource:
    """An opened cv2.VideoCapture, with its first frame already read (so a source that opens but
    yields nothing fails here, not halfway through)."""

    def __init__(self, source: str | int | os.PathLike) -> None:
        cv2 = _cv2()
        self.source = parse_source(source)
        if isinstance(self.source, str) and "://" not in self.source:
            path = Path(self.source)
            if not path.exists():
                raise VideoSourceError(f"cannot open video {self.source!r}: no such file")
            if path.is_dir():
                raise VideoSourceError(f"cannot open video {self.source!r}: it is a folder")
        what = f"camera {self.source}" if isinstance(self.source, int) else f"video {self.source!r}"
        self._capture = cv2.VideoCapture(self.source)
        if not self._capture.isOpened():
            self._capture.release()
            hint = "no such camera, or it is busy" if isinstance(self.source, int) else \
                "not a video, or a format or codec this OpenCV build cannot decode"
            raise VideoSourceError(f"cannot open {what}: {hint}")
        ok, frame = self._capture.read()
        if not ok or frame is None or frame.size == 0:
            self._capture.release()
            raise VideoSourceError(f"cannot read {what}: it opened but gave no frame")
        self._pending: np.ndarray | None = frame
        self.height, self.width = frame.shape[:2]
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        self.fps: float | None = float(fps) if math.isfinite(fps) and 0.0 < fps <= 1000.0 else None
        count = self._capture.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count: int | None = int(count) if math.isfinite(count) and count > 0 else None
        self.closed = False

    def frames(self) -> Iterator[np.ndarray]:
        """The frames from the first on, until the stream ends."""
        if self._pending is not None:
            frame, self._pending = self._pending, None
            yield frame
        while not self.closed:
            ok, frame = self._capture.read()
            if not ok or frame is None:
                return
            yield frame

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._pending = None
            self._capture.release()

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class VideoSummary:
    """What a run did. ``frames``: frames read; ``processed``: frames the reader ran on;
    ``plates_read``: plates read in them; ``plates_unread``: plates found but not read, their
    track being settled; ``reader_fps``: processed frames per second of reader time (finding
    and reading plates; with read_video's ``prefetch`` the finding runs beside the reading, so
    ``wall_fps`` may be the higher); ``wall_fps``: frames read per second of wall time
    (decoding, reading, drawing, writing)."""

    source: str
    width: int
    height: int
    source_fps: float | None
    frames: int = 0
    processed: int = 0
    plates_read: int = 0
    plates_unread: int = 0
    tracks: int = 0
    reader_seconds: float = 0.0
    wall_seconds: float = 0.0
    interrupted: bool = False
    out_path: str | None = None

    @property
    def reader_fps(self) -> float:
        return self.processed / self.reader_seconds if self.reader_seconds > 0 else 0.0

    @property
    def wall_fps(self) -> float:
        return self.frames / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def to_dict(self) -> dict:
        data = asdict(self)
        data["reader_fps"], data["wall_fps"] = self.reader_fps, self.wall_fps
        return data


class _Writer:
    """The annotated video: mp4v, the source's fps and frame size (other sizes are resized)."""

    def __init__(self, path: str | os.PathLike, fps: float, width: int, height: int) -> None:
        cv2 = _cv2()
        self.path = Path(path)
        self.size = (width, height)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"), fps, self.size)
        if not self._writer.isOpened():
            self._writer.release()
            raise VideoWriteError(f"cannot write video {str(self.path)!r}: OpenCV has no mp4v writer for "
                                  f"{self.path.suffix or 'a file without extension'} (try .mp4)")
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        if (frame.shape[1], frame.shape[0]) != self.size:
            frame = _cv2().resize(frame, self.size)
        self._writer.write(frame)
        self.frames += 1

    def close(self) -> None:
        self._writer.release()


Frame = tuple[int, np.ndarray, "list[PlateBox] | None", float]   # index, pixels, plates found, seconds finding them


class _Prefetch:
    """The video's frames, decoded (and their plates found, when `detect` is given: every
    `every`-th frame) in a background thread while the caller reads the frames before them.
    OpenCV decodes and runs the detector without holding the GIL, so on two cores this overlaps
    with the reading. Yields `Frame`s in order; an exception in the thread is raised where its
    frame would have come. close() stops the thread (it finishes its frame, at most STOP_WAIT
    seconds) before the caller releases the source."""

    _END = object()

    def __init__(self, frames: Iterator[np.ndarray], detect: Callable[[np.ndarray], list[PlateBox]] | None,
                 every: int, max_frames: int | None) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=PREFETCH_DEPTH)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, args=(frames, detect, every, max_frames),
                                        name="lpr-video-prefetch", daemon=True)
        self._thread.start()

    def _work(self, frames, detect, every: int, max_frames: int | None) -> None:
        try:
            for frame in _found_in(frames, detect, every, max_frames):
                if self._stop.is_set() or not self._put(frame):
                    return
        except BaseException as exc:        # handed to the reading loop, raised there
            self._put(exc)
            return
        self._put(self._END)

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[Frame]:
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join(STOP_WAIT)


def _found_in(frames: Iterator[np.ndarray], detect: Callable[[np.ndarray], list[PlateBox]] | None,
              every: int, max_frames: int | None) -> Iterator[Frame]:
    """The frames (at most `max_frames`) with the plates `detect` finds in every `every`-th one
    (None for the others, and for all when `detect` is None) and the seconds that took."""
    for index, frame in enumerate(frames):
        if max_frames is not None and index >= max_frames:
            return
        found, seconds = None, 0.0
        if detect is not None and index % every == 0:
            start = time.perf_counter()
            found = list(detect(frame))
            seconds = time.perf_counter() - start
        yield index, frame, found, seconds


def _stand_in(found: PlateBox, report: TrackReport | None) -> PlateRead:
    """An unread plate, for drawing: its box, its track's text so far."""
    return PlateRead(text=report.text if report is not None else "", confidence=found.confidence,
                     box=found.box, detection_confidence=found.confidence)


def _labels(reports: list[TrackReport | None], plates: list[PlateRead]) -> list[str | None]:
    return [f"#{r.track_id} {r.text} {r.confidence:.2f}" if r is not None else None
            for r, _ in zip(reports, plates)]


class VideoRun:
    """Iterate to read the video; yields each TrackReport as its track ends. See read_video."""

    def __init__(self, source: VideoSource | str | int | os.PathLike, reader: PlateReader, *, every: int = 1,
                 out_path: str | os.PathLike | None = None, progress: bool = True, max_frames: int | None = None,
                 tracker: PlateTracker | None = None, show_chars: bool = False, prefetch: bool = True) -> None:
        if int(every) != every or every < 1:
            raise ValueError(f"every must be a whole number >= 1, got {every}")
        if max_frames is not None and (int(max_frames) != max_frames or max_frames < 1):
            raise ValueError(f"max_frames must be a whole number >= 1, got {max_frames}")
        if not callable(getattr(reader, "read", None)):
            raise TypeError(f"reader must have a read(image) method, got {type(reader).__name__}")
        self.video = source if isinstance(source, VideoSource) else VideoSource(source)
        self.reader = reader
        self.every, self.max_frames = int(every), max_frames
        self.tracker = tracker if tracker is not None else PlateTracker()
        # a reader that can find plates without reading them (lpr.Reader) finds them first, in the
        # prefetch thread with `prefetch`; then settled tracks' plates are left unread
        self._finds_first = all(callable(getattr(reader, name, None)) for name in ("detect_plates", "read_boxes"))
        self.progress, self.show_chars, self.prefetch = progress, show_chars, bool(prefetch)
        self._prefetch: _Prefetch | None = None
        self.summary = VideoSummary(source=str(self.video.source), width=self.video.width,
                                    height=self.video.height, source_fps=self.video.fps,
                                    out_path=str(out_path) if out_path is not None else None)
        self._writer: _Writer | None = None
        if out_path is not None:
            try:
                self._writer = _Writer(out_path, self.video.fps or DEFAULT_FPS, self.video.width, self.video.height)
            except BaseException:
                self.video.close()
                raise
        self._started = False
        self._finished = False
        self._closed = False
        self._start_time: float | None = None

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> VideoRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the capture and the writer (the open tracks are not reported: see finish)."""
        if self._closed:
            return
        self._closed = True
        if self._prefetch is not None:
            self._prefetch.close()          # before the source is released: the thread reads from it
        self.video.close()
        if self._writer is not None:
            self._writer.close()
        if self._start_time is not None:
            self.summary.wall_seconds = time.perf_counter() - self._start_time

    def finish(self, *, interrupted: bool = False) -> list[TrackReport]:
        """End the run now: report the open tracks and release everything. For a Ctrl-C that hit
        the caller's code between two reports (one inside the loop is handled there)."""
        if interrupted:
            self.summary.interrupted = True
        if self._finished:
            return []
        self._finished = True
        reports = self.tracker.finish()
        self.summary.tracks += len(reports)
        self.close()
        return reports

    # ------------------------------------------------------------------ the loop
    def __iter__(self) -> Iterator[TrackReport]:
        if self._started:
            raise RuntimeError("a VideoRun can be iterated once")
        self._started = True
        return self._run()

    def _bar(self):
        if not self.progress:
            return None
        try:
            from tqdm import tqdm
        except ImportError:
            return None
        total = self.video.frame_count
        if self.max_frames is not None:
            total = min(total, self.max_frames) if total is not None else self.max_frames
        # disable=None: no bar when stderr is not a terminal (logs, pipes, tests)
        return tqdm(total=total, unit="frame", desc="video", disable=None, leave=False, dynamic_ncols=True)

    def _frames(self) -> Iterator[Frame]:
        """The frames to loop over, with the plates found in those the reader will read when it
        can find plates without reading them (in a background thread with `prefetch`)."""
        detect = self.reader.detect_plates if self._finds_first else None
        if not self.prefetch:
            return _found_in(self.video.frames(), detect, self.every, self.max_frames)
        self._prefetch = _Prefetch(self.video.frames(), detect, self.every, self.max_frames)
        return iter(self._prefetch)

    def _read(self, index: int, frame: np.ndarray, found: list[PlateBox] | None
              ) -> tuple[list[PlateRead], list[PlateBox]]:
        """The frame's plates read, and those found (`found`: by _frames) but left unread (their
        track is settled)."""
        if found is None:
            return list(self.reader.read(frame)), []
        need = self.tracker.needs_reading(index, [f.box for f in found])
        plates = self.reader.read_boxes(frame, [f for f, n in zip(found, need) if n]) if any(need) else []
        return list(plates), [f for f, n in zip(found, need) if not n]

    def _run(self) -> Iterator[TrackReport]:
        from ..drawing import draw_plates

        summary = self.summary
        self._start_time = time.perf_counter()
        bar = self._bar()
        plates: list[PlateRead] = []
        labels: list[str | None] = []
        last_postfix = self._start_time
        try:
            try:
                for index, frame, found, finding in self._frames():
                    ended: list[TrackReport] = []
                    if index % self.every == 0:
                        start = time.perf_counter()
                        plates, unread = self._read(index, frame, found)
                        summary.reader_seconds += time.perf_counter() - start + finding
                        summary.processed += 1
                        summary.plates_read += len(plates)
                        summary.plates_unread += len(unread)
                        ended = self.tracker.update(index, plates, seen=[u.box for u in unread])
                        if self._writer is not None:
                            reports = self.tracker.snapshot()
                            plates = plates + [_stand_in(u, r) for u, r in zip(unread, reports[len(plates):])]
                            labels = _labels(reports, plates)
                    summary.frames += 1
                    if self._writer is not None:
                        self._writer.write(draw_plates(frame, plates, show_chars=self.show_chars, labels=labels)
                                           if plates else frame)
                    if bar is not None:
                        bar.update(1)
                        now = time.perf_counter()
                        if now - last_postfix >= 1.0:
                            last_postfix = now
                            bar.set_postfix(fps=f"{summary.reader_fps:.1f}", tracks=summary.tracks + len(ended),
                                            refresh=False)
                    summary.tracks += len(ended)
                    yield from ended
            except KeyboardInterrupt:
                summary.interrupted = True
            if bar is not None:
                bar.close()
                bar = None
            yield from self.finish()
        finally:
            if bar is not None:
                bar.close()
            self.close()


def read_video(source: VideoSource | str | int | os.PathLike, reader: PlateReader, *, every: int = 1,
               out_path: str | os.PathLike | None = None, progress: bool = True, max_frames: int | None = None,
               tracker: PlateTracker | None = None, show_chars: bool = False, prefetch: bool = True) -> VideoRun:
    """Read the plates of a video file, URL or camera (an int or a digit string: its index).

    The reader (anything with ``read(bgr_frame) -> list[PlateRead]``, e.g. lpr.Reader) runs on
    every ``every``-th frame, at most ``max_frames`` frames are read; the plates feed ``tracker``
    (default PlateTracker()). With an lpr.Reader (see PlateReader), the plates of tracks the
    tracker calls settled (``settle``, ``reread``) are found but not read again, which saves
    most of the reading time while a vehicle stays in view; ``PlateTracker(settle=0)`` reads
    every plate of every processed frame. Iterating the returned VideoRun yields each
    vehicle's TrackReport as its track ends, the open ones at the end; ``run.summary`` then
    holds the counts and speeds. ``out_path``: also write every frame, annotated (plate boxes,
    each track's best text so far), as an mp4v video at the source's fps and size.
    ``progress``: a tqdm bar on a terminal. ``prefetch``: decode the next frames, and find their
    plates, in a background thread while this one's are read (the same reports; on two cores
    more frames a second); the reader's ``detect_plates`` then runs in that thread while its
    ``read_boxes`` runs in the caller's, so pass False for a reader that is not thread-safe
    (lpr.Reader is).
    Raises VideoSourceError now when the source cannot be opened, VideoWriteError when
    ``out_path`` cannot be written.
    """
    return VideoRun(source, reader, every=every, out_path=out_path, progress=progress, max_frames=max_frames,
                    tracker=tracker, show_chars=show_chars, prefetch=prefetch)
