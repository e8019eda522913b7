"""pydarknet: a Cython binding to darknet (pjreddie/darknet 61c9d02e), built for fast CPU inference.

    import cv2, pydarknet
    with pydarknet.Network("yolov3-tiny.cfg", "yolov3-tiny.weights", names="coco.names") as net:
        for det in net.detect(cv2.imread("street.jpg")):        # BGR uint8, as OpenCV reads it
            print(det.name, det.confidence, det.box)            # box: x1, y1, x2, y2 in pixels

Inputs are checked in Python before darknet sees them (darknet ends the process on a bad file):
FileNotFoundError, ConfigError, WeightsError. What darknet still rejects becomes DarknetError.
"""
import os as _os

# darknet's OpenMP loops alternate with OpenBLAS's own threads. With OpenMP's default busy-waiting,
# idle OpenMP threads spin into the next gemm and the two fight over the cores (measured: 2 threads
# slower than 1). Passive waiting must be chosen before libgomp loads; an explicit setting wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
_os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

from ._libraries import preload as _preload  # noqa: E402

_preload()

from . import _native  # noqa: E402
from .build import build_info, has  # noqa: E402
from .cfg import NetworkConfig, parse_cfg  # noqa: E402
from .detection import Detection  # noqa: E402
from .errors import ConfigError, DarknetError, WeightsError  # noqa: E402
from .images import fitted_input_size, letterbox_size  # noqa: E402
from .network import Network, letterbox  # noqa: E402
from .training import (ArrayTrainer, StopTraining, TrainingProgress, TrainingResult,  # noqa: E402
                       train_classifier, train_detector)
from .weights import check_weights, read_weights, write_random_weights, write_weights  # noqa: E402

set_verbose = _native.set_verbose
get_verbose = _native.get_verbose
set_threads = _native.set_threads

__version__ = "0.1.0"
__all__ = [
    "ArrayTrainer", "ConfigError", "DarknetError", "Detection", "Network", "NetworkConfig", "StopTraining",
    "TrainingProgress", "TrainingResult", "WeightsError", "build_info", "check_weights", "fitted_input_size",
    "has", "get_verbose", "letterbox", "letterbox_size", "parse_cfg", "read_weights", "set_threads",
    "set_verbose", "train_classifier", "train_detector", "write_random_weights", "write_weights",
]
