/* pydarknet's own C layer between darknet and the Cython binding.
 *
 * - guarded calls: darknet ends the process with exit() (or assert) on errors it cannot handle.
 *   The extension is linked with -Wl,--wrap=exit,--wrap=__assert_fail so that, while one of the
 *   pdn_* calls below is active on the calling thread, such an exit unwinds back to that call
 *   with longjmp and the call returns a non-zero status instead. pdn_last_message() then holds
 *   what darknet printed last on that thread (usually the reason).
 * - print hooks: darknet's printf/fprintf(stdout|stderr)/perror go through pdn_printf & co
 *   (compile definitions on darknet's sources), silent unless pdn_set_verbose(1).
 */
#ifndef PDN_NATIVE_H
#define PDN_NATIVE_H

#include "darknet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* status codes of guarded calls */
#define PDN_OK 0
#define PDN_EXITED 1      /* darknet called exit() */
#define PDN_ASSERTED 2    /* an assert() inside darknet failed */

void pdn_set_verbose(int verbose);
int pdn_get_verbose(void);
const char *pdn_last_message(void);
void pdn_clear_message(void);

/* Build facts, filled in by CMake. */
const char *pdn_blas_name(void);
const char *pdn_blas_config(void);
void pdn_blas_set_threads(int n);
int pdn_openmp_threads(void);
void pdn_openmp_set_threads(int n);
void pdn_apply_threads(void);         /* called by guarded calls that run darknet's loops */
int pdn_cuda_compiled(void);
int pdn_cudnn_compiled(void);
int pdn_cuda_device_count(void);          /* 0 when not compiled with CUDA or no device/driver */
const char *pdn_cuda_device_name(int i);  /* static buffer, "" when unavailable */

/* Guarded darknet calls: each returns PDN_OK or the failure status. */
int pdn_load_network(const char *cfg, const char *weights, int batch, int gpu, int clear, network **out);
int pdn_predict(network *net, float *input);
int pdn_network_boxes(network *net, int batch_item, int w, int h, float thresh, float hier,
                      detection **out, int *count);
int pdn_nms_sort(detection *dets, int count, int classes, float nms);
int pdn_save_weights(network *net, const char *path);
int pdn_train(network *net, data d, float *loss);
int pdn_train_arrays(network *net, float *x, float *y, int n, int x_cols, int y_cols, float *loss);
int pdn_train_multi(network **nets, int n, data d, float *loss);
int pdn_resize(network *net, int w, int h);
int pdn_read_lines(const char *path, char ***out, int *count);   /* darknet's get_paths() */
int pdn_pull_layer_output(network *net, int layer_index);
/* darknet's detection loader once: n random images of the m paths, letterboxed/jittered into
 * w x h; x_out: n * 3*w*h floats (CHW), y_out: n * boxes*5 (x, y, w, h, class per box) */
int pdn_load_detection_batch(char **paths, int m, int n, int w, int h, int boxes, int classes, float jitter,
                             float hue, float saturation, float exposure, float *x_out, float *y_out);
int pdn_fuse_batchnorm(network *net);   /* inference only; returns the layers fused */
void pdn_set_training_flip(int enabled);   /* detection loader's random mirror (default on) */
int pdn_get_training_flip(void);
void pdn_free_network(network *net);

/* Image helpers (never exit). */
void pdn_bgr_u8_to_image(const unsigned char *src, int h, int w, long row_stride, long px_stride, image dst);
int pdn_letterbox_into(image src, int net_w, int net_h, float *dst);
int pdn_letterbox_bgr_u8(const unsigned char *src, int h, int w, long row_stride, long px_stride,
                         int net_w, int net_h, float *dst, int threads);

#ifdef __cplusplus
}
#endif
#endif
