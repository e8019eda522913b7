"""lpr.synth: plate text patterns, rendered character boxes against the ink, boxes after a
perspective warp, composed scenes, seeded reproducibility. No pydarknet, no shared data."""
from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from lpr.data.boxes import Box
from lpr.synth import fonts
from lpr.synth.augment import (FLAT, ViewRange, augment_plate, sample_geometry, transform_box, warp_image,
                               warp_plate)
from lpr.synth.compose import PlacedPlate, char_crop, compose_scene, plate_crop
from lpr.synth.formats import (ALNUM, COUNTRIES, FORMATS, FORMATS_BY_KEY, can_hold, formats_for, generate_text,
                               parse_pattern)
from lpr.synth.render import RenderedPlate, random_plate, render_plate
from lpr.synth.sources import procedural_background

_FR = "[A-HJ-NP-TV-Z]"
_NL = "[BDFGHJKLNPRSTVXZ]"
_UK = "[A-HJ-PR-Z]"
# independent of the patterns in formats.py: what the rows (as drawn, separators included) must look like
ROW_REGEX: dict[str, tuple[str, ...]] = {
    "be": (r"[12]-[A-Z]{3}-\d{3}|[A-Z]{3}-\d{3}",),
    "de": (r"[A-Z]{1,3}\*[A-Z]{1,2} \d{1,4}",),
    "de-moto": (r"[A-Z]{1,3}\*[A-Z]{1,2}", r"\d{1,4}"),
    "fr": (fr"{_FR}{{2}}-\d{{3}}-{_FR}{{2}}",),
    "nl": ("|".join(p.replace("D", r"\d").replace("K", _NL) for p in
                    ("DD-KK-KK", "DD-KKK-D", "D-KKK-DD", "KK-DDD-K", "K-DDD-KK", "KKK-DD-K", "K-DD-KKK",
                     "D-KK-DDD", "DDD-KK-D")),),
    "sk": (r"[A-Z]{2}\*\d{3}[A-Z]{2}",),
    "cz": (r"[1-9][A-Z][0-9A-Z] \d{4}",),
    "cz-short": (r"[1-9][A-Z][0-9A-Z]", r"\d{4}"),
    "ro": (r"B \d{2,3} [A-Z]{3}|[A-Z]{2} \d{2} [A-Z]{3}",),
    "uk": (fr"{_UK}{{2}}\d{{2}} {_UK}{{3}}",),
    "uk-square": (fr"{_UK}{{2}}\d{{2}}", fr"{_UK}{{3}}"),
    "us": (r"[A-Z]{3}[ -]\d{4}|[1-9][A-Z]{3}\d{3}|\d{3} [A-Z]{3}|[A-Z]{3} \d{3}|[A-Z]{2} \d{5}|[1-9][A-Z]{2} \d{4}",),
    "br": (r"[A-Z]{3}\d[A-Z]\d{2}",),
    "br-old": (r"[A-Z]{3}-\d{4}",),
    "nl-old": ("|".join(p.replace("D", r"\d").replace("K", _NL) for p in ("DD-KK-DD", "KK-DD-KK", "KK-KK-DD")),),
    "es": (r"\d{4} [B-DF-HJ-NPR-TV-Z]{3}",),
    "it": (r"[A-HJ-NPR-TV-Z]{2} \d{3} [A-HJ-NPR-TV-Z]{2}",),
    "pt": (r"[A-Z]{2}-\d{2}-[A-Z]{2}|\d{2}-[A-Z]{2}-\d{2}|\d{2}-\d{2}-[A-Z]{2}|[A-Z]{2}-\d{2}-\d{2}",),
    "se": (r"[A-HJ-PR-UW-Z]{3} \d{2}[0-9A-HJ-PR-UW-Z]",),
    "no": (r"[A-Z]{2} \d{5}",),
    "dk": (r"[A-Z]{2} \d{2} \d{3}",),
    "fi": (r"[A-Z]{2,3}-\d{3}",),
    "hu": (r"[A-Z]{3}-\d{3}|[A-Z]{2} [A-Z]{2}-\d{3}",),
    "gr": (r"[ABEHIKMNOPTXYZ]{3}-\d{4}",),
    "bg": (r"[ABEKMHOPCTXY]{1,2} \d{4} [ABEKMHOPCTXY]{2}",),
    "lt": (r"[A-Z]{3} \d{3}",),
    "lv": (r"[A-Z]{2}-\d{4}",),
    "ee": (r"\d{3} [A-Z]{2,3}",),
    "hr": (r"[A-Z]{2} \d{3,4}-[A-Z]{1,2}",),
    "rs": (r"[A-Z]{2} \d{3,4}-[A-Z]{2}",),
    "ua": (r"[ABEKMHOPCTXY]{2} \d{4} [ABEKMHOPCTXY]{2}",),
    "tr": (r"(0[1-9]|[1-7]\d|8[01]) [A-Z]{1,3} \d{2,4}",),
    "pl": (r"{v}[A-Z]\*(\d{{5}}|\d{{4}}{k}|\d{{3}}{k}{{2}}|\d{k}\d{{3}}|\d{k}{{2}}\d{{2}})"
           r"|{v}[A-Z]{{2}}\*({k}\d{{3}}|\d{{2}}{k}{{2}}|\d{k}\d{{2}}|\d{{2}}{k}\d|\d{k}{{2}}\d|{k}{{2}}\d{{2}}"
           r"|\d{{5}}|\d{{4}}{k}|\d{{3}}{k}{{2}})"
           r"|{v}\d\*([A-Z]{{3,5}}|[A-Z]{{2,4}}\d|[A-Z]{{1,3}}\d{{2}})".format(v="[BCDEFGKLNOPRSTWZ]",
                                                                       k="[ACEFGHJKLMNPRSTUVWXY]"),),
    "si": (r"(CE|GO|KK|KP|KR|LJ|MB|MS|NM|PO|SG)\*([0-9A-NP-Z]{2}-[0-9A-NP-Z]{3}|[0-9A-NP-Z]{3}-[0-9A-NP-Z]{2})",),
}
LENGTHS = {"be": (6, 7), "de": (3, 8), "de-moto": (3, 7), "fr": (7, 7), "nl": (6, 6), "sk": (7, 7), "cz": (7, 7),
           "cz-short": (7, 7), "ro": (6, 7), "uk": (7, 7), "uk-square": (7, 7), "us": (6, 7), "br": (7, 7),
           "br-old": (7, 7), "nl-old": (6, 6), "es": (7, 7), "it": (7, 7), "pt": (6, 6), "se": (6, 6), "no": (7, 7),
           "dk": (7, 7), "fi": (5, 6), "hu": (6, 7), "gr": (7, 7), "bg": (7, 8), "lt": (6, 6), "lv": (6, 6),
           "ee": (5, 6), "hr": (6, 8), "rs": (7, 8), "ua": (8, 8), "tr": (7, 8),
           "pl": (5, 8), "si": (7, 7)}


# --------------------------------------------------------------------------- formats

def test_every_format_has_a_test_regex_and_the_brief_countries_exist():
    assert set(ROW_REGEX) == set(FORMATS_BY_KEY)
    assert {"be", "de", "fr", "nl", "sk", "ro", "uk", "us"} <= set(COUNTRIES)
    assert any(len(layout.rows) == 2 for f in FORMATS for layout in f.layouts)      # two-row plates


@pytest.mark.parametrize("key", sorted(ROW_REGEX))
def test_patterns_give_valid_registrations(key):
    fmt = FORMATS_BY_KEY[key]
    rng = np.random.default_rng(1)
    seen = set()
    for _ in range(300):
        text = generate_text(fmt, rng)
        assert len(text.rows) == len(ROW_REGEX[key])
        for row, regex in zip(text.rows, ROW_REGEX[key]):
            assert re.fullmatch(regex, row), (key, row)
        assert text.chars == re.sub(r"[^0-9A-Z]", "", "".join(text.rows))
        assert set(text.chars) <= set(ALNUM)
        lo, hi = LENGTHS[key]
        assert lo <= len(text.chars) <= hi, (key, text.chars)
        seen.add(text.chars)
    assert len(seen) > 200                                    # random, not a handful of strings


def test_forced_character_lands_in_an_allowed_slot():
    rng = np.random.default_rng(2)
    for fmt in FORMATS:
        for c in ALNUM:
            if not can_hold(fmt, c):
                continue
            text = generate_text(fmt, rng, force=c)
            assert c in text.chars
            for row, regex in zip(text.rows, ROW_REGEX[fmt.key]):
                assert re.fullmatch(regex, row), (fmt.key, c, row)
    assert not can_hold(FORMATS_BY_KEY["nl"], "A")            # no vowels on Dutch plates
    with pytest.raises(ValueError):
        generate_text(FORMATS_BY_KEY["nl"], rng, force="A")


def test_pattern_parser_rejects_garbage_and_unknown_countries():
    with pytest.raises(ValueError):
        parse_pattern("L{3")
    with pytest.raises(ValueError):
        formats_for(["xx"])


def test_missing_font_names_the_package(monkeypatch):
    monkeypatch.setitem(fonts.FONTS, "din", ("/nonexistent/OSP-DIN.ttf", "fonts-opendin"))
    with pytest.raises(FileNotFoundError, match="fonts-opendin"):
        fonts.font_path("din")
    with pytest.raises(FileNotFoundError, match="packages fonts-opendin"):
        fonts.check_fonts()
    monkeypatch.setitem(fonts.FONTS, "narrow", ("no_such_font_package:files/X.ttf", "no-such-font (pip)"))
    with pytest.raises(FileNotFoundError, match="no-such-font"):
        fonts.font_path("narrow")


def test_python_packaged_font_is_found_and_renders():
    path = fonts.font_path("narrow-bold")
    assert path.is_file() and path.suffix == ".ttf"
    w = fonts.glyph("narrow-bold", "W", 40.0)
    d = fonts.glyph("sans-bold", "W", 40.0)
    assert w.ink is not None and d.ink is not None
    assert w.ink[3] - w.ink[1] == pytest.approx(40, abs=2)           # sized by cap height
    assert (w.ink[2] - w.ink[0]) < (d.ink[2] - d.ink[0])             # and narrower than DejaVu Sans


# --------------------------------------------------------------------------- rendered boxes vs ink

def ink_mask(plate: RenderedPlate) -> np.ndarray:
    """Pixels at least half-way from the background colour towards the text colour."""
    bg = np.asarray(plate.background_color, np.float32)
    direction = np.asarray(plate.text_color, np.float32) - bg
    t = ((plate.image.astype(np.float32) - bg) @ direction) / float(direction @ direction)
    return t >= 0.5


def glyph_pixels(plate: RenderedPlate, ink: np.ndarray) -> list[np.ndarray]:
    """Per character: the ink components whose majority lies inside its box (a boolean mask)."""
    n, labels = cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)
    areas = np.bincount(labels.ravel(), minlength=n)
    result = []
    for box in plate.chars:
        x1, y1, x2, y2 = int(box.x1), int(box.y1), int(box.x2), int(box.y2)
        inside = np.bincount(labels[y1:y2, x1:x2].ravel(), minlength=n)
        own = [c for c in range(1, n) if inside[c] * 2 > areas[c]]
        result.append(np.isin(labels, own))
    return result


def _check_boxes_against_ink(plate: RenderedPlate) -> None:
    h, w = plate.image.shape[:2]
    ink = ink_mask(plate)
    for box, glyph in zip(plate.chars, glyph_pixels(plate, ink)):
        x1, y1, x2, y2 = int(box.x1), int(box.y1), int(box.x2), int(box.y2)
        assert (x1, y1, x2, y2) == (box.x1, box.y1, box.x2, box.y2)       # whole pixels
        assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
        total = int(glyph.sum())
        assert total > 0, f"no ink found for {box}"
        inside = int(glyph[y1:y2, x1:x2].sum())
        assert inside >= 0.95 * total, (box, inside, total)
        region = ink[y1:y2, x1:x2]
        # tight: every border row and column of the box holds ink
        assert region[0].any() and region[-1].any() and region[:, 0].any() and region[:, -1].any(), box
        ys, xs = np.nonzero(glyph)
        assert abs(xs.min() - x1) <= 1 and abs(xs.max() + 1 - x2) <= 1, (box, xs.min(), xs.max())
        assert abs(ys.min() - y1) <= 1 and abs(ys.max() + 1 - y2) <= 1, (box, ys.min(), ys.max())
    for i, a in enumerate(plate.chars):                     # characters never overlap
        for b in plate.chars[i + 1:]:
            assert a.x2 <= b.x1 or b.x2 <= a.x1 or a.y2 <= b.y1 or b.y2 <= a.y1, (a, b)


@pytest.mark.parametrize("key", sorted(FORMATS_BY_KEY))
def test_rendered_boxes_match_the_ink(key):
    fmt = FORMATS_BY_KEY[key]
    rng = np.random.default_rng(3)
    for k, cap in enumerate((20.0, 34.0, 56.0)):
        plate = render_plate(fmt, generate_text(fmt, rng), rng, cap_px=cap, holder_probability=0.5)
        assert plate.image.dtype == np.uint8 and plate.image.shape[2] == 3
        assert plate.alpha.shape == plate.image.shape[:2]
        assert "".join(b.label for b in plate.chars) == plate.text.chars
        _check_boxes_against_ink(plate)


def test_plate_aspect_follows_the_format():
    rng = np.random.default_rng(4)
    for key, aspect in (("de", 520 / 110), ("us", 305 / 152), ("uk-square", 279 / 203)):
        fmt = FORMATS_BY_KEY[key]
        plate = render_plate(fmt, generate_text(fmt, rng), rng, cap_px=40.0, holder_probability=0.0)
        b = plate.plate_box
        assert b.width / b.height == pytest.approx(aspect, rel=0.03)
        assert plate.image.shape[:2] == (round(b.height), round(b.width))


# --------------------------------------------------------------------------- perspective

def test_warped_boxes_contain_their_glyphs():
    """Warp a map of each glyph's ink pixels (nearest neighbour) with the plate's geometry: every
    warped ink pixel centre lies in that glyph's warped box. Enlarging views warp in one step and
    must be exact; shrinking ones first resize the map (nearest again), which moves a pixel's
    centre by up to half a resized pixel: a 0.6 px tolerance."""
    rng = np.random.default_rng(5)
    strong = ViewRange(yaw_std=25, max_yaw=45, pitch_std=12, max_pitch=25, roll_std=6, max_roll=12,
                       distance=(1.2, 3.0))
    for trial in range(24):
        plate = random_plate(FORMATS, rng, cap_px=float(rng.uniform(24, 56)))
        label_map = np.zeros(plate.image.shape[:2], np.uint8)
        for i, glyph in enumerate(glyph_pixels(plate, ink_mask(plate))):
            label_map[glyph] = i + 1
        enlarge = trial % 4 < 2
        width = plate.plate_box.width * float(rng.uniform(1.0, 1.5) if enlarge else rng.uniform(0.12, 0.9))
        geometry = sample_geometry((plate.image.shape[1], plate.image.shape[0]), plate.plate_box, width, rng,
                                   strong if trial % 2 else ViewRange())
        assert (geometry.prescale == 1.0) == enlarge
        tolerance = 1e-6 if enlarge else 0.6
        warped = warp_plate(plate, geometry)
        warped_labels = warp_image(label_map, geometry, nearest=True)
        h, w = warped.image.shape[:2]
        assert warped.alpha.shape == (h, w) and (w, h) == geometry.size
        assert warped.plate_box.width == pytest.approx(width, rel=0.02)
        for i, box in enumerate(warped.chars):
            assert 0 <= box.x1 < box.x2 <= w and 0 <= box.y1 < box.y2 <= h, box
            ys, xs = np.nonzero(warped_labels == i + 1)
            if xs.size == 0:      # a glyph can vanish in nearest sampling at a tiny size
                continue
            cx, cy = xs + 0.5, ys + 0.5
            inside = ((cx >= box.x1 - tolerance) & (cx <= box.x2 + tolerance)
                      & (cy >= box.y1 - tolerance) & (cy <= box.y2 + tolerance))
            assert inside.all(), (trial, box, inside.mean())
            # and the box is not much larger than the glyph's bounding box (pixel rounding, perspective)
            assert box.width <= (xs.max() - xs.min() + 1) * 1.25 + 3 and box.height <= (ys.max() - ys.min() + 1) * 1.25 + 3
        # the plate's box contains every character
        pb = warped.plate_box
        assert all(pb.x1 - 1 <= b.x1 and b.x2 <= pb.x2 + 1 and pb.y1 - 1 <= b.y1 and b.y2 <= pb.y2 + 1
                   for b in warped.chars)


def test_flat_geometry_is_a_plain_scale():
    rng = np.random.default_rng(6)
    plate = random_plate(FORMATS, rng, cap_px=40.0, holder_probability=0.0)
    g = sample_geometry((plate.image.shape[1], plate.image.shape[0]), plate.plate_box, plate.plate_box.width / 2,
                        rng, FLAT, margin=0)
    b = plate.chars[0]
    t = transform_box(b, g.full_matrix)
    assert (t.x1, t.y1, t.x2, t.y2) == pytest.approx((b.x1 / 2, b.y1 / 2, b.x2 / 2, b.y2 / 2), abs=1e-6)


def test_photometric_effects_are_seeded_and_change_pixels():
    from lpr.synth import augment

    plate = random_plate(FORMATS, np.random.default_rng(12), cap_px=40.0)
    image, alpha = plate.image, plate.alpha
    effects = {
        "gradient": lambda r: augment.lighting_gradient(image, r),
        "shadow": lambda r: augment.shadow(image, r),
        "dirt": lambda r: augment.dirt(image, r),
        "glare": lambda r: augment.glare(image, r),
        "contrast": lambda r: augment.brightness_contrast(image, r),
        "cast": lambda r: augment.color_cast(image, r),
        "noise": lambda r: augment.gaussian_noise(image, r),
        "blur": lambda r: augment.blur_layer(image, alpha, r, 40.0)[0],
        "motion": lambda r: augment._blur_layer(image, alpha, augment.motion_kernel(r.uniform(4, 9), r.uniform(0, 90)))[0],
        "jpeg": lambda r: augment.jpeg(image, r, (20, 40)),
    }
    for name, effect in effects.items():
        a, b, c = effect(np.random.default_rng(1)), effect(np.random.default_rng(1)), effect(np.random.default_rng(2))
        assert a.shape == image.shape and a.dtype == np.uint8, name
        assert a.tobytes() == b.tobytes(), name
        assert a.tobytes() != image.tobytes(), name
        assert a.tobytes() != c.tobytes(), name
    kernel = augment.motion_kernel(7.0, 0.0)
    assert kernel.sum() == pytest.approx(1.0) and kernel[kernel.shape[0] // 2].sum() > 0.9   # horizontal streak


# --------------------------------------------------------------------------- determinism

def _plate_bytes(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    plate = random_plate(FORMATS, rng)
    warped = augment_plate(plate, 120.0, rng)
    boxes = repr([(b.label, b.x1, b.y1, b.x2, b.y2) for b in warped.chars]).encode()
    return plate.image.tobytes() + warped.image.tobytes() + warped.alpha.tobytes() + boxes


def test_same_seed_same_bytes_other_seed_other_bytes():
    assert _plate_bytes(11) == _plate_bytes(11)
    assert _plate_bytes(11) != _plate_bytes(12)
    scene = procedural_background(np.random.default_rng(0), (320, 180))
    a = compose_scene(scene, (), FORMATS, np.random.default_rng(7))
    b = compose_scene(scene, (), FORMATS, np.random.default_rng(7))
    c = compose_scene(scene, (), FORMATS, np.random.default_rng(8))
    assert a.image.tobytes() == b.image.tobytes() and a.plates == b.plates
    assert a.image.tobytes() != c.image.tobytes()


# --------------------------------------------------------------------------- scenes and crops

def test_composed_scenes_keep_plates_inside_and_apart():
    rng = np.random.default_rng(9)
    real = (Box("plate", 100.0, 200.0, 180.0, 222.0), Box("plate", 400.0, 300.0, 470.0, 318.0))
    counts = []
    for k in range(20):
        scene = procedural_background(rng, (640, 360))
        composed = compose_scene(scene, real, FORMATS, rng, widths=(60.0, 400.0))
        h, w = composed.image.shape[:2]
        assert composed.image.shape == scene.shape and composed.image.dtype == np.uint8
        boxes = [p.box for p in composed.plates]
        assert boxes[:2] == list(real) and [p.kind for p in composed.plates[:2]] == ["real-frame"] * 2
        counts.append(len(boxes) - 2)
        for p in composed.plates:
            b = p.box
            assert 0 <= b.x1 < b.x2 <= w and 0 <= b.y1 < b.y2 <= h, b
            if p.kind == "synthetic":
                assert "".join(c.label for c in p.chars) == p.text
                assert all(b.x1 - 1 <= c.x1 and c.x2 <= b.x2 + 1 and b.y1 - 1 <= c.y1 and c.y2 <= b.y2 + 1
                           for c in p.chars)
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert a.x2 <= b.x1 or b.x2 <= a.x1 or a.y2 <= b.y1 or b.y2 <= a.y1, (a, b)
    assert max(counts) >= 2 and min(counts) >= 1


def test_real_crops_stand_in_for_plates_without_characters():
    rng = np.random.default_rng(10)
    crop = cv2.resize(procedural_background(rng, (40, 10)), (120, 26))
    scene = procedural_background(rng, (640, 360))
    composed = compose_scene(scene, (), FORMATS, rng, crops=lambda r: crop, real_crop_fraction=1.0)
    assert composed.plates and all(p.kind == "real-crop" and p.chars == () and p.text is None
                                   for p in composed.plates)


def test_real_plates_overdrawn_by_synthetic_ones_in_place():
    rng = np.random.default_rng(12)
    real = (Box("plate", 200.0, 200.0, 300.0, 222.0),)
    scene = procedural_background(rng, (640, 360))
    cv2.rectangle(scene, (200, 200), (300, 222), (255, 255, 255), -1)      # a white "real plate"
    us = formats_for(["us"])
    composed = compose_scene(scene, real, us, rng, plates=(0, 0), replace_fraction=1.0)
    (plate,) = composed.plates
    assert plate.kind == "synthetic" and plate.country == "us" and len(plate.chars) == len(plate.text)
    b = plate.box
    # centred on the real plate, as wide as a 305 mm plate on a car carrying a 520 mm one (+-15 %)
    assert abs((b.x1 + b.x2) / 2 - 250) <= 3 and abs((b.y1 + b.y2) / 2 - 211) <= 3
    assert 100 * 305 / 520 * 0.8 <= b.width <= 100 * 305 / 520 * 1.3
    # the white plate is gone where the new one does not cover it (painted over)
    left = composed.image[203:219, 202:int(b.x1) - 3]
    assert left.size and left.mean() < 200
    # replace_fraction 0 (the default) keeps the real plate, labelled and unpainted
    kept = compose_scene(scene, real, us, np.random.default_rng(5), plates=(1, 1))
    assert kept.plates[0] == PlacedPlate(real[0], "real-frame")
    assert (kept.image[203:219, 202:298] == 255).all()


def test_plate_and_char_crops():
    rng = np.random.default_rng(11)
    background = procedural_background(rng, (300, 200))
    for _ in range(10):
        crop = plate_crop(FORMATS, rng, background)
        h, w = crop.image.shape[:2]
        assert "".join(b.label for b in crop.chars) == crop.text
        assert all(0 <= b.x1 < b.x2 <= w and 0 <= b.y1 < b.y2 <= h for b in crop.chars)
        pb = crop.plate_box
        assert pb.width >= 0.7 * w                  # a small margin around the plate, not a scene
    for c in "0A8BZ":
        one = char_crop(FORMATS, c, rng, None)
        assert one.char == c and one.image.ndim == 3 and min(one.image.shape[:2]) >= 3


def test_the_synthetic_drive_is_seeded_and_staggers_its_vehicles(tmp_path):
    import hashlib

    from lpr.synth.video import DrivePlate, write_drive_video

    def frames(path):
        capture = cv2.VideoCapture(str(path))
        out = []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            out.append(frame)
        capture.release()
        return out

    a = write_drive_video(tmp_path / "a.avi", vehicles=3, frames=40, size=(320, 180), seed=5)
    b = write_drive_video(tmp_path / "b.avi", vehicles=3, frames=40, size=(320, 180), seed=5)
    c = write_drive_video(tmp_path / "c.avi", vehicles=3, frames=40, size=(320, 180), seed=6)
    assert a == b and a != c
    assert all(isinstance(p, DrivePlate) and p.text.isalnum() for p in a)
    assert [(p.first, p.last) for p in a] == [(0, 19), (10, 29), (20, 39)]   # at most two in view at once
    read_a, read_b = frames(tmp_path / "a.avi"), frames(tmp_path / "b.avi")
    assert len(read_a) == 40 and read_a[0].shape == (180, 320, 3)
    digest = [hashlib.sha1(f.tobytes()).hexdigest() for f in read_a]
    assert digest == [hashlib.sha1(f.tobytes()).hexdigest() for f in read_b]
    assert len(set(digest)) == 40                                       # the vehicles move


@pytest.mark.parametrize("bad", [{"vehicles": 0}, {"frames": 1}, {"size": (32, 32)}, {"formats": ("xx",)},
                                 {"formats": ()}])
def test_the_synthetic_drive_refuses_nonsense(tmp_path, bad):
    from lpr.synth.video import write_drive_video

    with pytest.raises(ValueError):
        write_drive_video(tmp_path / "x.avi", **bad)
