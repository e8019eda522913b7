"""`lpr data self-label OUT_DIR SOURCE...`: character labels for real plates from the reader's
sure, format-fitting readings (lpr.data.self_labels), for `lpr train cnn --train OUT_DIR/train.txt`;
`lpr data self-label-check LIST.tsv`: how many of those labels would be wrong, on crops of known text.

Registered by lpr.cli's `data` group; exit codes as there: 0 done, 1 nothing kept or the output
folder stopped us.
"""
from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from lpr.cli_types import share

EXIT_OK, EXIT_FAILED = 0, 1


def source_images(sources: list[Path]) -> Iterator[Path]:
    """Image files of SOURCE arguments: an image, a folder (searched recursively, sorted) or a
    darknet image list (.txt, one path per line, relative to the list's folder)."""
    from lpr.evaluation import content_lines
    from lpr.read_command import image_files

    for source in sources:
        if source.is_dir():
            yield from image_files([source], recursive=True)
        elif source.suffix.lower() == ".txt":
            for _, line in content_lines(source):
                path = Path(line.strip())
                yield path if path.is_absolute() else source.parent / path
        elif source.is_file():
            yield source
        else:
            raise FileNotFoundError(f"{source}: no such image, folder or list")


def excluded_images(lists: list[Path], root: Path | None) -> list[Path]:
    """The images of crop lists (.tsv, IMAGE<TAB>TEXT; lpr eval's format)."""
    from lpr.evaluation import read_labels

    return [item.path for listing in lists for item in read_labels(listing, root=root)]


def run_self_label(args: argparse.Namespace) -> int:
    from lpr.read_command import reader_from_args

    from .self_labels import self_label

    exclude = excluded_images(args.exclude, args.root)
    images = list(source_images(args.sources))
    with reader_from_args(args) as reader:
        summary = self_label(reader, images, args.out, scenes=args.scenes, min_sureness=args.min_sureness,
                             exclude=exclude, show_progress=not args.quiet)
    countries = ", ".join(f"{c} {n}" for c, n in summary.per_country.items()) or "-"
    print(f"{summary.images} images read ({len(exclude)} excluded), {summary.kept} plates kept, "
          f"{summary.characters} characters; per country: {countries}")
    print(f"image list: {summary.train_list}")
    return EXIT_OK if summary.kept else EXIT_FAILED


def run_self_label_check(args: argparse.Namespace) -> int:
    from lpr.evaluation import read_labels
    from lpr.read_command import reader_from_args

    from .self_labels import label_precision

    if args.list.suffix.lower() != ".tsv":
        raise ValueError(f"{args.list}: give a crop list (.tsv, IMAGE<TAB>TEXT)")
    items = read_labels(args.list, root=args.root)
    with reader_from_args(args) as reader:
        found = label_precision(reader, items, min_sureness=args.min_sureness)
    of_kept = (lambda n: f"{n / found.kept:.3f}") if found.kept else (lambda n: "-")
    print(f"{found.kept} of {found.crops} crops would be kept at sureness >= {args.min_sureness}; right: "
          f"{found.right} ({of_kept(found.right)}), with O/0 I/1 folded {found.right_folded} "
          f"({of_kept(found.right_folded)})")
    for image, truth, read in found.wrong:
        print(f"  {image}: truth {truth}, read {read}")
    return EXIT_OK


def add_self_label_command(sub: argparse._SubParsersAction) -> None:
    """Add `self-label` and `self-label-check` to the `data` subcommands."""
    from lpr.read_command import add_reader_options

    parser = sub.add_parser(
        "self-label", help="real plates -> character boxes and classes from the reader's sure readings",
        description="Read real plates with the reader and write each reading that a country's format rule fits, "
                    "with its characters read surely (geometric mean of their confidences >= --min-sureness), as a character detection dataset (OUT_DIR/images, "
                    "labels, train.txt, readings.tsv) for `lpr train cnn`. The format rule supplies what the "
                    "CNN alone could not tell (B/8 in a letter position). Some labels are wrong: measure how many "
                    "on a list with known text before training on them (README).")
    parser.add_argument("out", type=Path, metavar="OUT_DIR", help="where to write the dataset (must not hold one)")
    parser.add_argument("sources", type=Path, nargs="+", metavar="SOURCE",
                        help="images, folders (recursive) or image lists (.txt)")
    parser.add_argument("--scenes", action="store_true",
                        help="the images are scenes: read every plate the detector finds (default: each image is "
                             "one plate crop, read without the detector)")
    parser.add_argument("--min-sureness", type=share, default=0.9, metavar="P",
                        help="keep readings whose characters' confidences have at least this geometric mean "
                             "(default 0.9; the plate detector's confidence does not count)")
    parser.add_argument("--exclude", type=Path, nargs="*", default=[], metavar="LIST",
                        help="crop lists (.tsv, IMAGE<TAB>TEXT) whose images are not read: the sets you measure on")
    parser.add_argument("--root", type=Path, default=None, metavar="DIR",
                        help="where --exclude lists' relative paths start (default: each list's folder)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_reader_options(parser)
    parser.set_defaults(func=run_self_label)

    check = sub.add_parser(
        "self-label-check", help="how many self-labels would be wrong, on crops whose text is known",
        description="Read a crop list with known text (.tsv, IMAGE<TAB>TEXT, as `lpr eval` reads) the way "
                    "`lpr data self-label` would, and print how many readings it would keep and how many of "
                    "those are right. Nothing is written.")
    check.add_argument("list", type=Path, metavar="LIST", help="crop list (.tsv)")
    check.add_argument("--root", type=Path, default=None, metavar="DIR",
                       help="where the list's relative paths start (default: the list's folder)")
    check.add_argument("--min-sureness", type=share, default=0.9, metavar="P", help="as for self-label (default 0.9)")
    add_reader_options(check)
    check.set_defaults(func=run_self_label_check)
