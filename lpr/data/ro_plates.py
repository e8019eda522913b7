"""Where the ro-plates files are and what their names mean.

Layout: `SRC/<subset>/images/<stem>.jpg` with `SRC/<subset>/annots/<stem>.xml` for any subset
folder (the download has `train/` and `valid/`; we read both and re-split). A folder that itself
holds `images/` and `annots/` is read as one subset named `.`. Images and annotations are paired
by file stem within a subset. Stems carry the source video and the time in seconds:
`dayride_type1_001.mp4#t=1054` is video `dayride_type1_001.mp4`, t = 1054 s.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lpr.data.images import IMAGE_EXTENSIONS

IMAGE_DIR = "images"
ANNOTATION_DIR = "annots"
_TIME = re.compile(r"#t=([0-9]+(?:\.[0-9]*)?)")


@dataclass(frozen=True)
class PlateSource:
    """One frame as found on disk; `image` or `annotation` is None when that half is missing."""

    id: str                  # "<subset>/<stem>", unique within a source folder
    subset: str
    stem: str
    image: Path | None
    annotation: Path | None


def video_id(stem: str) -> str:
    """The part before `#t=`; a name without it is its own video."""
    return stem.split("#t=", 1)[0]


def frame_time(stem: str) -> float | None:
    """Seconds from `#t=SECONDS` (None when absent)."""
    match = _TIME.search(stem)
    return float(match.group(1)) if match else None


def _subset_dirs(src: Path) -> list[tuple[str, Path]]:
    if (src / IMAGE_DIR).is_dir() or (src / ANNOTATION_DIR).is_dir():
        return [(".", src)]
    return [(d.name, d) for d in sorted(src.iterdir())
            if d.is_dir() and ((d / IMAGE_DIR).is_dir() or (d / ANNOTATION_DIR).is_dir())]


def discover_plate_sources(src: Path | str) -> tuple[list[PlateSource], list[str]]:
    """Pair every image with its annotation. Returns (sources sorted by id, notes).

    Raises FileNotFoundError when `src` has no subset folder with `images/` or `annots/`.
    """
    src = Path(src)
    if not src.is_dir():
        raise FileNotFoundError(f"{src} is not a folder")
    subsets = _subset_dirs(src)
    if not subsets:
        raise FileNotFoundError(f"{src} holds no <subset>/{IMAGE_DIR} or <subset>/{ANNOTATION_DIR} folder")
    sources: list[PlateSource] = []
    notes: list[str] = []
    for subset, folder in subsets:
        images: dict[str, Path] = {}
        annotations: dict[str, Path] = {}
        ignored = 0
        for path in sorted((folder / IMAGE_DIR).iterdir()) if (folder / IMAGE_DIR).is_dir() else []:
            if path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS and path.stem not in images:
                images[path.stem] = path
            else:
                ignored += 1     # other formats, folders, a second image with the same stem
        for path in sorted((folder / ANNOTATION_DIR).iterdir()) if (folder / ANNOTATION_DIR).is_dir() else []:
            if path.is_file() and path.suffix.lower() == ".xml":
                annotations[path.stem] = path
            else:
                ignored += 1
        for stem in sorted(images.keys() | annotations.keys()):
            sources.append(PlateSource(id=f"{subset}/{stem}" if subset != "." else stem, subset=subset,
                                       stem=stem, image=images.get(stem), annotation=annotations.get(stem)))
        notes.append(f"subset {subset}: {len(images)} images, {len(annotations)} annotations"
                     + (f", {ignored} other entries ignored" if ignored else ""))
    sources.sort(key=lambda s: s.id)
    return sources, notes
