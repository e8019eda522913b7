"""OpenCVYolo: darknet YOLOv3-family detectors run by OpenCV DNN, with darknet's own results.

    from lpr.engines.opencv_yolo import OpenCVYolo
    with OpenCVYolo("lpr/models/plate-detector.cfg", "plate-detector.weights") as det:
        for d in det.detect(cv2.imread("frame.jpg")):       # BGR uint8, as OpenCV reads it
            print(d.class_id, d.confidence, d.box)           # pydarknet.Detection, box in pixels

The same cfg and weights as ``pydarknet.Network``, and the same call: ``detect(image, *, thresh,
nms)`` gives what ``Network.detect`` gives (within float rounding of the two engines' convolutions).
The input is darknet's letterbox (``pydarknet.letterbox``, bit for bit); OpenCV computes the
convolutions; the [yolo] decoding, the letterbox correction, darknet's per-class ``do_nms_sort``
and the pixel boxes are done in NumPy, in darknet's float32 arithmetic and order
(lpr.engines.yolo_decoding, which the ONNX Runtime engine shares).

Why not OpenCV's own [yolo] output: ``net.forward()`` on a [yolo] layer (OpenCV 4.x) gives rows
``(cx, cy, w, h, objectness, class probabilities)`` per (row, column, anchor), boxes relative to
the network input, probabilities already multiplied by objectness -- but every probability not
above the layer's ``thresh`` (0.2 unless the cfg sets one) is zeroed, so detect(thresh=0.05)
could not match darknet. We read the output of the layer that feeds each [yolo] layer instead.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

from .opencv_network import OpenCVNetwork
from .yolo_decoding import YoloDecoder

try:
    import cv2  # noqa: F401  (imported here for the clear error below; the network lives in opencv_network)
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("lpr.engines.opencv_yolo needs OpenCV: pip install opencv-python-headless "
                      "(a dependency of the package)") from exc

PathLike = str | os.PathLike[str]

__all__ = ["OpenCVYolo"]


def _source_layer(layer_names: Sequence[str], index: int) -> str:
    """The OpenCV layer that feeds darknet's [yolo] layer ``index``.

    OpenCV's darknet importer names the layer ``yolo_<index>`` and puts a ``permute_<index>``
    before it; the producer is the layer added just before those (``conv_<index-1>`` for the usual
    linear 1x1 convolution). Checked against the expected shape when the network is loaded.
    """
    names = list(layer_names)
    name = f"yolo_{index}"
    if name not in names:
        raise RuntimeError(f"OpenCV's import of this cfg has no layer {name!r}; "
                           f"its layers: {', '.join(names)}")
    pos = names.index(name) - 1
    if pos >= 0 and names[pos] == f"permute_{index}":
        pos -= 1
    if pos < 0:
        raise RuntimeError(f"no OpenCV layer feeds {name!r}")
    return names[pos]


class OpenCVYolo(YoloDecoder, OpenCVNetwork):
    """A darknet YOLOv3-family detector (cfg + weights) run by OpenCV DNN on the CPU.

    ``OpenCVYolo(cfg_path, weights_path, names=None)``

    - ``cfg_path``/``weights_path``: the same files ``pydarknet.Network`` loads; checked the same
      way first (ConfigError, WeightsError, FileNotFoundError). The network must end in [yolo]
      layers ([region] networks are not supported) and take 3 channels.
    - ``names``: class names (a list, or a ``.names`` file); default "0", "1", ...

    ``detect(image, *, thresh=0.25, nms=0.45)`` returns what ``pydarknet.Network.detect`` returns.
    One OpenCV network per object; forward passes are serialised by a lock (OpenCV networks are
    not thread-safe), the decoding runs outside it. ``cv2.setNumThreads`` sets OpenCV's threads.
    """

    engine = "OpenCV DNN"
    shapes_kept = 2     # a camera's frames at both of the reader's passes, with no re-planning (opencv_network)

    def __init__(self, cfg_path: PathLike, weights_path: PathLike,
                 names: Sequence[str] | PathLike | None = None):
        self._check_files(cfg_path, weights_path, names)
        self._load(self.cfg_path, self.weights_path)
        layer_names = self._net.getLayerNames()
        self._set_heads({spec.index: _source_layer(layer_names, spec.index) for spec in self._yolo_specs()})
        self._check_pass()
