"""An independent NumPy implementation of darknet's YOLOv3 box decoding, letterbox correction and
per-class NMS, used to check pydarknet's detect() against raw outputs computed by OpenCV DNN."""
from __future__ import annotations

import numpy as np


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def activate_yolo(conv_out: np.ndarray, n_anchors: int, classes: int) -> np.ndarray:
    """What darknet's [yolo] layer does to its input: logistic on x, y, objectness and classes."""
    out = conv_out.astype(np.float64).copy()
    _, c, h, w = out.shape
    out = out.reshape(out.shape[0], n_anchors, 5 + classes, h, w)
    out[:, :, 0:2] = logistic(out[:, :, 0:2])
    out[:, :, 4:] = logistic(out[:, :, 4:])
    return out.reshape(conv_out.shape)


def decode(yolo_out: np.ndarray, anchors: list[float], mask: list[int], classes: int, net_w: int,
           net_h: int, img_w: int, img_h: int, thresh: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Boxes (cx, cy, w, h relative to the image) and class probabilities of one image."""
    _, _, lh, lw = yolo_out.shape
    out = yolo_out[0].reshape(len(mask), 5 + classes, lh, lw)
    if net_w / img_w < net_h / img_h:
        new_w, new_h = net_w, (img_h * net_w) // img_w
    else:
        new_w, new_h = (img_w * net_h) // img_h, net_h
    dets = []
    for n, a in enumerate(mask):
        for row in range(lh):
            for col in range(lw):
                obj = out[n, 4, row, col]
                if obj <= thresh:
                    continue
                x = (col + out[n, 0, row, col]) / lw
                y = (row + out[n, 1, row, col]) / lh
                w = np.exp(out[n, 2, row, col]) * anchors[2 * a] / net_w
                h = np.exp(out[n, 3, row, col]) * anchors[2 * a + 1] / net_h
                x = (x - (net_w - new_w) / 2.0 / net_w) / (new_w / net_w)
                y = (y - (net_h - new_h) / 2.0 / net_h) / (new_h / net_h)
                w *= net_w / new_w
                h *= net_h / new_h
                prob = obj * out[n, 5:, row, col]
                prob = np.where(prob > thresh, prob, 0.0)
                dets.append((np.array([x, y, w, h]), prob))
    return dets


def iou_matrix(boxes: np.ndarray) -> np.ndarray:
    """IoU of every pair of (cx, cy, w, h) boxes, as darknet's box_iou computes it."""
    x1, x2 = boxes[:, 0] - boxes[:, 2] / 2, boxes[:, 0] + boxes[:, 2] / 2
    y1, y2 = boxes[:, 1] - boxes[:, 3] / 2, boxes[:, 1] + boxes[:, 3] / 2
    iw = np.minimum(x2[:, None], x2[None]) - np.maximum(x1[:, None], x1[None])
    ih = np.minimum(y2[:, None], y2[None]) - np.maximum(y1[:, None], y1[None])
    inter = np.where((iw < 0) | (ih < 0), 0.0, iw * ih)
    area = boxes[:, 2] * boxes[:, 3]
    union = area[:, None] + area[None] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def nms_per_class(dets: list[tuple[np.ndarray, np.ndarray]], classes: int, thresh: float) -> None:
    """darknet's do_nms_sort: greedy per class, suppressed probabilities set to 0 in place."""
    if not dets:
        return
    boxes = np.stack([d[0] for d in dets])
    probs = np.stack([d[1] for d in dets])
    overlaps = iou_matrix(boxes)
    for k in range(classes):
        candidates = [i for i in np.argsort(-probs[:, k], kind="stable") if probs[i, k] > 0]
        for pos, i in enumerate(candidates):
            if probs[i, k] == 0:
                continue
            later = np.array(candidates[pos + 1:], dtype=int)
            if later.size:
                probs[later[overlaps[i, later] > thresh], k] = 0.0
    for d, p in zip(dets, probs):
        d[1][:] = p


def to_pixel_detections(dets, img_w: int, img_h: int, thresh: float) -> list[tuple[int, float, tuple]]:
    found = []
    for bbox, prob in dets:
        x, y, w, h = bbox
        box = (min(max((x - w / 2) * img_w, 0), img_w), min(max((y - h / 2) * img_h, 0), img_h),
               min(max((x + w / 2) * img_w, 0), img_w), min(max((y + h / 2) * img_h, 0), img_h))
        for k, p in enumerate(prob):
            if p > thresh:
                found.append((k, float(p), box))
    return found
