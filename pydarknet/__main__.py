"""``python -m pydarknet info|selfcheck``: what was built, and whether it computes what OpenCV computes."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import pydarknet


def _median_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000)


def info(_: argparse.Namespace) -> int:
    print(json.dumps(pydarknet.build_info(), indent=2))
    return 0


def selfcheck(args: argparse.Namespace) -> int:
    build = pydarknet.build_info()
    print(f"pydarknet {pydarknet.__version__}: darknet {build['darknet_commit'][:8]} "
          f"({build['darknet_origin']}), BLAS {build['blas']}, OpenMP threads {build['openmp_threads']}, "
          f"CUDA {'yes' if build['cuda'] else 'no'} (devices: {build['cuda_devices'] or 'none'})")
    cfg = Path(args.cfg) if args.cfg else Path(build["darknet_source_dir"]) / "cfg" / "yolov3-tiny.cfg"
    if not cfg.is_file():
        print(f"selfcheck: {cfg} not found (pass --cfg)", file=sys.stderr)
        return 2
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    image[120:260, 200:440] = (40, 180, 230)
    with tempfile.TemporaryDirectory() as tmp:
        weights = pydarknet.write_random_weights(cfg, Path(tmp) / "random.weights", seed=1)
        with pydarknet.Network(cfg, weights, gpu=-1) as net:
            blob = pydarknet.letterbox(image, net.width, net.height)[None]
            yolo = [spec.index for spec in net.config.layers if spec.type == "yolo"]
            ours = net.forward(blob, layers=[i - 1 for i in yolo])
            ms = _median_ms(lambda: net.forward(blob), args.repeat)
            dets = net.detect(image, thresh=0.6)
            print(f"{cfg.name} {net.width}x{net.height}, random weights: darknet forward {ms:.1f} ms "
                  f"(median of {args.repeat}), {len(dets)} detections at 0.6")
        try:
            import cv2
        except ImportError:
            print("OpenCV not installed: skipping the comparison (pip install 'opencv-python-headless<5')")
            return 0
        cv = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
        cv.setInput(blob)
        theirs = cv.forward([f"conv_{i - 1}" for i in yolo])
        diff = max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs))

        def cv_forward():
            cv.setInput(blob)
            cv.forward()

        cv_ms = _median_ms(cv_forward, args.repeat)
    print(f"OpenCV DNN {cv2.__version__} forward {cv_ms:.1f} ms; largest difference of the YOLO "
          f"inputs: {diff:.2e}")
    ok = diff < 1e-4
    print("selfcheck:", "OK" if ok else "MISMATCH")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pydarknet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="print build_info() as JSON").set_defaults(func=info)
    check = sub.add_parser("selfcheck", help="darknet vs OpenCV DNN on yolov3-tiny with random weights")
    check.add_argument("--cfg", help="a YOLOv3 cfg (default: darknet's yolov3-tiny.cfg)")
    check.add_argument("--repeat", type=int, default=10)
    check.set_defaults(func=selfcheck)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
