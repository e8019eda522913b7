#!/usr/bin/env python3
"""Time the reader of an earlier commit against the working tree's, photo by photo in one process.

    scripts/compare-reader-speed.py --before REV [--sets br,us,backgrounds] [--images GLOB ...]
                                    [--rounds 2] [--option NAME=VALUE ...]

This VM's speed drifts by tens of percent within minutes, so two benchmark runs one after the
other cannot show a change of a few percent. Here both readers load in one process and read
each photo in turn (the order alternating from photo to photo and round to round), so a drift
slows both alike. `lpr` at REV is taken from git (`git archive REV lpr`, its models included),
renamed `lpr_before` and imported beside the working tree's `lpr` (a copy of ROOT/lpr, not an
installed one); the compiled parts of each (lpr/**/*.pyx, and the .py files marked
"# lpr-build: compiled") are compiled into its copy with Cython (`pip install cython`) and
the C compiler, as `pip install .` compiles them. Both share the one pydarknet that is
installed, so a change to darknet's native code cannot be compared this way.

Prints per set: each reader's median and mean ms a photo, the median of the per-photo ratios
(after / before) and the ratio of the total times, and how many photos the two read otherwise
(texts, boxes or confidences): a change meant to keep the reads should show 0.
"""
from __future__ import annotations

import argparse
import glob
import io
import os
import re
import shutil
import statistics
import sysconfig
import subprocess
import sys
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from interleaved_latency import time_in_turn  # noqa: E402  (the shared timing loop)
from reader_pipelines import SETS, photo_sets  # noqa: E402

_COMPILED = re.compile(r"^# lpr-build: compiled", re.MULTILINE)     # as CMakeLists.txt finds them
_IMPORT = re.compile(r"^(\s*)(from lpr(?=[ .])|import lpr(?=\s|$))", re.MULTILINE)


def export_before(rev: str, into: Path) -> None:
    """`lpr` at `rev` as the package `lpr_before` in `into` (its absolute imports of lpr renamed)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "lpr"],
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):          # Python 3.11.4 and later
            tar.extractall(into, filter="data")
        else:
            tar.extractall(into)
    package = into / "lpr_before"
    (into / "lpr").rename(package)
    for source in package.rglob("*.py"):
        text = source.read_text()
        renamed = _IMPORT.sub(lambda m: m.group(1) + m.group(2).replace("lpr", "lpr_before", 1), text)
        if renamed != text:
            source.write_text(renamed)
    compile_extensions(package)


def compile_extensions(package: Path) -> None:
    """Compile what `pip install .` compiles (CMakeLists.txt) into extension modules beside their
    sources: each .pyx of `package`, and each .py marked "# lpr-build: compiled" (as it is,
    annotations not enforced), with the Cython options and C flags that matter."""
    include = sysconfig.get_paths()["include"]
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    compiler = (sysconfig.get_config_var("CC") or "cc").split()
    marked = [py for py in package.rglob("*.py") if _COMPILED.search(py.read_text())]

    def compile_one(source: Path) -> str | None:
        c_file = source.with_suffix(".c")
        options = ["-X", "annotation_typing=False"] if source.suffix == ".py" else []
        try:
            subprocess.run([sys.executable, "-m", "cython", "-3", "--fast-fail", *options, str(source),
                            "-o", str(c_file)], check=True, capture_output=True, text=True)
            subprocess.run(compiler + ["-O2", "-ffp-contract=off", "-fPIC", "-shared", f"-I{include}", str(c_file),
                                       "-o", str(source.with_name(source.stem + suffix)), "-lm"],
                           check=True, capture_output=True, text=True)
        except subprocess.CalledProcessError as exc:
            return f"compiling {source.relative_to(package.parent)} failed (Cython installed?):\n{exc.stderr}"
        return None

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:      # one compiler per core
        failures = [f for f in pool.map(compile_one, sorted(package.rglob("*.pyx")) + sorted(marked)) if f]
    if failures:
        sys.exit(failures[0])


def working_tree_lpr(into: Path):
    """A copy of the working tree's `lpr` (not an installed one) in `into`, compiled and
    imported as `lpr`, beside the installed pydarknet (the tree's own pydarknet/ has no
    compiled extension)."""
    import importlib.util

    copy = into / "lpr"
    shutil.copytree(ROOT / "lpr", copy, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    compile_extensions(copy)
    spec = importlib.util.spec_from_file_location("lpr", copy / "__init__.py",
                                                  submodule_search_locations=[str(copy)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["lpr"] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        return _main(Path(folder))


def _main(folder: Path) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, metavar="REV", help="the commit to compare with")
    parser.add_argument("--sets", default=",".join(SETS), help="which photo sets (comma separated)")
    parser.add_argument("--images", action="append", default=[], metavar="GLOB",
                        help="time these photos instead, as one set (repeatable)")
    parser.add_argument("--rounds", type=int, default=2, help="reads of every photo by each reader")
    parser.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                        help="a keyword for both readers (lpr.Reader), as in read-tuning-lists.py")
    args = parser.parse_args()
    if args.images:
        sets = {"images": sorted(p for pattern in args.images for p in glob.glob(pattern))}
    else:
        try:
            sets = photo_sets(args.sets.split(","))
        except ValueError as exc:
            sys.exit(str(exc))
    # the working tree's lpr, compiled, before anything imports an installed one
    (folder / "now").mkdir()
    lpr = working_tree_lpr(folder / "now")
    from lpr.cli_types import keyword_value

    try:
        options = dict(keyword_value(option) for option in args.option)
    except argparse.ArgumentTypeError as exc:
        parser.error(f"--option: {exc}")

    import cv2

    export_before(args.before, folder)
    sys.path.insert(0, str(folder))
    import lpr_before

    readers = {"before": lpr_before.Reader(**options), "after": lpr.Reader(**options)}
    try:
        for name, paths in sets.items():
            if not paths:
                print(f"{name}: no photos")
                continue
            compare(name, [cv2.imread(p) for p in paths], readers, args.rounds)
    finally:
        for reader in readers.values():
            reader.close()
    return 0


def compare(name: str, images: list, readers: dict, rounds: int) -> None:
    for reader in readers.values():
        reader.read(images[0])                  # the engines' first, slow pass
    times, plates = time_in_turn(images, {key: reader.read for key, reader in readers.items()}, rounds)
    reads = {key: [[(p.text, p.box, p.confidence) for p in found] for found in plates[key]] for key in readers}
    otherwise = sum(b != a for b, a in zip(reads["before"], reads["after"]))
    before, after = times["before"], times["after"]
    ratios = [b / a for a, b in zip(before, after)]
    print(f"{name}: before median {statistics.median(before):.1f} ms, mean {statistics.mean(before):.1f} | "
          f"after median {statistics.median(after):.1f} ms, mean {statistics.mean(after):.1f} | "
          f"after / before per photo (median) {statistics.median(ratios):.3f}, total {sum(after) / sum(before):.3f} | "
          f"reads differing {otherwise} of {len(before)}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
