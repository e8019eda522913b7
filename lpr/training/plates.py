"""Train the plate detector (lpr/models/plate-detector.cfg) on a darknet dataset from `lpr data`."""
from __future__ import annotations

from pathlib import Path

import pydarknet

from .progress import TrainingMonitor

DEFAULT_CFG = Path(__file__).resolve().parent.parent / "models" / "plate-detector.cfg"


def train_plate_detector(data_file: Path, work_dir: Path, *, cfg: Path = DEFAULT_CFG,
                         max_batches: int | None = None, seed: int = 0) -> pydarknet.TrainingResult:
    """Train (or resume: ``<work_dir>/<cfg stem>.backup``) with darknet's loop; Ctrl-C saves."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    with TrainingMonitor(work_dir / "loss.csv", desc="plate detector") as monitor:
        return pydarknet.train_detector(data_file, cfg, max_batches=max_batches, backup_dir=work_dir,
                                        progress=monitor, resume=True, seed=seed, backup_every=50)
