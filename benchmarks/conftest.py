"""Benchmark fixtures: darknet's stock cfgs with seeded random weights (same file for both engines)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import pydarknet
from pydarknet.weights import write_random_weights

CACHE = Path(__file__).resolve().parent.parent / "build" / "bench-weights"


@pytest.fixture(scope="session")
def cfg_dir() -> Path:
    path = Path(pydarknet.build_info()["darknet_source_dir"]) / "cfg"
    if not (path / "yolov3.cfg").is_file():
        pytest.skip("darknet's cfg folder is not available")
    return path


def model_files(cfg_dir: Path, name: str, size: int = 416) -> tuple[Path, Path]:
    """darknet's stock cfg at ``size`` x ``size`` (yolov3.cfg ships at 608), random weights."""
    CACHE.mkdir(parents=True, exist_ok=True)
    text = re.sub(r"(?m)^(width|height)=\d+", lambda m: f"{m.group(1)}={size}",
                  (cfg_dir / f"{name}.cfg").read_text())
    cfg = CACHE / f"{name}-{size}.cfg"
    if not cfg.is_file() or cfg.read_text() != text:
        cfg.write_text(text)
    weights = CACHE / f"{name}-seed1.weights"
    if not weights.is_file():
        write_random_weights(cfg, weights, seed=1)
    return cfg, weights


@pytest.fixture(scope="session")
def picture() -> np.ndarray:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    image[200:400, 300:700] = (40, 180, 230)
    return image
