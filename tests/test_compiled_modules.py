"""lpr's compiled parts (CMakeLists.txt): the .pyx modules, and the .py modules marked
"# lpr-build: compiled" that Cython compiles as they are. The installed package must hold them
compiled, and a compiled module must compute what its source computes run by Python."""
from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^# lpr-build: compiled", re.MULTILINE)


def _compiled_sources() -> list[Path]:
    marked = [p for p in (ROOT / "lpr").rglob("*.py") if MARKER.search(p.read_text())]
    return sorted((ROOT / "lpr").rglob("*.pyx")) + sorted(marked)


def _dotted(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def test_the_installed_package_holds_them_compiled():
    sources = _compiled_sources()
    names = {_dotted(p) for p in sources}
    # what the build compiles today; a new one is added here when it is marked
    assert {"lpr.segmentation.char_rows", "lpr.segmentation.char_patches", "lpr.segmentation.contours",
            "lpr.formats.matching", "lpr.reader", "lpr.char_layout"} <= names
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    for name in names:
        module = importlib.import_module(name)
        assert module.__file__.endswith(suffix), f"{name} was imported from {module.__file__}, not compiled"


def _source_module(relative: str, name: str):
    """The .py file of the source tree run by Python, under another name."""
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def _candidates(rng: np.random.Generator, length: int) -> list[list[tuple[str, float]]]:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = []
    for _ in range(length):
        chars = rng.choice(list(alphabet), size=3, replace=False)
        probs = np.sort(rng.dirichlet([4.0, 1.0, 0.5]))[::-1]
        out.append([(str(c), float(p)) for c, p in zip(chars, probs)])
    return out


def test_compiled_matching_equals_its_source():
    """Format matching, compiled, gives what lpr/formats/matching.py gives run by Python: the
    same matches, texts, scores and evidence to the last bit, on seeded random readings of
    every plate length with and without gaps, and on tall plates."""
    from lpr.formats import matching as compiled

    if not compiled.__file__.endswith(sysconfig.get_config_var("EXT_SUFFIX")):
        pytest.skip("lpr.formats.matching is not compiled in this installation")
    source = _source_module("lpr/formats/matching.py", "matching_as_written")
    rng = np.random.default_rng(40)
    compared = 0
    for _ in range(400):
        length = int(rng.integers(2, 10))
        candidates = _candidates(rng, length)
        gaps = [float(g) for g in rng.choice([0.1, 0.2, 0.6, np.inf], size=length - 1)] if rng.random() < 0.6 else None
        tall = bool(rng.random() < 0.2)
        got = compiled.match_all(candidates, gaps=gaps, tall_plate=tall)
        want = source.match_all(candidates, gaps=gaps, tall_plate=tall)
        assert [vars(m) for m in got] == [vars(m) for m in want]
        best = compiled.match_plate(candidates, gaps=gaps, tall_plate=tall)
        expected = source.match_plate(candidates, gaps=gaps, tall_plate=tall)
        assert (best is None and expected is None) or vars(best) == vars(expected)
        compared += len(want)
    assert compared > 300       # the readings did fit formats, so matches were compared
