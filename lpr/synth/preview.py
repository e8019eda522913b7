"""Annotated example images of a written dataset, read back from disk (what darknet will read).

    plates.png  the first scene with its plate boxes, then its plates and those of the next
                scenes enlarged
    chars.png   the first plate crops enlarged, each character box with its class
    crops.png   the first character crops enlarged, each with the class its file name gives
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from lpr.data.boxes import Box
from lpr.data.darknet_layout import darknet_label_path

GREEN, YELLOW, WHITE = (60, 220, 60), (0, 220, 255), (255, 255, 255)


def read_yolo(image_path: Path, class_names: list[str], width: int, height: int) -> list[Box]:
    boxes = []
    for line in Path(darknet_label_path(str(image_path))).read_text().splitlines():
        if not line.strip():
            continue
        c, cx, cy, w, h = line.split()
        cx, cy, w, h = float(cx) * width, float(cy) * height, float(w) * width, float(h) * height
        boxes.append(Box(class_names[int(c)], cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    return boxes


def _rect(image: np.ndarray, box: Box, color: tuple[int, int, int], scale: float = 1.0) -> None:
    import cv2

    cv2.rectangle(image, (int(np.floor(box.x1 * scale)), int(np.floor(box.y1 * scale))),
                  (int(np.ceil(box.x2 * scale)) - 1, int(np.ceil(box.y2 * scale)) - 1), color, 1)


def _enlarge(image: np.ndarray, height: int) -> tuple[np.ndarray, float]:
    import cv2

    scale = height / image.shape[0]
    return cv2.resize(image, (max(1, int(round(image.shape[1] * scale))), height),
                      interpolation=cv2.INTER_NEAREST if scale >= 2 else cv2.INTER_LINEAR), scale


def _grid(tiles: list[np.ndarray], width: int, gap: int = 6) -> np.ndarray:
    rows: list[list[np.ndarray]] = [[]]
    x = 0
    for tile in tiles:
        if rows[-1] and x + tile.shape[1] > width:
            rows.append([])
            x = 0
        rows[-1].append(tile)
        x += tile.shape[1] + gap
    out = []
    for row in rows:
        h = max(t.shape[0] for t in row)
        line = np.full((h + gap, max(width, sum(t.shape[1] + gap for t in row)), 3), 40, np.uint8)
        x = 0
        for t in row:
            line[:t.shape[0], x:x + t.shape[1]] = t
            x += t.shape[1] + gap
        out.append(line)
    w = max(l.shape[1] for l in out)
    return np.vstack([np.pad(l, ((0, 0), (0, w - l.shape[1]), (0, 0)), constant_values=40) for l in out])


def _detection_items(root: Path) -> list[Path]:
    with (root / "mapping.tsv").open(newline="") as handle:
        return [root / "images" / row["name"] for row in csv.DictReader(handle, delimiter="\t")]


def _label(image: np.ndarray, text: str, x: int, y: int, color=WHITE, scale: float = 0.45) -> None:
    import cv2

    cv2.putText(image, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(image, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, color, 1, cv2.LINE_AA)


def preview_plates(root: Path, scenes: int = 8) -> np.ndarray:
    from lpr.synth.sources import read_bgr

    names = (root / "obj.names").read_text().split()
    items = _detection_items(root)[:scenes]
    tiles: list[np.ndarray] = []
    first = None
    for k, path in enumerate(items):
        image = read_bgr(path)
        boxes = read_yolo(path, names, image.shape[1], image.shape[0])
        if k == 0:
            first = image.copy()
            for b in boxes:
                _rect(first, b, GREEN)
            _label(first, f"{path.name}: {len(boxes)} plates", 8, 22)
        for b in boxes:
            m = 0.25 * b.height + 2
            x1, y1 = max(0, int(b.x1 - m)), max(0, int(b.y1 - m))
            x2, y2 = min(image.shape[1], int(b.x2 + m)), min(image.shape[0], int(b.y2 + m))
            if x2 <= x1 or y2 <= y1:
                continue
            zoom, s = _enlarge(image[y1:y2, x1:x2].copy(), 96)
            _rect(zoom, b.shifted(-x1, -y1), GREEN, s)
            _label(zoom, f"#{k} {b.width:.0f}px", 3, 14, scale=0.4)
            tiles.append(zoom)
    assert first is not None
    return np.vstack([first, _grid(tiles, first.shape[1])])


def preview_chars(root: Path, crops: int = 16) -> np.ndarray:
    from lpr.synth.sources import read_bgr

    names = (root / "obj.names").read_text().split()
    tiles = []
    for path in _detection_items(root)[:crops]:
        image = read_bgr(path)
        boxes = read_yolo(path, names, image.shape[1], image.shape[0])
        big, s = _enlarge(image, 150)
        for b in boxes:
            _rect(big, b, GREEN, s)
            _label(big, b.label, int(b.x1 * s) + 1, max(12, int(b.y1 * s) - 3), YELLOW)
        tiles.append(big)
    return _grid(tiles, 1400)


def preview_crops(root: Path, crops: int = 80) -> np.ndarray:
    from lpr.synth.sources import read_bgr

    with (root / "crops" / "mapping.tsv").open(newline="") as handle:
        paths = [root / row["crop"] for row in csv.DictReader(handle, delimiter="\t")][:crops]
    tiles = []
    for path in paths:
        big, _ = _enlarge(read_bgr(path), 72)
        tile = np.full((big.shape[0] + 18, max(big.shape[1], 30), 3), 40, np.uint8)
        tile[:big.shape[0], :big.shape[1]] = big
        _label(tile, path.stem.split("_c_")[-1], 2, tile.shape[0] - 4)
        tiles.append(tile)
    return _grid(tiles, 1200)


def write_preview(root: Path | str, kind: str, folder: Path | str) -> Path:
    """Write `<folder>/<kind>.png` for the dataset in `root`; returns its path."""
    import cv2

    root, folder = Path(root), Path(folder)
    image = {"plates": preview_plates, "chars": preview_chars, "crops": preview_crops}[kind](root)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}.png"
    if not cv2.imwrite(str(path), image):
        raise OSError(f"cannot write {path}")
    return path
