"""The reader configurations the latency benchmarks time and the photos they time them on, named
once for both the pytest-benchmark rows (test_reader_latency.py) and the interleaved timing
(interleaved_latency.py, which scripts/compare-reader-speed.py shares). Imports no lpr at load:
that script puts the working tree's lpr in place first."""
from __future__ import annotations

import glob
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
BACKGROUNDS = 150      # plate-free photos timed: where the fallback and the large-plate pass cost most
SETS: dict[str, Callable[[], list[str]]] = {   # name -> its photos
    "br": lambda: sorted(glob.glob(str(DATA / "eval/br/*.jpg"))),
    "us": lambda: sorted(glob.glob(str(DATA / "eval/us/*.jpg"))),
    "backgrounds": lambda: sorted(glob.glob(str(DATA / "backgrounds/*.jpg")))[:BACKGROUNDS],
}


def photo_sets(names: Sequence[str]) -> dict[str, list[str]]:
    """The photos of each named set; ValueError naming the sets that do not exist."""
    unknown = [n for n in names if n not in SETS]
    if unknown:
        raise ValueError(f"unknown sets {unknown}: choose from {', '.join(SETS)}")
    return {n: SETS[n]() for n in names}


class Pipeline(NamedTuple):
    engine: str
    segmenter: str
    alternatives: bool
    cnn_engine: str
    cnn_model: str
    fit_input: bool = True
    fallback: bool = True
    large_plates: bool = True

    @property
    def name(self) -> str:
        """A short id: `onnxruntime-contours-compact-cnn-onnxruntime-no-alternatives`."""
        if self.segmenter == "yolo":
            return f"{self.engine}-yolo"
        return "-".join((self.engine, "contours", self.cnn_model, f"cnn-{self.cnn_engine}")
                        + (() if self.alternatives else ("no-alternatives",))
                        + (() if self.fit_input else ("full-input",))
                        + (() if self.fallback else ("no-fallback",))
                        + (() if self.large_plates else ("one-pass",)))

    @property
    def description(self) -> str:
        """How the tables say it: `onnxruntime, contours + compact cnn (onnxruntime), no alternatives`."""
        if self.segmenter == "yolo":
            return f"{self.engine}, yolo + yolo"
        return (f"{self.engine}, contours + {self.cnn_model} cnn ({self.cnn_engine})"
                + ("" if self.alternatives else ", no alternatives")
                + ("" if self.fit_input else ", detector at the cfg's full input")
                + ("" if self.fallback else ", no fallback")
                + ("" if self.large_plates else ", no large-plate pass"))

    def reader_options(self) -> dict:
        """The keywords of lpr.Reader for this pipeline."""
        from lpr.reader import ReaderOptions

        options = {} if self.fallback else {"fallback_threshold": ReaderOptions.plate_threshold}   # off
        return dict(engine=self.engine, segmenter=self.segmenter, alternatives=self.alternatives,
                    cnn_engine=self.cnn_engine, cnn_model=self.cnn_model, fit_input=self.fit_input,
                    large_plates=self.large_plates, **options)


# the first is the default (auto: ONNX Runtime where it is installed), the third the default before
# it; the last, the default with the slim CNN (the compact one pruned)
PIPELINES = [
    Pipeline("onnxruntime", "contours", True, "onnxruntime", "compact"),
    Pipeline("onnxruntime", "contours", False, "onnxruntime", "compact"),
    Pipeline("opencv", "contours", True, "opencv", "compact"),
    Pipeline("opencv", "contours", True, "opencv", "compact", large_plates=False),
    Pipeline("opencv", "contours", True, "opencv", "compact", fallback=False),
    Pipeline("opencv", "contours", False, "opencv", "compact"),
    Pipeline("opencv", "contours", True, "opencv", "compact", fit_input=False),
    Pipeline("opencv", "contours", True, "numpy", "compact"),
    Pipeline("opencv", "contours", True, "opencv", "study"),
    Pipeline("opencv", "contours", False, "opencv", "study"),
    Pipeline("opencv", "contours", True, "numpy", "study"),
    Pipeline("opencv", "yolo", True, "numpy", "compact"),
    Pipeline("darknet", "contours", True, "numpy", "compact"),
    Pipeline("darknet", "yolo", True, "numpy", "compact"),
    Pipeline("onnxruntime", "contours", True, "onnxruntime", "slim"),
]
