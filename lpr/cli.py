"""The `lpr` command line: `lpr read`, `lpr eval`, `lpr video`, `lpr data ...`, `lpr train ...`,
`lpr export-onnx`.

Command groups plug in as `add_*_commands(subparsers)` functions registered in
`COMMAND_GROUPS`; each sets `func` (args -> exit code) on its parsers.
Exit codes: 0 done, 1 the data or the output folder stopped us (nothing valid, missing source,
non-empty output), 2 bad arguments.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from lpr.cli_types import bounded, fraction

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


_iou = bounded(float, 0.0, 1.0, low_open=True)


def _sheet_list(text: str) -> list[str]:
    tokens = [t.strip() for t in text.split(",") if t.strip()]
    if not tokens:
        raise argparse.ArgumentTypeError("give at least one sheet, e.g. eu,fr")
    return tokens


# --------------------------------------------------------------------------- lpr data

def _add_validation_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("validation thresholds")
    group.add_argument("--min-box-px", type=bounded(float, 0), default=4.0, metavar="PX",
                       help="boxes narrower or shorter than this are 'tiny' and left out (default 4)")
    group.add_argument("--bounds-tolerance", type=bounded(float, 0), default=1.0, metavar="PX",
                       help="how far a box may reach past the image edge (default 1)")
    group.add_argument("--duplicate-iou", type=_iou, default=0.9, metavar="IOU",
                       help="two boxes of one image overlapping this much are duplicates (default 0.9)")
    group.add_argument("--blank-std", type=bounded(float, 0), default=1.0, metavar="STD",
                       help="a frame whose grayscale std is below this is blank (default 1; a character "
                            "box is blank when it holds no ink)")


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=0, help="split seed (default 0)")
    parser.add_argument("--valid-fraction", type=fraction, default=0.1, metavar="F",
                        help="share of the samples for validation, met as closely as whole groups "
                             "allow (default 0.1)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a dataset already written in OUT_DIR (backup/ is kept)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars, only the summary")


def _config(args: argparse.Namespace):
    from lpr.data.validate import ValidationConfig

    return ValidationConfig(bounds_tolerance_px=args.bounds_tolerance, min_box_px=args.min_box_px,
                            duplicate_iou=args.duplicate_iou, blank_std=args.blank_std)


def _print_report(report, listed: int | None) -> None:
    print(report.to_text(max_listed=listed), end="")


def _run_plates(args: argparse.Namespace) -> int:
    from lpr.data.build_plates import build_plates_dataset

    build = build_plates_dataset(args.src, args.out, seed=args.seed, valid_fraction=args.valid_fraction,
                                 group_by=args.group_by, scene_gap=args.scene_gap, config=_config(args),
                                 copy=args.copy, overwrite=args.overwrite, show_progress=not args.quiet)
    _print_report(build.report, 20)
    print(build.summary.to_text("frames"))
    print(f"valid groups: {', '.join(build.summary.valid_groups) or '-'}")
    print(f"darknet data file: {build.dataset.obj_data}")
    return EXIT_OK


def _run_chars(args: argparse.Namespace) -> int:
    from lpr.data.build_chars import build_chars_dataset

    build = build_chars_dataset(args.src, args.out, sheets=args.sheets, seed=args.seed,
                                valid_fraction=args.valid_fraction, group_by=args.group_by,
                                lines_per_group=args.lines_per_group,
                                chars_per_region=args.chars_per_region, margin=args.margin,
                                config=_config(args), overwrite=args.overwrite, show_progress=not args.quiet)
    _print_report(build.report, 20)
    print("classifier crops: " + build.crops.to_text("crops"))
    print("detection strips: " + build.regions.to_text("strips"))
    if build.skipped_regions:
        print(f"strips left out (they hold excluded characters): {len(build.skipped_regions)}")
    print(f"darknet data files: {build.detection.obj_data} (detector), {build.classifier.data_file} (classifier)")
    return EXIT_OK


def _run_validate(args: argparse.Namespace) -> int:
    from lpr.data.validate import validate_chars, validate_plates

    if args.dataset == "plates":
        if args.sheets:
            raise _UsageError("--sheets applies to chars only")
        report = validate_plates(args.src, _config(args), show_progress=not args.quiet).report
    else:
        report = validate_chars(args.src, args.sheets, _config(args), show_progress=not args.quiet).report
    _print_report(report, None if args.all else 50)
    if args.json:
        args.json.write_text(report.to_json())
        print(f"JSON report: {args.json}")
    if report.kept == 0:
        print("nothing valid remains", file=sys.stderr)
        return EXIT_FAILED
    if args.strict and any(i.excluded for i in report.issues):
        return EXIT_FAILED
    return EXIT_OK


def add_data_commands(subparsers: argparse._SubParsersAction) -> None:
    from pathlib import Path

    data = subparsers.add_parser("data", help="prepare training data (validate, split, write darknet datasets)",
                                 description="Prepare training data: validate, split by group, write darknet "
                                             "dataset folders.")
    data.set_defaults(func=lambda args: _missing_subcommand(data))
    sub = data.add_subparsers(dest="data_command", metavar="{plates,chars,validate,synth,self-label,self-label-check}")

    plates = sub.add_parser(
        "plates", help="ro-plates (VOC XML) -> darknet plate-detector dataset",
        description="Read SRC_DIR/<subset>/{images,annots} (train/ and valid/ both), validate, split by "
                    "video (no video on both sides), write a darknet detection dataset into OUT_DIR.")
    plates.add_argument("src", type=Path, metavar="SRC_DIR", help="ro-plates folder")
    plates.add_argument("out", type=Path, metavar="OUT_DIR", help="where to write the dataset")
    _add_output_options(plates)
    plates.add_argument("--group-by", choices=("video", "scene"), default="video",
                        help="split unit: whole videos (default) or scenes, runs of frames at most "
                             "--scene-gap seconds apart, each video split on its own")
    plates.add_argument("--scene-gap", type=bounded(float, 0, low_open=True), default=30.0, metavar="S",
                        help="seconds between frames that start a new scene (default 30)")
    plates.add_argument("--copy", action="store_true", help="copy the images instead of symlinking them")
    _add_validation_options(plates)
    plates.set_defaults(func=_run_plates)

    chars = sub.add_parser(
        "chars", help="ocr-chars (Tesseract sheets) -> character detector strips + classifier crops",
        description="Read SRC_DIR/<region>/input/*.tif + *.box, validate every character, split each sheet "
                    "by strips of neighbouring characters (or blocks of text lines), write detection strips (images/, labels/) and classifier "
                    "crops (crops/, labels.txt) into OUT_DIR.")
    chars.add_argument("src", type=Path, metavar="SRC_DIR", help="ocr-chars folder")
    chars.add_argument("out", type=Path, metavar="OUT_DIR", help="where to write the datasets")
    _add_output_options(chars)
    chars.add_argument("--sheets", type=_sheet_list, default=None, metavar="LIST",
                       help="comma-separated region folders or sheet names, e.g. eu,fr or belgium,uk "
                            "(default: all)")
    chars.add_argument("--group-by", choices=("strip", "lines"), default="strip",
                       help="split unit: a detection strip (--chars-per-region consecutive characters of a "
                            "line; default) or blocks of --lines-per-group text lines")
    chars.add_argument("--lines-per-group", type=bounded(int, 0, low_open=True), default=1, metavar="N",
                       help="with --group-by lines: consecutive text lines that move together (default 1)")
    chars.add_argument("--chars-per-region", type=bounded(int, 0, low_open=True), default=8, metavar="N",
                       help="characters per detection strip (default 8)")
    chars.add_argument("--margin", type=bounded(int, 0), default=4, metavar="PX",
                       help="paper around each detection strip (default 4)")
    _add_validation_options(chars)
    chars.set_defaults(func=_run_chars)

    validate = sub.add_parser("validate", help="only check a data set and print the report",
                              description="Validate ro-plates (plates) or ocr-chars (chars) and print the "
                                          "report; nothing is written except --json.")
    validate.add_argument("dataset", choices=("plates", "chars"), help="which kind of data SRC_DIR holds")
    validate.add_argument("src", type=Path, metavar="SRC_DIR")
    validate.add_argument("--sheets", type=_sheet_list, default=None, metavar="LIST",
                          help="chars only: comma-separated region folders or sheet names")
    validate.add_argument("--json", type=Path, metavar="FILE", help="also write the full report as JSON")
    validate.add_argument("--all", action="store_true", help="list every issue (default: the first 50)")
    validate.add_argument("--strict", action="store_true", help="exit 1 when any sample is excluded")
    validate.add_argument("--quiet", action="store_true", help="no progress bars")
    _add_validation_options(validate)
    validate.set_defaults(func=_run_validate)

    from lpr.synth.cli import add_synth_command

    add_synth_command(sub)

    from lpr.data.self_label_command import add_self_label_command

    add_self_label_command(sub)


# --------------------------------------------------------------------------- entry point

def add_train_commands(subparsers: argparse._SubParsersAction) -> None:
    from lpr.training.cli import add_train_commands as add

    add(subparsers)


def add_read_commands(subparsers: argparse._SubParsersAction) -> None:
    from lpr.read_command import add_read_commands as add

    add(subparsers)


def add_video_commands(subparsers: argparse._SubParsersAction) -> None:
    from lpr.video.command import add_video_command

    add_video_command(subparsers)


def add_export_commands(subparsers: argparse._SubParsersAction) -> None:
    from lpr.onnx_command import add_export_command

    add_export_command(subparsers)


COMMAND_GROUPS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_read_commands, add_video_commands, add_data_commands, add_train_commands, add_export_commands]


class _UsageError(Exception):
    pass


def _missing_subcommand(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    from lpr import __version__

    parser = argparse.ArgumentParser(prog="lpr", description="License-plate reader on darknet.")
    parser.add_argument("--version", action="version", version=f"lpr {__version__}")
    parser.set_defaults(func=lambda args: _missing_subcommand(parser))
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMAND_GROUPS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:          # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0) if isinstance(exc.code, int) or exc.code is None else EXIT_USAGE
    from lpr.data.darknet_dataset import DatasetLayoutError
    from lpr.data.issues import NothingValid
    from lpr.data.ocr_sheets import SheetSelectionError
    from lpr.drawing import ImageWriteError

    try:
        return int(args.func(args))
    except NothingValid as exc:
        print(exc.report.to_text(max_listed=50), end="", file=sys.stderr)
        print(f"lpr: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except _UsageError as exc:
        print(f"lpr: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SheetSelectionError as exc:
        print(f"lpr: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (FileNotFoundError, FileExistsError, DatasetLayoutError, ImageWriteError) as exc:
        print(f"lpr: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except ValueError as exc:          # options that argparse cannot check alone (Reader, datasets)
        print(f"lpr: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:            # whoever read our output stopped (`lpr read DIR | head`)
        # the interpreter flushes stdout once more on exit: let that go nowhere
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except OSError as exc:             # a file that cannot be written (--draw, --out): not a usage error
        print(f"lpr: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
