# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The character images the CNN reads, compiled: each character box of a plate crop cut out with
a margin (edges repeated beyond the crop), its contrast stretched, dark ink on light, resized
into a fixed frame; and each box's vote on the plate's polarity.

    polarity_votes(gray, boxes) -> [int]                   +1 dark ink on light, -1 light, 0 unknown
    character_images(gray, boxes, width, height, dark) -> N x height x width float32 in [0, 1]

`gray`: the crop in grey (uint8); `boxes`: (x1, y1, x2, y2) in its pixels.
lpr.segmentation.contours (char_crops, polarity_votes) wraps them. The numbers are those of the
NumPy code they replaced (np.percentile's linear interpolation on a sorted patch, here from a
histogram of its 256 grey levels; the same float64 stretch fed to the same cv2.resize), held to
it by tests/test_lpr_contour_segmenter.py.
"""
from libc.math cimport ceil, floor, rint
from libc.stdlib cimport free, malloc

import numpy as np

CROP_PAD = 0.08             # share of the box height added around a character before resizing

cdef double C_CROP_PAD = CROP_PAD


cdef struct _Window:
    Py_ssize_t px1, py1, pw, ph     # the patch in the crop (may leave it: edge pixels repeated)
    Py_ssize_t ix1, iy1, ix2, iy2   # the box within the patch


cdef _Window _window(box) except *:
    """The patch of one box: CROP_PAD of its height around it, and the box within the patch."""
    cdef double x1, y1, x2, y2, pad
    cdef _Window w
    cdef Py_ssize_t px2, py2
    x1, y1, x2, y2 = box
    pad = C_CROP_PAD * max(y2 - y1, 1.0)
    w.px1, w.py1 = <Py_ssize_t>floor(x1 - pad), <Py_ssize_t>floor(y1 - pad)
    px2, py2 = <Py_ssize_t>ceil(x2 + pad), <Py_ssize_t>ceil(y2 + pad)
    w.pw, w.ph = max(px2, w.px1 + 1) - w.px1, max(py2, w.py1 + 1) - w.py1
    # round() as Python rounds: half to even
    w.ix1 = min(max(<Py_ssize_t>rint(x1) - w.px1, 0), w.pw - 1)
    w.iy1 = min(max(<Py_ssize_t>rint(y1) - w.py1, 0), w.ph - 1)
    w.ix2 = max(min(<Py_ssize_t>rint(x2) - w.px1, w.pw), w.ix1 + 1)
    w.iy2 = max(min(<Py_ssize_t>rint(y2) - w.py1, w.ph), w.iy1 + 1)
    return w


cdef inline Py_ssize_t _clamp(Py_ssize_t v, Py_ssize_t size) noexcept nogil:
    return 0 if v < 0 else (size - 1 if v >= size else v)


cdef void _histograms(const unsigned char[:, ::1] gray, _Window w, long* patch, long* core) noexcept nogil:
    """Grey-level counts of the whole patch and of the box within it."""
    cdef Py_ssize_t r, c, gh = gray.shape[0], gw = gray.shape[1], y
    cdef unsigned char v
    cdef bint in_rows
    for r in range(256):
        patch[r] = 0
        core[r] = 0
    for r in range(w.ph):
        y = _clamp(w.py1 + r, gh)
        in_rows = w.iy1 <= r < w.iy2
        for c in range(w.pw):
            v = gray[y, _clamp(w.px1 + c, gw)]
            patch[v] += 1
            if in_rows and w.ix1 <= c < w.ix2:
                core[v] += 1


cdef double _level_at(long* hist, long index) noexcept nogil:
    """The grey level at `index` of the sorted pixels counted in `hist`."""
    cdef long seen = 0
    cdef int v
    for v in range(256):
        seen += hist[v]
        if seen > index:
            return v
    return 255


cdef double _percentile(long* hist, long n, double q) noexcept nogil:
    """np.percentile (linear interpolation) of the n pixels counted in `hist` (n >= 1)."""
    cdef long last = n - 1
    cdef double at = last * (q / 100)
    cdef long i = min(<long>floor(at), last)
    cdef double a = _level_at(hist, i), b = _level_at(hist, min(i + 1, last)), t = at - i
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


cdef int _vote(long* patch, long* core, long n_patch, long n_core) noexcept nogil:
    """+1 when the ring around the box (background) is at least as far from the darkest pixels
    within it as from the lightest, -1 otherwise, 0 when it has no ring or no core."""
    cdef long ring[256]
    cdef int v
    if n_core == 0 or n_patch - n_core == 0:
        return 0
    for v in range(256):
        ring[v] = patch[v] - core[v]
    cdef double background = _percentile(ring, n_patch - n_core, 50)
    cdef double dark = _percentile(core, n_core, 10), light = _percentile(core, n_core, 90)
    return 1 if background - dark >= light - background else -1


def polarity_votes(const unsigned char[:, ::1] gray, boxes):
    """Each box's vote on the plate's polarity (see _vote)."""
    cdef long patch[256]
    cdef long core[256]
    cdef _Window w
    votes = []
    for box in boxes:
        w = _window(box)
        _histograms(gray, w, patch, core)
        votes.append(_vote(patch, core, w.pw * w.ph, (w.ix2 - w.ix1) * (w.iy2 - w.iy1)))
    return votes


def character_images(const unsigned char[:, ::1] gray, boxes, int width, int height, dark_on_light):
    """N x height x width float32 in [0, 1]: each box's patch stretched between its 2nd and 98th
    percentile, turned dark on light (`dark_on_light`: the plate's polarity; None: voted by
    the boxes), resized keeping its aspect ratio (INTER_AREA shrinking, INTER_LINEAR growing)
    and centred on white."""
    import cv2

    cdef Py_ssize_t n = len(boxes), k, r, c, gh = gray.shape[0], gw = gray.shape[1], y
    cdef Py_ssize_t rw, rh, ox, oy
    cdef long patch[256]
    cdef long core[256]
    cdef _Window w
    cdef double lo, span, v, scale
    cdef bint dark
    cdef double[:, ::1] stretched
    cdef const double[:, ::1] resized
    out = np.ones((n, height, width), dtype=np.float32)
    cdef float[:, :, ::1] o = out
    # each box's window and its patch's 2nd and 98th percentiles, counted once with its vote
    cdef _Window* windows = <_Window*>malloc((n if n > 0 else 1) * sizeof(_Window))
    cdef double* levels = <double*>malloc((2 * n if n > 0 else 1) * sizeof(double))
    cdef int votes = 0
    try:
        if windows == NULL or levels == NULL:
            raise MemoryError()
        for k in range(n):
            w = windows[k] = _window(boxes[k])
            _histograms(gray, w, patch, core)
            levels[2 * k] = _percentile(patch, w.pw * w.ph, 2)
            levels[2 * k + 1] = _percentile(patch, w.pw * w.ph, 98)
            if dark_on_light is None:
                votes += _vote(patch, core, w.pw * w.ph, (w.ix2 - w.ix1) * (w.iy2 - w.iy1))
        dark = votes >= 0 if dark_on_light is None else bool(dark_on_light)
        for k in range(n):
            w = windows[k]
            lo = levels[2 * k]
            span = max(levels[2 * k + 1] - lo, 1.0)
            pixels = np.empty((w.ph, w.pw), dtype=np.float64)
            stretched = pixels
            for r in range(w.ph):
                y = _clamp(w.py1 + r, gh)
                for c in range(w.pw):
                    v = min(max((gray[y, _clamp(w.px1 + c, gw)] - lo) / span, 0.0), 1.0)
                    stretched[r, c] = v if dark else 1.0 - v
            scale = min(width / <double>w.pw, height / <double>w.ph)
            rw = max(1, min(width, <Py_ssize_t>rint(w.pw * scale)))
            rh = max(1, min(height, <Py_ssize_t>rint(w.ph * scale)))
            resized = cv2.resize(pixels, (rw, rh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
            ox, oy = (width - rw) // 2, (height - rh) // 2
            for r in range(rh):
                for c in range(rw):
                    o[k, oy + r, ox + c] = <float>min(max(resized[r, c], 0.0), 1.0)
    finally:
        free(windows)
        free(levels)
    return out


def percentiles(const unsigned char[::1] pixels, qs):
    """np.percentile(pixels, qs) of grey levels, as the patches' are taken (for the test that
    holds them to numpy's)."""
    cdef long hist[256]
    cdef Py_ssize_t i
    for i in range(256):
        hist[i] = 0
    for i in range(pixels.shape[0]):
        hist[pixels[i]] += 1
    return [_percentile(hist, pixels.shape[0], q) for q in qs]
