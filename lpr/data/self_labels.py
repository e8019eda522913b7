"""Character labels for real plates, from the reader itself (self-training).

The character CNN learns real typefaces only from the ocr-chars sheets; real plate photos carry
no text. But a country's format rule often knows what a character must be where the CNN is
unsure (a `B` in a letter position, an `8` in a digit one). So: read real plates with the
reader, keep each reading that a format rule fits and whose characters were read surely
(``PlateRead.reading_confidence >= min_sureness``: the plate detector's confidence does not
count), and write its characters as a character detection dataset (plate crop + one YOLO box
per character, classes 0-9 A-Z), the input of `lpr train cnn`.

    OUT/images/000000.png      the plate: the crop itself, or the detection cut from a scene
    OUT/labels/000000.txt      class cx cy w h per character
    OUT/train.txt              the images, absolute paths
    OUT/readings.tsv           image, source, text, country, format, sureness

Sources are plate crops (``scenes=False``: each image is one plate, read with
``Reader.read_crop``) or scenes (``scenes=True``: every plate the reader finds). Images listed
in ``exclude`` (crop lists read by eye, say) are skipped, so the labels never touch the sets
used to measure the result. How often a kept reading is wrong: measure it on a list with known
text (README).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..model_files import CHARACTERS
from .boxes import Box, yolo_line
from .progress import progress

SCENE_MARGIN = (0.2, 0.3)    # a plate cut from a scene: margins as shares of its box (x, y)


@dataclass(frozen=True)
class SelfLabelSummary:
    images: int            # sources read
    kept: int              # plates written
    characters: int        # character boxes written
    per_country: dict[str, int]
    train_list: Path


def self_label(reader, sources: Sequence[Path], out: Path, *, scenes: bool = False, min_sureness: float = 0.9,
               exclude: Iterable[Path] = (), show_progress: bool = True) -> SelfLabelSummary:
    """Read ``sources`` (image files) with ``reader`` and write the sure, format-fitting readings
    into ``out`` (see the module doc). ``out`` must not hold a dataset already (FileExistsError)."""
    import cv2

    from ..image_input import ImageError, load_image

    out = Path(out)
    if (out / "train.txt").exists():
        raise FileExistsError(f"{out} already holds a dataset (train.txt); choose another folder")
    if not 0.0 <= min_sureness <= 1.0:
        raise ValueError(f"min_sureness must be in [0, 1], got {min_sureness}")
    skip = {Path(p).resolve() for p in exclude}
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(exist_ok=True)
    listed, rows, per_country = [], ["image\tsource\ttext\tcountry\tformat\tsureness"], {}
    images = characters = 0
    for source in progress(sources, desc="self-label", unit="image", enabled=show_progress):
        source = Path(source)
        if source.resolve() in skip:
            continue
        try:
            pixels = load_image(source)
        except ImageError:
            continue
        images += 1
        if scenes:
            plates = reader.read(pixels)
        else:
            plate = reader.read_crop(pixels)
            plates = [plate] if plate is not None else []
        for plate in plates:
            if not is_sure_fit(plate, min_sureness):
                continue
            crop, offset = _plate_region(pixels, plate.box) if scenes else (pixels, (0, 0))
            lines = _label_lines(plate, offset, crop.shape[1], crop.shape[0])
            if not lines:
                continue
            name = f"{len(listed):06d}"
            image_path = out / "images" / f"{name}.png"
            if not cv2.imwrite(str(image_path), crop):
                raise OSError(f"cannot write {image_path}")
            (out / "labels" / f"{name}.txt").write_text("\n".join(lines) + "\n")
            listed.append(str(image_path.resolve()))
            rows.append(f"{image_path.name}\t{source}\t{plate.text}\t{plate.country}\t{plate.format}\t"
                        f"{plate.reading_confidence:.4f}")
            per_country[plate.country] = per_country.get(plate.country, 0) + 1
            characters += len(lines)
    (out / "readings.tsv").write_text("\n".join(rows) + "\n")
    train_list = out / "train.txt"
    train_list.write_text("".join(f"{p}\n" for p in listed))
    return SelfLabelSummary(images, len(listed), characters, dict(sorted(per_country.items(), key=lambda kv: -kv[1])),
                            train_list)


def is_sure_fit(plate, min_sureness: float) -> bool:
    """Whether a reading becomes labels: a format rule fits it, and its characters were read at
    least ``min_sureness`` surely (geometric mean)."""
    return plate.country is not None and plate.reading_confidence >= min_sureness


def _plate_region(pixels, box):
    """The region of a scene around a plate's box (SCENE_MARGIN, inside the image) and its
    top-left corner."""
    x1, y1, x2, y2 = box
    mx, my = SCENE_MARGIN[0] * (x2 - x1), SCENE_MARGIN[1] * (y2 - y1)
    h, w = pixels.shape[:2]
    left, top = max(0, int(x1 - mx)), max(0, int(y1 - my))
    right, bottom = min(w, int(x2 + mx + 1)), min(h, int(y2 + my + 1))
    return pixels[top:bottom, left:right], (left, top)


def _label_lines(plate, offset: tuple[int, int], width: int, height: int) -> list[str]:
    """One YOLO line per character of ``plate`` (boxes moved by -offset, clipped to the image);
    none when a character box is empty after clipping (a label we could not place)."""
    lines = []
    for char in plate.chars:
        x1, y1, x2, y2 = char.box
        x1, x2 = (min(max(v - offset[0], 0.0), width) for v in (x1, x2))
        y1, y2 = (min(max(v - offset[1], 0.0), height) for v in (y1, y2))
        if x2 - x1 < 1 or y2 - y1 < 1 or char.char not in CHARACTERS:
            return []
        lines.append(yolo_line(Box(char.char, x1, y1, x2, y2), CHARACTERS.index(char.char), width, height))
    return lines


@dataclass(frozen=True)
class LabelPrecision:
    """How self-labelling would do on plate crops whose text is known."""

    crops: int
    kept: int             # readings a rule fits, read at least min_sureness surely
    right: int            # of those, the text exactly right
    right_folded: int     # ... with O/0 I/1 folded
    wrong: tuple[tuple[str, str, str], ...]   # (image, truth, reading) of the kept readings not right


def label_precision(reader, items, *, min_sureness: float = 0.9) -> LabelPrecision:
    """Read ``items`` (lpr.evaluation.LabelledImage crops with one known text each, e.g. from
    ``read_labels("training/eu-plate-crops-text.tsv")``) as self_label() would, and count how
    many kept readings are right."""
    from ..formats import fold_confusions

    kept = right = right_folded = 0
    wrong = []
    for item in items:
        plate = reader.read_crop(item.path)
        if plate is None or not is_sure_fit(plate, min_sureness):
            continue
        kept += 1
        truth = item.plates[0].text
        right += plate.compact == truth
        folded = fold_confusions(plate.compact) == fold_confusions(truth)
        right_folded += folded
        if plate.compact != truth:
            wrong.append((str(item.path), truth, plate.compact))
    return LabelPrecision(len(items), kept, right, right_folded, tuple(wrong))
