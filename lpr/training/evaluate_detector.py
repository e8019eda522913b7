"""Precision and recall of a detector on a darknet dataset's validation list (YOLO labels)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

import pydarknet
from pydarknet.training import darknet_label_path


@dataclass(frozen=True)
class DetectorScore:
    images: int
    truths: int
    detections: int
    true_positives: int
    precision: float
    recall: float
    median_ms: float


def read_yolo_label(image_path: str) -> tuple[np.ndarray, np.ndarray]:
    """Boxes (x1, y1, x2, y2 as shares of the image's width and height) and class ids of an
    image's YOLO label file. FileNotFoundError without one; ValueError naming the file and line
    for a line that is not ``CLASS cx cy w h``."""
    label = Path(darknet_label_path(str(image_path)))
    rows, classes = [], []
    for number, line in enumerate(label.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            cls, cx, cy, w, h = (float(v) for v in line.split())
        except ValueError:
            raise ValueError(f"{label}:{number}: expected CLASS cx cy w h, got {line!r}") from None
        rows.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
        classes.append(int(cls))
    return np.array(rows, dtype=np.float64).reshape(-1, 4), np.array(classes, dtype=np.int64)


def read_yolo_boxes(image_path: str, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Boxes (x1, y1, x2, y2 pixels) and class ids of an image's YOLO label file."""
    boxes, classes = read_yolo_label(image_path)
    return boxes * np.array([width, height, width, height], dtype=np.float64), classes


def _iou(box: tuple[float, ...], truths: np.ndarray) -> np.ndarray:
    ix = np.clip(np.minimum(box[2], truths[:, 2]) - np.maximum(box[0], truths[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], truths[:, 3]) - np.maximum(box[1], truths[:, 1]), 0, None)
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1]) + (truths[:, 2] - truths[:, 0]) * (truths[:, 3] - truths[:, 1])
    return inter / np.maximum(area - inter, 1e-9)


def evaluate_detector(cfg: Path, weights: Path, image_list: Path, *, thresh: float = 0.25,
                      iou: float = 0.5) -> DetectorScore:
    """Greedy matching, highest confidence first: a detection is a true positive when it overlaps
    a not yet matched truth box of its class by at least ``iou``."""
    paths = [p for p in Path(image_list).read_text().splitlines() if p.strip()]
    tp = n_truths = n_dets = 0
    times = []
    with pydarknet.Network(cfg, weights) as net:
        for path in paths:
            image = cv2.imread(path)
            truths, classes = read_yolo_boxes(path, image.shape[1], image.shape[0])
            start = time.perf_counter()
            dets = net.detect(image, thresh=thresh)
            times.append(time.perf_counter() - start)
            matched = np.zeros(len(truths), dtype=bool)
            for det in sorted(dets, key=lambda d: -d.confidence):
                if len(truths):
                    overlaps = np.where(matched | (classes != det.class_id), 0.0, _iou(det.box, truths))
                    best = int(overlaps.argmax())
                    if overlaps[best] >= iou:
                        matched[best] = True
                        tp += 1
            n_truths += len(truths)
            n_dets += len(dets)
    return DetectorScore(images=len(paths), truths=n_truths, detections=n_dets, true_positives=tp,
                         precision=tp / n_dets if n_dets else 0.0, recall=tp / n_truths if n_truths else 0.0,
                         median_ms=float(np.median(times) * 1000) if times else 0.0)
