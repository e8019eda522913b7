"""`lpr export-onnx OUTDIR`: the shipped models (or those of --models-dir) as ONNX files, for
other runtimes (ONNX Runtime elsewhere, TensorRT, OpenVINO, a browser).

Each file is what the reader's ONNX Runtime engine runs (lpr.engines.onnx_export), with what a
caller needs to use it stored in the model's metadata (``metadata_props``):

- every model: ``source`` (the darknet cfg and weights it was made from), ``input`` (what the
  input tensor holds), ``names`` (the class names, JSON);
- the YOLO models: ``yolo_heads`` (JSON, one per output: its name, grid stride, classes and the
  anchors it uses, in the network input's pixels). Their outputs are the inputs of darknet's
  [yolo] layers: apply the logistic to x, y, objectness and classes and decode the boxes as
  darknet does (lpr/engines/yolo_decoding.py does it in NumPy).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import model_files as mf

MODELS = (mf.PLATE_DETECTOR, mf.CHAR_DETECTOR, mf.CHAR_CNN_COMPACT, mf.CHAR_CNN_SLIM, mf.CHAR_CNN)
YOLO_INPUT = ("float32 N x 3 x H x W, RGB in [0, 1]: the image letterboxed as darknet does (scaled to fit, "
              "centred on grey 0.5; pydarknet.letterbox); H and W multiples of the network's stride")
CNN_INPUT = ("float32 N x 1 x H x W, grey in [0, 1], the character dark on light, centred "
             "(lpr.segmentation.contours.char_crops); the output is the classes' probabilities")


def model_metadata(files: mf.ModelFiles, outputs: dict[int, str]) -> dict[str, str]:
    """What ``export-onnx`` stores in a model: source, input, names and, for YOLO models, the heads."""
    import pydarknet

    from .engines.yolo_decoding import _yolo_params

    config = pydarknet.parse_cfg(files.cfg)
    heads = []
    for spec in config.layers:
        if spec.type == "yolo":
            classes, anchor_w, anchor_h = _yolo_params(spec)
            heads.append({"output": outputs[spec.index], "stride": config.height // spec.in_shape.h,
                          "classes": classes, "anchors": [[float(w), float(h)] for w, h in zip(anchor_w, anchor_h)]})
    meta = {"source": f"{files.cfg.name} + {files.weights.name} (darknet 61c9d02e), exported by lpr",
            "input": YOLO_INPUT if heads else CNN_INPUT, "names": json.dumps(list(files.names))}
    if heads:
        meta["yolo_heads"] = json.dumps(heads)
    return meta


def export_models(out_dir: Path, models_dir: Path | None = None, names=MODELS) -> list[Path]:
    """Write ``<model>.onnx`` for each model into ``out_dir`` (made if needed). FileExistsError
    before anything is written when one of the files is there already."""
    from .engines.onnx_export import darknet_to_onnx

    targets = [out_dir / f"{name}.onnx" for name in names]
    there = [str(t) for t in targets if t.exists()]
    if there:
        raise FileExistsError(f"will not overwrite {', '.join(there)}")
    found = [mf.model_files(name, models_dir) for name in names]     # ModelMissingError first
    out_dir.mkdir(parents=True, exist_ok=True)
    for files, target in zip(found, targets):
        model, _ = darknet_to_onnx(files.cfg, files.weights, metadata=lambda outputs: model_metadata(files, outputs))
        target.write_bytes(model)
    return targets


def run_export(args: argparse.Namespace) -> int:
    for path in export_models(args.out_dir, args.models_dir, args.models or MODELS):
        print(f"{path}  {path.stat().st_size / 1e6:.2f} MB")
    return 0


def add_export_command(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(
        "export-onnx", help="write the models as ONNX files for other runtimes",
        description="Write the shipped models (or those of --models-dir) as ONNX files for other runtimes "
                    "(ONNX Runtime elsewhere, TensorRT, OpenVINO). Each model's metadata holds its class names, "
                    "what its input holds and, for the YOLO models, the outputs' strides and anchors.")
    command.add_argument("out_dir", type=Path, metavar="OUTDIR", help="where the .onnx files go (made if needed)")
    command.add_argument("--models-dir", type=Path, default=None, metavar="DIR",
                         help="the models' cfg and weights (default: the package's)")
    command.add_argument("--model", dest="models", action="append", choices=MODELS, default=None,
                         help="export only this model (repeatable; default: all five)")
    command.set_defaults(func=run_export)
