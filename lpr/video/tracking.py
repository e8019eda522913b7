"""Follow plates from frame to frame and settle each vehicle's text by vote.

    tracker = PlateTracker()
    for index, frame in enumerate(frames):
        for report in tracker.update(index, reader.read(frame)):
            print(report.track_id, report.text, report.frames)
    for report in tracker.finish():
        ...

Association (per update, one plate per track): pairs whose IoU is at least ``iou`` are taken
greedily, best first; tracks and plates left over are then paired by centre distance relative
to the plate width (fast motion leaves no overlap), nearest first, unless the plate's text is
plainly not the track's (OTHER_TEXT: another vehicle arriving where one left). Both compare
against where a track is expected to be (its last box moved by its recent velocity) as well as
its last box.

Voting (see TextVoter): texts are compared in compact form (letters and digits, ``1ABC234``);
each reading votes with its confidence. The text vote takes the text with the largest summed
confidence; the per-position vote takes, among readings of the most supported length, the
character with the largest summed confidence at each position. The report carries whichever is
better supported, and says which in ``method``.

Settling: a track whose last ``settle`` readings all give the text its vote stands on is
settled. ``needs_reading`` tells the caller which of a frame's plate boxes belong to settled
tracks, so they need not be read again (lpr.video.runner passes them to ``update`` as ``seen``:
they move the track and keep it open, without a vote); a settled track is still read every
``reread`` updates, and a reading that disagrees unsettles it.
"""
from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher

from ..data.boxes import xyxy_iou
from ..results import Box, PlateRead, valid_box

TEXT, CHARS = "text", "chars"
OTHER_TEXT = 0.5    # a plate paired by centre distance alone whose text agrees with the track's vote
                    # less than this (difflib ratio: 2 x matching characters / both lengths) is
                    # another vehicle's; a misread of the same plate (a character or two) agrees more


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class Vote:
    """The text a set of readings settles on.

    ``text``: as written by the reading it came from (``1-ABC-234``); ``compact``: letters and
    digits only. ``confidence``: the mean confidence of the votes behind the winner (per-position
    vote: the mean over positions of the mean confidence of the readings that agree there).
    ``votes``: readings that back it (per-position vote: at its weakest position).
    ``support``: their summed confidence (per-position vote: at the weakest position).
    ``method``: "text" (a whole text won) or "chars" (assembled position by position).
    ``country``/``format``: of the winning reading (per-position vote: of the format the
    assembled text fits, None when it fits none).
    """

    text: str
    compact: str
    confidence: float
    votes: int
    support: float
    method: str
    country: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class TrackReport:
    """One tracked plate (one vehicle), reported when its track ends.

    ``frames``: (first, last) frame index where the plate was seen (read, or found and left
    unread because its track was settled); ``box``: of the most
    confident reading, in frame ``best_frame``; ``readings``: plates the track collected
    (``votes`` of them back ``text``, see Vote); ``method``: "text" or "chars" (see Vote).
    """

    track_id: int
    text: str
    confidence: float
    votes: int
    frames: tuple[int, int]
    box: Box
    country: str | None
    format: str | None
    readings: int
    method: str
    best_frame: int

    @property
    def compact(self) -> str:
        return "".join(c for c in self.text.upper() if c.isalnum())

    def to_dict(self) -> dict:
        data = asdict(self)
        data["frames"] = list(self.frames)
        data["box"] = [float(v) for v in self.box]
        return data


# --------------------------------------------------------------------------- voting

def _weight(plate: PlateRead) -> float:
    value = float(plate.confidence)
    return value if math.isfinite(value) and value > 0.0 else 0.0


class _Tally:
    __slots__ = ("total", "count", "best", "best_weight")

    def __init__(self) -> None:
        self.total, self.count = 0.0, 0
        self.best: PlateRead | None = None
        self.best_weight = -1.0

    def add(self, plate: PlateRead, weight: float) -> None:
        self.total += weight
        self.count += 1
        if weight > self.best_weight:
            self.best, self.best_weight = plate, weight

    @property
    def key(self) -> tuple[float, int]:
        return self.total, self.count


class TextVoter:
    """Collects readings of one plate and votes its text (incrementally: adding a reading and
    voting cost the number of distinct texts, not the number of readings)."""

    def __init__(self) -> None:
        self._texts: dict[str, _Tally] = {}
        self._lengths: dict[int, _Tally] = {}
        self._positions: dict[int, list[dict[str, list[float]]]] = {}

    def add(self, plate: PlateRead) -> None:
        """Count ``plate``'s reading (one without letters or digits is ignored)."""
        compact = plate.compact
        if not compact:
            return
        weight = _weight(plate)
        self._texts.setdefault(compact, _Tally()).add(plate, weight)
        self._lengths.setdefault(len(compact), _Tally()).add(plate, weight)
        columns = self._positions.setdefault(len(compact), [{} for _ in compact])
        for column, char in zip(columns, compact):
            cell = column.setdefault(char, [0.0, 0])
            cell[0] += weight
            cell[1] += 1

    def __bool__(self) -> bool:
        return bool(self._texts)

    def result(self) -> Vote | None:
        """The winning text, None before any reading with letters or digits."""
        if not self._texts:
            return None
        # max() keeps the first of equals: ties go to the text (character) seen first
        winner = max(self._texts, key=lambda t: self._texts[t].key)
        won = self._texts[winner]
        length = max(self._lengths, key=lambda n: self._lengths[n].key)
        chars, sums, counts = [], [], []
        for column in self._positions[length]:
            char = max(column, key=lambda c: (column[c][0], column[c][1]))
            chars.append(char)
            sums.append(column[char][0])
            counts.append(int(column[char][1]))
        assembled = "".join(chars)
        weakest = min(sums)
        if assembled == winner or weakest <= won.total:
            best = won.best
            return Vote(text=best.text, compact=winner, confidence=won.total / won.count, votes=won.count,
                        support=won.total, method=TEXT, country=best.country, format=best.format)
        confidence = sum(s / n for s, n in zip(sums, counts)) / len(chars)
        text, country, fmt = self._written(assembled, self._lengths[length].best)
        return Vote(text=text, compact=assembled, confidence=confidence, votes=min(counts), support=weakest,
                    method=CHARS, country=country, format=fmt)

    def _written(self, compact: str, template: PlateRead) -> tuple[str, str | None, str | None]:
        """How to write a per-position result: as a reading of exactly that text did, else in the
        template reading's country format when it fits, else in the template's layout."""
        if compact in self._texts:
            best = self._texts[compact].best
            return best.text, best.country, best.format
        if template.country:
            from ..formats import clean_candidates, match_plate

            try:
                match = match_plate(clean_candidates(compact), countries=[template.country])
            except ValueError:       # a country the rules do not know
                match = None
            if match is not None and match.compact == compact:
                return match.text, match.country, match.format
        layout = list(template.text)
        fill = iter(compact)
        slots = [i for i, c in enumerate(layout) if c.isalnum()]
        if len(slots) != len(compact) or len(template.text.upper()) != len(template.text):
            return compact, None, None
        for i in slots:
            layout[i] = next(fill)
        return "".join(layout), None, None


def vote(readings: Iterable[PlateRead]) -> Vote | None:
    """Vote the text of several readings of one plate (see TextVoter); None when none has text."""
    voter = TextVoter()
    for plate in readings:
        voter.add(plate)
    return voter.result()


# --------------------------------------------------------------------------- geometry

def _area(box: Sequence[float]) -> float:
    return max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0)


def _centre_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """Centre distance over the larger plate width (height where that is larger)."""
    scale = max(a[2] - a[0], b[2] - b[0], a[3] - a[1], b[3] - b[1], 1e-6)
    dx = (a[0] + a[2] - b[0] - b[2]) / 2.0
    dy = (a[1] + a[3] - b[1] - b[3]) / 2.0
    return math.hypot(dx, dy) / scale


# --------------------------------------------------------------------------- tracker

class _Track:
    __slots__ = ("track_id", "first", "last", "box", "velocity", "missed", "readings", "best", "best_weight",
                 "best_frame", "voter", "recent", "last_read")

    def __init__(self, frame: int, plate: PlateRead, update: int, settle: int) -> None:
        self.track_id: int | None = None
        self.first = self.last = frame
        self.box = tuple(float(v) for v in plate.box)
        self.velocity: tuple[float, ...] | None = None
        self.missed = 0
        self.readings = 0
        self.best: PlateRead = plate
        self.best_weight = -1.0
        self.best_frame = frame
        self.voter = TextVoter()
        self.recent: deque[str] = deque(maxlen=max(settle, 1))   # the last readings' compact texts
        self.last_read = update
        self._add_reading(frame, plate, update)

    def _add_reading(self, frame: int, plate: PlateRead, update: int) -> None:
        self.readings += 1
        self.voter.add(plate)
        self.recent.append(plate.compact)
        self.last_read = update
        weight = _weight(plate)
        if weight > self.best_weight:
            self.best, self.best_weight, self.best_frame = plate, weight, frame

    def move(self, frame: int, box: Box) -> None:
        """Seen at ``box`` in ``frame``: the box, its velocity and the last frame follow."""
        step = (frame - self.last) or 1
        moved = tuple((n - o) / step for n, o in zip(box, self.box))
        self.velocity = moved if self.velocity is None else tuple(0.5 * (v + m) for v, m in zip(self.velocity, moved))
        self.box, self.last, self.missed = box, frame, 0

    def add(self, frame: int, plate: PlateRead, update: int) -> None:
        self.move(frame, tuple(float(v) for v in plate.box))
        self._add_reading(frame, plate, update)

    def settled(self, settle: int) -> bool:
        """Whether the last ``settle`` readings all read the text the vote stands on."""
        if settle < 1 or len(self.recent) < settle or len(set(self.recent)) != 1:
            return False
        result = self.voter.result()
        return result is not None and result.compact == self.recent[-1]

    def predicted(self, frame: int) -> tuple[float, ...]:
        if self.velocity is None:
            return self.box
        ahead = frame - self.last
        return tuple(b + v * ahead for b, v in zip(self.box, self.velocity))

    def report(self) -> TrackReport | None:
        result = self.voter.result()
        if result is None or self.track_id is None:
            return None
        return TrackReport(track_id=self.track_id, text=result.text, confidence=result.confidence,
                           votes=result.votes, frames=(self.first, self.last),
                           box=tuple(float(v) for v in self.best.box), country=result.country,
                           format=result.format, readings=self.readings, method=result.method,
                           best_frame=self.best_frame)


class PlateTracker:
    """Groups the plates of successive frames into tracks, one per vehicle.

    - ``iou``: the least overlap (with the track's last or expected box) that continues a track.
    - ``max_missed``: updates in a row a track may go without a plate; one more ends it. Counted
      in updates (processed frames), so reading every Nth frame keeps the same patience in updates.
    - ``min_hits``: tracks with fewer readings are dropped as noise (never reported, and they take
      no track id: ids count reported tracks 1, 2, 3 ...).
    - ``max_distance``: the fallback for fast motion pairs a track and a plate whose centres are at
      most this many plate widths apart (sizes within a factor 2), unless the plate was read as
      another text (OTHER_TEXT); 0 turns the fallback off.
    - ``settle``: a track whose last ``settle`` readings agree with its vote is settled: its
      plate need not be read in the next frames (``needs_reading``); 0: never settled.
    - ``reread``: a settled track's plate is still read once every ``reread`` updates.

    ``update`` returns the reports of tracks that ended on that frame; ``finish`` ends the rest.
    Frame indices must increase from one update to the next (gaps are fine).
    """

    def __init__(self, iou: float = 0.3, max_missed: int = 5, min_hits: int = 2, *,
                 max_distance: float = 1.0, settle: int = 3, reread: int = 10) -> None:
        if not 0.0 < iou <= 1.0:
            raise ValueError(f"iou must be in (0, 1], got {iou}")
        if int(max_missed) != max_missed or max_missed < 0:
            raise ValueError(f"max_missed must be a whole number >= 0, got {max_missed}")
        if int(min_hits) != min_hits or min_hits < 1:
            raise ValueError(f"min_hits must be a whole number >= 1, got {min_hits}")
        if not max_distance >= 0.0:
            raise ValueError(f"max_distance must be >= 0, got {max_distance}")
        if int(settle) != settle or settle < 0:
            raise ValueError(f"settle must be a whole number >= 0, got {settle}")
        if int(reread) != reread or reread < 1:
            raise ValueError(f"reread must be a whole number >= 1, got {reread}")
        self.iou, self.max_missed, self.min_hits = float(iou), int(max_missed), int(min_hits)
        self.max_distance = float(max_distance)
        self.settle, self.reread = int(settle), int(reread)
        self._updates = 0
        self._tracks: list[_Track] = []
        self._last_frame: int | None = None
        self._next_id = 1
        self._assigned: list[_Track | None] = []

    @property
    def active(self) -> int:
        """Tracks still open (confirmed or not)."""
        return len(self._tracks)

    def _pair(self, frame: int, boxes: Sequence[Box | None], fallback: bool = True,
              texts: Sequence[str | None] = ()) -> dict[int, int]:
        """box index -> track index for this frame (None boxes pair with nothing); `fallback`:
        also pair by centre distance (max_distance) what overlaps nothing, unless the box's
        compact text (`texts`, None or missing for an unread box) is another plate's."""
        expected = [t.predicted(frame) for t in self._tracks]
        candidates = []
        for ti, track in enumerate(self._tracks):
            for pi, box in enumerate(boxes):
                if box is None:
                    continue
                overlap = max(xyxy_iou(expected[ti], box), xyxy_iou(track.box, box))
                if overlap >= self.iou:
                    candidates.append((-overlap, ti, pi))
        pairs: dict[int, int] = {}
        used: set[int] = set()
        for _, ti, pi in sorted(candidates):
            if ti not in used and pi not in pairs:
                pairs[pi] = ti
                used.add(ti)
        if fallback and self.max_distance > 0:
            candidates = []
            read = any(texts)
            for ti, track in enumerate(self._tracks):
                if ti in used:
                    continue
                voted = track.voter.result() if read else None     # only read plates are compared
                for pi, box in enumerate(boxes):
                    if box is None or pi in pairs:
                        continue
                    text = texts[pi] if pi < len(texts) else None
                    if text and voted is not None and SequenceMatcher(None, voted.compact, text).ratio() < OTHER_TEXT:
                        continue
                    small, large = sorted((_area(track.box), _area(box)))
                    if large <= 0 or small / large < 0.25:
                        continue
                    distance = min(_centre_distance(expected[ti], box), _centre_distance(track.box, box))
                    if distance <= self.max_distance:
                        candidates.append((distance, ti, pi))
            for _, ti, pi in sorted(candidates):
                if ti not in used and pi not in pairs:
                    pairs[pi] = ti
                    used.add(ti)
        return pairs

    def needs_reading(self, frame_index: int, boxes: Sequence[Box]) -> list[bool]:
        """For each of a frame's plate boxes (before update): False when it overlaps a settled,
        confirmed (min_hits) track that was read less than ``reread`` updates ago, so it need
        not be read now; True otherwise (a new plate, a track still voting, a settled one due for
        a re-read, or one that jumped: a box paired only by centre distance may be another
        vehicle's)."""
        checked = [valid_box(b) for b in boxes]
        pairs = self._pair(int(frame_index), checked, fallback=False)
        need = []
        for bi in range(len(checked)):
            track = self._tracks[pairs[bi]] if bi in pairs else None
            need.append(track is None or track.track_id is None or not track.settled(self.settle)
                        or self._updates + 1 - track.last_read >= self.reread)
        return need

    def update(self, frame_index: int, plates: Sequence[PlateRead], seen: Sequence[Box] = ()) -> list[TrackReport]:
        """Add one frame's plates (call it for every processed frame, with [] when none was
        found); returns the reports of the tracks that ended here (most recent last).
        ``seen``: boxes of plates found but not read (see needs_reading): each moves the track it
        pairs with and keeps it open, without a vote; one that pairs with no track is dropped."""
        frame_index = int(frame_index)
        if self._last_frame is not None and frame_index <= self._last_frame:
            raise ValueError(f"frame indices must increase: {frame_index} after {self._last_frame}")
        self._last_frame = frame_index
        self._updates += 1
        seen_boxes = [valid_box(b) for b in seen]
        boxes = [valid_box(p.box) for p in plates] + seen_boxes
        pairs = self._pair(frame_index, boxes, texts=[p.compact for p in plates])
        tracks = list(self._tracks)
        matched = set(pairs.values())
        assigned: list[_Track | None] = []
        for pi, plate in enumerate(plates):
            if pi in pairs:
                track = tracks[pairs[pi]]
                track.add(frame_index, plate, self._updates)
            elif boxes[pi] is not None:
                track = _Track(frame_index, plate, self._updates, self.settle)
                self._tracks.append(track)
            else:
                track = None
            if track is not None and track.track_id is None and track.readings >= self.min_hits and track.voter:
                track.track_id = self._next_id
                self._next_id += 1
            assigned.append(track)
        for si, box in enumerate(seen_boxes, start=len(plates)):
            track = tracks[pairs[si]] if si in pairs else None
            if track is not None:
                track.move(frame_index, box)
            assigned.append(track)
        self._assigned = assigned
        ended = []
        for ti, track in enumerate(tracks):
            if ti not in matched:
                track.missed += 1
                if track.missed > self.max_missed:
                    ended.append(track)
        if ended:
            gone = set(map(id, ended))
            self._tracks = [t for t in self._tracks if id(t) not in gone]
        return self._reports(ended)

    def snapshot(self) -> list[TrackReport | None]:
        """For each plate of the last update, then each of its ``seen`` boxes, what its track
        would report now (None while the track is not confirmed: fewer than min_hits readings;
        None for a seen box that paired with no track)."""
        return [t.report() if t is not None else None for t in self._assigned]

    def finish(self) -> list[TrackReport]:
        """End every open track and return the reports (by first frame); the tracker can then
        be fed again (track ids keep counting)."""
        ended, self._tracks, self._assigned, self._last_frame = self._tracks, [], [], None
        self._updates = 0
        return self._reports(ended)

    @staticmethod
    def _reports(tracks: Iterable[_Track]) -> list[TrackReport]:
        reports = [r for r in (t.report() for t in tracks) if r is not None]
        return sorted(reports, key=lambda r: (r.frames[0], r.track_id))
