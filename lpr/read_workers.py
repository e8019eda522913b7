"""Reading many image files: ``lpr.read_files(paths, workers=N, **reader_options)``, which
`lpr read` runs. With one worker, one Reader in this process reads the files while a thread
decodes the next ones; with more, N processes each read files with a Reader of their own. Either
way the reads come back in the files' order, as `ImageRead`s, and annotated copies are written
where the caller names them.

A Reader is one process's: its Python stages (segmentation, format rules) hold the GIL, so
threads would share one core for them. Worker processes read several images at once; each
runs its networks on its share of the cores this process may use (at least one thread), so an
image takes longer and the run takes less.
"""
from __future__ import annotations

import itertools
import os
import signal
import threading
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
WORKER_AHEAD = 2        # files handed to each worker process ahead of the one being taken


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
    """Each file of ``paths`` (a list of paths, not one path) read by a Reader(**options), in
    order. ``workers``: how many processes read at once (1: this one; see the module's notes).
    Workers are started with multiprocessing's "spawn", which imports the caller's main module
    again: a script that asks for workers must run under ``if __name__ == "__main__":``.
    ``draw_to``: one path (or None) per file, where its annotated copy is written, showing the
    reads of at least ``draw_min_confidence``; a copy that cannot be written raises there
    (lpr.drawing.ImageWriteError) and ends the run. An unreadable file gives an ImageRead with
    its error, and the run goes on. Options a Reader refuses raise here, before anything is
    read (ValueError; TypeError for an unknown keyword). Only a few files are handed to the
    workers ahead of the one the caller takes; close the iterator (or read it to its end) to
    stop them."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError(f"read_files takes a list of paths, not one path ({paths!r}): use [path]")
    paths = [Path(p) for p in paths]
    targets = [None if t is None else Path(t) for t in draw_to] if draw_to is not None else [None] * len(paths)
    if len(targets) != len(paths):
        raise ValueError(f"draw_to names {len(targets)} files for {len(paths)} images")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    from .reader import Reader

    reader = Reader(**options)                # bad options fail here, not in a worker
    jobs = list(zip(paths, targets))
    if min(workers, len(jobs)) > 1:
        reader.close()
        return _read_in_workers(jobs, min(workers, len(jobs)), options, draw_min_confidence)
    return _read_here(reader, jobs, draw_min_confidence)


def decoded_ahead(paths: Iterable[Path], ahead: int = DECODE_AHEAD) -> Iterator[tuple[Path, np.ndarray | ImageError]]:
    """(path, pixels) for each path in order, the pixels a BGR array or the ImageError that
    says why the file is no image. The next `ahead` files are decoded in a background thread
    while the caller reads this one (OpenCV decodes without holding the GIL: a 1280x1280 JPEG
    takes about 10 ms here, a quarter of reading it)."""
    queued: deque = deque()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lpr-read-decode") as pool:
        for path in paths:
            queued.append((path, pool.submit(_pixels_or_error, path)))
            if len(queued) > ahead:
                path, pending = queued.popleft()
                yield path, pending.result()
        while queued:
            path, pending = queued.popleft()
            yield path, pending.result()


def _pixels_or_error(path: Path) -> np.ndarray | ImageError:
    """The decoded image, or the ImageError that says why the file is no image."""
    from .image_input import ImageError, load_image

    try:
        return load_image(path)
    except ImageError as exc:
        return exc


def _read_here(reader, jobs: list[tuple[Path, Path | None]], min_confidence: float) -> Iterator[ImageRead]:
    """The jobs read by ``reader`` in this process (closed at the end), the next files decoded
    while one is read."""
    from .image_input import ImageError

    with reader:
        for (path, pixels), (_, target) in zip(decoded_ahead(p for p, _ in jobs), jobs):
            if isinstance(pixels, ImageError):
                yield ImageRead(path, error=str(pixels))
            else:
                yield _read(reader, path, pixels, target, min_confidence)


def _read_in_workers(jobs: list[tuple[Path, Path | None]], workers: int, options: Mapping[str, Any],
                     min_confidence: float) -> Iterator[ImageRead]:
    """The jobs' reads in order, at most WORKER_AHEAD files per worker handed out ahead of the
    one taken. The workers ignore Ctrl-C (the caller's to handle); closing this generator stops
    them after the images they are reading, and they end themselves when this process dies. A
    worker that dies raises BrokenProcessPool."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    threads = max(1, _usable_cpus() // workers)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),   # no fork of threads
                               initializer=_start_worker, initargs=(dict(options), threads, min_confidence))
    try:
        todo = iter(jobs)
        pending = deque(pool.submit(_read_in_worker, *job) for job in itertools.islice(todo, workers * WORKER_AHEAD))
        while pending:
            done = pending.popleft().result()
            for job in itertools.islice(todo, 1):
                pending.append(pool.submit(_read_in_worker, *job))
            yield done
    finally:
        _shut_down(pool)


def _shut_down(pool) -> None:
    """pool.shutdown, waiting for the images being read, cancelling the rest. A second Ctrl-C
    while it waits would leave the pool half stopped (and the interpreter waiting on its workers
    at exit), so Ctrl-C is ignored meanwhile where this thread may change the handler."""
    if threading.current_thread() is not threading.main_thread():
        pool.shutdown(wait=True, cancel_futures=True)
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        pool.shutdown(wait=True, cancel_futures=True)
    finally:
        signal.signal(signal.SIGINT, previous)


def _usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the platform says), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


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
    signal.signal(signal.SIGINT, signal.SIG_IGN)         # first: Ctrl-C is the main process's to handle
    # numpy's OpenBLAS reads its thread count when it loads: in a worker of `lpr read` it has not
    # loaded yet (a caller's main module, imported again by "spawn", may have loaded it)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)
    _end_with_parent()
    import cv2

    import pydarknet

    from .engines import onnx_network
    from .reader import Reader

    cv2.setNumThreads(threads)
    pydarknet.set_threads(threads)
    onnx_network.set_threads(threads)
    _WORKER = (Reader(**options), min_confidence)


def _end_with_parent() -> None:
    """A thread that ends this worker when the process that started it dies (killed, say): the
    pool can no longer stop it, and it would hold the parent's output open."""
    import multiprocessing
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="lpr-worker-parent-watch", daemon=True).start()


def _read_in_worker(path: Path, draw_to: Path | None) -> ImageRead:
    from .image_input import ImageError

    reader, min_confidence = _WORKER
    pixels = _pixels_or_error(path)
    if isinstance(pixels, ImageError):
        return ImageRead(path, error=str(pixels))
    return _read(reader, path, pixels, draw_to, min_confidence)
