"""A synthetic drive: generated plates on car-like shapes moving through a still street scene,
written as a video with its ground truth. For trying ``lpr video`` without footage, and for
its tests and benchmark (seeded: the same arguments write the same frames).

    truth = write_drive_video("drive.avi", vehicles=3, frames=150, seed=1)
    # [DrivePlate(text='1ABC234', first=0, last=59), ...]
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .compose import paste
from .formats import FORMATS_BY_KEY, generate_text
from .render import RenderedPlate, render_plate

PLATE_WIDTHS = (0.09, 0.2)     # share of the frame width: as a vehicle comes closer
LANES = (0.22, 0.78)           # where vehicles drive (share of the frame width when near); the two in
                               # view at a time are in different lanes, so no plate is hidden
CAR_WIDTH = 2.4                # the car's back, in plate widths


@dataclass(frozen=True)
class DrivePlate:
    """One vehicle of the drive: its plate's text (letters and digits) and the frames it is in
    view (first, last; inclusive)."""

    text: str
    first: int
    last: int


def _street(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A still BGR scene: sky-to-asphalt gradient, lane marks, some texture."""
    import cv2

    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    sky, road = np.array([200, 190, 170], np.float32), np.array([85, 85, 90], np.float32)
    horizon = 0.35
    mix = np.clip((rows - horizon) / (1.0 - horizon), 0.0, 1.0)[..., None]
    scene = np.broadcast_to(sky * (1.0 - mix) + road * mix, (height, width, 3)).copy()
    scene += rng.normal(0.0, 6.0, scene.shape).astype(np.float32)
    scene = np.clip(scene, 0, 255).astype(np.uint8)
    vanish = (width // 2, int(height * horizon))
    for x in (-width // 2, width // 2, int(width * 1.5)):
        cv2.line(scene, vanish, (x, height), (220, 220, 220), max(2, width // 320), cv2.LINE_AA)
    return scene


def _frame_plan(frames: int, vehicles: int) -> list[tuple[int, int]]:
    """(first, last) frame of each vehicle: evenly staggered, each in view for two steps, so at
    most two are in view at once (the next one in the other lane)."""
    step = frames / (vehicles + 1)
    return [(int(round(k * step)), min(int(round((k + 2) * step)), frames) - 1) for k in range(vehicles)]


def write_drive_video(path: str | os.PathLike, *, formats: Sequence[str] = ("be", "fr", "de", "nl"),
                      vehicles: int = 3, frames: int = 150, size: tuple[int, int] = (1280, 720),
                      fps: float = 25.0, seed: int = 0) -> list[DrivePlate]:
    """Write the drive to ``path`` (.avi: Motion JPEG; otherwise mp4v) and return each vehicle's
    plate and frames. ``formats``: lpr.synth format keys, taken in turn; ``size``: (width,
    height). ValueError for an unknown format or nonsense sizes; OSError when OpenCV cannot
    write the file."""
    import cv2

    if vehicles < 1 or frames < 2:
        raise ValueError(f"need at least one vehicle and two frames, got {vehicles} and {frames}")
    width, height = (int(v) for v in size)
    if width < 64 or height < 64:
        raise ValueError(f"the frame must be at least 64x64, got {width}x{height}")
    unknown = [k for k in formats if k not in FORMATS_BY_KEY]
    if unknown or not formats:
        raise ValueError(f"unknown plate format(s) {unknown} (known: {', '.join(FORMATS_BY_KEY)})")
    rng = np.random.default_rng(seed)
    scene = _street(width, height, rng)
    plan = _frame_plan(frames, vehicles)
    cars = []
    for k, (first, last) in enumerate(plan):
        fmt = FORMATS_BY_KEY[formats[k % len(formats)]]
        plate = render_plate(fmt, generate_text(fmt, rng), rng, width_px=width * PLATE_WIDTHS[1] * 1.5,
                             holder_probability=0.0, variation=False)
        lane = LANES[k % len(LANES)]
        colour = tuple(int(c) for c in rng.integers(30, 200, 3))
        cars.append((plate, first, last, lane, colour))
    fourcc = "MJPG" if str(path).lower().endswith(".avi") else "mp4v"
    writer = cv2.VideoWriter(os.fspath(path), cv2.VideoWriter_fourcc(*fourcc), fps, (width, height))
    if not writer.isOpened():
        writer.release()
        raise OSError(f"OpenCV cannot write {os.fspath(path)!r} ({fourcc})")
    try:
        for index in range(frames):
            frame = scene.copy()
            # the farthest (smallest) vehicles first, so nearer ones cover them
            visible = sorted((c for c in cars if c[1] <= index <= c[2]),
                             key=lambda c: (index - c[1]) / (c[2] - c[1] + 1))
            for plate, first, last, lane, colour in visible:
                _draw_vehicle(frame, plate, (index - first) / max(last - first, 1), lane, colour)
            writer.write(frame)
    finally:
        writer.release()
    return [DrivePlate(p.text.chars, first, last) for p, first, last, _, _ in cars]


def _draw_vehicle(frame: np.ndarray, plate: RenderedPlate, progress: float, lane: float,
                  colour: tuple[int, int, int]) -> None:
    """The car's back and its plate, ``progress`` (0..1) of the way from far to near."""
    import cv2

    height, width = frame.shape[:2]
    share = PLATE_WIDTHS[0] + (PLATE_WIDTHS[1] - PLATE_WIDTHS[0]) * progress
    plate_w = max(8, int(round(width * share)))
    scale = plate_w / plate.plate_box.width
    image = cv2.resize(plate.image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    alpha = cv2.resize(plate.alpha, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_AREA)
    cx = width * (0.5 + (lane - 0.5) * (0.6 + 0.4 * progress))
    cy = height * (0.55 + 0.3 * progress)
    x, y = int(round(cx - image.shape[1] / 2)), int(round(cy - image.shape[0] / 2))
    car_w, car_h = int(plate_w * CAR_WIDTH), int(plate_w * CAR_WIDTH / 2)
    cv2.rectangle(frame, (int(cx - car_w / 2), int(cy - car_h * 0.7)), (int(cx + car_w / 2), int(cy + car_h * 0.3)),
                  colour, -1, cv2.LINE_AA)
    paste(frame, np.ascontiguousarray(image[..., ::-1]), alpha, x, y)      # RGB -> BGR
