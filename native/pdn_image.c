/* NumPy BGR uint8 pixels -> darknet image, and darknet's letterbox. Never exits. */
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

/* Letterbox exactly as darknet's letterbox_image does and copy the result into dst
 * (net_w * net_h * src.c floats). Returns 0, or -1 when an allocation failed. */
int pdn_letterbox_into(image src, int net_w, int net_h, float *dst)
{
    image boxed = letterbox_image(src, net_w, net_h);
    if (!boxed.data) return -1;
    memcpy(dst, boxed.data, sizeof(float) * (size_t)net_w * net_h * src.c);
    free_image(boxed);
    return 0;
}
