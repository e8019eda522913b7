"""Segmentation and recognition in one pass: the character detector (YOLO, 36 classes) on a
plate crop gives each character's box and its class candidates."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .data.boxes import xyxy_iou
from .engines.select import YoloEngine

Box = tuple[float, float, float, float]

CANDIDATE_THRESH = 0.01   # classes kept as alternatives (darknet reports each class above this)
SAME_CHAR_IOU = 0.45      # boxes of different classes overlapping more than this are one character
MAX_ALTERNATIVES = 4


@dataclass(frozen=True, slots=True)
class CharCandidates:
    """A character found in a crop: its box (crop pixels) and (char, probability), best first."""

    box: Box
    candidates: tuple[tuple[str, float], ...]

    @property
    def best(self) -> tuple[str, float]:
        return self.candidates[0]


def group_detections(detections: Sequence, thresh: float) -> list[CharCandidates]:
    """darknet reports one detection per class above its threshold for each box; boxes of
    different classes on the same character are merged (the strongest box wins, the others'
    classes become its alternatives). Characters whose best class is below ``thresh`` are
    dropped."""
    by_box: dict[Box, dict[str, float]] = {}
    for d in detections:
        scores = by_box.setdefault(tuple(float(v) for v in d.box), {})
        scores[d.name] = max(scores.get(d.name, 0.0), float(d.confidence))
    groups = sorted(by_box.items(), key=lambda item: -max(item[1].values()))
    kept: list[tuple[Box, dict[str, float]]] = []
    for box, scores in groups:
        for kept_box, kept_scores in kept:
            if xyxy_iou(box, kept_box) > SAME_CHAR_IOU:
                for name, p in scores.items():
                    kept_scores[name] = max(kept_scores.get(name, 0.0), p)
                break
        else:
            kept.append((box, dict(scores)))
    out = []
    for box, scores in kept:
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:1 + MAX_ALTERNATIVES]
        if ranked[0][1] >= thresh:
            out.append(CharCandidates(box, tuple((c, float(p)) for c, p in ranked)))
    return out


class CharDetector:
    """Runs the character detector on plate crops (BGR uint8)."""

    def __init__(self, engine: YoloEngine, *, thresh: float = 0.25, nms: float = 0.45) -> None:
        self.engine = engine
        self.thresh = thresh
        self.nms = nms

    def find(self, crop: np.ndarray) -> list[CharCandidates]:
        detections = self.engine.detect(crop, thresh=min(CANDIDATE_THRESH, self.thresh), nms=self.nms)
        return group_detections(detections, self.thresh)

    def close(self) -> None:
        self.engine.close()
