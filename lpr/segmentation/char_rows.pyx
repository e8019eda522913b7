# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The contour segmenter's geometry, compiled: from one ink mask's connected components to rows
of character boxes, and how plausible they are as a plate's characters.

    ink_mask(image, lo, hi, dark, ...) -> mask     the pixels far enough from their background
    connected_components(mask) -> n, labels, stats  as cv2.connectedComponentsWithStats numbers them
    components(labels, stats) -> Components         the components that may be characters, the
                                                    height most of them share
    read(found, splitting) -> Reading               rows of characters (top row first, left to right)
    same_colour(reading, colour, chroma)            its rows without the blobs of another ink colour

lpr.segmentation.contours makes the work image and its local range (OpenCV) and chooses among
the readings. This module holds the rules' constants; every number it computes is the one the
pure-Python segmenter of 2026-12-06 computed (the same float operations in the same order: the
test tests/test_lpr_contour_segmenter.py::test_segmentations_match_the_recorded_reference holds
it to that), only without the interpreter's cost on the many small lists of a crop's blobs.
"""
from libc.math cimport fabs, hypot, rint, sqrt
from libc.stdlib cimport free, malloc

import numpy as np

# --------------------------------------------------------------------------- parameters
# sizes are shares of the work image's "unit" (the root of its area) or of a row's character
# height (hr); see lpr.segmentation.contours for the work size

MIN_AREA_SHARE = 0.0005     # of the unit squared: smaller components are noise, dust, JPEG blocks
MAX_HEIGHT_SHARE = 0.95     # of the work height: taller components are the plate or its border
MAX_WIDTH_SHARE = 0.7       # of the work width: wider ones are borders, bands, the plate body
MIN_CHAR_SHARE = 0.08       # of the unit: a character of a plate with a wide margin is ~0.2
FULL_SIZE = 0.15            # of the unit: readings with smaller characters score less (synthetic crops: 0.18-0.3)
CORE_ASPECT = (0.08, 4.0)   # width / height of components that vote for the character height (touching pairs too)
HEIGHT_TOLERANCE = 0.2      # components within this share of each other's height are the same size
ROW_GAP = 0.55              # centres further apart (share of the character height) than this start a new row
MAX_ROWS = 2                # plates have one or two rows of characters
TWO_ROW_SPAN = 4.6          # character heights: the rows of two-row plates are at most ~3.7 wide, one-row ones 5-8
MAX_STACKED_ROW = 5         # a row of more core components than this gets no second row (two-row plates: 2-5 a row)
MAX_ROW_PITCH = 2.2         # two rows' centres are at most this many character heights apart (1.2-1.5 on plates)
ROW_BAND = 0.45             # a component joins a row when its centre is this close (share of height) to the row line
MAX_SLOPE = 0.3             # rows steeper than this (rolled ~17 deg) are not plates the crop came from
MERGE_OVERLAP = 0.5         # pieces overlapping horizontally by this share of the narrower are one character
MERGE_MAX_HEIGHT = 1.2      # ... when together they are at most this tall (share of the row's character height)
MERGE_MAX_GAP = 0.12        # ... and no further apart vertically than this (a glyph broken by a thin stroke)
SPLIT_WIDTH = 1.55          # components wider than this many median character widths may be touching characters
SPLIT_MIN_ASPECT = 0.8      # ... and only when wider than this share of their height (narrow pairs like "11" stay)
FORCE_SPLIT = 1.25          # ... always cut when wider than this share of the row's height (a wide 'W' is 1.2)
SPLIT_MAX_FILL = 0.85       # ... and never a nearly solid bar (a strip of the plate's edge or of shadow)
MIN_PIECE = 0.2             # share of the row's height: no cut leaves a piece narrower than this
SPLIT_MAX_INK = 0.34        # the cut column holds at most this share of the character height in ink
SPLITTING = (SPLIT_WIDTH, SPLIT_MIN_ASPECT, SPLIT_MAX_INK)
EAGER_SPLITTING = (1.3, 0.45, 0.5)  # the eager alternatives': narrow fonts' touching pairs ("15", "11") are
                                    # cut too, and a wide glyph (M, W) sometimes with them
FINAL_HEIGHT = (0.62, 1.25) # a character's height relative to its row's: dashes, dots, bands, borders fail
FINAL_ASPECT = (0.07, 1.3)  # width / height of one character: 'I' is thin, 'W' of a wide font about 1.1
MAX_CHARS = 12              # more "characters" than this is texture, not a registration
COLOUR_DISTANCE = 55        # a row's blob this far (chroma) from the row's median colour is not a character
LIGHT_REFERENCE = 200.0     # ... chroma measured as if the plate around the blob were this bright (grey level)
MIN_LIGHT = 16.0            # ... and no darker than this (a black patch has no colour to scale)
STRAY_WIDTH = 0.22          # share of the row height: a blob thinner than this at a row's end (a '1' is 0.25-0.3) ...
STRAY_GAP = 0.9             # ... and further than this from the next one is an edge, not a '1' or 'I'

# the same numbers as C values for the loops below
cdef double C_MIN_AREA = MIN_AREA_SHARE, C_MAX_HEIGHT = MAX_HEIGHT_SHARE, C_MAX_WIDTH = MAX_WIDTH_SHARE
cdef double C_MIN_CHAR = MIN_CHAR_SHARE, C_FULL_SIZE = FULL_SIZE
cdef double C_CORE_MIN = CORE_ASPECT[0], C_CORE_MAX = CORE_ASPECT[1], C_TOLERANCE = HEIGHT_TOLERANCE
cdef double C_ROW_GAP = ROW_GAP, C_TWO_ROW_SPAN = TWO_ROW_SPAN, C_ROW_PITCH = MAX_ROW_PITCH
cdef double C_ROW_BAND = ROW_BAND, C_MAX_SLOPE = MAX_SLOPE
cdef double C_MERGE_OVERLAP = MERGE_OVERLAP, C_MERGE_HEIGHT = MERGE_MAX_HEIGHT, C_MERGE_GAP = MERGE_MAX_GAP
cdef double C_FORCE_SPLIT = FORCE_SPLIT, C_SPLIT_FILL = SPLIT_MAX_FILL, C_MIN_PIECE = MIN_PIECE
cdef double C_LOW = FINAL_HEIGHT[0], C_HIGH = FINAL_HEIGHT[1]
cdef double C_ASPECT_MIN = FINAL_ASPECT[0], C_ASPECT_MAX = FINAL_ASPECT[1]
cdef double C_COLOUR_DISTANCE = COLOUR_DISTANCE, C_LIGHT_REFERENCE = LIGHT_REFERENCE, C_MIN_LIGHT = MIN_LIGHT
cdef double C_STRAY_WIDTH = STRAY_WIDTH, C_STRAY_GAP = STRAY_GAP
cdef int C_MAX_ROWS = MAX_ROWS, C_STACKED = MAX_STACKED_ROW, C_MAX_CHARS = MAX_CHARS


# --------------------------------------------------------------------------- results

cdef class Blob:
    """A component (or several merged) in work pixels: box [x1, x2) x [y1, y2), ink area, its
    labels (`ids`); width, height, centre and fill (ink / box area) set once."""

    cdef readonly int x1, y1, x2, y2, w, h
    cdef readonly long area
    cdef readonly tuple ids
    cdef readonly double cx, cy, fill

    def __init__(self, int x1, int y1, int x2, int y2, long area, tuple ids):
        _set(self, x1, y1, x2, y2, area, ids)

    def merged(self, Blob other):
        """One blob of both (the union of the boxes, the sum of the ink)."""
        return _merged(self, other)

    def __repr__(self):
        return f"Blob({self.x1}, {self.y1}, {self.x2}, {self.y2}, area={self.area}, ids={self.ids})"


cdef inline Blob _set(Blob b, int x1, int y1, int x2, int y2, long area, tuple ids):
    b.x1, b.y1, b.x2, b.y2, b.area, b.ids = x1, y1, x2, y2, area, ids
    b.w, b.h = x2 - x1, y2 - y1
    b.cx, b.cy = (x1 + x2) / 2.0, (y1 + y2) / 2.0
    b.fill = area / <double>(b.w * b.h if b.w * b.h > 1 else 1)
    return b


cdef inline Blob _blob(int x1, int y1, int x2, int y2, long area, tuple ids):
    return _set(Blob.__new__(Blob), x1, y1, x2, y2, area, ids)


cdef Blob _merged(Blob a, Blob b):
    return _blob(min(a.x1, b.x1), min(a.y1, b.y1), max(a.x2, b.x2), max(a.y2, b.y2), a.area + b.area,
                 a.ids + b.ids)


cdef class Components:
    """An ink mask's connected components before rows are built from them (the part of a reading
    that does not depend on how touching glyphs are cut, so readings of one mask with different
    cuts share it): its labels and stats, the components that may be (part of) a character,
    the core ones that are about the dominant character height, and that height (0: no core)."""

    cdef readonly object labels, stats
    cdef readonly list blobs, core
    cdef readonly double height

    def __init__(self, labels, stats, list blobs, list core, double height):
        self.labels, self.stats, self.blobs, self.core, self.height = labels, stats, blobs, core, height


cdef class Reading:
    """The rows of characters read from one ink mask (top row first, left to right), how
    plausible they are as a plate's (`score`), and the components they were read from."""

    cdef public list rows
    cdef public double score
    cdef readonly object labels, stats

    def __init__(self, list rows, double score, labels=None, stats=None):
        self.rows, self.score, self.labels, self.stats = rows, score, labels, stats


# --------------------------------------------------------------------------- small numeric helpers
# (each the same float operations as the Python they replace: statistics.median, numpy's sums)

cdef void _insertion_sort(double* v, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef double x
    for i in range(1, n):
        x = v[i]
        j = i - 1
        while j >= 0 and v[j] > x:
            v[j + 1] = v[j]
            j -= 1
        v[j + 1] = x


cdef double _median(double* v, Py_ssize_t n) noexcept nogil:
    """statistics.median of v[:n] (n >= 1; sorts v in place)."""
    _insertion_sort(v, n)
    if n % 2:
        return v[n // 2]
    return (v[n // 2 - 1] + v[n // 2]) / 2


cdef double _numpy_sum(double* a, Py_ssize_t n) noexcept nogil:
    """np.add.reduce of a contiguous 1-d float64 array: numpy's pairwise sum (eight running sums
    in blocks of up to 128 values, the blocks' sums added in halves)."""
    return _pairwise_sum(a, n)


cdef double _pairwise_sum(double* a, Py_ssize_t n) noexcept nogil:
    cdef double r[8]
    cdef double res
    cdef Py_ssize_t i, j, n2
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    if n <= 128:
        for j in range(8):
            r[j] = a[j]
        i = 8
        while i < n - (n % 8):
            for j in range(8):
                r[j] += a[i + j]
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n:
            res += a[i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise_sum(a, n2) + _pairwise_sum(a + n2, n - n2)


def numpy_sum(values):
    """_numpy_sum of a sequence of floats (for the test that holds it to numpy's)."""
    cdef Py_ssize_t n = len(values), i
    cdef double* a = <double*>malloc((n + 1) * sizeof(double))
    try:
        for i in range(n):
            a[i] = values[i]
        return _numpy_sum(a, n)
    finally:
        free(a)


cdef class _Doubles:
    """A C array of doubles owned by a Python object (freed with it)."""

    cdef double* v
    cdef Py_ssize_t n

    def __cinit__(self, Py_ssize_t n):
        self.v = <double*>malloc((n if n > 0 else 1) * sizeof(double))
        self.n = n
        if self.v == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.v)


cdef enum _Field:
    X1, CX, CY, HEIGHT


cdef _Doubles _values(list blobs, _Field field):
    """One field of each blob, as doubles."""
    cdef Py_ssize_t n = len(blobs), i
    cdef _Doubles d = _Doubles(n)
    cdef Blob b
    for i in range(n):
        b = blobs[i]
        d.v[i] = b.x1 if field == X1 else (b.cx if field == CX else (b.cy if field == CY else b.h))
    return d


cdef double _median_cy(list blobs):
    cdef _Doubles values = _values(blobs, CY)      # held: its array must outlive the call
    return _median(values.v, len(blobs))


cdef double _median_h(list blobs):
    cdef _Doubles values = _values(blobs, HEIGHT)
    return _median(values.v, len(blobs))


cdef list _stable_sorted(list items, double* keys, bint descending=False):
    """items ordered by keys (ascending or descending), equal keys in their order (as sorted())."""
    cdef Py_ssize_t n = len(items), i, j, o
    cdef double k
    cdef Py_ssize_t* order = <Py_ssize_t*>malloc((n if n > 0 else 1) * sizeof(Py_ssize_t))
    if order == NULL:
        raise MemoryError()
    try:
        for i in range(n):
            order[i] = i
        for i in range(1, n):
            o = order[i]
            k = keys[o]
            j = i - 1
            while j >= 0 and ((keys[order[j]] < k) if descending else (keys[order[j]] > k)):
                order[j + 1] = order[j]
                j -= 1
            order[j + 1] = o
        return [items[order[i]] for i in range(n)]
    finally:
        free(order)


cdef list _sorted_by(list blobs, _Field field):
    """The blobs ordered by one field, ties in their order."""
    cdef _Doubles keys = _values(blobs, field)
    return _stable_sorted(blobs, keys.v)


# --------------------------------------------------------------------------- components

def components(labels, stats):
    """The components of one ink mask (cv2.connectedComponentsWithStats' int32 `labels` and
    `stats`, label 0 the background) that rows are built from: those of a character's possible
    size away from the crop's sides, the core ones of about the dominant height, that height."""
    cdef const int[:, ::1] st = stats
    cdef Py_ssize_t n = st.shape[0], i
    cdef int wh = labels.shape[0], ww = labels.shape[1]
    cdef double unit = sqrt(<double>(wh * ww))
    cdef int x, y, w, h
    cdef list blobs = [], core = []
    cdef Blob b
    if n <= 1:
        return Components(labels, stats, blobs, core, 0.0)
    for i in range(1, n):
        x, y, w, h = st[i, 0], st[i, 1], st[i, 2], st[i, 3]
        # cut by the crop's side: background, the plate's edge
        if (st[i, 4] >= C_MIN_AREA * unit * unit and h <= C_MAX_HEIGHT * wh and w <= C_MAX_WIDTH * ww
                and x > 0 and x + w < ww):
            b = _blob(x, y, x + w, y + h, st[i, 4], (<int>i,))
            blobs.append(b)
            if b.h >= C_MIN_CHAR * unit and C_CORE_MIN <= b.w / <double>b.h <= C_CORE_MAX:
                core.append(b)
    if not core:
        return Components(labels, stats, blobs, core, 0.0)
    cdef double height = _dominant_height(core)
    core = [b for b in core if fabs(b.h - height) <= C_TOLERANCE * height]
    return Components(labels, stats, blobs, core, height)


cdef double _dominant_height(list core):
    """The height most components share (within HEIGHT_TOLERANCE); ties go to the taller."""
    cdef Py_ssize_t n = len(core), i, j, most = -1, count, votes
    cdef _Doubles h = _Doubles(n), members = _Doubles(n)
    cdef double top = 0.0
    for i in range(n):
        h.v[i] = (<Blob>core[i]).h
    for i in range(n):
        votes = 0
        for j in range(n):
            votes += fabs(h.v[j] - h.v[i]) <= C_TOLERANCE * h.v[i]
        if votes > most:
            most, top = votes, h.v[i]
        elif votes == most and h.v[i] > top:
            top = h.v[i]
    count = 0
    for i in range(n):
        if fabs(h.v[i] - top) <= C_TOLERANCE * top:
            members.v[count] = h.v[i]
            count += 1
    return _median(members.v, count)


# --------------------------------------------------------------------------- rows

def read(Components found, splitting=SPLITTING):
    """The characters of one ink mask from its components, and how plausible they are.
    `splitting`: (SPLIT_WIDTH, SPLIT_MIN_ASPECT, SPLIT_MAX_INK), when a component is cut as
    touching glyphs."""
    cdef double s0 = splitting[0], s1 = splitting[1], s2 = splitting[2]
    cdef const int[:, ::1] labels = found.labels
    cdef list rows = [], row, group
    cdef Py_ssize_t count = 0, i, k
    cdef Blob b
    if not found.core:         # -1: no ink at all (only the background's label)
        return Reading([], -1.0 if len(found.stats) <= 1 else 0.0, found.labels, found.stats)
    for group in _row_groups(found.core, found.height):
        row = _build_row(group, found.blobs, labels, s0, s1, s2)
        if row:
            rows.append(row)
    cdef _Doubles keys = _Doubles(len(rows))
    for i in range(len(rows)):
        keys.v[i] = _median_cy(rows[i])
    rows = _stable_sorted(rows, keys.v)
    for row in rows:
        count += len(row)
    if not count:
        return Reading([], 0.0, found.labels, found.stats)
    cdef _Doubles heights = _Doubles(count)
    k = 0
    for row in rows:
        for b in row:
            heights.v[k] = b.h
            k += 1
    cdef double spread = _spread(heights.v, count)
    cdef double plausible = <double>(count if count <= C_MAX_CHARS else C_MAX_CHARS - (count - C_MAX_CHARS)) \
        - (spread if spread < 1.0 else 1.0)
    # small print and texture make long rows of tiny "characters": a plate's are large in its crop
    cdef double unit = sqrt(<double>(labels.shape[0] * labels.shape[1]))
    cdef double size = _median(heights.v, count) / (C_FULL_SIZE * unit)   # (sorts the heights: after _spread)
    return Reading(rows, plausible * (size if size < 1.0 else 1.0), found.labels, found.stats)


cdef double _spread(double* values, Py_ssize_t n):
    """values.std() / values.mean(): numpy's sums of the same floats in the same order."""
    cdef double mean = _numpy_sum(values, n) / n
    cdef _Doubles squares = _Doubles(n)
    cdef Py_ssize_t i
    for i in range(n):
        squares.v[i] = (values[i] - mean) * (values[i] - mean)
    return sqrt(_numpy_sum(squares.v, n) / n) / mean


cdef list _row_groups(list core, double height):
    """Core components clustered by their vertical centres (a gap over ROW_GAP heights starts a
    new cluster): the largest cluster, and a second one stacked over or under it (two-row
    plates: the upper row has several characters, the lower one may have a single one)."""
    cdef list ordered = _sorted_by(core, CY), groups, g, main, kept
    cdef Blob b
    cdef Py_ssize_t i
    cdef double x1, x2, cy, gy, gx1, gx2
    cdef list current = [ordered[0]]
    groups = [current]
    for b in ordered[1:]:
        if b.cy - (<Blob>current[len(current) - 1]).cy > C_ROW_GAP * height:
            current = [b]
            groups.append(current)
        else:
            current.append(b)
    cdef _Doubles keys = _Doubles(len(groups))
    for i in range(len(groups)):
        g = groups[i]
        keys.v[i] = len(g) * 1e9
        for b in g:
            keys.v[i] += b.w
    groups = _stable_sorted(groups, keys.v, True)
    main = groups[0]
    kept = [main]
    if len(main) > C_STACKED:
        return kept         # a one-row plate's: what lies under or over it is the plate's edge, print
    x1, x2, cy = _min_x1(main), _max_x2(main), _median_cy(main)
    for g in groups[1:]:
        if len(kept) == C_MAX_ROWS:
            break
        gy, gx1, gx2 = _median_cy(g), _min_x1(g), _max_x2(g)
        if fabs(gy - cy) > C_ROW_PITCH * height or not x1 <= (gx1 + gx2) / 2 <= x2:
            continue        # not stacked on the main row: print, texture, the scene
        if len(g) == 1 and gy < cy:
            continue        # a lone blob over the row (plates' upper rows hold several characters)
        if max(x2, gx2) - min(x1, gx1) > C_TWO_ROW_SPAN * height:
            continue        # rows of two-row plates are short (their plates are nearly square)
        kept.append(g)
    return kept


cdef double _min_x1(list blobs):
    cdef Blob b
    cdef int m = (<Blob>blobs[0]).x1
    for b in blobs:
        if b.x1 < m:
            m = b.x1
    return m


cdef double _max_x2(list blobs):
    cdef Blob b
    cdef int m = (<Blob>blobs[0]).x2
    for b in blobs:
        if b.x2 > m:
            m = b.x2
    return m


cdef (double, double) _row_line(list group):
    """Intercept and slope of the row's centre line (median of pairwise slopes)."""
    cdef Py_ssize_t n = len(group), i, j, k = 0
    cdef Blob a, b
    cdef double slope = 0.0
    if n < 2:
        return (<Blob>group[0]).cy, 0.0
    cdef _Doubles slopes = _Doubles(n * (n - 1) // 2), intercepts = _Doubles(n)
    for i in range(n):
        a = group[i]
        for j in range(i + 1, n):
            b = group[j]
            if fabs(b.cx - a.cx) > 1e-6:
                slopes.v[k] = (b.cy - a.cy) / (b.cx - a.cx)
                k += 1
    if k:
        slope = _median(slopes.v, k)
        slope = min(max(slope, -C_MAX_SLOPE), C_MAX_SLOPE)
    for i in range(n):
        b = group[i]
        intercepts.v[i] = b.cy - slope * b.cx
    return _median(intercepts.v, n), slope


cdef list _build_row(list group, list blobs, const int[:, ::1] labels, double s0, double s1, double s2):
    """The characters of one row: its core components, the pieces near its centre line merged,
    touching characters cut, what is not character-like dropped."""
    cdef double hr = _median_h(group), intercept, slope, median_w
    intercept, slope = _row_line(group)
    cdef list members = [], split = [], row = []
    cdef Blob b
    cdef Py_ssize_t n = 0
    for b in blobs:
        if fabs(b.cy - (intercept + slope * b.cx)) <= C_ROW_BAND * hr + 0.5 * max(hr - b.h, 0.0) \
                and b.h <= C_HIGH * hr:
            members.append(b)
    members = _merge_pieces(members, hr)
    cdef _Doubles widths = _Doubles(len(members))
    for b in members:
        if C_LOW * hr <= b.h and b.w <= hr:
            widths.v[n] = b.w
            n += 1
    median_w = _median(widths.v, n) if n else 0.6 * hr
    for b in members:
        if C_LOW * hr <= b.h and b.fill <= C_SPLIT_FILL and (
                b.w > C_FORCE_SPLIT * hr or (b.w > s0 * median_w and b.w > s1 * b.h)):
            _split(split, b, median_w, hr, labels, s0, s1, s2)
        else:
            split.append(b)
    for b in split:
        if (C_LOW * hr <= b.h <= C_HIGH * hr and C_ASPECT_MIN <= b.w / <double>b.h <= C_ASPECT_MAX
                and fabs(b.cy - (intercept + slope * b.cx)) <= C_ROW_BAND * hr):
            row.append(b)
    return _drop_stray_ends(_sorted_by(row, CX), hr)


cdef list _drop_stray_ends(list row, double hr):
    """Drop a thin blob standing far beyond either end of the row (the plate's edge, a post)."""
    cdef Py_ssize_t first = 0, end = len(row)
    while end - first >= 3 and (<Blob>row[first]).w < C_STRAY_WIDTH * hr \
            and (<Blob>row[first + 1]).x1 - (<Blob>row[first]).x2 > C_STRAY_GAP * hr:
        first += 1
    while end - first >= 3 and (<Blob>row[end - 1]).w < C_STRAY_WIDTH * hr \
            and (<Blob>row[end - 1]).x1 - (<Blob>row[end - 2]).x2 > C_STRAY_GAP * hr:
        end -= 1
    return row if first == 0 and end == len(row) else row[first:end]


cdef list _merge_pieces(list members, double hr):
    """Join pieces stacked over each other (one character broken by a thin stroke or a shadow)."""
    cdef list items = _sorted_by(members, X1)
    cdef bint changed = True
    cdef Py_ssize_t i, j
    cdef Blob a, b
    cdef int overlap, union_h
    while changed:
        changed = False
        for i in range(len(items)):
            a = items[i]
            for j in range(i + 1, len(items)):
                b = items[j]
                if b.x1 >= a.x2:
                    break
                overlap = min(a.x2, b.x2) - max(a.x1, b.x1)
                if overlap < C_MERGE_OVERLAP * min(a.w, b.w):
                    continue
                union_h = max(a.y2, b.y2) - min(a.y1, b.y1)
                if not C_LOW * hr <= union_h <= C_MERGE_HEIGHT * hr:
                    continue    # pointless (still no character) or too tall
                if max(a.y1, b.y1) - min(a.y2, b.y2) > C_MERGE_GAP * hr:
                    continue    # far apart vertically: a dash and a speck, not one glyph
                if a.h >= C_LOW * hr and b.h >= C_LOW * hr:
                    continue    # two whole characters (or a character and a tall neighbour): keep apart
                items[i] = _merged(a, b)
                del items[j]
                changed = True
                break
            if changed:
                break
    return items


# --------------------------------------------------------------------------- touching glyphs

cdef class _Mask:
    """One blob's ink (its labels within its box) as column sums and per-row running ink counts."""

    cdef int h, w
    cdef long* column_ink        # w
    cdef int* row_ink            # h x (w + 1): ink in row r left of column c

    def __cinit__(self, int h, int w):
        self.h, self.w = h, w
        self.column_ink = <long*>malloc((w if w > 0 else 1) * sizeof(long))
        self.row_ink = <int*>malloc((h * (w + 1) if h > 0 else 1) * sizeof(int))
        if self.column_ink == NULL or self.row_ink == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.column_ink)
        free(self.row_ink)


cdef class _Ids:
    """A blob's component labels as a C array (freed with it)."""

    cdef int* v
    cdef Py_ssize_t n

    def __cinit__(self, tuple ids):
        cdef Py_ssize_t k
        self.n = len(ids)
        self.v = <int*>malloc((self.n if self.n > 0 else 1) * sizeof(int))
        if self.v == NULL:
            raise MemoryError()
        for k in range(self.n):
            self.v[k] = ids[k]

    def __dealloc__(self):
        free(self.v)

    cdef inline bint holds(self, int label) noexcept:
        cdef Py_ssize_t k
        for k in range(self.n):
            if self.v[k] == label:
                return True
        return False


cdef _Mask _ink_mask(Blob b, const int[:, ::1] labels):
    cdef _Mask m = _Mask(b.h, b.w)
    cdef _Ids ids = _Ids(b.ids)
    cdef Py_ssize_t r, c
    cdef int running, inside
    for c in range(b.w):
        m.column_ink[c] = 0
    for r in range(b.h):
        running = 0
        m.row_ink[r * (b.w + 1)] = 0
        for c in range(b.w):
            inside = ids.holds(labels[b.y1 + r, b.x1 + c])
            running += inside
            m.column_ink[c] += inside
            m.row_ink[r * (b.w + 1) + c + 1] = running
    return m


cdef void _split(list out, Blob b, double median_w, double hr, const int[:, ::1] labels,
                 double s0, double s1, double s2) except *:
    """Cut a component holding touching characters into characters (appended to `out`):
    recursively at the column with the least ink while a piece is wider than one character,
    always when no character is that wide, otherwise only where the column is nearly empty.
    Pieces are column ranges of the blob's ink, each trimmed to its ink."""
    _cut(out, _ink_mask(b, labels), b, 0, b.w, 0, median_w, hr, s0, s1, s2)


cdef void _cut(list out, _Mask m, Blob b, int c1, int c2, int depth, double median_w, double hr,
               double s0, double s1, double s2) except *:
    cdef int c, r, first = -1, last = -1, r1 = -1, r2 = -1, w, h, edge, k, at = -1
    cdef long area = 0
    cdef double value, best = 0.0
    cdef bint forced
    for c in range(c1, c2):
        if m.column_ink[c]:
            if first < 0:
                first = c
            last = c
    if first < 0:
        return
    c1, c2 = first, last + 1
    for r in range(m.h):
        if m.row_ink[r * (m.w + 1) + c2] - m.row_ink[r * (m.w + 1) + c1]:
            if r1 < 0:
                r1 = r
            r2 = r + 1
    for c in range(c1, c2):
        area += m.column_ink[c]
    h, w = r2 - r1, c2 - c1
    piece = _blob(b.x1 + c1, b.y1 + r1, b.x1 + c2, b.y1 + r2, area, b.ids)
    forced = w > C_FORCE_SPLIT * hr
    if depth >= C_MAX_CHARS or not (forced or (w > s0 * median_w and w > s1 * h)):
        out.append(piece)
        return
    edge = max(1, <int>rint(C_MIN_PIECE * hr))
    if w - 2 * edge < 1:
        out.append(piece)
        return
    # among equally thin columns prefer the middle (a cut near an end leaves a sliver)
    for k in range(edge, w - edge):
        value = <double>m.column_ink[c1 + k] + 0.5 * (fabs(k - (w - 1) / 2.0) / w)
        if at < 0 or value < best:
            at, best = k, value
    if not forced and m.column_ink[c1 + at] > s2 * hr:
        out.append(piece)
        return
    _cut(out, m, b, c1, c1 + at, depth + 1, median_w, hr, s0, s1, s2)
    _cut(out, m, b, c1 + at + 1, c2, depth + 1, median_w, hr, s0, s1, s2)


# --------------------------------------------------------------------------- colour

def same_colour(Reading reading, colour, dict chroma):
    """The reading's rows without the blobs whose ink differs in colour from their row's: a
    plate's characters share one colour; the EU band, the stickers and coloured emblems do not.
    `colour`: the BGR crop at the work size (uint8). `chroma` keeps each blob's ink colour for
    other readings of the same components (key: the labels array's id, the box, the component
    ids: only for the life of those arrays)."""
    cdef const unsigned char[:, :, ::1] bgr = colour
    cdef const int[:, ::1] labels = reading.labels
    cdef list rows = [], row, kept
    cdef Py_ssize_t n, i
    cdef Blob b
    cdef object key
    cdef tuple ink
    cdef double mb, mg
    cdef _Doubles blue, green, sb, sg
    for row in reading.rows:
        n = len(row)
        if n >= 3:
            blue, green = _Doubles(n), _Doubles(n)
            sb, sg = _Doubles(n), _Doubles(n)
            for i in range(n):
                b = row[i]
                key = (id(reading.labels), b.x1, b.y1, b.x2, b.y2, b.ids)
                ink = chroma.get(key)
                if ink is None:
                    ink = _ink_chroma(labels, b, bgr)
                    chroma[key] = ink
                blue.v[i] = ink[0]
                green.v[i] = ink[1]
                sb.v[i] = ink[0]
                sg.v[i] = ink[1]
            mb = _median(sb.v, n)
            mg = _median(sg.v, n)
            kept = []
            for i in range(n):
                if hypot(blue.v[i] - mb, green.v[i] - mg) <= C_COLOUR_DISTANCE:
                    kept.append(row[i])
            row = kept
        if row:
            rows.append(row)
    return rows


cdef tuple _ink_chroma(const int[:, ::1] labels, Blob b, const unsigned char[:, :, ::1] bgr):
    """The chroma of a blob's ink (blue - red, green - the mean of blue and red), scaled by the
    light on it: ink's chroma grows with the light, so it is scaled by the brighter of the ink
    and the plate around it, and a plate half in shadow keeps one colour (cv2.mean's averages:
    each sum times the reciprocal of the count)."""
    cdef long ink[3]
    cdef long rest[3]
    cdef long n_ink = 0, n_rest = 0
    cdef Py_ssize_t r, c, k
    cdef _Ids ids = _Ids(b.ids)
    cdef double blue = 0.0, green = 0.0, red = 0.0, ab = 0.0, ag = 0.0, ar = 0.0, light, scale
    for k in range(3):
        ink[k] = 0
        rest[k] = 0
    for r in range(b.y1, b.y2):
        for c in range(b.x1, b.x2):
            if ids.holds(labels[r, c]):
                n_ink += 1
                for k in range(3):
                    ink[k] += bgr[r, c, k]
            else:
                n_rest += 1
                for k in range(3):
                    rest[k] += bgr[r, c, k]
    if n_ink:
        blue, green, red = ink[0] * (1.0 / n_ink), ink[1] * (1.0 / n_ink), ink[2] * (1.0 / n_ink)
    if n_rest:
        ab, ag, ar = rest[0] * (1.0 / n_rest), rest[1] * (1.0 / n_rest), rest[2] * (1.0 / n_rest)
    light = max((ab + ag + ar) / 3, (blue + green + red) / 3)
    scale = C_LIGHT_REFERENCE / max(light, C_MIN_LIGHT)
    return scale * (blue - red), scale * (green - (blue + red) / 2)


# --------------------------------------------------------------------------- connected components

cdef inline Py_ssize_t _root(Py_ssize_t* parent, Py_ssize_t i) noexcept nogil:
    cdef Py_ssize_t r = i, next_
    while parent[r] != r:
        r = parent[r]
    while parent[i] != r:         # path compression
        next_ = parent[i]
        parent[i] = r
        i = next_
    return r


cdef inline Py_ssize_t _join(Py_ssize_t* parent, Py_ssize_t* first, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    """Union of the sets of provisional labels a and b; the root is the smaller label, and keeps
    the earlier of the two sets' first blocks."""
    a = _root(parent, a)
    b = _root(parent, b)
    if a == b:
        return a
    if b < a:
        a, b = b, a
    parent[b] = a
    if first[b] < first[a]:
        first[a] = first[b]
    return a


cdef struct _Run:
    int r, s, e          # row, columns [s, e)
    Py_ssize_t label     # provisional label


def connected_components(const unsigned char[:, ::1] ink):
    """cv2.connectedComponentsWithStats(ink, connectivity=8)[:3] of a 0/1 mask, numbered as
    cv2's block-based labellers number them (label 0 the background, the others in the order
    of the first 2x2 block of pixels they touch, blocks in raster order): the number of labels,
    int32 labels and int32 stats rows (x, y, width, height, area; the background's row is left
    0: nothing reads it). Runs of ink along each row joined to the runs they touch in the row
    above (union-find), then written out: a few times quicker than OpenCV on a crop's small
    masks, whose set-up costs more than the labelling."""
    cdef Py_ssize_t h = ink.shape[0], w = ink.shape[1], r, c, start, end, n = 0, nruns = 0, k, j
    cdef Py_ssize_t prev_start = 0, prev_end = 0, label, key, count
    cdef Py_ssize_t blocks_w = (w + 1) // 2, blocks = ((h + 1) // 2) * blocks_w
    cdef Py_ssize_t most_runs = h * ((w + 1) // 2) + 1
    labels = np.zeros((h, w), dtype=np.int32)
    cdef int[:, ::1] lab = labels
    cdef int[:, ::1] st
    cdef int* row
    cdef const unsigned char* src
    cdef _Run* runs = <_Run*>malloc(most_runs * sizeof(_Run))
    cdef Py_ssize_t* parent = <Py_ssize_t*>malloc((most_runs + 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t* first = <Py_ssize_t*>malloc((most_runs + 1) * sizeof(Py_ssize_t))  # a set's first block
    cdef Py_ssize_t* by_block = <Py_ssize_t*>malloc((blocks + 1) * sizeof(Py_ssize_t))  # the set first there
    cdef Py_ssize_t* final = NULL
    try:
        if runs == NULL or parent == NULL or first == NULL or by_block == NULL:
            raise MemoryError()
        with nogil:
            for r in range(h):
                src = &ink[r, 0]
                j = prev_start
                c = 0
                start = nruns
                while c < w:
                    if not src[c]:
                        c += 1
                        continue
                    k = c
                    while c < w and src[c]:
                        c += 1
                    key = (r // 2) * blocks_w + k // 2
                    label = 0
                    while j < prev_end and runs[j].e < k:      # ends left of this run's left neighbour
                        j += 1
                    end = j
                    while end < prev_end and runs[end].s <= c:  # touches [k - 1, c] in the row above
                        label = runs[end].label if label == 0 else _join(parent, first, label, runs[end].label)
                        end += 1
                    if label == 0:
                        n += 1
                        parent[n] = n
                        first[n] = key
                        label = n
                    else:
                        label = _root(parent, label)
                        if key < first[label]:
                            first[label] = key
                    runs[nruns].r, runs[nruns].s, runs[nruns].e, runs[nruns].label = <int>r, <int>k, <int>c, label
                    nruns += 1
                prev_start, prev_end = start, nruns
            for k in range(blocks + 1):
                by_block[k] = 0
            for k in range(1, n + 1):
                if parent[k] == k:
                    by_block[first[k]] = k
        final = <Py_ssize_t*>malloc((n + 1) * sizeof(Py_ssize_t))
        if final == NULL:
            raise MemoryError()
        count = 0
        with nogil:
            for key in range(blocks):
                if by_block[key]:
                    count += 1
                    final[by_block[key]] = count
            for k in range(1, n + 1):
                final[k] = final[_root(parent, k)]
        stats = np.zeros((count + 1, 5), dtype=np.int32)
        st = stats
        with nogil:
            for k in range(1, count + 1):
                st[k, 0], st[k, 1], st[k, 2], st[k, 3] = <int>w, <int>h, -1, -1
            for j in range(nruns):
                k = final[runs[j].label]
                r = runs[j].r
                row = &lab[r, 0]
                for c in range(runs[j].s, runs[j].e):
                    row[c] = <int>k
                if runs[j].s < st[k, 0]:
                    st[k, 0] = runs[j].s
                if runs[j].e - 1 > st[k, 2]:
                    st[k, 2] = runs[j].e - 1
                if st[k, 3] < 0:
                    st[k, 1] = <int>r
                st[k, 3] = <int>r
                st[k, 4] += runs[j].e - runs[j].s
            for k in range(1, count + 1):            # last column and row -> width and height
                st[k, 2] = st[k, 2] - st[k, 0] + 1
                st[k, 3] = st[k, 3] - st[k, 1] + 1
        return count + 1, labels, stats
    finally:
        free(runs)
        free(parent)
        free(first)
        free(by_block)
        free(final)


# --------------------------------------------------------------------------- ink

def ink_mask(const unsigned char[:, ::1] image, const unsigned char[:, ::1] lo, const unsigned char[:, ::1] hi,
             bint dark, int sixteenths, int contrast):
    """uint8 0/1 mask of the pixels of `image` at least `sixteenths`/16 of their local range
    (lo..hi) away from the background side (below it for `dark` ink, above it for light),
    where that range is at least `contrast` grey levels (elsewhere no ink)."""
    cdef Py_ssize_t h = image.shape[0], w = image.shape[1], r, c
    cdef int low, span, threshold
    if lo.shape[0] != h or lo.shape[1] != w or hi.shape[0] != h or hi.shape[1] != w:
        raise ValueError("ink_mask: the image and its local range differ in shape")
    mask = np.empty((h, w), dtype=np.uint8)
    cdef unsigned char[:, ::1] out = mask
    with nogil:
        for r in range(h):
            for c in range(w):
                low = lo[r, c]
                span = hi[r, c] - low
                threshold = low * 16 + sixteenths * span
                if span < contrast:
                    out[r, c] = 0
                elif dark:
                    out[r, c] = image[r, c] * 16 < threshold
                else:
                    out[r, c] = image[r, c] * 16 > threshold
    return mask
