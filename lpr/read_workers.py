"""Reading a list of image files for `lpr read`: here, decoding ahead in a thread, or in worker
processes (`--workers N`), each with its own Reader. Either way the reads come back in the
order of the files, as `ImageRead`s, and the annotated copies (`--draw`) are written where the
caller named them.

A Reader is one process's: its Python stages (segmentation, format rules) hold the GIL, so
threads would share one core for them. Worker processes read several images at once; each
runs its networks on its share of the cores (``os.cpu_count() // workers`` threads, at least
one), so an image takes longer and the run takes less.
"""
from __future__ import annotations

import argparse
import os
import signal
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from .image_input import ImageError
    from .results import PlateRead

DECODE_AHEAD = 2        # images decoded in a background thread ahead of the one being read


@dataclass(frozen=True)
class ImageRead:
    """One file's outcome: its plates (every read, most confident first) and the reader's time
    on the decoded image, or the error that says why it is no image (``plates`` empty)."""

    path: Path
    plates: tuple[PlateRead, ...] = ()
    ms: float = 0.0
    error: str | None = None


def read_here(args: argparse.Namespace, paths: Sequence[Path], draw_to: Sequence[Path | None]
              ) -> Iterator[ImageRead]:
    """The files read in this process by one Reader (reader_from_args), the next files decoded
    while one is read."""
    from .image_input import ImageError
    from .read_command import reader_from_args

    with reader_from_args(args) as reader:
        for (path, pixels), target in zip(decoded_ahead(paths), draw_to):
            if isinstance(pixels, ImageError):
                yield ImageRead(path, error=str(pixels))
            else:
                yield _read(reader, path, pixels, target, args.min_confidence)


def read_in_workers(args: argparse.Namespace, paths: Sequence[Path], draw_to: Sequence[Path | None],
                    workers: int) -> Iterator[ImageRead]:
    """The files read by `workers` processes, each with its own Reader, in the files' order.
    The reader options are checked here first (a ValueError, as read_here raises). The workers
    ignore Ctrl-C; closing this generator, or an exception in the caller, stops them after the
    images they are reading. A worker that dies raises BrokenProcessPool."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from .read_command import reader_from_args

    reader_from_args(args).close()                       # bad options fail here, not in every worker
    threads = max(1, (os.cpu_count() or 1) // workers)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),   # no fork of threads
                               initializer=_start_worker, initargs=(args, threads))
    try:
        yield from pool.map(_read_in_worker, paths, draw_to)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def decoded_ahead(paths: Iterable[Path], ahead: int = DECODE_AHEAD) -> Iterator[tuple[Path, np.ndarray | ImageError]]:
    """(path, pixels) for each path in order, the pixels a BGR array or the ImageError that
    says why the file is no image. The next `ahead` files are decoded in a background thread
    while the caller reads this one (OpenCV decodes without holding the GIL: a 1280x1280 JPEG
    takes about 10 ms here, a quarter of reading it)."""
    from .image_input import ImageError, load_image

    def load(path: Path):
        try:
            return load_image(path)
        except ImageError as exc:
            return exc

    queued: deque = deque()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lpr-read-decode") as pool:
        for path in paths:
            queued.append((path, pool.submit(load, path)))
            if len(queued) > ahead:
                path, pending = queued.popleft()
                yield path, pending.result()
        while queued:
            path, pending = queued.popleft()
            yield path, pending.result()


def _read(reader, path: Path, pixels: np.ndarray, draw_to: Path | None, min_confidence: float) -> ImageRead:
    start = time.perf_counter()
    plates = tuple(reader.read(pixels))
    ms = (time.perf_counter() - start) * 1000.0
    if draw_to is not None:
        from .drawing import draw_plates, write_image

        write_image(draw_to, draw_plates(pixels, [p for p in plates if p.confidence >= min_confidence]))
    return ImageRead(path, plates, ms)


_WORKER: tuple | None = None     # a worker process's (Reader, min_confidence)


def _start_worker(args: argparse.Namespace, threads: int) -> None:
    global _WORKER
    import cv2

    import pydarknet

    from .read_command import reader_from_args

    signal.signal(signal.SIGINT, signal.SIG_IGN)         # Ctrl-C is the main process's to handle
    cv2.setNumThreads(threads)
    pydarknet.set_threads(threads)
    _WORKER = (reader_from_args(args), args.min_confidence)


def _read_in_worker(path: Path, draw_to: Path | None) -> ImageRead:
    from .image_input import ImageError, load_image

    reader, min_confidence = _WORKER
    try:
        pixels = load_image(path)
    except ImageError as exc:
        return ImageRead(path, error=str(exc))
    return _read(reader, path, pixels, draw_to, min_confidence)
