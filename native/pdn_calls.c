/* darknet calls that may end in exit()/assert(), each run under a guard (see pdn_guard.h). */
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "pdn_guard.h"

extern int gpu_index;

/* darknet keeps the index of the GPU a network is parsed for in a global. */
static void select_device(int gpu)
{
#ifdef GPU
    gpu_index = gpu;
    if (gpu >= 0) cuda_set_device(gpu);
#else
    (void)gpu;
    gpu_index = -1;
#endif
}

int pdn_load_network(const char *cfg, const char *weights, int batch, int gpu, int clear, network **out)
{
    *out = NULL;
    PDN_GUARDED({
        select_device(gpu);
        network *net = parse_network_cfg((char *)cfg);
        if (weights && weights[0]) load_weights(net, (char *)weights);
        if (clear) *net->seen = 0;
        if (batch > 0 && batch <= net->batch) set_batch_network(net, batch);
        *out = net;
    });
}

int pdn_predict(network *net, float *input)
{
    PDN_GUARDED({
#ifdef GPU
        if (net->gpu_index >= 0) cuda_set_device(net->gpu_index);
#endif
        network_predict(net, input);
    });
}

static int is_detection_layer(LAYER_TYPE t) { return t == YOLO || t == REGION || t == DETECTION; }

int pdn_network_boxes(network *net, int batch_item, int w, int h, float thresh, float hier,
                      detection **out, int *count)
{
    *out = NULL;
    *count = 0;
    PDN_GUARDED({
        /* darknet's box decoding only looks at the first image of a batch (and averages two
         * images as a flipped pair when batch == 2): point the layers at the wanted image and
         * present them as a batch of one for the duration of the call. */
        int i;
        for (i = 0; i < net->n; ++i) {
            layer *l = &net->layers[i];
            if (!is_detection_layer(l->type)) continue;
            l->output += (size_t)batch_item * l->outputs;
            l->batch = 1;
        }
        int n = 0;
        detection *dets = get_network_boxes(net, w, h, thresh, hier, 0, 1, &n);
        for (i = 0; i < net->n; ++i) {
            layer *l = &net->layers[i];
            if (!is_detection_layer(l->type)) continue;
            l->output -= (size_t)batch_item * l->outputs;
            l->batch = net->batch;
        }
        *out = dets;
        *count = n;
    });
}

int pdn_nms_sort(detection *dets, int count, int classes, float nms)
{
    PDN_GUARDED({
        if (nms > 0) do_nms_sort(dets, count, classes, nms);
    });
}

int pdn_save_weights(network *net, const char *path)
{
    PDN_GUARDED({ save_weights(net, (char *)path); });
}

int pdn_train(network *net, data d, float *loss)
{
    PDN_GUARDED({
#ifdef GPU
        if (net->gpu_index >= 0) cuda_set_device(net->gpu_index);
#endif
        *loss = train_network(net, d);
    });
}

int pdn_train_arrays(network *net, float *x, float *y, int n, int x_cols, int y_cols, float *loss)
{
    /* rows point into the caller's buffers: nothing is copied here, nothing is freed but the
     * two row-pointer arrays (darknet's get_next_batch copies the rows into the network) */
    data d = {0};
    int i;
    d.shallow = 1;
    d.X.rows = d.y.rows = n;
    d.X.cols = x_cols;
    d.y.cols = y_cols;
    d.X.vals = calloc(n, sizeof(float *));
    d.y.vals = calloc(n, sizeof(float *));
    if (!d.X.vals || !d.y.vals) {
        free(d.X.vals);
        free(d.y.vals);
        snprintf((char *)pdn_last_message(), 64, "out of memory");
        return PDN_EXITED;
    }
    for (i = 0; i < n; ++i) {
        d.X.vals[i] = x + (size_t)i * x_cols;
        d.y.vals[i] = y + (size_t)i * y_cols;
    }
    int status = pdn_train(net, d, loss);
    free(d.X.vals);
    free(d.y.vals);
    return status;
}

int pdn_train_multi(network **nets, int n, data d, float *loss)
{
#ifdef GPU
    PDN_GUARDED({ *loss = train_networks(nets, n, d, 4); });
#else
    (void)nets; (void)n; (void)d; (void)loss;
    snprintf((char *)pdn_last_message(), 64, "multi-GPU training needs a CUDA build");
    return PDN_EXITED;
#endif
}

int pdn_resize(network *net, int w, int h)
{
    PDN_GUARDED({
#ifdef GPU
        if (net->gpu_index >= 0) cuda_set_device(net->gpu_index);
#endif
        resize_network(net, w, h);
    });
}

int pdn_read_lines(const char *path, char ***out, int *count)
{
    *out = NULL;
    *count = 0;
    PDN_GUARDED({
        list *plist = get_paths((char *)path);
        *count = plist->size;
        *out = (char **)list_to_array(plist);
        free_list(plist);
    });
}

data load_data_detection(int n, char **paths, int m, int w, int h, int boxes, int classes, float jitter,
                         float hue, float saturation, float exposure);   /* darknet's src/data.h */

int pdn_load_detection_batch(char **paths, int m, int n, int w, int h, int boxes, int classes, float jitter,
                             float hue, float saturation, float exposure, float *x_out, float *y_out)
{
    PDN_GUARDED({
        data d = load_data_detection(n, paths, m, w, h, boxes, classes, jitter, hue, saturation, exposure);
        for (int i = 0; i < n; ++i) {
            memcpy(x_out + (size_t)i * d.X.cols, d.X.vals[i], sizeof(float) * d.X.cols);
            memcpy(y_out + (size_t)i * d.y.cols, d.y.vals[i], sizeof(float) * d.y.cols);
        }
        free_data(d);
    });
}

int pdn_pull_layer_output(network *net, int layer_index)
{
#ifdef GPU
    PDN_GUARDED({
        layer *l = &net->layers[layer_index];
        if (net->gpu_index >= 0 && l->output_gpu) {
            cuda_set_device(net->gpu_index);
            cuda_pull_array(l->output_gpu, l->output, (size_t)l->batch * l->outputs);
        }
    });
#else
    (void)net; (void)layer_index;
    return PDN_OK;
#endif
}

int pdn_fuse_batchnorm(network *net)
{
    /* Inference only: fold each convolution's batch-norm (darknet: (x - mean) / (sqrt(var) +
     * .000001f) * scale + bias) into its weights and bias, so the forward pass skips the
     * normalise/scale/copy passes over every output. The layer then adds its bias as a plain
     * convolution does. Layers of GPU networks and binary/xnor layers are left alone. */
    int fused = 0;
    if (net->gpu_index >= 0) return 0;
    for (int i = 0; i < net->n; ++i) {
        layer *l = &net->layers[i];
        if (l->type != CONVOLUTIONAL || !l->batch_normalize || l->binary || l->xnor) continue;
        size_t per_filter = (size_t)(l->c / l->groups) * l->size * l->size;
        for (int f = 0; f < l->n; ++f) {
            float k = l->scales[f] / (sqrt(l->rolling_variance[f]) + .000001f);
            float *w = l->weights + (size_t)f * per_filter;
            for (size_t j = 0; j < per_filter; ++j) w[j] *= k;
            l->biases[f] -= l->rolling_mean[f] * k;
        }
        l->batch_normalize = 0;
        ++fused;
    }
    return fused;
}

void pdn_free_network(network *net)
{
    if (!net) return;
    /* free_network() leaves behind what make_network()/parse_network_cfg() allocated for the
     * network itself (counters, schedule, workspace); free those too. */
    size_t *seen = net->seen;
    int *t = net->t;
    float *cost = net->cost, *scales = net->scales, *workspace = net->workspace;
    int *steps = net->steps;
#ifdef GPU
    int on_gpu = net->gpu_index >= 0;
    if (on_gpu) cuda_set_device(net->gpu_index);
#else
    int on_gpu = 0;
#endif
    free_network(net);
    free(seen);
    free(t);
    free(cost);
    free(scales);
    free(steps);
#ifdef GPU
    if (on_gpu) { if (workspace) cuda_free(workspace); } else
#endif
    free(workspace);
    (void)on_gpu;
}
