"""Shared fixtures: darknet's stock cfgs (from the source tree the build used), random weights,
small generated datasets. Tests import the *installed* pydarknet (run them with the venv's pytest)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import pydarknet
from pydarknet.weights import write_random_weights

ASSETS = Path(__file__).parent / "assets"


def _darknet_cfg_dir() -> Path | None:
    candidates = [os.environ.get("DARKNET_SOURCE_DIR"), pydarknet.build_info()["darknet_source_dir"]]
    for base in candidates:
        if base and (Path(base) / "cfg" / "yolov3-tiny.cfg").is_file():
            return Path(base) / "cfg"
    return None


@pytest.fixture(scope="session")
def darknet_cfg_dir() -> Path:
    found = _darknet_cfg_dir()
    if found is None:
        pytest.skip("darknet's cfg/ folder is not available (set DARKNET_SOURCE_DIR)")
    return found


@pytest.fixture(scope="session")
def yolov3_tiny(darknet_cfg_dir, tmp_path_factory) -> tuple[Path, Path]:
    """darknet's yolov3-tiny.cfg (416x416, 80 classes) with seeded random weights."""
    cfg = darknet_cfg_dir / "yolov3-tiny.cfg"
    weights = write_random_weights(cfg, tmp_path_factory.mktemp("w") / "yolov3-tiny.weights", seed=7)
    return cfg, weights


@pytest.fixture(scope="session")
def tiny_yolo(tmp_path_factory) -> tuple[Path, Path]:
    """Our small 64x64 one-class YOLO cfg with seeded random weights."""
    cfg = ASSETS / "tiny-yolo-64.cfg"
    weights = write_random_weights(cfg, tmp_path_factory.mktemp("w") / "tiny.weights", seed=3)
    return cfg, weights


@pytest.fixture(scope="session")
def street_image() -> np.ndarray:
    """A deterministic 480x640 BGR test picture with shapes and texture."""
    rng = np.random.default_rng(11)
    img = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    img[100:220, 150:400] = (30, 200, 240)
    img[300:420, 420:600] = (200, 40, 40)
    return img


def make_square_dataset(root: Path, count: int = 48, size: int = 64, seed: int = 0) -> Path:
    """Images with one bright square each and YOLO labels where darknet looks for them."""
    import cv2

    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "labels").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(count):
        img = rng.integers(0, 60, (size, size, 3)).astype(np.uint8)
        s = int(rng.integers(size // 4, size // 2))
        x, y = (int(v) for v in rng.integers(0, size - s, 2))
        img[y:y + s, x:x + s] = (40, 200, 240)
        path = root / "images" / f"{i:03d}.jpg"
        cv2.imwrite(str(path), img)
        paths.append(str(path))
        cx, cy, wh = (x + s / 2) / size, (y + s / 2) / size, s / size
        (root / "labels" / f"{i:03d}.txt").write_text(f"0 {cx:.6f} {cy:.6f} {wh:.6f} {wh:.6f}\n")
    (root / "train.txt").write_text("\n".join(paths) + "\n")
    (root / "obj.names").write_text("square\n")
    data = root / "obj.data"
    data.write_text(f"classes = 1\ntrain = {root / 'train.txt'}\nnames = {root / 'obj.names'}\n"
                    f"backup = {root / 'backup'}\n")
    return data
