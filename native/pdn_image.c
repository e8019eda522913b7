/* NumPy BGR uint8 pixels -> darknet's letterboxed network input. Never exits. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "pdn_native.h"

/* darknet wants planar RGB floats in [0, 1]; OpenCV (and our API) hands over interleaved BGR. */
void pdn_bgr_u8_to_image(const unsigned char *src, int h, int w, long row_stride, long px_stride, image dst)
{
    const float scale = 1.0f / 255.0f;
    float *r = dst.data, *g = dst.data + (size_t)w * h, *b = dst.data + 2 * (size_t)w * h;
    for (int y = 0; y < h; ++y) {
        const unsigned char *row = src + (size_t)y * row_stride;
        size_t o = (size_t)y * w;
        for (int x = 0; x < w; ++x) {
            const unsigned char *px = row + (size_t)x * px_stride;
            b[o + x] = px[0] * scale;
            g[o + x] = px[1] * scale;
            r[o + x] = px[2] * scale;
        }
    }
}

/* Reference path: darknet's own letterbox_image() on a converted copy (used by the tests). */
int pdn_letterbox_into(image src, int net_w, int net_h, float *dst)
{
    image boxed = letterbox_image(src, net_w, net_h);
    if (!boxed.data) return -1;
    memcpy(dst, boxed.data, sizeof(float) * (size_t)net_w * net_h * src.c);
    free_image(boxed);
    return 0;
}

/* The size darknet's letterbox_image() scales an image to inside net_w x net_h. */
static void letterbox_size(int w, int h, int net_w, int net_h, int *new_w, int *new_h)
{
    if (((float)net_w / w) < ((float)net_h / h)) {
        *new_w = net_w;
        *new_h = (h * net_w) / w;
    } else {
        *new_h = net_h;
        *new_w = (w * net_h) / h;
    }
}

/* Output rows [r0, r1) of the letterbox: what one thread of pdn_letterbox_bgr_u8 computes. */
struct letterbox_rows {
    const unsigned char *src;
    int h, new_w, net_w, r0, r1, last_row;
    long row_stride;
    float h_scale;
    const float *level, *dx;          /* each grey level's float; each column's weight */
    const size_t *at0, *at1;          /* byte offsets of each column's two source pixels */
    float *dst;                       /* where output row 0, column 0 of the red plane goes */
    size_t plane;
    int status;                       /* 0, or -1 when out of memory */
};

static void letterbox_rows(struct letterbox_rows *job)
{
    const int new_w = job->new_w;
    const size_t *at0 = job->at0, *at1 = job->at1;
    const float *dx = job->dx, *level = job->level;
    float *row0 = malloc(sizeof(float) * new_w * 3);   /* horizontally resized source row iy */
    float *row1 = malloc(sizeof(float) * new_w * 3);   /* ... and row iy + 1 */
    if (!row0 || !row1) {
        free(row0); free(row1);
        job->status = -1;
        return;
    }
    int have0 = -1, have1 = -1;
    for (int r = job->r0; r < job->r1; ++r) {
        float sy = r * job->h_scale;
        int iy = (int)sy;
        float dy = sy - iy;
        int last = (r == job->last_row || job->h == 1);
        int need[2] = {iy, last ? -1 : iy + 1};
        for (int k = 0; k < 2; ++k) {
            int y = need[k];
            if (y < 0 || y == (k ? have1 : have0)) continue;
            float *out = k ? row1 : row0;
            if (y == (k ? have0 : have1)) {       /* reuse the row computed for the other slot */
                memcpy(out, k ? row0 : row1, sizeof(float) * new_w * 3);
            } else {
                const unsigned char *line = job->src + (size_t)y * job->row_stride;
                float *red = out, *green = out + new_w, *blue = out + 2 * (size_t)new_w;
                for (int c = 0; c < new_w; ++c) {
                    const unsigned char *p = line + at0[c], *q = line + at1[c];
                    float d = dx[c], e = 1 - d;
                    red[c] = e * level[p[2]] + d * level[q[2]];     /* darknet channel 0 is red */
                    green[c] = e * level[p[1]] + d * level[q[1]];
                    blue[c] = e * level[p[0]] + d * level[q[0]];
                }
            }
            if (k) have1 = y; else have0 = y;
        }
        for (int ch = 0; ch < 3; ++ch) {
            float *o = job->dst + ch * job->plane + (size_t)r * job->net_w;
            const float *a = row0 + (size_t)ch * new_w, *b = row1 + (size_t)ch * new_w;
            if (last) {
                for (int c = 0; c < new_w; ++c) o[c] = (1 - dy) * a[c];
            } else {
                for (int c = 0; c < new_w; ++c) {
                    float v = (1 - dy) * a[c];
                    o[c] = v + dy * b[c];
                }
            }
        }
    }
    free(row0); free(row1);
    job->status = 0;
}

static void *letterbox_rows_thread(void *job)
{
    letterbox_rows(job);
    return NULL;
}

/* Below this many output pixels a second thread costs more than it saves. */
#define PDN_LETTERBOX_SPLIT_PIXELS 32768

/* darknet's letterbox straight from BGR uint8, with the same float operations in the same order
 * as letterbox_image() -> resize_image() -> embed_image() (so the result is bit-identical), but
 * computing only the source rows the vertical pass reads, all three channels of a source pixel
 * at once, and without per-pixel bounds checks. darknet copies the last column instead of
 * interpolating it; here it is interpolated with weight 0 on a repeated pixel, which gives the
 * same float ((1 - 0) * a + 0 * a == a). Where darknet's resize divides by zero (an output 1
 * pixel high or wide), we take the first source row/column instead of crashing. With threads > 1
 * an image of at least PDN_LETTERBOX_SPLIT_PIXELS output pixels is made by two threads, each a
 * band of rows (the same operations on the same values, so the same floats). Returns 0, or -1
 * when out of memory. */
int pdn_letterbox_bgr_u8(const unsigned char *src, int h, int w, long row_stride, long px_stride,
                         int net_w, int net_h, float *dst, int threads)
{
    const float scale = 1.0f / 255.0f;
    float level[256];                   /* each grey level times scale, the same float looked up */
    for (int v = 0; v < 256; ++v) level[v] = v * scale;
    int new_w, new_h;
    letterbox_size(w, h, net_w, net_h, &new_w, &new_h);
    const size_t plane = (size_t)net_w * net_h;
    if (new_w <= 0 || new_h <= 0) {
        for (size_t i = 0; i < 3 * plane; ++i) dst[i] = .5f;
        return 0;
    }
    const int off_x = (net_w - new_w) / 2, off_y = (net_h - new_h) / 2;
    /* the grey bars: every pixel the image does not cover */
    for (int ch = 0; ch < 3; ++ch) {
        for (int y = 0; y < net_h; ++y) {
            float *o = dst + ch * plane + (size_t)y * net_w;
            if (y < off_y || y >= off_y + new_h) {
                for (int x = 0; x < net_w; ++x) o[x] = .5f;
            } else {
                for (int x = 0; x < off_x; ++x) o[x] = .5f;
                for (int x = off_x + new_w; x < net_w; ++x) o[x] = .5f;
            }
        }
    }

    size_t *at0 = malloc(sizeof(size_t) * new_w);     /* byte offsets of a column's two source pixels */
    size_t *at1 = malloc(sizeof(size_t) * new_w);
    float *dx = malloc(sizeof(float) * new_w);
    if (!at0 || !at1 || !dx) {
        free(at0); free(at1); free(dx);
        return -1;
    }
    float w_scale = new_w > 1 ? (float)(w - 1) / (new_w - 1) : 0.f;
    float h_scale = new_h > 1 ? (float)(h - 1) / (new_h - 1) : 0.f;
    for (int c = 0; c < new_w; ++c) {
        if (c == new_w - 1 || w == 1) {               /* the last column: a copy */
            at0[c] = at1[c] = (size_t)(w - 1) * px_stride;
            dx[c] = 0.f;
            continue;
        }
        float sx = c * w_scale;
        int ix = (int)sx;
        at0[c] = (size_t)ix * px_stride;
        at1[c] = (size_t)(ix + 1) * px_stride;
        dx[c] = sx - ix;
    }
    /* each thread makes its own band of rows with the same operations: the same floats */
    struct letterbox_rows jobs[2];
    int parts = (threads > 1 && new_h > 1 && (long)new_w * new_h >= PDN_LETTERBOX_SPLIT_PIXELS) ? 2 : 1;
    for (int k = 0; k < parts; ++k) {
        jobs[k] = (struct letterbox_rows){
            .src = src, .h = h, .new_w = new_w, .net_w = net_w,
            .r0 = (int)((long)new_h * k / parts), .r1 = (int)((long)new_h * (k + 1) / parts),
            .last_row = new_h - 1, .row_stride = row_stride, .h_scale = h_scale, .level = level,
            .dx = dx, .at0 = at0, .at1 = at1, .dst = dst + (size_t)off_y * net_w + off_x, .plane = plane,
            .status = -1};
    }
    pthread_t helper;
    int helped = parts > 1 && pthread_create(&helper, NULL, letterbox_rows_thread, &jobs[1]) == 0;
    letterbox_rows(&jobs[0]);
    if (helped) pthread_join(helper, NULL);
    else if (parts > 1) letterbox_rows(&jobs[1]);      /* no thread to be had: this one does it */
    free(at0); free(at1); free(dx);
    for (int k = 0; k < parts; ++k)
        if (jobs[k].status != 0) return -1;
    return 0;
}
