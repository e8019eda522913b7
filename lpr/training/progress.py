"""A pydarknet training callback: a tqdm bar (iteration, loss, images/s, ETA) and a CSV loss log."""
from __future__ import annotations

import csv
from pathlib import Path

from tqdm import tqdm


class TrainingMonitor:
    """Call with each pydarknet.TrainingProgress; use as a context manager to close the bar."""

    FIELDS = ("iteration", "loss", "avg_loss", "learning_rate", "images_per_second", "width", "height")

    def __init__(self, log_path: Path, *, desc: str = "training"):
        self.log_path = Path(log_path)
        new = not self.log_path.exists()
        self._file = self.log_path.open("a", newline="")
        self._writer = csv.writer(self._file)
        if new:
            self._writer.writerow(self.FIELDS)
        self._bar: tqdm | None = None
        self._desc = desc

    def __call__(self, p) -> None:
        if self._bar is None:
            self._bar = tqdm(total=p.max_batches, initial=p.iteration - 1, desc=self._desc,
                             unit="it", dynamic_ncols=True)
        self._bar.update(1)
        self._bar.set_postfix(loss=f"{p.loss:.3f}", avg=f"{p.avg_loss:.3f}",
                              img_s=f"{p.images_per_second:.1f}")
        self._writer.writerow((p.iteration, f"{p.loss:.5f}", f"{p.avg_loss:.5f}", f"{p.learning_rate:.6g}",
                               f"{p.images_per_second:.2f}", *p.input_size))
        self._file.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._file.close()

    def __enter__(self) -> TrainingMonitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
