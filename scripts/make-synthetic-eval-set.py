#!/usr/bin/env python3
"""Write a synthetic check set in `lpr eval`'s format, from frames no model was trained on.

    scripts/make-synthetic-eval-set.py OUT_DIR [--count 150] [--seed 1001] [--countries us,br]

Scenes are the ro-plates frames of the held-out validation videos (the split `lpr data plates`
makes), 1280 px wide, with 1-2 synthetic plates pasted in and, with --replace-real, the frames'
own plates painted over by synthetic ones. OUT_DIR gets IMAGE.jpg and IMAGE.txt (one line per
synthetic plate: IMAGE x y w h TEXT); the frames' real plates have no known text and are not
labelled. Choose seeds never used for training data (those are listed in the README's recipe).
This is how reader settings are compared without looking at ../shared/data/eval.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from tqdm import tqdm

from lpr.cli_types import bounded, country_list, share, width_range
from lpr.data.split import VALID
from lpr.synth.compose import compose_scene
from lpr.synth.formats import COUNTRIES, DEFAULT_COUNTRIES, formats_for
from lpr.synth.sources import build_pools, load_scene


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--frames", type=Path, default=Path("../shared/data/ro-plates"))
    parser.add_argument("--count", type=bounded(int, 1), default=150)
    parser.add_argument("--seed", type=bounded(int, 0), default=1001)
    parser.add_argument("--countries", type=country_list(lambda: COUNTRIES), default=DEFAULT_COUNTRIES,
                        metavar="LIST")
    parser.add_argument("--replace-real", type=share, default=0.5, help="share of real plates overdrawn")
    parser.add_argument("--widths", type=width_range, default=(60.0, 250.0), metavar="MIN,MAX",
                        help="pasted plate widths, px of a 1280 px frame")
    args = parser.parse_args()

    formats = formats_for(args.countries)
    low, high = args.widths
    frames = build_pools(frames=args.frames).frames[VALID]
    if not frames:
        raise SystemExit(f"no held-out frames under {args.frames}")
    args.out.mkdir(parents=True, exist_ok=True)
    import cv2

    plates = 0
    for k in tqdm(range(args.count), desc="scenes", unit="scene"):
        rng = np.random.default_rng(np.random.SeedSequence([args.seed, k]))
        source = frames[int(rng.integers(len(frames)))]
        scene, real = load_scene(source, 1280, max_upscale=1.0)
        composed = compose_scene(scene, real, formats, rng, plates=(1, 2), widths=(low, high),
                                 y_range=(0.25, 1.0), replace_fraction=args.replace_real)
        name = f"synth-eval-{args.seed}-{k:04d}.jpg"
        cv2.imwrite(str(args.out / name), composed.image, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(70, 96))])
        lines = [f"{name}\t{p.box.x1:.0f}\t{p.box.y1:.0f}\t{p.box.width:.0f}\t{p.box.height:.0f}\t{p.text}"
                 for p in composed.plates if p.kind == "synthetic" and p.text]
        (args.out / f"{Path(name).stem}.txt").write_text("".join(line + "\n" for line in lines))
        plates += len(lines)
    print(f"{args.count} scenes, {plates} labelled plates in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
