"""Where the ocr-chars sheets are: `SRC/<region>/input/<sheet>.tif` next to `<sheet>.box`.

A sheet's name is `<region>/<stem>`, e.g. `eu/leu.belgium.exp0`. `--sheets` selects by region
folder (`eu`) or by a dot-separated part of the stem (`belgium`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SHEET_IMAGE_EXTENSIONS = (".tif", ".tiff")


class SheetSelectionError(ValueError):
    """A `--sheets` token matches no sheet."""


@dataclass(frozen=True)
class SheetSource:
    name: str                 # "<region>/<stem>"
    region: str
    stem: str
    image: Path | None        # None when the box file has no tif
    boxes: Path | None        # None when the tif has no box file


def _input_dir(region_dir: Path) -> Path:
    return region_dir / "input" if (region_dir / "input").is_dir() else region_dir


def discover_sheets(src: Path | str, select: Sequence[str] | None = None) -> list[SheetSource]:
    """Sheets under `src`, sorted by name, optionally restricted to `select` tokens.

    Raises FileNotFoundError for a missing folder or one without sheets, SheetSelectionError for a
    selection token that matches no sheet.
    """
    src = Path(src)
    if not src.is_dir():
        raise FileNotFoundError(f"{src} is not a folder")
    sheets: list[SheetSource] = []
    for region_dir in sorted(d for d in src.iterdir() if d.is_dir()):
        folder = _input_dir(region_dir)
        images: dict[str, Path] = {}
        boxes: dict[str, Path] = {}
        for path in sorted(folder.iterdir()):
            if not path.is_file():
                continue
            if path.suffix.lower() in SHEET_IMAGE_EXTENSIONS:
                images.setdefault(path.stem, path)
            elif path.suffix == ".box":
                boxes[path.stem] = path
        for stem in sorted(images.keys() | boxes.keys()):
            sheets.append(SheetSource(f"{region_dir.name}/{stem}", region_dir.name, stem,
                                      images.get(stem), boxes.get(stem)))
    if not sheets:
        raise FileNotFoundError(f"{src} holds no <region>/input/*.tif or *.box")
    if select:
        tokens = [t.strip() for t in select if t.strip()]
        unmatched = [t for t in tokens if not any(_matches(s, t) for s in sheets)]
        if unmatched:
            known = sorted({s.region for s in sheets} | {p for s in sheets for p in s.stem.split(".")})
            raise SheetSelectionError(f"--sheets {','.join(unmatched)} matches no sheet (known: {', '.join(known)})")
        sheets = [s for s in sheets if any(_matches(s, t) for t in tokens)]
    return sheets


def _matches(sheet: SheetSource, token: str) -> bool:
    return token in (sheet.region, sheet.name, sheet.stem) or token in sheet.stem.split(".")
