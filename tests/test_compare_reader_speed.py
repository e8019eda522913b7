"""The scripts: compare-reader-speed.py imports the earlier commit's lpr beside lpr, under its own
name; both it and read-tuning-lists.py read --option NAME=VALUE alike."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "compare-reader-speed.py"


def _script():
    spec = importlib.util.spec_from_file_location("compare_reader_speed", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git repository")
def test_the_earlier_lpr_is_exported_as_lpr_before(tmp_path):
    _script().export_before("HEAD", tmp_path)
    package = tmp_path / "lpr_before"
    assert not (tmp_path / "lpr").exists() and (package / "models" / "plate-detector.weights").is_file()
    imports = re.compile(r"^\s*(from lpr[ .]|import lpr\b)", re.MULTILINE)
    assert not [p for p in package.rglob("*.py") if imports.search(p.read_text())]
    # its compiled parts are compiled beside their sources: the .pyx, and the .py marked for it
    marked = [p for p in package.rglob("*.py") if "\n# lpr-build: compiled" in p.read_text()]
    compiled = list(package.rglob("*.pyx")) + marked
    assert marked
    assert compiled and all(list(pyx.parent.glob(pyx.stem + ".*.so")) for pyx in compiled)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import lpr.formats.rules, lpr_before.formats.matching as before; "
            "assert before.rules.__name__ == 'lpr_before.formats.rules' and before.rules is not lpr.formats.rules; "
            "print(before.match_plate([[(c, 0.9)] for c in '1ABC234'], countries=['be']).text)")
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "1-ABC-234"


def test_unknown_sets_are_refused():
    run = subprocess.run([sys.executable, str(SCRIPT), "--before", "HEAD", "--sets", "br,nowhere"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "nowhere" in run.stderr


def test_script_options_are_keywords_with_literal_values():
    """The scripts' --option NAME=VALUE (lpr.cli_types.keyword_value): the value read as a
    Python literal where it parses, else kept as text; a malformed option is an argparse error."""
    import argparse

    from lpr.cli_types import keyword_value

    assert keyword_value("alternatives=False") == ("alternatives", False)
    assert keyword_value("countries=['us', 'br']") == ("countries", ["us", "br"])
    assert keyword_value("plate_threshold=0.2") == ("plate_threshold", 0.2)
    assert keyword_value("engine=opencv") == ("engine", "opencv")
    assert keyword_value("cnn_model=a=b") == ("cnn_model", "a=b")
    for bad in ("alternatives", "=False", "not a name=1"):
        with pytest.raises(argparse.ArgumentTypeError):
            keyword_value(bad)
