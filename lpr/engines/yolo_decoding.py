"""What the YOLO engines that are not darknet share: darknet's [yolo] decoding, letterbox
correction, per-class NMS and pixel boxes, done in NumPy in darknet's float32 arithmetic and
order, on the input of each [yolo] layer (lpr.engines.opencv_yolo, lpr.engines.onnx_yolo).

An engine computes the convolutions up to each [yolo] layer (``_raw``); ``YoloDecoder.detect``
turns them into what ``pydarknet.Network.detect`` returns for the same cfg, weights and image.
"""
from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import pydarknet
from pydarknet import Detection
from pydarknet.images import as_bgr_image, checked_input_scale
from pydarknet.network import _read_names   # one rule for class names, every engine

PathLike = str | os.PathLike[str]

__all__ = ["YoloDecoder"]

_F32 = np.float32
# Above this many candidate boxes of one class, NMS computes IoUs row by row instead of as one
# matrix (the matrix would take candidates**2 floats).
_IOU_MATRIX_LIMIT = 1024


@dataclass(frozen=True)
class _YoloHead:
    """One [yolo] layer: where its input comes from in OpenCV and what darknet decodes it with."""

    layer: int                # darknet's index of the [yolo] layer
    source: str               # the engine's name for the tensor that is the [yolo] layer's input
    classes: int
    height: int
    width: int
    anchor_w: np.ndarray      # float64 (len(mask),): the masked anchors, as darknet stores them
    anchor_h: np.ndarray

    @property
    def anchors(self) -> int:
        return len(self.anchor_w)

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return (1, self.anchors * (5 + self.classes), self.height, self.width)


def _yolo_params(spec) -> tuple[int, np.ndarray, np.ndarray]:
    """classes and the masked anchors of a [yolo] layer, with darknet's defaults (parse_yolo)."""
    classes = int(spec.get("classes"))
    total = int(spec.get("num"))
    mask = spec.get("mask")
    mask = list(range(total)) if mask is None else [int(m) for m in mask]
    biases = np.full(2 * total, 0.5, dtype=_F32)          # make_yolo_layer's default
    anchors = spec.get("anchors")
    if anchors is not None:
        values = np.asarray(anchors, dtype=_F32)[: 2 * total]
        biases[: len(values)] = values
    biases = biases.astype(np.float64)
    return classes, biases[[2 * m for m in mask]], biases[[2 * m + 1 for m in mask]]


def _logistic(x: np.ndarray) -> np.ndarray:
    """darknet's logistic_activate: 1./(1. + exp(-x)) in double, stored as float."""
    return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(_F32)


def _logit_floor(thresh: float) -> float:
    """A logit at or under which darknet's float32 logistic cannot exceed ``thresh``: the
    threshold's logit less 0.01, far more than rounding to float32 moves a logistic between
    1e-6 and 0.99; outside that range -inf, which leaves no cell out."""
    if not 1e-6 < thresh < 0.99:
        return -math.inf
    return math.log(thresh / (1.0 - thresh)) - 0.01


def _activate(conv: np.ndarray, head: _YoloHead) -> np.ndarray:
    """What darknet's forward_yolo_layer makes of its input: logistic on x, y, objectness, classes."""
    out = np.array(conv, dtype=_F32, copy=True).reshape(head.anchors, 5 + head.classes, -1)
    out[:, 0:2] = _logistic(out[:, 0:2])
    out[:, 4:] = _logistic(out[:, 4:])
    return out.reshape(head.shape)


def _decode(conv: np.ndarray, head: _YoloHead, net_w: int, net_h: int, img_w: int, img_h: int,
            thresh: np.float32) -> tuple[np.ndarray, np.ndarray]:
    """darknet's get_yolo_detections (relative boxes) on one head's raw input, (1, channels,
    rows, columns): the cfg's grid, or a smaller one for a fitted input (net_w x net_h).

    Returns boxes (n, 4) float32 ``x, y, w, h`` relative to the image and class probabilities
    (n, classes) float32 (objectness times class score, 0 where not above ``thresh``), in
    darknet's order: cell by cell, anchor by anchor within a cell.
    """
    rows, columns = conv.shape[2], conv.shape[3]
    cells = rows * columns
    raw = conv.reshape(head.anchors, 5 + head.classes, cells)
    logits = raw[:, 4, :].T.reshape(-1)                         # index: cell * anchors + anchor
    # the logistic rises with its input: a cell whose logit is under the threshold's (less a
    # margin far wider than any rounding) cannot pass, and its logistic is not computed
    maybe = np.flatnonzero(logits > _logit_floor(thresh))
    objectness = _logistic(logits[maybe])
    passed = objectness > thresh
    keep, obj = maybe[passed], objectness[passed]
    if keep.size == 0:
        return np.empty((0, 4), _F32), np.empty((0, head.classes), _F32)
    cell, anchor = np.divmod(keep, head.anchors)
    values = raw[anchor, :, cell]                               # (n, 5 + classes)
    col = (cell % columns).astype(_F32)
    row = (cell // columns).astype(_F32)
    # get_yolo_box: float arithmetic for x, y; exp() and the anchor in double for w, h
    x = (col + _logistic(values[:, 0])) / _F32(columns)
    y = (row + _logistic(values[:, 1])) / _F32(rows)
    w = (np.exp(values[:, 2].astype(np.float64)) * head.anchor_w[anchor] / net_w).astype(_F32)
    h = (np.exp(values[:, 3].astype(np.float64)) * head.anchor_h[anchor] / net_h).astype(_F32)
    # correct_yolo_boxes(relative=1): undo the letterbox
    new_w, new_h = pydarknet.letterbox_size(img_w, img_h, net_w, net_h)
    # (b.x - (netw - new_w)/2./netw) / ((float)new_w/netw): double, but the scale is a float
    scale_x, scale_y = float(_F32(new_w) / _F32(net_w)), float(_F32(new_h) / _F32(net_h))
    x = ((x.astype(np.float64) - (net_w - new_w) / 2.0 / net_w) / scale_x).astype(_F32)
    y = ((y.astype(np.float64) - (net_h - new_h) / 2.0 / net_h) / scale_y).astype(_F32)
    w = w * (_F32(net_w) / _F32(new_w))
    h = h * (_F32(net_h) / _F32(new_h))
    probs = obj[:, None] * _logistic(values[:, 5:])
    probs = np.where(probs > thresh, probs, _F32(0))
    return np.stack([x, y, w, h], axis=1), probs


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """darknet's box_iou of (..., 4) x, y, w, h float32 boxes (broadcast), in float32."""
    def overlap(x1, w1, x2, w2):
        left = np.maximum(x1 - w1 / _F32(2), x2 - w2 / _F32(2))
        right = np.minimum(x1 + w1 / _F32(2), x2 + w2 / _F32(2))
        return right - left

    ax, ay, aw, ah = (a[..., i] for i in range(4))
    bx, by, bw, bh = (b[..., i] for i in range(4))
    iw = overlap(ax, aw, bx, bw)
    ih = overlap(ay, ah, by, bh)
    inter = np.where((iw < 0) | (ih < 0), _F32(0), iw * ih)
    union = aw * ah + bw * bh - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return inter / union                                     # 0/0 -> nan: never above nms


def _nms_sort(boxes: np.ndarray, probs: np.ndarray, nms: np.float32) -> np.ndarray:
    """darknet's do_nms_sort: per class, sort by that class's probability and zero the
    probability of every box overlapping a kept one by more than ``nms``.

    ``probs`` is changed in place. Returns darknet's final order of the boxes: each class's
    qsort (glibc's, stable) starts from the order the previous class left.
    """
    order = np.arange(len(boxes))
    for k in range(probs.shape[1]):
        order = order[np.argsort(-probs[order, k], kind="stable")]
        candidates = order[probs[order, k] > 0]                  # the zeros sort last
        m = candidates.size
        if m < 2:
            continue
        cand_boxes = boxes[candidates]
        alive = np.ones(m, dtype=bool)
        matrix = _iou(cand_boxes[:, None], cand_boxes[None, :]) > nms if m <= _IOU_MATRIX_LIMIT else None
        for i in range(m - 1):
            if not alive[i]:
                continue
            over = matrix[i, i + 1:] if matrix is not None else _iou(cand_boxes[i], cand_boxes[i + 1:]) > nms
            alive[i + 1:] &= ~over
        probs[candidates[~alive], k] = 0
    return order


class YoloDecoder:
    """Base of the YOLO engines: a subclass checks the files (``_check_files``), builds its
    network, names each [yolo] layer's input (``_set_heads``) and checks one pass
    (``_check_pass``); its network class provides ``_forward(blob, outputs)`` and ``close()``.
    ``engine`` names it in messages."""

    engine = "?"
    letterbox_threads = 1          # threads that letterbox an image (pydarknet.letterbox)
    config: pydarknet.NetworkConfig
    names: list[str]
    _heads: tuple[_YoloHead, ...] = ()

    def _check_files(self, cfg_path: PathLike, weights_path: PathLike,
                     names: Sequence[str] | PathLike | None) -> None:
        """Parse and check the cfg and weights as pydarknet does (ConfigError, WeightsError,
        FileNotFoundError) and refuse what the decoding cannot run (ValueError)."""
        self.cfg_path = Path(cfg_path)
        self.weights_path = Path(weights_path)
        self.config = pydarknet.parse_cfg(self.cfg_path)
        pydarknet.check_weights(self.weights_path, self.config)
        if self.config.channels != 3:
            raise ValueError(f"detect() feeds 3-channel images; this network takes {self.config.channels}")
        specs = self._yolo_specs()
        if not specs or any(spec.type == "region" for spec in self.config.layers):
            raise ValueError(f"{self.cfg_path.name}: {type(self).__name__} runs networks whose outputs are "
                             "[yolo] layers (YOLOv3 family) only")
        if len({int(spec.get("classes")) for spec in specs}) != 1:
            raise ValueError(f"{self.cfg_path.name}: the [yolo] layers disagree on classes=")
        self.names = _read_names(names, self.config.classes)

    def _yolo_specs(self) -> list:
        return [spec for spec in self.config.layers if spec.type == "yolo"]

    def _set_heads(self, sources: dict[int, str]) -> None:
        """``sources``: [yolo] layer index -> the engine's name for that layer's input."""
        heads = []
        for spec in self._yolo_specs():
            classes, anchor_w, anchor_h = _yolo_params(spec)
            heads.append(_YoloHead(layer=spec.index, source=sources[spec.index], classes=classes,
                                   height=spec.in_shape.h, width=spec.in_shape.w, anchor_w=anchor_w,
                                   anchor_h=anchor_h))
        self._heads = tuple(heads)
        self._sources = [head.source for head in heads]

    def _check_pass(self) -> None:
        """One pass at the cfg's size: checks what the engine built (the shapes darknet's layers
        have), and takes the engine's slow first run out of detect(). Closes and raises
        RuntimeError when they differ."""
        outputs = self._raw(np.zeros((1, 3, self.config.height, self.config.width), _F32))
        for head, out in zip(self._heads, outputs):
            if tuple(out.shape) != head.shape:
                self.close()
                raise RuntimeError(f"{self.engine}: {head.source!r} (input of [yolo] layer {head.layer}) "
                                   f"gives shape {tuple(out.shape)}, darknet {head.shape}")

    def _raw(self, blob: np.ndarray) -> list[np.ndarray]:
        """The raw (pre-[yolo]) outputs for a float32 1x3xHxW blob, float32 copies (the engine's
        network class runs ``_forward``)."""
        return self._forward(blob, self._sources)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "input {}x{}".format(*self.input_size)
        return f"<lpr {type(self).__name__} {self.cfg_path.name} {state}>"

    # ---------------------------------------------------------------- shape
    @property
    def input_size(self) -> tuple[int, int]:
        """The network's (width, height): what images are letterboxed to."""
        return self.config.width, self.config.height

    @property
    def classes(self) -> int:
        return self.config.classes

    # ---------------------------------------------------------------- inference
    @property
    def can_fit_input(self) -> bool:
        """Whether detect(fit_input=True) runs: the network can take other input sizes (its
        cfg's input_stride)."""
        return self.config.input_stride is not None

    def _blob(self, image: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
        width, height = size or self.input_size
        return pydarknet.letterbox(image, width, height, threads=self.letterbox_threads)[None]

    def raw_outputs(self, image: np.ndarray) -> list[np.ndarray]:
        """The [yolo] layers' outputs for a BGR uint8 image, as darknet has them (for debugging).

        One float32 array (1, anchors*(5+classes), h, w) per [yolo] layer, logistic applied to
        x, y, objectness and classes: the layout of ``pydarknet.Network.forward``.
        """
        return [_activate(out, head) for out, head in zip(self._raw(self._blob(image)), self._heads)]

    def detect(self, image: np.ndarray, *, thresh: float = 0.25, nms: float = 0.45,
               fit_input: bool = False, input_scale: float = 1.0) -> list[Detection]:
        """Detect objects in one BGR uint8 HxWx3 image, as ``pydarknet.Network.detect`` does.

        Returns one Detection per class above ``thresh`` for each box kept by darknet's per-class
        NMS at IoU ``nms`` (none when ``nms`` is 0), highest confidence first, boxes (x1, y1,
        x2, y2) in pixels of ``image``, clipped to it. ``fit_input``: run the network at
        pydarknet.fitted_input_size, as ``pydarknet.Network.detect(fit_input=True)`` does
        (ValueError unless ``can_fit_input``). ``input_scale``: run it at the cfg's size times
        this, as ``pydarknet.Network.detect(input_scale=...)`` does (ValueError unless
        ``can_fit_input``, when not 1).
        """
        if not 0.0 <= thresh <= 1.0:
            raise ValueError(f"thresh must be in [0, 1], got {thresh}")
        if not 0.0 <= nms <= 1.0:
            raise ValueError(f"nms must be in [0, 1], got {nms}")
        input_scale = checked_input_scale(input_scale)
        image = as_bgr_image(image)              # TypeError/ValueError for a bad image
        if fit_input:
            net_w, net_h = self.config.fitted_input_size(image.shape[1], image.shape[0], input_scale)
        else:
            net_w, net_h = self.config.scaled_input_size(input_scale)
        blob = self._blob(image, (net_w, net_h))
        img_h, img_w = image.shape[:2]
        outputs = self._raw(blob)
        thresh32, nms32 = _F32(thresh), _F32(nms)
        decoded = [_decode(out, head, net_w, net_h, img_w, img_h, thresh32)
                   for out, head in zip(outputs, self._heads)]
        boxes = np.concatenate([b for b, _ in decoded])
        if len(boxes) == 0:
            return []
        probs = np.concatenate([p for _, p in decoded])
        order = _nms_sort(boxes, probs, nms32) if nms32 > 0 else np.arange(len(boxes))
        return self._detections(boxes[order], probs[order], img_w, img_h, thresh32)

    def _detections(self, boxes: np.ndarray, probs: np.ndarray, img_w: int, img_h: int,
                    thresh: np.float32) -> list[Detection]:
        """pydarknet's _boxes: pixel boxes clipped to the image, one Detection per class above
        ``thresh``, then a stable sort by confidence."""
        x, y, w, h = boxes.T
        fw, fh = _F32(img_w), _F32(img_h)
        x1 = np.clip((x - w / _F32(2)) * fw, 0, fw)
        x2 = np.clip((x + w / _F32(2)) * fw, 0, fw)
        y1 = np.clip((y - h / _F32(2)) * fh, 0, fh)
        y2 = np.clip((y + h / _F32(2)) * fh, 0, fh)
        rows, cls = np.nonzero(probs > thresh)
        conf = probs[rows, cls]
        found = []
        for i in np.argsort(-conf, kind="stable"):
            r, c = rows[i], int(cls[i])
            found.append(Detection(class_id=c, name=self.names[c], confidence=float(conf[i]),
                                   box=(float(x1[r]), float(y1[r]), float(x2[r]), float(y2[r]))))
        return found
