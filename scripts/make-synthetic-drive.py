#!/usr/bin/env python3
"""Write a synthetic drive (lpr.synth.video) to try `lpr video` on, and print its ground truth.

    scripts/make-synthetic-drive.py drive.avi --vehicles 3 --frames 150 --seed 1
    lpr video drive.avi
"""
from __future__ import annotations

import argparse
import json

from lpr.synth.video import write_drive_video


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="the video to write (.avi: Motion JPEG; otherwise mp4v)")
    parser.add_argument("--vehicles", type=int, default=3)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--size", default="1280x720", help="WIDTHxHEIGHT (default 1280x720)")
    parser.add_argument("--formats", default="be,fr,de,nl", help="plate formats, in turn (lpr.synth keys)")
    parser.add_argument("--fps", type=float, default=25.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    width, _, height = args.size.partition("x")
    try:
        truth = write_drive_video(args.out, formats=tuple(args.formats.split(",")), vehicles=args.vehicles,
                                  frames=args.frames, size=(int(width), int(height)), fps=args.fps, seed=args.seed)
    except (ValueError, OSError) as exc:
        parser.error(str(exc))
    for plate in truth:
        print(json.dumps({"text": plate.text, "frames": [plate.first, plate.last]}))


if __name__ == "__main__":
    main()
