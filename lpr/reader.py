"""The end-to-end reader: image -> plates (detection, crop, characters, recognition, format).

    reader = lpr.Reader()                 # loads the shipped models once
    for plate in reader.read("car.jpg"):  # a path, encoded bytes or a BGR uint8 array
        print(plate.text, plate.confidence, plate.box)

Stages and where they live: plate detection (the plate-detector YOLO on lpr.engines),
lpr.plate_crop (margin, straightening), segmentation (lpr.char_detection: the character
detector; or lpr.segmentation.contours: OpenCV), recognition (the character detector's classes;
or lpr.recognition.char_classifier: the character CNN, on NumPy or OpenCV DNN), lpr.formats (country rules).
"""
# lpr-build: compiled (this file, as it is, by Cython: CMakeLists.txt, "compiled Python")
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from pydarknet import Detection, letterbox_size

from . import model_files as mf
from .char_detection import CharCandidates, CharDetector
from .char_layout import even_recuts, halve_widest, reading_order, skew_angle
from .data.boxes import xyxy_iou
from .engines.select import open_yolo, resolve_engine
from .formats import gaps_from_boxes, match_plate
from .formats.matching import FormatMatch, fold_confusions
from .image_input import ImageSource, load_image
from .plate_band import has_colour, has_eu_band, has_mercosur_band
from .plate_crop import PlateCrop, crop_plate, straighten, upright_aspect
from .results import CharRead, PlateBox, PlateRead, Timings, geometric_mean, valid_box

Box = tuple[float, float, float, float]
Classes = tuple[tuple[str, float], ...]     # a character's candidates, best first
Chosen = tuple[PlateCrop, list[Box], list[Classes], FormatMatch | None]   # what _choose returns

SEGMENTERS = ("yolo", "contours")
RECOGNIZERS = ("yolo", "cnn")
MAX_UNMATCHED_CHARS = 10   # no registration we know is longer: a longer reading that fits no format is
                           # texture (a grille, a sign, a row of windows), not returned
TRIM_MIN_CHARS = 5         # a reading of this many characters or more may lose one at either end to fit,
TRIM_SURE = 0.9            # unless that character was read at least this sure and is sized (TRIM_HEIGHT
TRIM_HEIGHT = (0.75, 1.3)  # times the others' median height) and placed (within TRIM_PITCHES character
TRIM_PITCHES = 2.0         # pitches of its neighbour) like the others: then it is a character, not a border
HALVED_WIDTH = 1.5         # among the alternatives: each segmentation with its widest box cut in two, when that
                           # box is this many times the others' median width (char_layout.halve_widest)
RECUT_UNEVEN = 0.3         # among the alternatives: the chosen reading with a touching pair cut evenly
RECUT_TOUCHING = 0.05      # (char_layout.even_recuts: two neighbours this uneven in width, at most this
RECUT_SURE = 0.9           # far apart in heights) replaces it when the CNN reads both halves this surely
                           # and a format fits the whole reading better
WIDE_MARGIN_X = 0.2        # the wider crop read among the alternatives: margins as shares of the box
WIDE_MARGIN_Y = 0.3
SAME_CHAR_IOU = 0.5        # two reads' characters overlapping this much are one character ...
SAME_PLATE_SHARE = 0.5     # ... and a read with this share of its characters on a surer read's is that plate
FAINT_PLATE_FIT = 0.8      # a detection less sure than ReaderOptions.sure_plate is a plate only when a
                           # format rule fits its reading at least this well (score in [0, 1])
FAINT_FIRST_CHARS = 5      # ... and the alternatives are not read for it when its first reading fits no
                           # format and has fewer characters than this (not half a plate: a sign, a grille)
FALLBACK_BOXES = 3         # read(): when no box above plate_threshold reads as a plate, at most this many
                           # of the next boxes (down to ReaderOptions.fallback_threshold) are read
ALTERNATIVE_MARGIN = 1.1   # another segmentation's reading replaces the segmenter's choice only when
                           # a format fits it this many times better (near ties are read alike)
EXTENSION_MARGIN = 1.0     # ... but a reading that keeps all of the choice's characters and adds one,
                           # at an end or between two (a character the tight crop cut off, a touching pair
                           # the first segmentation read as one character), only has to fit better: it
                           # adds to what was read, nothing of it is traded away
ALTERNATIVE_SURENESS = 0.9  # ... and, when no format fits the choice, only when its characters were
                            # read at least this share as surely (geometric means): a plate of a layout
                            # no rule has is not traded for a worse reading that happens to fit one
LARGE_PLATE_SCALE = 0.5    # ReaderOptions.large_plates: the second pass's input, as a share of the cfg's,
LARGE_PLATE_TRIGGER = 96   # ... run when the first pass has a box at least this wide in the cfg's input pixels
                           # (down to ReaderOptions.fallback_threshold),
LARGE_PLATE_WIDTH = 128    # ... and keep its boxes at least this wide (where they fit plates better than the first's)
LARGE_PLATE_SURE = 0.3     # ... and this sure (at half the size the detector takes more for a plate)
TALL_BOX = 2.5             # a plate whose box, its tilt undone, is less than this many times as wide as tall
                           # is tall: only layouts drawn on tall plates (rules.TALL_PLATE: US and
                           # Brazilian plates, two-row European ones) fit its reading. A European
                           # one-row plate (4.7:1) would have to be seen from 60 degrees aside


@dataclass(frozen=True)
class ReaderOptions:
    """Everything that changes what the reader returns (besides the models)."""

    plate_threshold: float = 0.05      # plate detector confidence: low, because a box whose
                                       # characters cannot be read is dropped anyway (min_chars) ...
    sure_plate: float = 0.1            # ... and one less sure than this is kept only when a format rule
                                       # fits its reading well (FAINT_PLATE_FIT): signs and logos seldom do
    fallback_threshold: float = 0.02   # read(): when no box above plate_threshold reads as a plate, the
                                       # FALLBACK_BOXES surest boxes down to this are read (faint, as above)
    char_threshold: float = 0.25       # character detector confidence (best class)
    nms: float = 0.45
    min_chars: int = 2                 # plates with fewer characters read are not returned
    countries: tuple[str, ...] | None = None   # format rules to try (None: lpr.formats.default_countries())
    straighten: bool = True            # turn tilted plates level and read them again
    alternatives: bool = True          # contour segmenter: when its first reading fits no format well, also
                                       # read its other segmentations and a wider crop's, keep the one a
                                       # format rule fits clearly best (more CNN work per plate); when it
                                       # does, those of one character more (Reader._recognize)
    eu_band: bool = True               # with the default countries: a plate carrying the blue EU band is
                                       # matched against every country's rules (lpr.plate_band)
    plate_shape: bool = True           # a tall plate (TALL_BOX: US, Brazilian, two-row) is matched only
                                       # against the layouts drawn on tall plates
    mercosur_band: bool = False        # a plate without the blue band across its top (in a colour image)
                                       # is not read as a Mercosur plate (lpr.plate_band; docs/results-log.md)
    fit_input: bool = True             # plate detector: run it at the smallest input that detects what its
                                       # cfg's 640x384 does (pydarknet.fitted_input_size: a square photo at
                                       # 448x384, a 16:9 frame unchanged), where the engine can
                                       # (can_fit_input; not darknet in a CUDA build)
    large_plates: bool = True          # plate detector: run it a second time at LARGE_PLATE_SCALE of its input
                                       # (a quarter of the work), where close-ups too large for its anchors are
                                       # found surely, and keep the surer of overlapping boxes (can_fit_input)

    def __post_init__(self) -> None:
        for name in ("plate_threshold", "sure_plate", "fallback_threshold", "char_threshold", "nms"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        if self.min_chars < 0:
            raise ValueError(f"min_chars must be >= 0, got {self.min_chars}")
        if self.countries is not None:
            from .formats import countries as known

            unknown = sorted(set(self.countries) - set(known()))
            if unknown:
                raise ValueError(f"no format rules for {', '.join(unknown)}; known: {', '.join(known())}")


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


class Reader:
    """Holds the loaded models; ``read(image)`` returns one PlateRead per plate, best first;
    ``read_crop(image)`` reads an image that is one plate, without the plate detector.

    - ``engine``: "auto" (darknet on a GPU, else ONNX Runtime if installed, else OpenCV DNN if
      installed, else darknet), "darknet", "onnxruntime" or "opencv"; the same weights either way.
    - ``segmenter``: "contours" (OpenCV, no model; the default) or "yolo" (the character
      detector: one network finds and classifies the characters; since the contour segmenter
      was compiled no faster than the default, and less accurate today; see the README).
    - ``recognizer``: "cnn" (the character CNN on each character crop) or "yolo" (the
      character detector's classes; needs segmenter="yolo"). Default: "cnn" after contours,
      "yolo" after the character detector.
    - ``cnn_model``: which character CNN: "compact" (the default: 36x48 input, about 17 times
      fewer operations than the study's), "slim" (compact pruned: half its operations, the
      reader about 5% faster, a few real plates in a hundred fewer read right) or "study" (the
      origin study's network, 75x100 input). See the README's results.
    - ``cnn_engine``: what runs the character CNN: "auto" (the default: ONNX Runtime when it is
      installed, else OpenCV DNN when it is, else NumPy), "numpy" (NumPy alone), "onnxruntime"
      or "opencv" (the same files, checked to agree with NumPy within 1e-4 when loaded; several
      times faster here, see the README's benchmarks). Each reads the same plates.
    - ``countries``: format rules to try, e.g. ["be"] or ["es", "pt"], or "all" (every country
      with rules, lpr.formats.countries()); default: the countries the models were trained on
      (lpr.formats.default_countries()), and every country's for a plate that carries the
      blue EU band (``eu_band=True``, the default; lpr.plate_band). A reader deployed in one
      country reads more of its plates right with that country's rules alone (every other
      rule is one more way for a misread plate to fit: README, Results). Other options: see
      ReaderOptions. ``models_dir``: a folder with the model files (default: the package's).
    - ``alternatives`` (contour segmenter): when the first segmentation's reading fits no
      format well, also read the segmenter's other segmentations and a wider crop of the
      detection, and keep the reading a format fits clearly better (or one that only adds a
      character to the first and fits better: even when the first fits well, the readings of
      one character more are read); more plates read right, up to about twice the time
      (False: the first segmentation only).
    - ``plate_shape``: a plate whose box (its tilt undone) is less than 2.5 times as wide as
      tall is a tall plate (a US or Brazilian plate, a two-row European one) and is matched
      only against the layouts drawn on tall plates with as many text rows as were read: a
      misread US plate does not fit a European layout (README, Reading plates). False: every
      layout of the countries, whatever the plate's shape.
    - ``mercosur_band``: a plate of a colour image without the blue band across its top
      (lpr.plate_band.has_mercosur_band) is not read as a Brazilian Mercosur plate (ABC1D23), so
      an old Brazilian plate (ABC-1234) whose fifth character, a 0 or 1, was read as O or I keeps
      its digit. Off by default: it reads more Brazilian and US plates exactly, and fewer
      Brazilian ones with O/0 forgiven (docs/results-log.md: the Mercosur band).
    - ``fallback_threshold`` (read() only): when none of the boxes above plate_threshold
      reads as a plate, the few surest boxes down to this are read too (faint detections,
      returned only when a format rule fits their reading well); plate_threshold or more: off.
    - ``fit_input``: run the plate detector at the smallest input that detects what its cfg's
      size detects (the same scale, less of the letterbox's grey; pydarknet.fitted_input_size):
      a square photo at 70% of a 16:9 frame's pixels, with the same detections (README,
      Reading plates); False: the cfg's size for every image.
    - ``large_plates``: also run the plate detector at half its input size, where a plate too
      large for its anchors (a close-up: a plate a third of the photo wide or more) is found
      surely, for a quarter of the first pass's work; of two boxes of both passes on one plate
      (IoU above ``nms``) the surer is kept. Where the engine cannot resize the network (darknet
      in a CUDA build) there is one pass.

    One Reader may be used from several threads (each network has its own lock).
    """

    def __init__(self, *, engine: str = "auto", segmenter: str = "contours", recognizer: str | None = None,
                 countries: Sequence[str] | str | None = None, plate_threshold: float = 0.05,
                 sure_plate: float = 0.1, fallback_threshold: float = 0.02, char_threshold: float = 0.25,
                 nms: float = 0.45, min_chars: int = 2,
                 straighten: bool = True, alternatives: bool = True, eu_band: bool = True,
                 plate_shape: bool = True, mercosur_band: bool = False, fit_input: bool = True,
                 large_plates: bool = True, cnn_engine: str = "auto", cnn_model: str = "compact",
                 models_dir: str | os.PathLike | None = None) -> None:
        if segmenter not in SEGMENTERS:
            raise ValueError(f"segmenter must be one of {', '.join(SEGMENTERS)}, got {segmenter!r}")
        if recognizer is None:
            recognizer = "cnn" if segmenter == "contours" else "yolo"
        if recognizer not in RECOGNIZERS:
            raise ValueError(f"recognizer must be one of {', '.join(RECOGNIZERS)}, got {recognizer!r}")
        from .recognition.char_classifier import resolve_cnn_engine

        cnn_engine = resolve_cnn_engine(cnn_engine)
        if cnn_model not in mf.CNN_MODELS:
            raise ValueError(f"cnn_model must be one of {', '.join(mf.CNN_MODELS)}, got {cnn_model!r}")
        if recognizer == "yolo" and segmenter != "yolo":
            raise ValueError("recognizer='yolo' reads the characters the character detector finds: "
                             "use segmenter='yolo', or recognizer='cnn' with segmenter='contours'")
        from .formats import countries as every_country, default_countries

        # the countries were not given: a plate with the EU band is matched against every country's rules
        self._band_countries = every_country() if countries is None and eu_band else None
        if countries is None or isinstance(countries, str):
            countries = (default_countries() if countries is None else every_country() if countries == "all"
                         else (countries,))
        self.options = ReaderOptions(plate_threshold=plate_threshold, sure_plate=sure_plate,
                                     fallback_threshold=fallback_threshold, char_threshold=char_threshold,
                                     nms=nms, min_chars=min_chars,
                                     countries=tuple(countries), straighten=straighten,
                                     alternatives=alternatives, eu_band=eu_band, plate_shape=plate_shape,
                                     mercosur_band=mercosur_band, fit_input=fit_input,
                                     large_plates=large_plates)
        self.engine = resolve_engine(engine)
        self.segmenter, self.recognizer = segmenter, recognizer
        self.cnn_model = cnn_model if recognizer == "cnn" else None
        self._closers = []
        self._lengths: dict[tuple, bool] = {}   # (reading length, _Rules) -> whether a rule could fit it
        try:
            plates = mf.model_files(mf.PLATE_DETECTOR, models_dir)
            self._plate_detector = open_yolo(plates.cfg, plates.weights, plates.names, self.engine)
            self._closers.append(self._plate_detector)
            self._char_detector = None
            if segmenter == "yolo":
                chars = mf.model_files(mf.CHAR_DETECTOR, models_dir)
                self._char_detector = CharDetector(open_yolo(chars.cfg, chars.weights, chars.names, self.engine),
                                                   thresh=char_threshold, nms=nms)
                self._closers.append(self._char_detector)
            self._classifier = None
            if recognizer == "cnn":
                from .recognition.char_classifier import CharClassifier

                cnn = mf.model_files(mf.CNN_MODELS[cnn_model], models_dir)
                self._classifier = CharClassifier(cnn.cfg, cnn.weights, cnn.names, engine=cnn_engine)
                self._closers.append(self._classifier)
        except BaseException:
            self.close()
            raise
        self._closed = False

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        for model in reversed(getattr(self, "_closers", [])):
            model.close()
        self._closers = []
        self._closed = True

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        cnn = (f", cnn_model={self.cnn_model!r}, cnn_engine={self._classifier.engine!r}"
               if self._classifier is not None else "")
        return (f"Reader(engine={self.engine!r}, segmenter={self.segmenter!r}, recognizer={self.recognizer!r}{cnn}, "
                f"countries={self.options.countries!r})")

    # ------------------------------------------------------------------ reading
    def read(self, image: ImageSource) -> list[PlateRead]:
        """The plates in ``image`` (path, encoded bytes or array; see lpr.image_input),
        most confident first. Raises lpr.ImageError for an unusable image.

        The detector's boxes above plate_threshold are read (``read_boxes(image,
        detect_plates(image))``); when none of them reads as a plate, the FALLBACK_BOXES surest
        boxes between fallback_threshold and plate_threshold are read as well, each returned only
        when a format rule fits its reading well (as every box under sure_plate): a photo whose
        one plate the detector sees only faintly (a small or unfamiliar plate) still gets its read."""
        self._check_open()
        start = time.perf_counter()
        pixels = load_image(image)
        t = time.perf_counter()
        threshold = self.options.plate_threshold
        found = self._detect(pixels, min(threshold, self.options.fallback_threshold))
        detect_ms = _ms(t)
        plates = self._read_boxes(pixels, [b for b in found if b.confidence > threshold], detect_ms, start)
        if not plates:       # (above the threshold, as the detector's own `thresh`: detect_plates)
            fainter = sorted((b for b in found if b.confidence <= threshold), key=lambda b: -b.confidence)
            if fainter:
                plates = self._read_boxes(pixels, fainter[:FALLBACK_BOXES], detect_ms, start, faint=True)
        return plates

    def detect_plates(self, image: ImageSource) -> list[PlateBox]:
        """Where the plate detector finds plates in ``image`` (above plate_threshold), most
        confident first, not read yet: read() is ``read_boxes(image, detect_plates(image))``
        (and, when none of them reads as a plate, its fallback: see read()). For video, where a
        plate read surely in earlier frames need not be read again (lpr.video). Raises
        lpr.ImageError for an unusable image."""
        self._check_open()
        return self._detect(load_image(image))

    def read_boxes(self, image: ImageSource, boxes: Sequence[PlateBox]) -> list[PlateRead]:
        """Read the plates at ``boxes`` (PlateBox: from detect_plates, or your own detector's
        boxes in image pixels with its confidence) as read() reads a detection; boxes that read
        as no plate are left out. Most confident first; timings without detection. Raises
        lpr.ImageError for an unusable image, TypeError / ValueError for a box that is not a
        PlateBox of four finite numbers with a confidence in [0, 1]."""
        self._check_open()
        boxes = [_checked_box(b) for b in boxes]
        start = time.perf_counter()
        return self._read_boxes(load_image(image), boxes, 0.0, start)

    def read_crop(self, image: ImageSource) -> PlateRead | None:
        """The plate that fills ``image``: a plate already cut out (by your own detector, say),
        read without the plate detector. Its box is the whole image and its detection_confidence
        1.0. None when it reads as no plate (fewer than min_chars characters, or a reading no
        plate could be). Raises lpr.ImageError for an unusable image."""
        self._check_open()
        start = time.perf_counter()
        pixels = load_image(image)
        h, w = pixels.shape[:2]
        read = self._read_plate(pixels, PlateBox((0.0, 0.0, float(w), float(h)), 1.0), 0.0, self._in_colour(pixels))
        return None if read is None else _with_total(read, _ms(start))

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this Reader is closed")

    def _detect(self, pixels: np.ndarray, thresh: float | None = None) -> list[PlateBox]:
        """The plate detector's boxes above ``thresh`` (default plate_threshold), most confident
        first. The large-plate pass runs when a first-pass box down to fallback_threshold is
        LARGE_PLATE_TRIGGER wide, whatever ``thresh`` is, so read() and detect_plates() agree."""
        detector, options = self._plate_detector, self.options
        thresh = options.plate_threshold if thresh is None else thresh
        seen = min(thresh, options.fallback_threshold)
        fit = options.fit_input and detector.can_fit_input
        found = detector.detect(pixels, thresh=seen, nms=options.nms, fit_input=fit)
        if options.large_plates and detector.can_fit_input:
            h, w = pixels.shape[:2]
            scale = letterbox_size(w, h, detector.config.width, detector.config.height)[0] / w   # image -> cfg input
            if any(_wider(det, scale, LARGE_PLATE_TRIGGER) for det in found):
                zoomed_out = detector.detect(pixels, thresh=max(seen, LARGE_PLATE_SURE), nms=options.nms,
                                             fit_input=fit, input_scale=LARGE_PLATE_SCALE)
                found = _surest_per_plate(found, [d for d in zoomed_out if _wider(d, scale, LARGE_PLATE_WIDTH)],
                                          options.nms)
        # (darknet's NMS lets no box under `seen` suppress one above it: the boxes above `thresh` are
        # those a detection at `thresh` gives)
        return [PlateBox(tuple(float(v) for v in det.box), float(det.confidence))
                for det in found if det.confidence > thresh]

    def _read_boxes(self, pixels: np.ndarray, boxes: Sequence[PlateBox], detect_ms: float,
                    start: float, faint: bool = False) -> list[PlateRead]:
        colour = self._in_colour(pixels)
        plates = [read for box in boxes
                  if (read := self._read_plate(pixels, box, detect_ms, colour, faint)) is not None]
        total = _ms(start)
        return _one_read_per_plate(sorted((_with_total(p, total) for p in plates), key=lambda p: -p.confidence))

    def _segment(self, crop: PlateCrop, alternatives: bool, stand_in: bool = True) -> "_Segmentations":
        """The crop's segmentations, the segmenter's choice first: character boxes (crop pixels,
        reading order) and, for the YOLO segmenter, their classes. The contour segmenter offers
        its other segmentations too with `alternatives`, made when first asked for; when it has
        no choice, the first of them stands in for it, unless not `stand_in` (then: none)."""
        if self._char_detector is not None:
            found: list[CharCandidates] = self._char_detector.find(crop.image)
            order, _ = reading_order([c.box for c in found])
            return _Segmentations([([found[i].box for i in order], [found[i].candidates for i in order])])
        from .segmentation.contours import CharBox, PlateSegmentations

        def in_reading_order(segmentations: list[list[CharBox]]) -> list[tuple[list[Box], None]]:
            out = []
            for boxes in segmentations:
                order, _ = reading_order([c.box for c in boxes])
                out.append(([boxes[i].box for i in order], None))
            return out

        found = PlateSegmentations(crop.image)
        first = in_reading_order(found.candidates(alternatives=False))
        if not alternatives:
            return _Segmentations(first)
        if not first and not stand_in:
            return _Segmentations([])
        if not first:       # no first reading: the first of the others stands in for it
            everything = in_reading_order(found.candidates())
            return _Segmentations(everything[:1], lambda: everything[1:])
        return _Segmentations(first, lambda: in_reading_order(found.candidates())[1:])

    def _segment_straight(self, crop: PlateCrop, alternatives: bool,
                          stand_in: bool = True) -> tuple[PlateCrop, "_Segmentations"]:
        """The crop, or the crop turned level when its text is tilted and reads at least as many
        characters that way, and its segmentations (the other one's alternatives are never made;
        `stand_in`: as in _segment)."""
        found = self._segment(crop, alternatives, stand_in)
        if not self.options.straighten or not found.first or len(found.first[0][0]) < 3:
            return crop, found
        boxes = found.first[0][0]
        turned = straighten(crop, skew_angle(boxes, reading_order(boxes)[1]))
        if turned is not None:
            found2 = self._segment(turned, alternatives, stand_in)
            if found2.first and len(found2.first[0][0]) >= len(boxes):
                return turned, found2
        return crop, found

    def _in_colour(self, pixels: np.ndarray) -> bool:
        """Whether bands may be looked for in this image: it has colour (lpr.plate_band.has_colour;
        only asked when an option looks for a band by colour)."""
        return self.options.mercosur_band and has_colour(pixels)

    def _read_plate(self, image: np.ndarray, det: PlateBox, detect_ms: float, colour: bool,
                    faint: bool = False) -> PlateRead | None:
        """The read of the plate at `det` (None: no plate); `colour`: _in_colour(image); `faint`:
        read as a box under sure_plate whatever its confidence (the fallback's boxes)."""
        crop = crop_plate(image, det.box)
        if crop is None:
            return None
        top_band = has_mercosur_band(crop.image) if colour else None
        faint = faint or det.confidence < self.options.sure_plate
        t = time.perf_counter()
        # a faint box's segmenter that finds no characters finds no plate: no other segmentation stands in
        crop, segmentations = self._segment_straight(crop, self.options.alternatives, stand_in=not faint)
        segment_ms = _ms(t)
        t = time.perf_counter()
        tall = self.options.plate_shape and upright_aspect(det.box, crop.tilt_degrees) < TALL_BOX
        rules = _Rules(self._countries_for(crop), tall, top_band)
        chosen = self._recognize(image, det.box, crop, segmentations, rules, faint)
        # the other segmentations, made during recognition when it read them, count as segmentation
        recognize_ms = _ms(t) - segmentations.ms
        segment_ms += segmentations.ms
        if chosen is None:
            return None
        crop, boxes, candidates, match = chosen
        if faint and (match is None or match.score < FAINT_PLATE_FIT):
            return None
        chars = tuple(CharRead(c[0][0], c[0][1], crop.box_to_image(b), tuple(c[1:]))
                      for c, b in zip(candidates, boxes))
        if match is not None:
            text, country, fmt = match.text, match.country, match.format
            # a character the rules chose among the candidates keeps its probability; a confusion
            # stand-in (0 read where only a letter fits) gets half of what was read
            probs = [dict(c).get(ch, 0.0) or c[0][1] * 0.5 for c, ch in zip(candidates, match.chars)]
            chars = tuple(CharRead(ch, float(p), r.box, r.alternatives)
                          for ch, p, r in zip(match.chars, probs, chars))
        else:
            text, country, fmt = "".join(c.char for c in chars), None, None
        char_conf = geometric_mean([c.confidence for c in chars])
        timings = Timings(detect_ms=detect_ms, segment_ms=segment_ms, recognize_ms=recognize_ms)
        return PlateRead(text=text, confidence=float(det.confidence) * char_conf, box=tuple(det.box),
                         detection_confidence=float(det.confidence), chars=chars, country=country,
                         format=fmt, timings=timings)

    def _countries_for(self, crop: PlateCrop) -> tuple[str, ...]:
        """The format rules to try on this plate: the reader's countries, or every country's
        when the countries were not given and the plate carries the EU band (lpr.plate_band)."""
        if self._band_countries is not None and has_eu_band(crop.image):
            return self._band_countries
        return self.options.countries

    def _recognize(self, image: np.ndarray, box: Box, crop: PlateCrop, segmentations: "_Segmentations",
                   rules: _Rules, faint: bool = False) -> Chosen | None:
        """The chosen reading (see _choose) of the crop's segmentations. With the CNN, the
        segmenter's choice is read first; after the contour segmenter, its other segmentations
        are read too, each segmentation with its widest box cut in two (HALVED_WIDTH: two
        touching glyphs), and the first segmentation of a wider crop of the detection (a tight box cuts
        off an end character, which the segmenter then drops). When a format fits the first
        reading so well that no other reading can beat it by ALTERNATIVE_MARGIN (a format score
        is at most 1), only a reading of one character more can still win (_margin: a touching
        pair read as one character, a cut-off end): the others are read only when some layout
        has that length, and only those of it (or one more: _match may drop an end). A `faint`
        box (returned only when a format fits it well) whose first reading fits no format and has
        fewer than FAINT_FIRST_CHARS characters gets no alternatives."""
        if self._classifier is None:              # the character detector's own classes
            return self._choose([(crop, boxes, classes) for boxes, classes in segmentations.all()], rules)
        read = _Memo()
        first = [(crop, boxes) for boxes, _ in segmentations.first]
        readings = [(c, b, r) for (c, b), r in zip(first, self._classify(first, read))]
        chosen = self._choose(readings, rules, read)
        if not self.options.alternatives or self._char_detector is not None:
            return chosen
        if faint and (chosen is None or (chosen[3] is None and len(chosen[1]) < FAINT_FIRST_CHARS)):
            return chosen                         # a faint box that reads as no plate at all
        lengths = None                            # the lengths a reading must have to be read (None: any)
        if chosen is not None and chosen[3] is not None and chosen[3].score * ALTERNATIVE_MARGIN >= 1.0:
            longer = len(chosen[3].compact) + 1
            if not self._has_layout(longer, rules):
                return self._recut_touching(chosen, rules, read)
            lengths = (longer, longer + 1)
        others = [(crop, boxes) for boxes, _ in segmentations.others()]
        others += [(crop, halved) for boxes, _ in segmentations.all()      # two touching glyphs in one box
                   if (halved := halve_widest(boxes, HALVED_WIDTH)) is not None]
        wide = crop_plate(image, box, WIDE_MARGIN_X, WIDE_MARGIN_Y)
        if wide is not None:
            wide, found = self._segment_straight(wide, alternatives=False)   # its others: rarely worth it
            others += [(wide, boxes) for boxes, _ in found.all()]
        # only readings of a length some rule has (or one more: _match may drop an end) can win
        others = [(c, boxes) for c, boxes in others if self._fits_a_rule(len(boxes), rules)
                  and (lengths is None or len(boxes) in lengths)]
        readings += [(c, b, r) for (c, b), r in zip(others, self._classify(others, read))]
        return self._recut_touching(self._choose(readings, rules, read), rules, read)

    def _recut_touching(self, chosen: Chosen | None, rules: _Rules, read: _Memo) -> Chosen | None:
        """The chosen reading, or, when a format fits it, the best of its readings with a touching
        pair cut evenly (char_layout.even_recuts) whose two halves the CNN reads at least
        RECUT_SURE and which a format fits whole, and better. A touching pair cut in the wrong
        place can still read as a plate of the layout (VHB read as VFB: the cut through the H's
        crossbar leaves the V with half the H, and the other half reads as F), which the margins
        of _choose rightly keep against other segmentations; this asks only whether the same
        boxes, one pair cut another way, read better."""
        if chosen is None or chosen[3] is None:
            return chosen
        crop, boxes, _, match = chosen
        recuts = even_recuts(boxes, RECUT_UNEVEN, RECUT_TOUCHING)
        if not recuts:
            return chosen
        best, best_score = chosen, match.score
        for (i, cut), candidates in zip(recuts, self._classify([(crop, cut) for _, cut in recuts], read)):
            if min(candidates[i][0][1], candidates[i + 1][0][1]) < RECUT_SURE:
                continue
            found, keep = self._matched(candidates, cut, rules, read)
            if found is not None and keep == slice(None) and found.score > best_score:
                best, best_score = (crop, cut, candidates, found), found.score
        return best

    def _has_layout(self, length: int, rules: _Rules) -> bool:
        """Whether a rule has a layout of `length` characters."""
        from .formats.rules import templates_for

        return bool(templates_for(length, rules.countries, tall_rows=0 if rules.tall_plate else None,
                                  top_band=rules.top_band))

    def _fits_a_rule(self, length: int, rules: _Rules) -> bool:
        key = (length, rules)
        if key not in self._lengths:
            self._lengths[key] = self._has_layout(length, rules) or (
                length >= TRIM_MIN_CHARS and self._has_layout(length - 1, rules))
        return self._lengths[key]

    def _choose(self, readings: Sequence[tuple[PlateCrop, list[Box], list[Classes]]],
                rules: _Rules, read: _Memo | None = None) -> Chosen | None:
        """Of the readings (crop, character boxes in it, candidates), the one a format rule fits
        best, the first one (the segmenter's choice) by a margin (ALTERNATIVE_MARGIN, none for a
        reading that only adds a character to it: _margin; and when no rule fits the first, another
        must also be read about as surely: ALTERNATIVE_SURENESS);
        when no rule fits any, the first as read, unless it is too short or too long for a
        plate. Returns the crop, the characters' boxes and candidates (those the rule uses) and
        the format match (None: unformatted), or None when nothing is a plate. `read`: the
        plate's _Memo, which keeps the format matches of readings met before (default: a new one)."""
        read = _Memo() if read is None else read
        best, best_score = None, -1.0
        floor = 0.0            # how surely another reading must be read to replace the first
        first = None           # the first reading's format match
        kept = None            # the characters the first reading keeps: candidates, boxes
        for k, (crop, boxes, candidates) in enumerate(readings):
            if k > 0 and _sureness(candidates) < floor:
                continue
            if len(candidates) < max(self.options.min_chars, 1):
                continue
            match, keep = self._matched(candidates, boxes, rules, read)
            if match is None:
                if k == 0 and len(candidates) <= MAX_UNMATCHED_CHARS:
                    floor = ALTERNATIVE_SURENESS * _sureness(candidates)
                continue
            if k == 0:
                first, kept = match, (candidates[keep], boxes[keep])
            elif kept is not None and _drops_sure_characters(*kept, "".join(c[0][0] for c in candidates[keep])):
                continue
            score = match.score if k == 0 else match.score / _margin(first, match)
            if score > best_score:
                best, best_score = (crop, boxes[keep], candidates[keep], match), score
        if best is not None or not readings:
            return best
        crop, boxes, candidates = readings[0]
        if not max(self.options.min_chars, 1) <= len(candidates) <= MAX_UNMATCHED_CHARS:
            return None
        return crop, boxes, candidates, None

    def _matched(self, candidates: Sequence[Classes], boxes: Sequence[Box], rules: _Rules, read: _Memo
                 ) -> tuple[FormatMatch | None, slice]:
        """_match, kept in `read` for readings met again (the first reading comes back with the
        others; some segmentations repeat)."""
        key = (tuple(candidates), tuple(boxes), rules)
        if key not in read.matches:
            read.matches[key] = self._match(candidates, boxes, rules)
        return read.matches[key]

    def _match(self, candidates, boxes, rules: _Rules) -> tuple[FormatMatch | None, slice]:
        """The best format reading, and which characters it uses: all of them, or, when no rule
        fits them all, all but the first or the last when that one may be a plate's border, a
        screw or a sticker read as a character (_may_be_extra); otherwise None (the reading
        stays unformatted: a plate of a layout no rule has keeps all its characters)."""
        def match(keep: slice):
            return match_plate(candidates[keep], countries=rules.countries,
                               gaps=gaps_from_boxes(boxes[keep]), tall_plate=rules.tall_plate,
                               top_band=rules.top_band)

        everything = slice(None)
        found = match(everything)
        if found is not None or len(candidates) < TRIM_MIN_CHARS:
            return found, everything
        ends = ((slice(1, None), 0), (slice(None, -1), len(candidates) - 1))
        trimmed = [(m.score, keep, m) for keep, end in ends
                   if _may_be_extra(candidates, boxes, end) and (m := match(keep))]
        if not trimmed:
            return None, everything
        _, keep, best = max(trimmed, key=lambda item: item[0])
        return best, keep

    def _classify(self, segmentations: list[tuple[PlateCrop, list[Box]]], read: _Memo) -> list[list[Classes]]:
        """The CNN's candidates for every box of every (crop, boxes) segmentation, in one batch.
        `read` holds what this plate's recognition read before (the crops outlive it): a box
        several segmentations share is read, and voted on for the polarity, once."""
        from .segmentation.contours import char_crops, polarity_votes

        plans, crops = [], {}
        for crop, boxes in segmentations:
            crops[id(crop)] = crop
            keys = [(id(crop), tuple(b)) for b in boxes]
            unvoted = list(dict.fromkeys(key for key in keys if key not in read.votes))
            if unvoted:
                read.votes.update(zip(unvoted, polarity_votes(crop.image, [key[1] for key in unvoted])))
            dark = sum(read.votes[key] for key in keys) >= 0
            plans.append([(id(crop), dark, box) for _, box in keys])
        new = list(dict.fromkeys(key for plan in plans for key in plan if key not in read.classes))
        if new:
            groups = {}
            for key in new:
                groups.setdefault(key[:2], []).append(key)
            images = np.concatenate([char_crops(crops[crop_id].image, [key[2] for key in keys],
                                                size=self._classifier.crop_size, dark_on_light=dark)
                                     for (crop_id, dark), keys in groups.items()])
            read.classes.update(zip([key for keys in groups.values() for key in keys],
                                    self._classifier.classify(images)))
        return [[read.classes[key] for key in plan] for plan in plans]


class _Segmentations:
    """A crop's segmentations (Reader._segment): character boxes in reading order and, from the
    YOLO segmenter, their classes. `first`: the segmenter's choice (a list of one, or none);
    others(): the rest, made when first asked for; `ms`: the time that took."""

    def __init__(self, first: list[tuple[list[Box], list[Classes] | None]],
                 more: Callable[[], list[tuple[list[Box], list[Classes] | None]]] | None = None) -> None:
        self.first = first
        self.ms = 0.0
        self._more = more
        self._others = None if more is not None else []

    def others(self) -> list[tuple[list[Box], list[Classes] | None]]:
        if self._others is None:
            t = time.perf_counter()
            self._others, self._more = self._more(), None
            self.ms = _ms(t)
        return self._others

    def all(self) -> list[tuple[list[Box], list[Classes] | None]]:
        return self.first + self.others()


class _Rules(NamedTuple):
    """The format rules one plate is matched against: these countries' layouts; with
    `tall_plate` only those drawn on tall plates (TALL_BOX); with `top_band` False none drawn
    only on plates with a band across the top (Mercosur; None: not known)."""

    countries: tuple[str, ...]
    tall_plate: bool = False
    top_band: bool | None = None


@dataclass
class _Memo:
    """What one plate's recognition has read so far: for the CNN (Reader._classify), each box's
    candidates (key: the crop's id, the polarity, the box) and polarity vote (key: the crop's
    id, the box); for Reader._choose, each reading's format match and the characters it keeps
    (key: the candidates, the boxes, the rules)."""

    classes: dict[tuple[int, bool, Box], Classes] = field(default_factory=dict)
    votes: dict[tuple[int, Box], int] = field(default_factory=dict)
    matches: dict[tuple[tuple[Classes, ...], tuple[Box, ...], _Rules], tuple[FormatMatch | None, slice]] = \
        field(default_factory=dict)


def _sureness(candidates: Sequence[Classes]) -> float:
    """The geometric mean of a reading's best-class probabilities (0 for no characters)."""
    return geometric_mean(c[0][1] for c in candidates)


def _wider(det: Detection, scale: float, width: float) -> bool:
    """Whether a box is at least ``width`` wide in the plate detector's cfg input (image pixels
    times ``scale``)."""
    return (det.box[2] - det.box[0]) * scale >= width


def _surest_per_plate(first: list[Detection], second: list[Detection], nms: float) -> list[Detection]:
    """The detections of the plate detector's two passes (each already through darknet's NMS),
    most confident first, without a box that a surer box of the other pass overlaps by more
    than ``nms`` (IoU; on a tie the first pass's stays)."""
    def beaten(det: Detection, others: list[Detection], ties: bool) -> bool:
        return nms > 0 and any((o.confidence > det.confidence or (ties and o.confidence == det.confidence))
                               and xyxy_iou(det.box, o.box) > nms for o in others)

    kept = [d for d in first if not beaten(d, second, ties=False)]
    kept += [d for d in second if not beaten(d, first, ties=True)]
    return sorted(kept, key=lambda d: -d.confidence)


def _one_read_per_plate(plates: list[PlateRead]) -> list[PlateRead]:
    """`plates` (most confident first) without the reads of a plate read already: the detector
    sometimes leaves two boxes on one plate (a whole box and a shifted part, overlapping less
    than its NMS asks), and both read. A read is another's when at least SAME_PLATE_SHARE of its
    characters lie on the surer read's (IoU >= SAME_CHAR_IOU)."""
    kept: list[PlateRead] = []
    for plate in plates:
        if not any(_same_characters(plate, other) for other in kept):
            kept.append(plate)
    return kept


def _same_characters(plate: PlateRead, other: PlateRead) -> bool:
    shared = sum(any(xyxy_iou(c.box, d.box) >= SAME_CHAR_IOU for d in other.chars) for c in plate.chars)
    return bool(plate.chars) and shared >= SAME_PLATE_SHARE * len(plate.chars)


def _margin(first: FormatMatch | None, other: FormatMatch) -> float:
    """How many times better a format must fit `other` than the first reading for it to win:
    ALTERNATIVE_MARGIN, or EXTENSION_MARGIN when `other` is the first's characters with one more
    added, anywhere (O/0 and I/1 folded: the layouts may name one glyph differently once a
    character moves)."""
    if first is not None and _one_more(fold_confusions(first.compact), fold_confusions(other.compact)):
        return EXTENSION_MARGIN
    return ALTERNATIVE_MARGIN


def _one_more(text: str, longer: str) -> bool:
    """Whether `longer` is `text` with one character added, anywhere."""
    return len(longer) == len(text) + 1 and _left_out(longer, text, [True] * len(longer))


def _may_be_extra(candidates: Sequence[Classes], boxes: Sequence[Box], index: int) -> bool:
    """Whether the character at `index` may be something else read as a character: read unsure,
    or sized unlike the rest, or, at either end, spaced unlike the rest (see TRIM_SURE)."""
    if candidates[index][0][1] < TRIM_SURE:
        return True
    if len(boxes) < 2:
        return False
    b = np.asarray(boxes, dtype=np.float64)
    heights = b[:, 3] - b[:, 1]
    typical = float(np.median(np.delete(heights, index)))
    if not TRIM_HEIGHT[0] * typical <= heights[index] <= TRIM_HEIGHT[1] * typical:
        return True
    if 0 < index < len(b) - 1:
        return False
    centres = (b[:, 0] + b[:, 2]) / 2
    pitch = float(np.median(np.diff(np.sort(b[:, 0]))))
    neighbour = 1 if index == 0 else len(b) - 2
    return abs(centres[index] - centres[neighbour]) > TRIM_PITCHES * pitch


def _drops_sure_characters(candidates: Sequence[Classes], boxes: Sequence[Box], shorter: str) -> bool:
    """Whether `shorter` is the reading `candidates` (at `boxes`) with characters left out, and
    every way of leaving them out drops one the reader would not trim to fit a format: read
    surely and sized like the rest, and at either end spaced like the rest (_may_be_extra).
    Texts are compared with O/0 and I/1 folded (one glyph, two names)."""
    text = fold_confusions("".join(c[0][0] for c in candidates))
    shorter = fold_confusions(shorter)
    if len(shorter) >= len(text) or not _left_out(text, shorter, [True] * len(text)):
        return False
    return not _left_out(text, shorter, [_may_be_extra(candidates, boxes, i) for i in range(len(text))])


def _left_out(text: str, shorter: str, may_go: Sequence[bool]) -> bool:
    """Whether `shorter` is `text` with some characters left out, each of them one `may_go`
    allows (by position in `text`)."""
    # can[j]: shorter[:j] is what is left of the characters of text seen so far
    can = [True] + [False] * len(shorter)
    for i, char in enumerate(text):
        for j in range(len(shorter), -1, -1):
            can[j] = (can[j] and may_go[i]) or (j > 0 and char == shorter[j - 1] and can[j - 1])
    return can[-1]


def _checked_box(box: PlateBox) -> PlateBox:
    """``box`` when it is a PlateBox of four finite numbers (x1 <= x2, y1 <= y2, see
    results.valid_box) with a confidence in [0, 1]; TypeError or ValueError otherwise (checked
    before any is read)."""
    if not isinstance(box, PlateBox):
        raise TypeError(f"read_boxes takes PlateBox objects, got {type(box).__name__}")
    checked = valid_box(box.box)
    if checked is None:
        raise ValueError(f"a plate box needs four finite numbers x1 <= x2 and y1 <= y2, got {box.box!r}")
    try:
        confidence = float(box.confidence)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"a plate box's confidence must be a number in [0, 1], got {box.confidence!r}") from exc
    if not 0.0 <= confidence <= 1.0:
        raise ValueError(f"a plate box's confidence must be in [0, 1], got {box.confidence!r}")
    return PlateBox(checked, confidence)


def _with_total(plate: PlateRead, total_ms: float) -> PlateRead:
    from dataclasses import replace

    return replace(plate, timings=replace(plate.timings, total_ms=total_ms))


_default_reader: Reader | None = None
_default_lock = threading.Lock()


def default_reader() -> Reader:
    """The Reader read_plate() uses, loaded on first use (the shipped models, engine auto)."""
    global _default_reader
    with _default_lock:
        if _default_reader is None:
            _default_reader = Reader()
        return _default_reader


def read_plate(image: ImageSource, **options) -> list[PlateRead]:
    """Read the plates in ``image`` (a path, encoded bytes or a BGR uint8 array).

    Without options it uses one cached Reader; with options (engine, segmenter, recognizer,
    countries, thresholds; see Reader) it builds a Reader for them, which loads the models
    again: hold a Reader yourself to read many images with the same options.
    """
    if not options:
        return default_reader().read(image)
    with Reader(**options) as reader:
        return reader.read(image)
