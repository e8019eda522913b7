"""Reading many image files: ``lpr.read_files(paths, workers=N, **reader_options)``, which
`lpr read` runs. With one worker, one Reader in this process reads the files while a thread
decodes the next ones; with more, N processes each read files with a Reader of their own. Either
way the reads come back in the files' order, as `ImageRead`s, and annotated copies are written
where the caller names them.

A Reader is one process's: its Python stages (segmentation, format rules) hold the GIL, so
threads would share one core for them. Worker processes read several images at once; each
runs its networks on its share of the cores (``os.cpu_count() // workers`` threads, at least
one), so an image takes longer and the run takes less.
"""
from __future__ import annotations

import os
import signal
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from .image_input import ImageError
    from .results import PlateRead

DECODE_AHEAD = 2        # images decoded in a background thread ahead of the one being read


@dataclass(frozen=True)
class ImageRead:
    """One file's outcome: its plates (``Reader.read``'s, most confident first) and the reader's
    time on the decoded image in ms, or the error that says why it is no image (no plates)."""

    path: Path
    plates: tuple[PlateRead, ...] = ()
    ms: float = 0.0
    error: str | None = None


def read_files(paths: Iterable[str | os.PathLike], *, workers: int = 1,
               draw_to: Sequence[str | os.PathLike | None] | None = None, draw_min_confidence: float = 0.0,
               **options: Any) -> Iterator[ImageRead]:
    """Each file of ``paths`` read by a Reader(**options), in order. ``workers``: how many
    processes read at once (1: this one; see the module's notes). ``draw_to``: one path (or
    None) per file, where its annotated copy is written, showing the reads of at least
    ``draw_min_confidence``. An unreadable file gives an ImageRead with its error, and the run
    goes on. Bad options raise ValueError here, before anything is read. Close the iterator (or
    read it to its end) to stop the workers."""
    paths = [Path(p) for p in paths]
    targets = [None if t is None else Path(t) for t in draw_to] if draw_to is not None else [None] * len(paths)
    if len(targets) != len(paths):
        raise ValueError(f"draw_to names {len(targets)} files for {len(paths)} images")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    from .reader import Reader

    Reader(**options).close()                 # bad options fail here, not in a worker
    jobs = list(zip(paths, targets))
    if min(workers, len(jobs)) > 1:
        return _read_in_workers(jobs, min(workers, len(jobs)), options, draw_min_confidence)
    return _read_here(jobs, options, draw_min_confidence)


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


def _read_here(jobs: list[tuple[Path, Path | None]], options: Mapping[str, Any], min_confidence: float
               ) -> Iterator[ImageRead]:
    from .image_input import ImageError
    from .reader import Reader

    with Reader(**options) as reader:
        for (path, pixels), (_, target) in zip(decoded_ahead(p for p, _ in jobs), jobs):
            if isinstance(pixels, ImageError):
                yield ImageRead(path, error=str(pixels))
            else:
                yield _read(reader, path, pixels, target, min_confidence)


def _read_in_workers(jobs: list[tuple[Path, Path | None]], workers: int, options: Mapping[str, Any],
                     min_confidence: float) -> Iterator[ImageRead]:
    """The workers ignore Ctrl-C (the caller's to handle); closing this generator stops them
    after the images they are reading. A worker that dies raises BrokenProcessPool."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    threads = max(1, (os.cpu_count() or 1) // workers)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),   # no fork of threads
                               initializer=_start_worker, initargs=(dict(options), threads, min_confidence))
    try:
        yield from pool.map(_read_in_worker, *zip(*jobs))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _read(reader, path: Path, pixels: np.ndarray, draw_to: Path | None, min_confidence: float) -> ImageRead:
    start = time.perf_counter()
    plates = tuple(reader.read(pixels))
    ms = (time.perf_counter() - start) * 1000.0
    if draw_to is not None:
        from .drawing import draw_plates, write_image

        write_image(draw_to, draw_plates(pixels, [p for p in plates if p.confidence >= min_confidence]))
    return ImageRead(path, plates, ms)


_WORKER: tuple | None = None     # a worker process's (Reader, min_confidence)


def _start_worker(options: dict, threads: int, min_confidence: float) -> None:
    global _WORKER
    import cv2

    import pydarknet

    from .reader import Reader

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cv2.setNumThreads(threads)
    pydarknet.set_threads(threads)
    _WORKER = (Reader(**options), min_confidence)


def _read_in_worker(path: Path, draw_to: Path | None) -> ImageRead:
    from .image_input import ImageError, load_image

    reader, min_confidence = _WORKER
    try:
        pixels = load_image(path)
    except ImageError as exc:
        return ImageRead(path, error=str(exc))
    return _read(reader, path, pixels, draw_to, min_confidence)
