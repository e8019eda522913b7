"""Train the character detector (lpr/models/char-detector.cfg): YOLO on plate crops, 36 classes."""
from __future__ import annotations

from pathlib import Path

import pydarknet

from .progress import TrainingMonitor

DEFAULT_CFG = Path(__file__).resolve().parent.parent / "models" / "char-detector.cfg"


def train_char_detector(data_file: Path, work_dir: Path, *, cfg: Path = DEFAULT_CFG,
                        max_batches: int | None = None, seed: int = 0) -> pydarknet.TrainingResult:
    """Train (or resume: ``<work_dir>/<cfg stem>.backup``) with darknet's loop; Ctrl-C saves.

    darknet's random horizontal flip is off: a mirrored character is another one (or none).
    """
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    with TrainingMonitor(work_dir / "loss.csv", desc="char detector") as monitor:
        return pydarknet.train_detector(data_file, cfg, max_batches=max_batches, backup_dir=work_dir,
                                        progress=monitor, resume=True, seed=seed, backup_every=50,
                                        flip=False)
