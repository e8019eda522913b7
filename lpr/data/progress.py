"""Progress bars for the long loops: tqdm when it is installed, the plain iterable otherwise."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], *, desc: str = "", unit: str = "it", enabled: bool = True) -> Iterator[T]:
    """Iterate with a tqdm bar on stderr (only on a terminal, and only when `enabled`).

    tqdm is a declared dependency but optional here: without it the loop runs silently.
    """
    if enabled:
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            # disable=None: tqdm turns itself off when stderr is not a terminal (logs, tests)
            yield from tqdm(items, desc=desc, unit=unit, disable=None, leave=False)
            return
    yield from items
