"""`lpr read PATHS...` and `lpr eval SET_DIR`: the reader from the command line.

`add_reader_options` / `reader_from_args` are shared by every command that builds a Reader.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from .cli_types import bounded, country_list, share
from .evaluation import IMAGE_SUFFIXES
from .model_files import CNN_MODELS
from .engines import ENGINES
from .recognition.char_classifier import CNN_ENGINES

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130    # Ctrl-C, as a shell reports a process stopped by SIGINT
PLOT_SUFFIXES = (".png", ".svg", ".pdf")   # what lpr eval --curve writes (matplotlib)


def _format_countries() -> tuple[str, ...]:
    from .formats import countries

    return tuple(countries())


_country_codes = country_list(_format_countries)


def _countries(text: str) -> tuple[str, ...]:
    """--countries: a comma-separated list of codes, or "all" (every country with rules)."""
    return _format_countries() if text.strip().lower() == "all" else _country_codes(text)


def add_reader_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reader")
    group.add_argument("--engine", choices=ENGINES, default="auto",
                       help="what runs the YOLO models (same weights): auto = darknet on a GPU, else ONNX Runtime "
                            "when installed, else OpenCV DNN when installed, else darknet (default auto)")
    group.add_argument("--cnn-engine", choices=CNN_ENGINES, default="auto",
                       help="what runs the character CNN (same weights, same readings): auto = ONNX Runtime when "
                            "installed, else OpenCV DNN when installed (both faster), else NumPy (default auto)")
    group.add_argument("--cnn-model", choices=tuple(CNN_MODELS), default="compact",
                       help="which character CNN: compact (36x48 input, about 17 times fewer operations than the "
                            "study's), slim (compact pruned: about 5%% faster reads, a few real plates in a hundred "
                            "fewer read right) or study (the origin study's 75x100 network) (default compact)")
    group.add_argument("--segmenter", choices=("contours", "yolo"), default="contours",
                       help="character boxes from OpenCV contours (default) or the character detector (one "
                            "network for boxes and classes; no faster than the default today, less accurate)")
    group.add_argument("--recognizer", choices=("cnn", "yolo"), default=None,
                       help="character classes from the character CNN or the character detector "
                            "(default: cnn after contours, yolo after the character detector)")
    group.add_argument("--countries", type=_countries, default=None, metavar="LIST",
                       help="format rules to try, comma-separated, or 'all' (default: the countries the models "
                            "were trained on, lpr.formats.default_countries(), and every country for a "
                            "plate with the EU band; an unknown code lists them all)")
    group.add_argument("--plate-threshold", type=share, default=0.05, metavar="P",
                       help="plate detection confidence (default 0.05: boxes without readable characters are "
                            "dropped anyway)")
    group.add_argument("--sure-plate", type=share, default=0.1, metavar="P",
                       help="a detection less sure than this (default 0.1) is returned only when a format rule "
                            "fits its reading well")
    group.add_argument("--fallback-threshold", type=share, default=0.02, metavar="P",
                       help="when no detection above --plate-threshold reads as a plate, the three surest "
                            "down to this (default 0.02) are read too, each returned only when a format rule "
                            "fits its reading well (photos; lpr video has no fallback; --plate-threshold or "
                            "more turns it off)")
    group.add_argument("--char-threshold", type=share, default=0.25, metavar="P",
                       help="character detection confidence (default 0.25)")
    group.add_argument("--no-alternatives", dest="alternatives", action="store_false",
                       help="read only the contour segmenter's first segmentation, not also its others and a "
                            "wider crop's when it fits no format well (faster, fewer plates read right)")
    group.add_argument("--no-eu-band", dest="eu_band", action="store_false",
                       help="without --countries, a plate with the blue EU band is matched against every "
                            "country's format rules; this keeps it to the default countries")
    group.add_argument("--no-plate-shape", dest="plate_shape", action="store_false",
                       help="match a tall plate (a box less than 2.5 times as wide as tall: US, Brazilian, "
                            "two-row) against every layout, not only the layouts drawn on tall plates")
    group.add_argument("--mercosur-band", action="store_true",
                       help="try the Brazilian Mercosur layout (ABC1D23) only on plates with its blue band "
                            "across the top (in colour images), so an old plate's fifth digit is not read as "
                            "a letter (default: on every plate)")
    group.add_argument("--no-fit-input", dest="fit_input", action="store_false",
                       help="run the plate detector at its cfg's input size for every image, not at the "
                            "smaller input that detects the same (pydarknet.fitted_input_size: the default, "
                            "which saves time on square and 4:3 images)")
    group.add_argument("--no-large-plates", dest="large_plates", action="store_false",
                       help="run the plate detector once. By default it runs a second time at half its input "
                            "size when the first pass saw a large box, where close-ups too large for it are "
                            "found (a quarter of the first pass's work)")
    group.add_argument("--models-dir", type=Path, default=None, metavar="DIR",
                       help="read the models from DIR (<name>.cfg/.weights) instead of the package's")


def reader_options(args: argparse.Namespace) -> dict:
    """The keyword arguments of lpr.Reader that the reader options (add_reader_options) give."""
    return dict(engine=args.engine, segmenter=args.segmenter, recognizer=args.recognizer, countries=args.countries,
                plate_threshold=args.plate_threshold, sure_plate=args.sure_plate,
                fallback_threshold=args.fallback_threshold, char_threshold=args.char_threshold,
                alternatives=args.alternatives, eu_band=args.eu_band, plate_shape=args.plate_shape,
                mercosur_band=args.mercosur_band, fit_input=args.fit_input, large_plates=args.large_plates,
                cnn_engine=args.cnn_engine, cnn_model=args.cnn_model, models_dir=args.models_dir)


def reader_from_args(args: argparse.Namespace):
    from .reader import Reader

    return Reader(**reader_options(args))


def image_files(paths: list[Path], recursive: bool) -> Iterator[Path]:
    """The paths as given, each folder replaced by its image files (sorted; with ``recursive``,
    those of its sub-folders too)."""
    for path in paths:
        if path.is_dir():
            pattern = "**/*" if recursive else "*"
            yield from sorted(p for p in path.glob(pattern) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            yield path


def drawn_name(path: Path, used: set[str]) -> str:
    """The annotated copy's file name: the image's stem (.jpg), with -2, -3, ... added when an
    earlier image of this run (another folder, another extension) took that name."""
    name, n = f"{path.stem}.jpg", 1
    while name in used:
        n += 1
        name = f"{path.stem}-{n}.jpg"
    used.add(name)
    return name


def _plate_dict(plate) -> dict:
    return {"text": plate.text, "confidence": round(plate.confidence, 4),
            "box": [round(v, 1) for v in plate.box]}


def run_read(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .read_workers import read_files

    paths = list(image_files(args.paths, args.recursive))
    if not paths:
        print("lpr read: no images found", file=sys.stderr)
        return EXIT_FAILED
    used: set[str] = set()
    draw_to = [args.draw / drawn_name(p, used) if args.draw is not None else None for p in paths]
    reads = None
    failures = done = 0
    show_bar = len(paths) > 1 and not args.quiet
    try:
        reads = read_files(paths, workers=args.workers, draw_to=draw_to, draw_min_confidence=args.min_confidence,
                           **reader_options(args))
        with tqdm(total=len(paths), desc="read", unit="image", disable=not show_bar, file=sys.stderr) as bar:
            for image in reads:
                bar.update(1)
                done += 1
                if image.error is not None:
                    failures += 1
                    _emit(args, {"image": str(image.path), "error": image.error}, error=True)
                    continue
                plates = [p for p in image.plates if p.confidence >= args.min_confidence]
                if args.json:
                    _emit(args, {"image": str(image.path), "plates": [_plate_dict(p) for p in plates],
                                 "ms": round(image.ms, 2)})
                else:
                    _emit(args, _table(image.path, plates, image.ms, hidden=len(image.plates) - len(plates),
                                       below=args.min_confidence))
    except KeyboardInterrupt:
        print(f"lpr read: interrupted after {done} of {len(paths)} images", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if reads is not None:
            reads.close()
    return EXIT_FAILED if failures == len(paths) else EXIT_OK


def _emit(args: argparse.Namespace, item, error: bool = False) -> None:
    from tqdm import tqdm

    if args.json:
        tqdm.write(json.dumps(item), file=sys.stdout)
    elif error:
        tqdm.write(f"{item['image']}: error: {item['error']}", file=sys.stdout)
    else:
        tqdm.write(item, file=sys.stdout)


def _table(path: Path, plates, ms: float, hidden: int = 0, below: float = 0.0) -> str:
    left_out = f", {hidden} under {below:g} not shown" if hidden else ""
    if not plates:
        return f"{path}: {'no plate shown' if hidden else 'no plate read'} ({ms:.1f} ms{left_out})"
    lines = [f"{path}: {len(plates)} plate{'s' if len(plates) > 1 else ''} ({ms:.1f} ms{left_out})"]
    for p in plates:
        where = ",".join(f"{v:.0f}" for v in p.box)
        rule = f"{p.country}" if p.country else "-"
        lines.append(f"  {p.text:<14} {p.confidence:6.3f}  {rule:<3} box {where}")
    return "\n".join(lines)


def run_eval(args: argparse.Namespace) -> int:
    from .evaluation import evaluate

    for option, path, suffixes in (("--misses", args.misses, IMAGE_SUFFIXES), ("--curve", args.curve, PLOT_SUFFIXES)):
        if path is not None and path.suffix.lower() not in suffixes:
            print(f"lpr: {option} {path}: name a {', '.join(suffixes)} file", file=sys.stderr)
            return EXIT_USAGE       # before the run, not after it
    if args.curve is not None:
        from .confidence_plot import require_matplotlib

        try:
            require_matplotlib()        # before the run, not after it
        except ImportError as exc:
            print(f"lpr: {exc}", file=sys.stderr)
            return EXIT_FAILED
    sheet = None
    if args.misses is not None:
        from .miss_sheet import MissSheet

        sheet = MissSheet()
    with reader_from_args(args) as reader:
        report = evaluate(reader, args.set_dir, progress=not args.quiet, iou=args.iou, extra=args.extra_labels,
                          root=args.root, on_image=sheet.add if sheet is not None else None)
    if sheet is not None:
        written = sheet.write(args.misses)
        drawn = f"{len(sheet.tiles)} of {sheet.misses}" if len(sheet.tiles) < sheet.misses else f"{sheet.misses}"
        print(f"lpr: plates not read right drawn to {written}: {drawn}" if written
              else "lpr: every plate was read right, nothing to draw", file=sys.stderr)
    if args.curve is not None:
        from .confidence_plot import plot_operating_points

        plot_operating_points({args.set_dir.name or str(args.set_dir): report}, args.curve)
    if args.json:
        print(json.dumps({"set": str(args.set_dir), **report.to_dict()}))
    else:
        print(f"{args.set_dir} ({reader!r})")
        print(report.to_text())
        if args.errors:
            for o in report.outcomes:
                if not o.right:
                    print(f"  {o.image}: truth {o.truth or 'a plate'}, read {o.read if o.detected else '(no plate)'}")
    return EXIT_OK


def add_read_commands(subparsers: argparse._SubParsersAction) -> None:
    read = subparsers.add_parser(
        "read", help="read the plates of images", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Read the plates in image files or folders of images.\n"
                    "Default output: a table per image. --json: one JSON object per image and line,\n"
                    '  {"image": PATH, "plates": [{"text", "confidence", "box": [x1, y1, x2, y2]}], "ms": MS}\n'
                    '  or {"image": PATH, "error": "..."} for an unreadable image (the run goes on).\n'
                    "ms: the reader's time on the decoded image, models loaded. Exit status 1 only when\n"
                    "every image failed.")
    read.add_argument("paths", type=Path, nargs="+", metavar="PATH", help="image files and/or folders")
    read.add_argument("--json", action="store_true", help="one JSON object per image (JSON lines)")
    read.add_argument("--draw", type=Path, metavar="OUTDIR", help="write annotated images (boxes, text) here")
    read.add_argument("--recursive", action="store_true", help="look into sub-folders of folders")
    read.add_argument("--quiet", action="store_true", help="no progress bar")
    read.add_argument("--workers", type=bounded(int, 1), default=1, metavar="N",
                      help="read N images at once in N processes, each with its own reader and its share of "
                           "the cores: each image takes longer, the run less (default 1: one reader, the "
                           "next images decoded while one is read)")
    read.add_argument("--min-confidence", type=share, default=0.0, metavar="C",
                      help="show (table, JSON, --draw) only the reads of PlateRead.confidence C or more "
                           "(default 0: every read; what each threshold keeps: lpr eval --curve)")
    add_reader_options(read)
    read.set_defaults(func=run_read)

    ev = subparsers.add_parser(
        "eval", help="score the reader on a labelled image set",
        description="Score the reader on SET: a folder of images with IMAGE.txt labels (IMAGE x y w h TEXT, "
                    "tab separated), a darknet image list (.txt) whose images have YOLO labels (boxes "
                    "only: the held-out list of `lpr data plates`), or a list of plate crops (.tsv, lines "
                    "IMAGE<TAB>TEXT; each crop is read without the plate detector). Prints exact-text accuracy (strict, and "
                    "with O/0 I/1 folded) when the labels have text, detection recall at IoU >= --iou, "
                    "precision against the labels, latency percentiles, and what keeping only reads of at least a "
                    "confidence gives (plates read right and kept, kept reads that are right, kept reads "
                    "matching no label) at thresholds 0 to 0.9.")
    ev.add_argument("set_dir", type=Path, metavar="SET")
    ev.add_argument("--iou", type=bounded(float, 0.0, 1.0, low_open=True), default=0.3, metavar="T",
                    help="overlap with a label that counts as found (default 0.3)")
    ev.add_argument("--extra-labels", type=Path, default=None, metavar="FILE",
                    help="more boxes for a darknet list's images: lines IMAGE x1 y1 x2 y2 (file name, pixels), "
                         "e.g. training/ro-plates-valid-unlabelled-plates.txt")
    ev.add_argument("--root", type=Path, default=None, metavar="DIR",
                    help="where a list's relative image paths start (default: the list's folder), e.g. "
                         "../shared/data for training/eu-plate-crops-text.tsv")
    ev.add_argument("--json", action="store_true", help="one JSON object with the scores")
    ev.add_argument("--errors", action="store_true", help="also list every plate not read right (folded)")
    ev.add_argument("--misses", type=Path, default=None, metavar="PNG",
                    help="also draw every plate not read right (label green, read red, truth -> read) "
                         "into one image")
    ev.add_argument("--curve", type=Path, default=None, metavar="PNG",
                    help="also draw what keeping only reads of at least each confidence gives (needs matplotlib)")
    ev.add_argument("--quiet", action="store_true", help="no progress bar")
    add_reader_options(ev)
    ev.set_defaults(func=run_eval)
