"""`lpr video SOURCE`: read the plates of a video file or camera, one line per vehicle.

Registered by `add_video_command(subparsers)`. Output: one line per vehicle as its track ends,
then a summary with the speed; `--json`: one JSON object per line, the tracks then
`{"summary": {...}}`. Exit codes: 0 done, 1 the source (or --out, or the models) could not be
opened, 2 bad options, 130 interrupted by Ctrl-C (after printing what was found).
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lpr.cli_types import bounded

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

ReaderFactory = Callable[[argparse.Namespace], Any]
"""args -> an object with read(bgr_frame) -> list[PlateRead] (closed afterwards when it has close())."""


def default_reader_factory(args: argparse.Namespace):
    """The lpr.Reader the options ask for (loads the models)."""
    from lpr.read_command import reader_from_args

    return reader_from_args(args)


# --------------------------------------------------------------------------- output

def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def _track_json(report) -> dict:
    return {"track": report.track_id, "text": report.text, "confidence": _round(report.confidence),
            "frames": [report.frames[0], report.frames[1]], "votes": report.votes,
            "box": [_round(v, 1) for v in report.box], "country": report.country, "format": report.format,
            "readings": report.readings, "method": report.method}


def _track_line(report, fps: float | None) -> str:
    first, last = report.frames
    when = f" ({first / fps:.1f}-{last / fps:.1f} s)" if fps else ""
    how = ", per-character vote" if report.method == "chars" else ""
    place = f" {report.country}" if report.country else ""
    return (f"#{report.track_id}  {report.text:<12} confidence {report.confidence:.2f}  frames {first}-{last}{when}"
            f"  votes {report.votes}/{report.readings}{how}{place}")


def _summary_json(summary) -> dict:
    return {"summary": {"source": summary.source, "frames": summary.frames, "processed": summary.processed,
                        "plates_read": summary.plates_read, "plates_unread": summary.plates_unread,
                        "tracks": summary.tracks, "fps": _round(summary.reader_fps, 2),
                        "wall_fps": _round(summary.wall_fps, 2), "seconds": _round(summary.wall_seconds, 3),
                        "interrupted": summary.interrupted, "out": summary.out_path}}


def _summary_line(summary) -> str:
    vehicles = f"{summary.tracks} vehicle{'' if summary.tracks == 1 else 's'}"
    line = (f"{vehicles} in {summary.frames} frames ({summary.processed} processed): "
            f"{summary.reader_fps:.1f} fps reading, {summary.wall_fps:.1f} fps overall")
    if summary.plates_unread:
        found = summary.plates_read + summary.plates_unread
        line += f"; {summary.plates_unread} of {found} plates left unread (settled)"
    if summary.out_path:
        line += f"; annotated video: {summary.out_path}"
    if summary.interrupted:
        line += "; interrupted (Ctrl-C)"
    return line


# --------------------------------------------------------------------------- the command

def run_video(args: argparse.Namespace, *, reader_factory: ReaderFactory | None = None) -> int:
    """`lpr video`: returns the exit code. ``reader_factory`` builds the reader from the options
    (default: lpr.Reader with --engine, --countries, --models-dir)."""
    from .runner import VideoSource, VideoSourceError, VideoWriteError, read_video
    from .tracking import PlateTracker

    def emit(text: str) -> None:
        print(text, flush=True)

    def fail(message: str, code: int) -> int:
        print(f"lpr video: {message}", file=sys.stderr)
        return code

    try:
        source = VideoSource(args.source)
    except VideoSourceError as exc:
        return fail(str(exc), EXIT_FAILED)
    reader = None
    try:
        try:
            reader = (reader_factory or default_reader_factory)(args)
        except (OSError, ImportError) as exc:
            return fail(f"cannot load the reader: {exc}", EXIT_FAILED)
        except ValueError as exc:
            return fail(str(exc), EXIT_USAGE)
        tracker = PlateTracker(min_hits=args.min_hits, max_missed=args.max_missed, settle=args.settle,
                               reread=args.reread)
        try:
            run = read_video(source, reader, every=args.every, out_path=args.out, progress=not args.no_progress,
                             max_frames=args.max_frames, tracker=tracker, show_chars=args.show_chars)
        except VideoWriteError as exc:
            return fail(str(exc), EXIT_FAILED)

        def show(report) -> None:
            emit(json.dumps(_track_json(report)) if args.json else _track_line(report, run.summary.source_fps))

        try:
            for report in run:
                show(report)
        except KeyboardInterrupt:       # between two frames, in our printing: the loop did not see it
            for report in run.finish(interrupted=True):
                show(report)
        emit(json.dumps(_summary_json(run.summary)) if args.json else _summary_line(run.summary))
        return EXIT_INTERRUPTED if run.summary.interrupted else EXIT_OK
    except KeyboardInterrupt:           # while loading the models
        print("lpr video: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        source.close()
        close = getattr(reader, "close", None)
        if callable(close):
            close()


def add_video_command(subparsers: argparse._SubParsersAction, *,
                      reader_factory: ReaderFactory | None = None) -> argparse.ArgumentParser:
    """Add `video` to `subparsers` (lpr.cli's top level); its `func` is run_video with
    ``reader_factory`` (tests pass a fake reader's). Returns the `video` parser."""
    video = subparsers.add_parser(
        "video", help="read the plates of a video file or camera, one line per vehicle",
        description="Read license plates in a video file, stream URL or camera. Plates are tracked from frame "
                    "to frame and each vehicle's text is voted over its readings; a line is printed as each "
                    "vehicle leaves, then a summary with the speed. Ctrl-C stops and prints what was found.")
    video.add_argument("source", metavar="SOURCE",
                       help="a video file, a stream URL (rtsp://...) or a camera index (0, 1, ...)")
    video.add_argument("--json", action="store_true",
                       help='one JSON object per line: {"track": id, "text": ..., "confidence": ..., '
                            '"frames": [first, last], "votes": n, "box": [x1, y1, x2, y2], ...} per vehicle, '
                            'then {"summary": {..., "fps": ...}}')
    video.add_argument("--out", type=Path, metavar="FILE",
                       help="also write an annotated copy of the video (mp4v; use .mp4), same fps and size")
    video.add_argument("--every", type=bounded(int, 1), default=1, metavar="N",
                       help="run the reader on every Nth frame only (default 1: every frame)")
    video.add_argument("--max-frames", type=bounded(int, 1), default=None, metavar="N",
                       help="stop after reading N frames (default: the whole video; a camera until Ctrl-C)")
    from lpr.read_command import add_reader_options

    add_reader_options(video)
    video.add_argument("--min-hits", type=bounded(int, 1), default=2, metavar="N",
                       help="a vehicle needs at least N readings to be reported (default 2; fewer is noise)")
    video.add_argument("--max-missed", type=bounded(int, 0), default=5, metavar="N",
                       help="a vehicle's track ends after more than N read frames in a row without its plate "
                            "(default 5)")
    video.add_argument("--settle", type=bounded(int, 0), default=3, metavar="N",
                       help="once a vehicle's last N readings agree with its vote, its plate is only found, "
                            "not read, in the next frames (faster; default 3; 0: read every plate of every "
                            "frame)")
    video.add_argument("--reread", type=bounded(int, 1), default=10, metavar="N",
                       help="a settled plate is still read every Nth read frame; a reading that disagrees "
                            "unsettles it (default 10)")
    video.add_argument("--show-chars", action="store_true",
                       help="with --out: also draw a box around each character")
    video.add_argument("--no-progress", action="store_true", help="no progress bar")
    video.set_defaults(func=functools.partial(run_video, reader_factory=reader_factory))
    return video
