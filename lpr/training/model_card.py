"""What `lpr train` leaves next to the weights: the cfg, the class names and a model card
(``<name>.md``: network, data and their licences, iterations, metrics, date)."""
from __future__ import annotations

import datetime
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import pydarknet
from pydarknet.weights import read_header

# where each of the project's data sets comes from, with its licence (../shared/data/README.md)
DATA_LICENCES = {
    "ro-plates": "ro-plates dashcam frames (Copyright (c) 2020 Robert Lucian Chiriac), MIT",
    "ocr-chars": "ocr-chars Tesseract plate-character sheets, AGPL-3.0",
    "eu-plate-crops": "eu-plate-crops real European plate crops, AGPL-3.0",
    "backgrounds": "backgrounds photos without plates, AGPL-3.0",
    "synth": "synthetic plates rendered by lpr.synth (this project, MIT; fonts: DIN 1451 clone from "
             "Debian fonts-opendin, DejaVu, Barlow Semi Condensed from PyPI fontpkg-barlow-semi-condensed, OFL)",
}


def data_sources(list_files: Sequence[Path]) -> list[str]:
    """The licence lines of the data sets the image paths in ``list_files`` come from; for a
    synthetic dataset (its ``split.json`` manifest), also the photos it was composed from."""
    import json

    keys: list[str] = []
    for list_file in list_files:
        paths = [line for line in Path(list_file).read_text().splitlines() if line.strip()]
        text = "\n".join(paths)
        keys += [k for k in ("ro-plates", "ocr-chars") if k in text]
        for root in {Path(p).parent.parent for p in paths}:
            manifest = root / "split.json"
            if manifest.is_file():
                settings = json.loads(manifest.read_text()).get("settings", {})
                keys.append("synth")
                for option, key in (("backgrounds", "backgrounds"), ("frames", "ro-plates"),
                                    ("crops", "eu-plate-crops")):
                    if settings.get(option):
                        keys.append(key)
    return [DATA_LICENCES[k] for k in DATA_LICENCES if k in keys]


def write_model_card(work_dir: Path, name: str, cfg: Path, weights: Path, names: Sequence[str], *,
                     sources: Sequence[str], metrics: Mapping[str, str], notes: Sequence[str] = ()) -> Path:
    """Copy ``cfg`` to ``work_dir/<name>.cfg``, write ``<name>.names`` and ``<name>.md``; the
    weights stay where training wrote them (the card names the file)."""
    work_dir = Path(work_dir)
    config = pydarknet.parse_cfg(cfg)
    seen = read_header(weights).seen
    images_per_iteration = config.batch            # the cfg's batch: darknet's images per iteration
    iterations = seen // images_per_iteration
    if Path(cfg).resolve() != (work_dir / f"{name}.cfg").resolve():
        shutil.copyfile(cfg, work_dir / f"{name}.cfg")
    (work_dir / f"{name}.names").write_text("\n".join(names) + "\n")
    lines = [f"# {name}", "",
             f"- Network: `{name}.cfg`, {config.width}x{config.height}x{config.channels} input, "
             f"{config.flops() / 1e9:.2f} GFLOPs per image, {len(config.layers)} layers.",
             f"- Weights: `{Path(weights).name}`, {iterations} iterations of {images_per_iteration} images.",
             "- Trained with darknet's own training code through pydarknet "
             f"(darknet {pydarknet.build_info()['darknet_commit'][:8]}).",
             f"- Written: {datetime.date.today().isoformat()}.", "", "## Data", ""]
    lines += [f"- {s}" for s in sources] or ["- (not recorded)"]
    lines += ["", "## Metrics", ""] + [f"- {k}: {v}" for k, v in metrics.items()]
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    card = work_dir / f"{name}.md"
    card.write_text("\n".join(lines) + "\n")
    return card
