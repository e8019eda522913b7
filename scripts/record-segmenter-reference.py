#!/usr/bin/env python3
"""Record what the contour segmenter makes of fixed crops of the shipped example images (its
segmentations, and the character images and polarity votes of their boxes):
tests/assets/segmenter-reference.json, which the segmenter's test holds every later build to.

    scripts/record-segmenter-reference.py [--segmenter PATH] [--out FILE]

The crops: each plate the plate detector finds in examples/*.jpg (faint boxes too) with the
reader's margins and the wider ones of its alternatives, and seeded windows of the scenes
around them (texture, cars, no plate); each read as it is, in negative (light text), mirrored
and in grey. Their boxes are stored, so the test cuts the same crops without the detector.

`--segmenter`: a contours.py file to record with instead of the installed lpr's (the file of
2026-12-06 recorded the shipped reference: the pure-Python segmenter before its geometry was
compiled, `git show 52e0c94:lpr/segmentation/contours.py`, which has char_crops and
polarity_votes in Python too). Re-record only after checking
that a change of the segmenter's results is wanted (scripts/read-tuning-lists.py).
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
OUT = ROOT / "tests" / "assets" / "segmenter-reference.json"
WINDOWS = 10            # scene windows per image
SEED = 2026


def variants(crop: np.ndarray) -> dict[str, np.ndarray]:
    """The ways each crop is read (the test makes the same)."""
    return {"bgr": crop, "negative": 255 - crop, "mirrored": np.ascontiguousarray(crop[:, ::-1]),
            "grey": np.ascontiguousarray(crop[..., 1])}


def fingerprint(segmenter, pixels: np.ndarray) -> dict:
    """What the test compares for one read of a crop: how many segmentations, how many boxes the
    first has, a digest of them all (boxes to 1/1000 pixel, rows), and one of the character
    images (char_crops at the compact CNN's 36 x 48, each polarity voted by the boxes) and the
    polarity votes of every box they hold. The test computes it the same way, by importing this
    function (`segmenter`: a module with segment_candidates, char_crops and polarity_votes)."""
    candidates = segmenter.segment_candidates(pixels)
    text = json.dumps([[[[round(v, 3) for v in c.box], c.row] for c in found] for found in candidates])
    boxes = list(dict.fromkeys(c.box for found in candidates for c in found))
    images = segmenter.char_crops(pixels, boxes, size=(36, 48))
    votes = json.dumps(segmenter.polarity_votes(pixels, boxes))
    return {"candidates": len(candidates), "first": len(candidates[0]) if candidates else 0,
            "sha256": hashlib.sha256(text.encode()).hexdigest()[:16],
            "images": hashlib.sha256(images.tobytes() + votes.encode()).hexdigest()[:16]}


def crop_boxes(image: np.ndarray, reader, rng: np.random.Generator) -> list[list[int]]:
    """Integer boxes (x1, y1, x2, y2) of the crops to read in one image."""
    from lpr.plate_crop import crop_plate
    from lpr.reader import WIDE_MARGIN_X, WIDE_MARGIN_Y

    h, w = image.shape[:2]
    boxes = []
    for det in reader.detect_plates(image) + reader._detect(image, reader.options.fallback_threshold):
        for margins in ((), (WIDE_MARGIN_X, WIDE_MARGIN_Y)):
            crop = crop_plate(image, det.box, *margins)        # a plain cut: its offset and size say it all
            if crop is not None:
                left, top = int(crop.to_image[0, 2]), int(crop.to_image[1, 2])
                boxes.append([left, top, left + crop.image.shape[1], top + crop.image.shape[0]])
    for _ in range(WINDOWS):
        cw = int(rng.integers(40, 400))
        ch = int(rng.integers(max(8, cw // 8), max(9, cw // 2)))
        x1, y1 = int(rng.integers(0, w - cw)), int(rng.integers(0, h - ch))
        boxes.append([x1, y1, x1 + cw, y1 + ch])
    unique = []
    for b in boxes:
        if b not in unique and b[2] - b[0] >= 2 and b[3] - b[1] >= 2:
            unique.append(b)
    return unique


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segmenter", type=Path, help="a contours.py to record with (default: the installed lpr's)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    import cv2
    import lpr

    if args.segmenter:
        spec = importlib.util.spec_from_file_location("recorded_contours", args.segmenter)
        segmenter = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = segmenter
        spec.loader.exec_module(segmenter)
    else:
        from lpr.segmentation import contours as segmenter

    rng = np.random.default_rng(SEED)
    images = []
    with lpr.Reader() as reader:
        for path in sorted(EXAMPLES.glob("*.jpg")):
            image = cv2.imread(str(path))
            crops = []
            for box in crop_boxes(image, reader, rng):
                x1, y1, x2, y2 = box
                reads = {name: fingerprint(segmenter, v)
                         for name, v in variants(image[y1:y2, x1:x2]).items()}
                crops.append({"box": box, "reads": reads})
            images.append({"image": path.name, "crops": crops})
    source = args.segmenter.name if args.segmenter else f"lpr {lpr.__version__}, installed"
    head = json.dumps({"segmenter": source, "seed": SEED})[:-1]
    parts = [",\n".join(f'  {{"image": {json.dumps(i["image"])}, "crops": [\n' +
                         ",\n".join("   " + json.dumps(c) for c in i["crops"]) + "]}" for i in images)]
    args.out.write_text(head + ', "images": [\n' + parts[0] + "]}\n")     # one crop a line
    count = sum(len(i["crops"]) for i in images)
    print(f"{args.out}: {count} crops of {len(images)} images, each read 4 ways (segmenter: {source})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
