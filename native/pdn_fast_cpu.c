/* Faster CPU kernels for darknet's inference hot spots (CMake option PYDARKNET_FAST_CPU).
 *
 * Replaces, with the same names and the same results, darknet's
 *   im2col_cpu            (src/im2col.c)
 *   activate_array        (src/activations.c)
 *   forward_maxpool_layer (src/maxpool_layer.c)
 *   normalize_cpu         (src/blas.c)
 *   scale_bias, add_bias  (src/convolutional_layer.c)
 *   fill_cpu, copy_cpu    (src/blas.c; every conv layer zeroes its output and the network its
 *                          deltas with fill_cpu, batchnorm copies its output with copy_cpu)
 * darknet's own definitions are compiled as weak symbols (native/pdn_fast_cpu.h, force-included
 * into those files by CMake), so these strong definitions serve every caller; the originals stay
 * reachable as pdn_darknet_<name>, which pdn_fast_cpu_selftest() compares against.
 *
 * Every kernel does the same floating-point operations on each element as darknet's, in the same
 * order, so outputs are bit-identical: only loop structure, bounds checks and threading change.
 * (darknet's double-precision steps are kept: leaky's .1*x, logistic's exp, normalize's division.)
 * Threading is OpenMP over independent rows/planes, used only above a work threshold, and only
 * where it cannot fight the BLAS for the cores (see pdn_threaded()).
 */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "darknet.h"
#include "activations.h"
#include "blas.h"
#include "convolutional_layer.h"
#include "im2col.h"
#include "maxpool_layer.h"

#if defined(__GNUC__)
#define PDN_INLINE static inline __attribute__((always_inline))
#else
#define PDN_INLINE static inline
#endif

#if defined(__GNUC__)
#define PDN_EXPORT __attribute__((visibility("default")))
#else
#define PDN_EXPORT
#endif

/* Calls per kernel, so the tests can tell that darknet's callers really reach these kernels
 * (pdn_fast_cpu_calls()). Indexes as in pdn_fast_cpu_kernel(). */
enum { PDN_K_IM2COL, PDN_K_ACTIVATE, PDN_K_MAXPOOL, PDN_K_NORMALIZE, PDN_K_SCALE_BIAS,
       PDN_K_ADD_BIAS, PDN_K_FILL, PDN_K_COPY, PDN_K_COUNT };
static unsigned long pdn_calls[PDN_K_COUNT];
#if defined(__GNUC__)
#define PDN_COUNT(k) __atomic_fetch_add(&pdn_calls[k], 1, __ATOMIC_RELAXED)
#else
#define PDN_COUNT(k) (++pdn_calls[k])
#endif

/* Below this many elements a kernel runs on the calling thread only. */
#define PDN_OMP_MIN_WORK 32768
/* For activations that call exp() per element. */
#define PDN_OMP_MIN_WORK_EXP 4096

/* ---------------------------------------------------------------------------------- threading
 *
 * A pthreads OpenBLAS running its gemm on several threads and libgomp's default (spinning) OpenMP
 * workers fight over the cores: after each of our parallel loops the idle OpenMP workers spin
 * for milliseconds, right through the next gemm. Measured on 2 cores (yolov3-tiny 416): 2 threads
 * took ~210 ms per forward with threaded kernels against ~57 ms with the same kernels serial and
 * ~50 ms threaded with OMP_WAIT_POLICY=PASSIVE. So the kernels use OpenMP only when nothing else
 * is threaded (BLAS off, OpenMP-built BLAS, or a single BLAS thread), or when the OpenMP workers
 * sleep instead of spinning (OMP_WAIT_POLICY=passive, read by libgomp when it loads, so it is
 * read here once too). pdn_fast_cpu_set_threading() forces either way (tests). */
#ifdef PDN_BLAS_GET_THREADS_FN
int PDN_BLAS_GET_THREADS_FN(void);
#endif
#ifdef PDN_BLAS_GET_PARALLEL_FN
int PDN_BLAS_GET_PARALLEL_FN(void);
#endif

static int pdn_threading_mode = -1;    /* -1 automatic, 0 never, 1 whenever the work is large */
static int pdn_omp_passive = 0;

#if defined(__GNUC__)
__attribute__((constructor))
#endif
static void pdn_fast_cpu_read_env(void)
{
    const char *policy = getenv("OMP_WAIT_POLICY");
    char buf[8] = {0};
    for (int i = 0; policy && policy[i] && i < 7; ++i) buf[i] = (char)tolower((unsigned char)policy[i]);
    pdn_omp_passive = policy && strcmp(buf, "passive") == 0;
}

/* 1 when the kernels may run OpenMP loops now */
static int pdn_threaded(void)
{
#ifdef _OPENMP
    if (pdn_threading_mode >= 0) return pdn_threading_mode;
    if (omp_get_max_threads() <= 1) return 0;
    if (pdn_omp_passive) return 1;
#if defined(PDN_BLAS_GET_PARALLEL_FN)
    if (PDN_BLAS_GET_PARALLEL_FN() == 2) return 1;     /* OpenBLAS built on OpenMP: one pool */
#endif
#if defined(PDN_BLAS_GET_THREADS_FN)
    return PDN_BLAS_GET_THREADS_FN() <= 1;
#elif defined(PDN_CBLAS_SGEMM)
    return 0;                                          /* some threaded BLAS of unknown kind */
#else
    return 1;                                          /* darknet's own gemm, on OpenMP itself */
#endif
#else
    return 0;
#endif
}

/* mode: -1 automatic (default), 0 serial, 1 threaded above the work thresholds */
PDN_EXPORT void pdn_fast_cpu_set_threading(int mode)
{
    pdn_threading_mode = mode < 0 ? -1 : (mode > 0);
}

PDN_EXPORT int pdn_fast_cpu_threaded(void)
{
    return pdn_threaded();
}

/* ------------------------------------------------------------------------------------- im2col */

void im2col_cpu(float *data_im, int channels, int height, int width, int ksize, int stride,
                int pad, float *data_col)
{
    PDN_COUNT(PDN_K_IM2COL);
    const int height_col = (height + 2*pad - ksize) / stride + 1;
    const int width_col = (width + 2*pad - ksize) / stride + 1;
    const int channels_col = channels * ksize * ksize;
    if (height_col <= 0 || width_col <= 0 || channels_col <= 0) return;
    const size_t plane = (size_t)height_col * width_col;
    const int threaded = pdn_threaded() && plane * channels_col >= PDN_OMP_MIN_WORK;
    (void)threaded;   /* unused without OpenMP */
    #pragma omp parallel for schedule(static) if (threaded)
    for (int c = 0; c < channels_col; ++c) {
        const int w_offset = c % ksize;
        const int h_offset = (c / ksize) % ksize;
        const int c_im = c / ksize / ksize;
        const float *im = data_im + (size_t)c_im * height * width;
        float *col = data_col + (size_t)c * plane;
        /* columns w of this row read image column x0 + w*stride; valid ones are [w_lo, w_hi) */
        const int x0 = w_offset - pad;
        int w_lo = x0 >= 0 ? 0 : (-x0 + stride - 1) / stride;
        int w_hi = width - x0 <= 0 ? 0 : (width - x0 + stride - 1) / stride;
        if (w_hi > width_col) w_hi = width_col;
        if (w_lo > w_hi) w_lo = w_hi;
        for (int h = 0; h < height_col; ++h) {
            float *dst = col + (size_t)h * width_col;
            const int y = h_offset - pad + h * stride;
            if (y < 0 || y >= height) {
                memset(dst, 0, (size_t)width_col * sizeof(float));
                continue;
            }
            const float *src = im + (size_t)y * width;
            if (w_lo > 0) memset(dst, 0, (size_t)w_lo * sizeof(float));
            if (stride == 1) {
                if (w_hi > w_lo) memcpy(dst + w_lo, src + x0 + w_lo, (size_t)(w_hi - w_lo) * sizeof(float));
            } else if (stride == 2) {
                for (int w = w_lo; w < w_hi; ++w) dst[w] = src[x0 + 2*w];
            } else {
                for (int w = w_lo; w < w_hi; ++w) dst[w] = src[x0 + w*stride];
            }
            if (w_hi < width_col) memset(dst + w_hi, 0, (size_t)(width_col - w_hi) * sizeof(float));
        }
    }
}

/* -------------------------------------------------------------------------------- activations */

/* One tight loop per activation, using darknet's own inline per-element functions
 * (activations.h), so each element gets exactly darknet's arithmetic. */
#define PDN_ACTIVATE_LOOP(fn, min_work)                                       \
    do {                                                                      \
        const int threaded = n >= (min_work) && pdn_threaded();               \
        (void)threaded;                                                       \
        _Pragma("omp parallel for schedule(static) if (threaded)")            \
        for (int i = 0; i < n; ++i) x[i] = fn(x[i]);                          \
    } while (0)

void activate_array(float *x, const int n, const ACTIVATION a)
{
    PDN_COUNT(PDN_K_ACTIVATE);
    switch (a) {
    case LINEAR:   return;   /* linear_activate(x) == x */
    case LEAKY:    PDN_ACTIVATE_LOOP(leaky_activate, PDN_OMP_MIN_WORK); return;
    case RELU:     PDN_ACTIVATE_LOOP(relu_activate, PDN_OMP_MIN_WORK); return;
    case LOGISTIC: PDN_ACTIVATE_LOOP(logistic_activate, PDN_OMP_MIN_WORK_EXP); return;
    case RAMP:     PDN_ACTIVATE_LOOP(ramp_activate, PDN_OMP_MIN_WORK); return;
    case RELIE:    PDN_ACTIVATE_LOOP(relie_activate, PDN_OMP_MIN_WORK); return;
    case HARDTAN:  PDN_ACTIVATE_LOOP(hardtan_activate, PDN_OMP_MIN_WORK); return;
    case LHTAN:    PDN_ACTIVATE_LOOP(lhtan_activate, PDN_OMP_MIN_WORK); return;
    case PLSE:     PDN_ACTIVATE_LOOP(plse_activate, PDN_OMP_MIN_WORK); return;
    case TANH:     PDN_ACTIVATE_LOOP(tanh_activate, PDN_OMP_MIN_WORK_EXP); return;
    case LOGGY:    PDN_ACTIVATE_LOOP(loggy_activate, PDN_OMP_MIN_WORK_EXP); return;
    case ELU:      PDN_ACTIVATE_LOOP(elu_activate, PDN_OMP_MIN_WORK_EXP); return;
    case SELU:     PDN_ACTIVATE_LOOP(selu_activate, PDN_OMP_MIN_WORK_EXP); return;
    default:       break;    /* STAIR and anything else: darknet's own switch per element */
    }
    for (int i = 0; i < n; ++i) x[i] = activate(x[i], a);
}

/* ---------------------------------------------------------------------------------- maxpool */

/* A window that sticks out of the row: only its columns inside the input, in order. */
PDN_INLINE void maxpool_border(const float *r, int row_base, int iw, int size, int x0,
                               float *out, int *idx)
{
    const int m_lo = x0 < 0 ? -x0 : 0;
    const int m_hi = iw - x0 < size ? iw - x0 : size;
    float best = *out;
    int best_i = *idx;
    for (int m = m_lo; m < m_hi; ++m) {
        const float v = r[x0 + m];
        if (v > best) { best = v; best_i = row_base + x0 + m; }
    }
    *out = best;
    *idx = best_i;
}

/* One output row of one plane. For each output j darknet scans its window in (n, m) order and
 * keeps the first strictly greater value, starting from -FLT_MAX / index -1, with positions
 * outside the input never taken. Here the interior columns (whole window inside the row) are
 * updated one window position at a time across all j -- the same comparisons in the same order
 * per output, but a loop the compiler vectorizes -- and the few border columns one by one. */
PDN_INLINE void maxpool_row(const float *restrict in, int in_base, int ih, int iw, int ow,
                            int size, const int stride, int off, int y0, int j_lo, int j_hi,
                            float *restrict out, int *restrict idx)
{
    const int n_lo = y0 < 0 ? -y0 : 0;
    const int n_hi = ih - y0 < size ? ih - y0 : size;
    for (int j = 0; j < ow; ++j) { out[j] = -FLT_MAX; idx[j] = -1; }
    for (int n = n_lo; n < n_hi; ++n) {
        const int row = (y0 + n) * iw;
        const float *restrict r = in + row;
        for (int m = 0; m < size; ++m) {
            const int x = off + m;
            const int base = in_base + row + x;
            for (int j = j_lo; j < j_hi; ++j) {
                /* branch-free select (an all-ones/zero mask) so the loop vectorizes */
                const float v = r[x + j*stride];
                const float cur = out[j];
                const int take = -(v > cur);
                out[j] = take ? v : cur;
                idx[j] = (take & (base + j*stride)) | (~take & idx[j]);
            }
        }
        for (int j = 0; j < j_lo; ++j) maxpool_border(r, in_base + row, iw, size, off + j*stride, out + j, idx + j);
        for (int j = j_hi; j < ow; ++j) maxpool_border(r, in_base + row, iw, size, off + j*stride, out + j, idx + j);
    }
}

void forward_maxpool_layer(const maxpool_layer l, network net)
{
    PDN_COUNT(PDN_K_MAXPOOL);
    const int oh = l.out_h, ow = l.out_w;
    const int ih = l.h, iw = l.w;
    const int size = l.size, stride = l.stride;
    const int off = -l.pad/2;
    const int planes = l.batch * l.c;
    if (oh <= 0 || ow <= 0 || planes <= 0) return;

    /* interior output columns: off + j*stride >= 0 and off + j*stride + size <= iw */
    int j_lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
    int j_hi = iw - size - off < 0 ? 0 : (iw - size - off) / stride + 1;
    if (j_hi > ow) j_hi = ow;
    if (j_lo > j_hi) j_lo = j_hi;

    const int threaded = pdn_threaded() && (size_t)planes * oh * ow * size * size >= PDN_OMP_MIN_WORK;
    (void)threaded;   /* unused without OpenMP */
    #pragma omp parallel for schedule(static) if (threaded)
    for (int p = 0; p < planes; ++p) {
        const int in_base = p * ih * iw;
        const float *in = net.input + (size_t)in_base;
        float *out = l.output + (size_t)p * oh * ow;
        int *idx = l.indexes + (size_t)p * oh * ow;
        for (int i = 0; i < oh; ++i) {
            const int y0 = off + i*stride;
            float *o = out + (size_t)i * ow;
            int *x = idx + (size_t)i * ow;
            /* constant strides let the compiler vectorize the interior loop */
            if (stride == 1)
                maxpool_row(in, in_base, ih, iw, ow, size, 1, off, y0, j_lo, j_hi, o, x);
            else if (stride == 2)
                maxpool_row(in, in_base, ih, iw, ow, size, 2, off, y0, j_lo, j_hi, o, x);
            else
                maxpool_row(in, in_base, ih, iw, ow, size, stride, off, y0, j_lo, j_hi, o, x);
        }
    }
}

/* ------------------------------------------------------------------ batchnorm and bias loops */

void normalize_cpu(float *x, float *mean, float *variance, int batch, int filters, int spatial)
{
    PDN_COUNT(PDN_K_NORMALIZE);
    const int planes = batch * filters;
    const int threaded = pdn_threaded() && (size_t)planes * spatial >= PDN_OMP_MIN_WORK;
    (void)threaded;   /* unused without OpenMP */
    #pragma omp parallel for schedule(static) if (threaded)
    for (int p = 0; p < planes; ++p) {
        const int f = p % filters;
        const float m = mean[f];
        /* darknet: (x - mean)/(sqrt(variance) + .000001f), the division in double */
        const double d = sqrt(variance[f]) + .000001f;
        float *restrict v = x + (size_t)p * spatial;
        /* vectorized double division; a reciprocal multiply (with a check for the rare
         * products near a float rounding boundary, to stay exact) measured no faster on SSE2 */
        for (int i = 0; i < spatial; ++i) v[i] = (v[i] - m) / d;
    }
}

void scale_bias(float *output, float *scales, int batch, int n, int size)
{
    PDN_COUNT(PDN_K_SCALE_BIAS);
    const int planes = batch * n;
    const int threaded = pdn_threaded() && (size_t)planes * size >= PDN_OMP_MIN_WORK;
    (void)threaded;   /* unused without OpenMP */
    #pragma omp parallel for schedule(static) if (threaded)
    for (int p = 0; p < planes; ++p) {
        const float s = scales[p % n];
        float *restrict v = output + (size_t)p * size;
        for (int j = 0; j < size; ++j) v[j] *= s;
    }
}

void add_bias(float *output, float *biases, int batch, int n, int size)
{
    PDN_COUNT(PDN_K_ADD_BIAS);
    const int planes = batch * n;
    const int threaded = pdn_threaded() && (size_t)planes * size >= PDN_OMP_MIN_WORK;
    (void)threaded;   /* unused without OpenMP */
    #pragma omp parallel for schedule(static) if (threaded)
    for (int p = 0; p < planes; ++p) {
        const float b = biases[p % n];
        float *restrict v = output + (size_t)p * size;
        for (int j = 0; j < size; ++j) v[j] += b;
    }
}

/* ------------------------------------------------------------------------------- fill, copy */

/* Contiguous blocks of at least this many floats are split between the threads. */
#define PDN_OMP_MIN_BLOCK 262144

void fill_cpu(int N, float ALPHA, float *X, int INCX)
{
    PDN_COUNT(PDN_K_FILL);
    if (INCX != 1) {
        for (int i = 0; i < N; ++i) X[i*INCX] = ALPHA;
        return;
    }
    if (N <= 0) return;
    const int zero = (ALPHA == 0.0f) && !signbit(ALPHA);   /* +0.0f: all bits zero */
    const int threaded = N >= PDN_OMP_MIN_BLOCK && pdn_threaded();
    (void)threaded;   /* unused without OpenMP */
    #pragma omp parallel if (threaded)
    {
        int t = 0, nt = 1;
#ifdef _OPENMP
        t = omp_get_thread_num(); nt = omp_get_num_threads();
#endif
        const size_t lo = (size_t)N * t / nt, hi = (size_t)N * (t + 1) / nt;
        if (zero) memset(X + lo, 0, (hi - lo) * sizeof(float));
        else for (size_t i = lo; i < hi; ++i) X[i] = ALPHA;
    }
}

void copy_cpu(int N, float *X, int INCX, float *Y, int INCY)
{
    PDN_COUNT(PDN_K_COPY);
    /* overlapping ranges keep darknet's element-by-element order */
    if (INCX != 1 || INCY != 1 || N <= 0 ||
        ((uintptr_t)X < (uintptr_t)(Y + N) && (uintptr_t)Y < (uintptr_t)(X + N))) {
        for (int i = 0; i < N; ++i) Y[i*INCY] = X[i*INCX];
        return;
    }
    const int threaded = N >= PDN_OMP_MIN_BLOCK && pdn_threaded();
    (void)threaded;   /* unused without OpenMP */
    #pragma omp parallel if (threaded)
    {
        int t = 0, nt = 1;
#ifdef _OPENMP
        t = omp_get_thread_num(); nt = omp_get_num_threads();
#endif
        const size_t lo = (size_t)N * t / nt, hi = (size_t)N * (t + 1) / nt;
        memcpy(Y + lo, X + lo, (hi - lo) * sizeof(float));
    }
}

/* ---------------------------------------------------------------------------- test hooks */

/* How often kernel k (PDN_K_* order: im2col_cpu, activate_array, forward_maxpool_layer,
 * normalize_cpu, scale_bias, add_bias, fill_cpu, copy_cpu) was called; -1 for a bad k. */
PDN_EXPORT long pdn_fast_cpu_calls(int k)
{
    if (k < 0 || k >= PDN_K_COUNT) return -1;
#if defined(__GNUC__)
    return (long)__atomic_load_n(&pdn_calls[k], __ATOMIC_RELAXED);
#else
    return (long)pdn_calls[k];
#endif
}

/* ---------------------------------------------------------------------------------- selftest */

/* darknet's originals (weak aliases made by native/pdn_fast_cpu.h). */
void pdn_darknet_im2col_cpu(float *data_im, int channels, int height, int width, int ksize,
                            int stride, int pad, float *data_col);
void pdn_darknet_activate_array(float *x, const int n, const ACTIVATION a);
void pdn_darknet_forward_maxpool_layer(const maxpool_layer l, network net);
void pdn_darknet_normalize_cpu(float *x, float *mean, float *variance, int batch, int filters,
                               int spatial);
void pdn_darknet_scale_bias(float *output, float *scales, int batch, int n, int size);
void pdn_darknet_add_bias(float *output, float *biases, int batch, int n, int size);
void pdn_darknet_fill_cpu(int N, float ALPHA, float *X, int INCX);
void pdn_darknet_copy_cpu(int N, float *X, int INCX, float *Y, int INCY);

/* Kernel k (order as in pdn_fast_cpu_calls()), ours or (darknet != 0) darknet's, for benchmarks. */
PDN_EXPORT void *pdn_fast_cpu_kernel(int k, int darknet)
{
    switch (k) {
    case PDN_K_IM2COL:     return darknet ? (void *)pdn_darknet_im2col_cpu : (void *)im2col_cpu;
    case PDN_K_ACTIVATE:   return darknet ? (void *)pdn_darknet_activate_array : (void *)activate_array;
    case PDN_K_MAXPOOL:    return darknet ? (void *)pdn_darknet_forward_maxpool_layer : (void *)forward_maxpool_layer;
    case PDN_K_NORMALIZE:  return darknet ? (void *)pdn_darknet_normalize_cpu : (void *)normalize_cpu;
    case PDN_K_SCALE_BIAS: return darknet ? (void *)pdn_darknet_scale_bias : (void *)scale_bias;
    case PDN_K_ADD_BIAS:   return darknet ? (void *)pdn_darknet_add_bias : (void *)add_bias;
    case PDN_K_FILL:       return darknet ? (void *)pdn_darknet_fill_cpu : (void *)fill_cpu;
    case PDN_K_COPY:       return darknet ? (void *)pdn_darknet_copy_cpu : (void *)copy_cpu;
    default:               return NULL;
    }
}

static unsigned pdn_rng_next(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(*s >> 33);
}

static int pdn_rng_int(unsigned long long *s, int lo, int hi) /* [lo, hi] */
{
    return lo + (int)(pdn_rng_next(s) % (unsigned)(hi - lo + 1));
}

/* values in [-4, 4) with some ties, signed zeros, -FLT_MAX, infinities and NaNs mixed in */
static void pdn_fill(unsigned long long *s, float *x, size_t n, int specials)
{
    for (size_t i = 0; i < n; ++i) {
        unsigned r = pdn_rng_next(s);
        float v = ((float)(r % 65536) / 8192.0f) - 4.0f;
        if (r % 7 == 0) v = (float)((int)(v * 2)) / 2;   /* ties */
        if (specials) {
            switch (pdn_rng_next(s) % 64) {
            case 0: v = 0.0f; break;
            case 1: v = -0.0f; break;
            case 2: v = -FLT_MAX; break;
            case 3: v = -INFINITY; break;
            case 4: v = INFINITY; break;
            case 5: v = NAN; break;
            case 6: v = 100.0f; break;
            case 7: v = -100.0f; break;
            default: break;
            }
        }
        x[i] = v;
    }
}

static int pdn_same(const void *a, const void *b, size_t bytes)
{
    return memcmp(a, b, bytes) == 0;
}

/* Runs each kernel and darknet's original on `rounds` random shapes and inputs, with output
 * buffers prefilled with garbage, and counts the cases whose outputs (and maxpool indexes)
 * differ in any bit. 0 means identical everywhere; -1 means out of memory. */
PDN_EXPORT int pdn_fast_cpu_selftest(unsigned seed, int rounds)
{
    unsigned long long s = 0x9e3779b97f4a7c15ULL ^ seed;
    int bad = 0;
    for (int round = 0; round < rounds; ++round) {
        /* im2col */
        {
            int c = pdn_rng_int(&s, 1, 4), h = pdn_rng_int(&s, 1, 23), w = pdn_rng_int(&s, 1, 23);
            int k = pdn_rng_int(&s, 1, 5), st = pdn_rng_int(&s, 1, 3), pad = pdn_rng_int(&s, 0, 3);
            if (round % 8 == 0) { c = 16; h = 61; w = 67; }  /* above the threading threshold */
            int hc = (h + 2*pad - k) / st + 1, wc = (w + 2*pad - k) / st + 1;
            if (hc > 0 && wc > 0) {
                size_t nin = (size_t)c*h*w, nout = (size_t)c*k*k*hc*wc;
                float *im = malloc(nin * sizeof(float));
                float *a = malloc(nout * sizeof(float)), *b = malloc(nout * sizeof(float));
                if (!im || !a || !b) { free(im); free(a); free(b); return -1; }
                pdn_fill(&s, im, nin, 1);
                for (size_t i = 0; i < nout; ++i) a[i] = b[i] = 12345.0f;
                im2col_cpu(im, c, h, w, k, st, pad, a);
                pdn_darknet_im2col_cpu(im, c, h, w, k, st, pad, b);
                bad += !pdn_same(a, b, nout * sizeof(float));
                free(im); free(a); free(b);
            }
        }
        /* activations: every ACTIVATION value */
        {
            int n = (round % 4 == 0) ? pdn_rng_int(&s, 40000, 90000) : pdn_rng_int(&s, 1, 3000);
            float *x = malloc(n * sizeof(float)), *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
            if (!x || !a || !b) { free(x); free(a); free(b); return -1; }
            pdn_fill(&s, x, n, 1);
            for (int act = LOGISTIC; act <= SELU; ++act) {
                memcpy(a, x, n * sizeof(float));
                memcpy(b, x, n * sizeof(float));
                activate_array(a, n, (ACTIVATION)act);
                pdn_darknet_activate_array(b, n, (ACTIVATION)act);
                bad += !pdn_same(a, b, n * sizeof(float));
            }
            free(x); free(a); free(b);
        }
        /* maxpool, with darknet's sizes (make_maxpool_layer) and any padding */
        {
            maxpool_layer l = {0};
            l.batch = pdn_rng_int(&s, 1, 2);
            l.c = pdn_rng_int(&s, 1, 3);
            l.h = pdn_rng_int(&s, 1, 19);
            l.w = pdn_rng_int(&s, 1, 19);
            l.size = pdn_rng_int(&s, 1, 4);
            l.stride = pdn_rng_int(&s, 1, 3);
            l.pad = (round % 3 == 0) ? l.size - 1 : pdn_rng_int(&s, 0, 5);
            if (round % 8 == 1) { l.batch = 2; l.c = 16; l.h = 45; l.w = 67; l.size = 2; l.stride = 2; l.pad = 1; }
            if (round % 8 == 5) { l.batch = 1; l.c = 32; l.h = 26; l.w = 26; l.size = 3; l.stride = 1; l.pad = 2; }
            l.out_w = (l.w + l.pad - l.size) / l.stride + 1;
            l.out_h = (l.h + l.pad - l.size) / l.stride + 1;
            l.out_c = l.c;
            if (l.out_w > 0 && l.out_h > 0) {
                size_t nin = (size_t)l.batch * l.c * l.h * l.w;
                size_t nout = (size_t)l.batch * l.c * l.out_h * l.out_w;
                float *in = malloc(nin * sizeof(float));
                float *oa = malloc(nout * sizeof(float)), *ob = malloc(nout * sizeof(float));
                int *ia = malloc(nout * sizeof(int)), *ib = malloc(nout * sizeof(int));
                if (!in || !oa || !ob || !ia || !ib) {
                    free(in); free(oa); free(ob); free(ia); free(ib); return -1;
                }
                pdn_fill(&s, in, nin, 1);
                for (size_t i = 0; i < nout; ++i) { oa[i] = ob[i] = 7.0f; ia[i] = ib[i] = 777; }
                network net = {0};
                net.input = in;
                maxpool_layer la = l, lb = l;
                la.output = oa; la.indexes = ia;
                lb.output = ob; lb.indexes = ib;
                forward_maxpool_layer(la, net);
                pdn_darknet_forward_maxpool_layer(lb, net);
                bad += !pdn_same(oa, ob, nout * sizeof(float));
                bad += !pdn_same(ia, ib, nout * sizeof(int));
                free(in); free(oa); free(ob); free(ia); free(ib);
            }
        }
        /* normalize_cpu, scale_bias, add_bias */
        {
            int batch = pdn_rng_int(&s, 1, 3), f = pdn_rng_int(&s, 1, 20), sp = pdn_rng_int(&s, 1, 700);
            if (round % 4 == 2) { batch = 1; f = 16; sp = 4000; }
            size_t n = (size_t)batch * f * sp;
            float *x = malloc(n * sizeof(float)), *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
            float *mean = malloc(f * sizeof(float)), *var = malloc(f * sizeof(float));
            if (!x || !a || !b || !mean || !var) {
                free(x); free(a); free(b); free(mean); free(var); return -1;
            }
            pdn_fill(&s, x, n, 1);
            pdn_fill(&s, mean, f, 0);
            pdn_fill(&s, var, f, 0);
            for (int i = 0; i < f; ++i) var[i] = (i % 5 == 0) ? 0.0f : (i % 7 == 3) ? -1.0f : fabsf(var[i]);
            memcpy(a, x, n * sizeof(float)); memcpy(b, x, n * sizeof(float));
            normalize_cpu(a, mean, var, batch, f, sp);
            pdn_darknet_normalize_cpu(b, mean, var, batch, f, sp);
            bad += !pdn_same(a, b, n * sizeof(float));
            memcpy(a, x, n * sizeof(float)); memcpy(b, x, n * sizeof(float));
            scale_bias(a, mean, batch, f, sp);
            pdn_darknet_scale_bias(b, mean, batch, f, sp);
            bad += !pdn_same(a, b, n * sizeof(float));
            memcpy(a, x, n * sizeof(float)); memcpy(b, x, n * sizeof(float));
            add_bias(a, var, batch, f, sp);
            pdn_darknet_add_bias(b, var, batch, f, sp);
            bad += !pdn_same(a, b, n * sizeof(float));
            free(x); free(a); free(b); free(mean); free(var);
        }
        /* fill_cpu, copy_cpu: strided, contiguous (small and above the threading threshold),
         * +0, -0 and other values, overlapping copies */
        {
            int n = (round % 4 == 3) ? pdn_rng_int(&s, 262144, 300000) : pdn_rng_int(&s, 0, 2000);
            int inc = (round % 3 == 0) ? pdn_rng_int(&s, 2, 3) : 1;
            int shift = pdn_rng_int(&s, -3, 3);
            size_t len = (size_t)n * inc + 8;
            float *a = malloc(len * sizeof(float)), *b = malloc(len * sizeof(float));
            float *x = malloc(len * sizeof(float));
            if (!a || !b || !x) { free(a); free(b); free(x); return -1; }
            const float alphas[4] = {0.0f, -0.0f, 1.5f, -FLT_MAX};
            float alpha = alphas[round % 4];
            pdn_fill(&s, x, len, 1);
            memcpy(a, x, len * sizeof(float)); memcpy(b, x, len * sizeof(float));
            fill_cpu(n, alpha, a + 4, inc);
            pdn_darknet_fill_cpu(n, alpha, b + 4, inc);
            bad += !pdn_same(a, b, len * sizeof(float));
            pdn_fill(&s, a, len, 1);
            memcpy(b, a, len * sizeof(float));
            copy_cpu(n, x + 4, inc, a + 4, inc);
            pdn_darknet_copy_cpu(n, x + 4, inc, b + 4, inc);
            bad += !pdn_same(a, b, len * sizeof(float));
            if (inc == 1 && n > 0 && n <= 2000) {             /* overlapping, both directions */
                memcpy(a, x, len * sizeof(float)); memcpy(b, x, len * sizeof(float));
                int m = n - 4 > 0 ? n - 4 : 1;
                copy_cpu(m, a + 4, 1, a + 4 + shift, 1);
                pdn_darknet_copy_cpu(m, b + 4, 1, b + 4 + shift, 1);
                bad += !pdn_same(a, b, len * sizeof(float));
            }
            free(a); free(b); free(x);
        }
    }
    return bad;
}
