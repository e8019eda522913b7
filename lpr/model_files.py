"""Where the shipped models live: lpr/models/<name>.cfg, .weights, .names (inside the package)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent / "models"
CHARACTERS = tuple("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")

PLATE_DETECTOR = "plate-detector"
CHAR_DETECTOR = "char-detector"
CHAR_CNN = "char-cnn"                   # the origin study's character CNN: 75x100 input, 0.15 GFLOPs a character
CHAR_CNN_COMPACT = "char-cnn-compact"   # the same layers on a 36x48 input with half the filters of each
                                        # (16/32/64/64): 0.009 GFLOPs a character; the reader's default
CHAR_CNN_SLIM = "char-cnn-slim"         # the compact one pruned to 8/24/48/48 filters and fine-tuned:
                                        # 0.004 GFLOPs a character, a few real plates fewer read right
# Reader(cnn_model=...) -> model name
CNN_MODELS = {"compact": CHAR_CNN_COMPACT, "slim": CHAR_CNN_SLIM, "study": CHAR_CNN}


class ModelMissingError(FileNotFoundError):
    """A model's cfg or weights file is not where the reader looks for it."""


@dataclass(frozen=True)
class ModelFiles:
    name: str
    cfg: Path
    weights: Path
    names: tuple[str, ...]


def model_files(name: str, models_dir: str | os.PathLike | None = None) -> ModelFiles:
    """The cfg, weights and class names of model ``name`` (the package's own by default).

    Raises ModelMissingError naming what is missing; class names come from ``<name>.names`` when
    present, else 0-9 A-Z for the character models and ``license-plate`` for the detector.
    """
    folder = Path(models_dir) if models_dir is not None else MODELS_DIR
    cfg, weights, names_file = (folder / f"{name}{ext}" for ext in (".cfg", ".weights", ".names"))
    for path in (cfg, weights):
        if not path.is_file():
            raise ModelMissingError(f"{path} is missing: the {name} model is not installed "
                                    "(train it with `lpr train`, or pass models_dir=)")
    if names_file.is_file():
        names = tuple(n.strip() for n in names_file.read_text().splitlines() if n.strip())
    else:
        names = ("license-plate",) if name == PLATE_DETECTOR else CHARACTERS
    return ModelFiles(name, cfg, weights, names)
