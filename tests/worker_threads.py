"""The thread-safety tests' runner: one piece of work started from several threads at once."""
from __future__ import annotations

import threading
from collections.abc import Callable


def run_in_threads(work: Callable[[int], None], count: int = 4) -> list[Exception]:
    """Run ``work(k)`` for k in 0..count-1, each in its own thread, all started before any is
    waited for; returns the exceptions they raised (a thread's exception would otherwise only
    be printed)."""
    errors: list[Exception] = []

    def guarded(k: int) -> None:
        try:
            work(k)
        except Exception as exc:  # noqa: BLE001 - handed to the caller
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(k,)) for k in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors
