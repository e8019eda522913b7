"""Network: a darknet network loaded for inference, with every input checked before darknet sees it."""
from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import _native
from .cfg import NetworkConfig, parse_cfg
from .detection import Detection
from .images import as_bgr_image, checked_input_scale
from .weights import check_weights

PathLike = str | os.PathLike[str]


def _read_names(names: Sequence[str] | PathLike | None, classes: int) -> list[str]:
    if names is None:
        return [str(i) for i in range(classes)]
    if isinstance(names, (str, os.PathLike)):
        path = Path(names)
        if not path.is_file():
            raise FileNotFoundError(f"names file not found: {path}")
        names = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    names = list(names)
    if len(names) < classes:
        raise ValueError(f"{classes} classes need {classes} names, got {len(names)}")
    return names


def resolve_gpu(gpu: int | None) -> int:
    """None: the first CUDA device when there is one, else the CPU. -1: the CPU."""
    cuda_build = _native.native_facts()["cuda_compiled"]
    devices = _native.cuda_devices() if cuda_build else []
    if cuda_build and not devices:
        # darknet 61c9d02e, built with GPU, allocates device buffers for every network it parses
        raise RuntimeError("this pydarknet was built with CUDA, and darknet then needs a CUDA device "
                           "even for CPU inference, but none is visible; use a CPU build "
                           "(PYDARKNET_CUDA=OFF) on machines without a GPU")
    if gpu is None:
        return 0 if devices else -1
    if gpu < 0:
        return -1
    if not cuda_build:
        raise ValueError(f"gpu={gpu} asked for, but this pydarknet was built without CUDA")
    if gpu >= len(devices):
        raise ValueError(f"gpu={gpu} asked for, but {len(devices)} CUDA device(s) are visible")
    return gpu


_NET_HEADER = re.compile(r"^\s*\[(net|network)\]\s*$", re.IGNORECASE)
_SECTION = re.compile(r"^\s*\[")
_BATCH_KEYS = re.compile(r"^\s*(batch|subdivisions)\s*=", re.IGNORECASE)


def cfg_text_with_batch(text: str, batch: int) -> str:
    """The cfg text with [net] batch=``batch`` and subdivisions=1 (darknet sizes buffers from these)."""
    out: list[str] = []
    in_net = False
    for line in text.splitlines():
        if _NET_HEADER.match(line):
            in_net = True
            out += [line, f"batch={batch}", "subdivisions=1"]
            continue
        if _SECTION.match(line):
            in_net = False
        if in_net and _BATCH_KEYS.match(line):
            continue
        out.append(line)
    return "\n".join(out) + "\n"


class Network:
    """A darknet network for inference.

    ``Network(cfg, weights=None, *, batch=1, gpu=None, names=None)``

    - ``cfg`` is validated in Python first (pydarknet.cfg): a bad one raises ConfigError, a missing
      one FileNotFoundError; darknet itself would end the process.
    - ``weights`` must match the cfg byte for byte (WeightsError otherwise). Without weights the
      network keeps darknet's random initialisation (useful only for shapes and timing).
    - ``batch`` images go through one forward pass; longer inputs are cut into batches.
    - ``gpu``: None picks the first CUDA device when the build and machine have one, else the CPU;
      -1 forces the CPU; n >= 0 asks for device n.
    - ``names``: class names (a list, or a ``.names`` file); default "0", "1", ...
    - ``fuse_batchnorm``: fold each convolution's batch-norm into its weights at load time (CPU;
      same results within float rounding, fewer passes over memory). save_weights() then refuses,
      since the folded weights no longer fit the cfg's layout.

    One Network may be shared between threads: calls are serialised by a lock per network, and
    the GIL is released during the forward pass so other networks (and Python) keep running.
    """

    def __init__(self, cfg: PathLike, weights: PathLike | None = None, *, batch: int = 1,
                 gpu: int | None = None, names: Sequence[str] | PathLike | None = None,
                 fuse_batchnorm: bool = True):
        if not isinstance(batch, int) or batch < 1:
            raise ValueError(f"batch must be a positive int, got {batch!r}")
        self.config: NetworkConfig = parse_cfg(cfg)
        self.cfg_path = Path(cfg)
        self.weights_path = Path(weights) if weights is not None else None
        if self.weights_path is not None:
            check_weights(self.weights_path, self.config)
        self.names = _read_names(names, self.config.classes)
        self.gpu = resolve_gpu(gpu)
        self._output_layers = list(self.config.output_layers)
        self._handle = self._load(batch)
        if fuse_batchnorm and weights is not None:
            self._handle.fuse_batchnorm()

    def _load(self, batch: int) -> _native.NetworkHandle:
        weights = os.fspath(self.weights_path) if self.weights_path else None
        if self.config.batch == batch and self.config.subdivisions == 1:
            return _native.NetworkHandle(os.fspath(self.cfg_path), weights, 0, self.gpu, False)
        # darknet sizes its buffers from the cfg's batch: give it a copy that asks for ours
        text = cfg_text_with_batch(self.cfg_path.read_text(errors="replace"), batch)
        with tempfile.NamedTemporaryFile("w", suffix=".cfg", prefix="pydarknet-", delete=False) as tmp:
            tmp.write(text)
        try:
            return _native.NetworkHandle(tmp.name, weights, 0, self.gpu, False)
        finally:
            os.unlink(tmp.name)

    # ---------------------------------------------------------------- life cycle
    def close(self) -> None:
        """Free darknet's memory now (also done when the object is collected)."""
        self._handle.close()

    @property
    def closed(self) -> bool:
        return self._handle.closed

    def __enter__(self) -> Network:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"input {self.input_shape}"
        return f"<pydarknet.Network {self.cfg_path.name} {state} gpu={self.gpu}>"

    # ---------------------------------------------------------------- shape
    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        """(batch, channels, height, width)."""
        return self._handle.shape

    @property
    def batch(self) -> int:
        return self._handle.shape[0]

    @property
    def width(self) -> int:
        return self._handle.shape[3]

    @property
    def height(self) -> int:
        return self._handle.shape[2]

    @property
    def classes(self) -> int:
        return self.config.classes

    @property
    def can_fit_input(self) -> bool:
        """Whether detect(fit_input=True) runs here: the network can be resized (its cfg's
        input_stride) and the build is CPU-only (darknet's resize_network selects a CUDA device
        even for a CPU network; on a GPU the cfg's size costs little anyway)."""
        return self.config.input_stride is not None and not _native.native_facts()["cuda_compiled"]

    # ---------------------------------------------------------------- inference
    def detect(self, image: np.ndarray, *, thresh: float = 0.25, nms: float = 0.45,
               fit_input: bool = False, input_scale: float = 1.0) -> list[Detection]:
        """Detect objects in one image.

        ``image`` is a NumPy uint8 array of shape HxWx3 in **BGR** order, as cv2.imread gives it.
        It is letterboxed to the network size exactly as darknet does. Returns the detections
        (one per class above ``thresh`` for each box kept by darknet's NMS at IoU ``nms``),
        highest confidence first, boxes in pixels of ``image``.

        ``fit_input``: run the network at pydarknet.fitted_input_size instead of the cfg's size:
        the same scale, less of the letterbox's grey to convolve (a square or 4:3 image costs
        less than a 16:9 one), enough grey kept that the detections stay those of the cfg's size
        (measured on the shipped plate detector: within 1e-5). ValueError where the network
        cannot (``can_fit_input``).

        ``input_scale`` (0 < s <= 1): run the network at its cfg's size times s
        (NetworkConfig.scaled_input_size), so that objects look s times their size to it: a
        plate too large for the network's anchors at the cfg's size is found at half of it, for a
        quarter of the work. Boxes are in pixels of ``image`` all the same. Needs
        ``can_fit_input`` too, when not 1.
        """
        return self.detect_batch([image], thresh=thresh, nms=nms, fit_input=fit_input,
                                 input_scale=input_scale)[0]

    def detect_batch(self, images: Sequence[np.ndarray], *, thresh: float = 0.25,
                     nms: float = 0.45, fit_input: bool = False,
                     input_scale: float = 1.0) -> list[list[Detection]]:
        """detect() for several images, ``batch`` of them per forward pass; one list per image.
        With ``fit_input`` the input holds the widest and the tallest of them."""
        if not 0.0 <= thresh <= 1.0:
            raise ValueError(f"thresh must be in [0, 1], got {thresh}")
        if not 0.0 <= nms <= 1.0:
            raise ValueError(f"nms must be in [0, 1], got {nms}")
        if self.config.channels != 3:
            raise ValueError(f"detect() feeds 3-channel images; this network takes {self.config.channels}")
        if not self._output_layers or self.config.layers[self._output_layers[-1]].type not in ("yolo", "region"):
            raise ValueError("detect() needs a network ending in [yolo] or [region] layers; use forward()")
        input_scale = checked_input_scale(input_scale)
        resized = fit_input or input_scale != 1.0
        if resized and not self.can_fit_input:
            why = ("a CUDA build" if self.config.input_stride is not None
                   else f"{self.cfg_path.name} has layers darknet cannot resize")
            raise ValueError(f"fit_input and input_scale need a network darknet can resize on the CPU: {why}")
        pixels = [as_bgr_image(image) for image in images]
        width = height = 0
        if fit_input and pixels:
            sizes = [self.config.fitted_input_size(p.shape[1], p.shape[0], input_scale) for p in pixels]
            width, height = max(w for w, _ in sizes), max(h for _, h in sizes)
        elif resized:
            width, height = self.config.scaled_input_size(input_scale)
        raw = self._handle.detect(pixels, float(thresh), 0.5, float(nms), width, height)
        results = []
        for found in raw:
            dets = [Detection(class_id=c, name=self.names[c], confidence=float(p),
                              box=(float(x1), float(y1), float(x2), float(y2)))
                    for c, p, x1, y1, x2, y2 in found]
            dets.sort(key=lambda d: -d.confidence)
            results.append(dets)
        return results

    def forward(self, array: np.ndarray, *, layers: Sequence[int] | None = None) -> list[np.ndarray]:
        """Raw forward pass: float32 NCHW (or CHW) in, one float32 NCHW array per output out.

        The outputs are those of the network's [yolo]/[region] layers (darknet's activations
        applied), or of its last layer; ``layers`` picks other layer indices (negative counts
        from the end). Any N works: inputs are cut into batches of ``batch``.
        """
        x = np.asarray(array)
        if x.dtype != np.float32:
            raise TypeError(f"forward() takes float32 input, got {x.dtype}")
        if x.ndim == 3:
            x = x[None]
        if x.ndim != 4:
            raise ValueError(f"forward() takes NCHW or CHW input, got shape {x.shape}")
        if x.shape[0] == 0:
            raise ValueError("forward() got an empty batch")
        if not np.isfinite(x).all():
            raise ValueError("forward() input contains NaN or infinity")
        n_layers = len(self.config.layers)
        wanted = self._output_layers if layers is None else list(layers)
        indices = []
        for index in wanted:
            if not -n_layers <= index < n_layers:
                raise IndexError(f"layer {index} out of range for {n_layers} layers")
            indices.append(index % n_layers)
        return self._handle.forward(np.ascontiguousarray(x), indices)

    def save_weights(self, path: PathLike) -> Path:
        """Write the network's weights in darknet's format (needs ``fuse_batchnorm=False``)."""
        self._handle.save_weights(os.fspath(path))
        return Path(path)


def letterbox(image: np.ndarray, width: int, height: int, *, threads: int = 1) -> np.ndarray:
    """darknet's letterbox of a BGR uint8 image: float32 (3, height, width), RGB in [0, 1].

    The same preprocessing Network.detect() applies, for feeding other engines (OpenCV DNN).
    ``threads``: 2 or more lets two threads share the rows of a large image (the same values;
    about half the time on two free cores).
    """
    if width < 1 or height < 1:
        raise ValueError(f"letterbox size must be positive, got {width}x{height}")
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    return _native.letterbox(as_bgr_image(image), int(width), int(height), int(min(threads, 2)))
