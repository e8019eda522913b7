"""OnnxYolo: darknet YOLOv3-family detectors run by ONNX Runtime, with darknet's own results.

    from lpr.engines.onnx_yolo import OnnxYolo
    with OnnxYolo("lpr/models/plate-detector.cfg", "plate-detector.weights") as det:
        for d in det.detect(cv2.imread("frame.jpg")):       # BGR uint8
            print(d.class_id, d.confidence, d.box)           # pydarknet.Detection, box in pixels

The same cfg, weights and call as ``pydarknet.Network`` and lpr.engines.opencv_yolo.OpenCVYolo:
the network is exported to ONNX in memory (lpr.engines.onnx_export), ONNX Runtime computes the
convolutions up to each [yolo] layer, and the decoding is the OpenCV engine's
(lpr.engines.yolo_decoding). One session takes every input size, so fit_input and the
large-plate pass cost no re-planning. Needs ``onnxruntime`` (a dependency of the package).
"""
from __future__ import annotations

import os
from collections.abc import Sequence

from .onnx_network import OnnxNetwork
from .yolo_decoding import YoloDecoder

PathLike = str | os.PathLike[str]

__all__ = ["OnnxYolo"]


class OnnxYolo(YoloDecoder, OnnxNetwork):
    """A darknet YOLOv3-family detector (cfg + weights) run by ONNX Runtime on the CPU.

    ``OnnxYolo(cfg_path, weights_path, names=None)``: the files are checked as pydarknet checks
    them (ConfigError, WeightsError, FileNotFoundError); the network must end in [yolo] layers and
    take 3 channels, and every layer must be one lpr.engines.onnx_export writes (ValueError).
    ``detect(image, *, thresh=0.25, nms=0.45, fit_input=False, input_scale=1.0)`` returns what
    ``pydarknet.Network.detect`` returns. Forward passes are serialised by a lock; the decoding
    runs outside it.
    """

    engine = "ONNX Runtime"

    def __init__(self, cfg_path: PathLike, weights_path: PathLike,
                 names: Sequence[str] | PathLike | None = None):
        self._check_files(cfg_path, weights_path, names)
        self._set_heads(self._load(self.cfg_path, self.weights_path))
        self.letterbox_threads = self.threads      # the session's threads letterbox its input
        self._check_pass()
