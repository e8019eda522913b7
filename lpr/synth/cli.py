"""`lpr data synth {plates,chars,crops} OUT_DIR --count N ...`: synthetic darknet datasets.

Registered by lpr.cli's `data` group (`add_synth_command`); exit codes as there: 0 done, 1 the
data or the output folder stopped us, 2 bad arguments.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lpr.cli_types import bounded, country_list, fraction, share, width_range

EXIT_OK, EXIT_USAGE = 0, 2


def _synth_countries() -> tuple[str, ...]:
    from lpr.synth.formats import COUNTRIES

    return tuple(COUNTRIES)


_countries = country_list(_synth_countries)


def add_synth_command(sub: argparse._SubParsersAction) -> None:
    """Add `synth` to the `data` subcommands."""
    from lpr.synth import KINDS
    from lpr.synth.formats import COUNTRIES, DEFAULT_COUNTRIES

    synth = sub.add_parser(
        "synth", help="synthetic plates -> darknet datasets (plate detector, character detector, classifier)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Render synthetic license plates (formats of " + ", ".join(COUNTRIES) + ") and write a darknet "
                    "dataset into OUT_DIR:\n"
                    "  plates  scenes (--backgrounds and/or --frames) with 1-3 pasted plates, class license-plate\n"
                    "  chars   plate crops with a box per character, classes 0-9 A-Z\n"
                    "  crops   character crops for darknet's classifier (crops/<split>/<n>_c_<X>.png)\n"
                    "Same seed, same bytes, whatever --workers. Re-running with the same settings resumes (and may "
                    "raise --count).\nThe project's images: ../shared/data/{backgrounds,ro-plates,eu-plate-crops}.")
    synth.add_argument("kind", choices=KINDS, help="which dataset to write")
    synth.add_argument("out", type=Path, metavar="OUT_DIR", help="where to write it")
    synth.add_argument("--count", type=bounded(int, 1), required=True, metavar="N", help="number of samples")
    synth.add_argument("--seed", type=bounded(int, 0), default=0, help="generation seed (default 0)")
    synth.add_argument("--countries", type=_countries, default=DEFAULT_COUNTRIES, metavar="LIST",
                       help=f"comma-separated plate countries (default all: {','.join(DEFAULT_COUNTRIES)})")
    synth.add_argument("--workers", type=bounded(int, 1), default=os.cpu_count() or 1, metavar="K",
                       help="processes (default: the CPU count); the output does not depend on it")
    sources = synth.add_argument_group("source images (read only)")
    sources.add_argument("--backgrounds", type=Path, metavar="DIR",
                         help="photos without plates: scene backgrounds (plates), crop margins (chars, crops; "
                              "without it: procedural clutter)")
    sources.add_argument("--frames", type=Path, metavar="DIR",
                         help="plates only: ro-plates folder; frames keep their real plates labelled")
    sources.add_argument("--crops", type=Path, metavar="DIR",
                         help="plates only: real plate crops (eu-plate-crops) pasted as extra positives")
    sources.add_argument("--holdout", type=Path, metavar="DATASET",
                         help="plates only: an `lpr data plates` output folder; its valid frames are used for "
                              "valid samples only (default: the same video split `lpr data plates` makes)")
    options = synth.add_argument_group("generation and output")
    options.add_argument("--valid-fraction", type=fraction, default=0.1, metavar="F",
                         help="share of samples (and of source images) for validation (default 0.1)")
    options.add_argument("--split-seed", type=bounded(int, 0), default=0, metavar="S",
                         help="seed of the source images' split (default 0, as `lpr data plates`)")
    options.add_argument("--scene-width", type=bounded(int, 64), default=960, metavar="PX",
                         help="plates: scenes are resized to this width (enlarged at most 2x; default 960)")
    options.add_argument("--plate-widths", type=width_range, default=None, metavar="MIN,MAX",
                         help="plates: pasted plate widths in px of a 1280 px wide frame, log-uniform "
                              "(default 40,250 as in dashcam frames; e.g. 120,700 for close-ups of cars)")
    options.add_argument("--crop-widths", type=width_range, default=None, metavar="MIN,MAX",
                         help="chars: plate widths in px of the crops, log-uniform (default 60,320; e.g. "
                              "40,120 for the small, soft plates of traffic cameras)")
    options.add_argument("--real-crop-fraction", type=share, default=0.25, metavar="F",
                         help="plates with --crops: share of pasted plates that are real crops (default 0.25)")
    options.add_argument("--replace-real", type=share, default=0.0, metavar="F",
                         help="plates with --frames: share of the frames' real plates painted over by a "
                              "synthetic plate of another format, in car context (default 0)")
    options.add_argument("--preview", type=Path, metavar="DIR",
                         help="also write an annotated example image, DIR/<kind>.png")
    options.add_argument("--overwrite", action="store_true",
                         help="replace a dataset already in OUT_DIR (backup/ is kept)")
    options.add_argument("--quiet", action="store_true", help="no progress bar, only the summary")
    synth.set_defaults(func=run_synth)


def run_synth(args: argparse.Namespace) -> int:
    from lpr.synth.dataset import SynthSettings, generate_dataset
    from lpr.synth.preview import write_preview

    def folder(path: Path | None) -> str | None:
        if path is None:
            return None
        if not path.is_dir():
            raise FileNotFoundError(f"{path} is not a folder")
        return str(path.resolve())

    try:
        settings = SynthSettings(kind=args.kind, seed=args.seed, countries=tuple(args.countries),
                                 valid_fraction=args.valid_fraction, split_seed=args.split_seed,
                                 backgrounds=folder(args.backgrounds), frames=folder(args.frames),
                                 crops=folder(args.crops), holdout=folder(args.holdout),
                                 scene_width=args.scene_width, real_crop_fraction=args.real_crop_fraction,
                                 replace_fraction=args.replace_real,
                                 **({"plate_widths": args.plate_widths} if args.plate_widths else {}),
                                 **({"crop_widths": args.crop_widths} if args.crop_widths else {}))
    except ValueError as exc:
        print(f"lpr: {exc}", file=sys.stderr)
        return EXIT_USAGE
    result = generate_dataset(args.out, settings, args.count, workers=args.workers, overwrite=args.overwrite,
                              show_progress=not args.quiet)
    print(result.to_text())
    if args.preview is not None:
        print(f"preview: {write_preview(result.root, args.kind, args.preview)}")
    return EXIT_OK
