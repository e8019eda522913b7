# Declarations only: the parts of darknet.h and of pydarknet's C layer (native/pdn_native.h) that
# the binding uses. Struct layouts come from the real headers at C compile time, built with the
# same defines (GPU, ...) as the darknet objects linked into the extension.

cdef extern from "darknet.h" nogil:
    ctypedef enum LAYER_TYPE:
        CONVOLUTIONAL
        CONNECTED
        SOFTMAX
        DETECTION
        REGION
        YOLO
        COST

    ctypedef struct layer:
        LAYER_TYPE type
        int batch
        int inputs
        int outputs
        int out_w
        int out_h
        int out_c
        int classes
        int coords
        int max_boxes
        float jitter
        int random
        float *output

    ctypedef struct network:
        int n
        int batch
        size_t *seen
        int subdivisions
        layer *layers
        float *output
        float learning_rate
        int max_batches
        int inputs
        int outputs
        int truths
        int h
        int w
        int c
        int max_crop
        int min_crop
        float max_ratio
        float min_ratio
        int center
        float angle
        float aspect
        float exposure
        float saturation
        float hue
        int random
        int gpu_index
        void *hierarchy
        float *input

    ctypedef struct image:
        int w
        int h
        int c
        float *data

    ctypedef struct box:
        float x, y, w, h

    ctypedef struct detection:
        box bbox
        int classes
        float *prob
        float objectness

    ctypedef struct data:
        int shallow

    ctypedef enum data_type:
        CLASSIFICATION_DATA
        DETECTION_DATA

    ctypedef struct load_args:
        int threads
        char **paths
        int n
        int m
        char **labels
        int h
        int w
        int min, max, size
        int classes
        int center
        int coords
        int num_boxes
        float jitter
        float angle
        float aspect
        float saturation
        float exposure
        float hue
        data *d
        data_type type
        void *hierarchy

    ctypedef unsigned long pthread_t

    image make_image(int w, int h, int c)
    void free_image(image m)
    void free_detections(detection *dets, int n)
    void free_data(data d)
    load_args get_base_args(network *net)
    pthread_t load_data(load_args args)
    size_t get_current_batch(network *net)
    float get_current_rate(network *net)
    void srand(unsigned int seed)
    int rand()

cdef extern from "<pthread.h>" nogil:
    int pthread_join(pthread_t thread, void **retval)

cdef extern from "pdn_native.h" nogil:
    int PDN_OK
    int PDN_EXITED
    int PDN_ASSERTED

    void pdn_set_verbose(int verbose)
    void pdn_set_training_flip(int enabled)
    int pdn_get_training_flip()
    int pdn_get_verbose()
    const char *pdn_last_message()

    const char *pdn_blas_name()
    const char *pdn_blas_config()
    void pdn_blas_set_threads(int n)
    int pdn_openmp_threads()
    void pdn_openmp_set_threads(int n)
    int pdn_cuda_compiled()
    int pdn_cudnn_compiled()
    int pdn_cuda_device_count()
    const char *pdn_cuda_device_name(int i)

    int pdn_load_network(const char *cfg, const char *weights, int batch, int gpu, int clear, network **out)
    int pdn_predict(network *net, float *input)
    int pdn_network_boxes(network *net, int batch_item, int w, int h, float thresh, float hier,
                          detection **out, int *count)
    int pdn_nms_sort(detection *dets, int count, int classes, float nms)
    int pdn_save_weights(network *net, const char *path)
    int pdn_train(network *net, data d, float *loss)
    int pdn_train_multi(network **nets, int n, data d, float *loss)
    int pdn_resize(network *net, int w, int h)
    int pdn_read_lines(const char *path, char ***out, int *count)
    int pdn_pull_layer_output(network *net, int layer_index)
    int pdn_fuse_batchnorm(network *net)
    int pdn_load_detection_batch(char **paths, int m, int n, int w, int h, int boxes, int classes,
                                 float jitter, float hue, float saturation, float exposure,
                                 float *x_out, float *y_out)
    int pdn_train_arrays(network *net, float *x, float *y, int n, int x_cols, int y_cols, float *loss)
    void pdn_free_network(network *net)

    void pdn_bgr_u8_to_image(const unsigned char *src, int h, int w, long row_stride, long px_stride, image dst)
    int pdn_letterbox_into(image src, int net_w, int net_h, float *dst)
    int pdn_letterbox_bgr_u8(const unsigned char *src, int h, int w, long row_stride, long px_stride,
                             int net_w, int net_h, float *dst, int threads)
