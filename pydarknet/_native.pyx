# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The native boundary of pydarknet: every darknet pointer lives in exactly one cdef class here.

Python-side validation (pydarknet.cfg, pydarknet.weights) runs before anything reaches this
module; what darknet still rejects at run time comes back through the guarded pdn_* calls and is
turned into an exception by ``_check`` (the one place that does so).
"""
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memset
from cpython.exc cimport PyErr_CheckSignals

cimport pydarknet._darknet as dn

import threading
import numpy as np

from .errors import DarknetError


cdef int _check(int status, what) except -1:
    """Map the status of a guarded darknet call to an exception (the one place that does)."""
    if status == dn.PDN_OK:
        return 0
    message = dn.pdn_last_message().decode("utf-8", "replace").strip()
    if status == dn.PDN_ASSERTED:
        raise DarknetError(f"darknet failed during {what}: {message or 'an internal assertion failed'}")
    raise DarknetError(f"darknet gave up during {what} (it called exit()): {message or 'no message'}")


# ------------------------------------------------------------------------------------ build facts

def set_verbose(bint verbose):
    """Let darknet print to stdout/stderr (off by default; its last line is kept for errors)."""
    dn.pdn_set_verbose(verbose)


def get_verbose():
    return bool(dn.pdn_get_verbose())


def native_facts():
    """What the compiled extension itself says about its BLAS, OpenMP and CUDA."""
    return {
        "blas": dn.pdn_blas_name().decode(),
        "blas_config": dn.pdn_blas_config().decode(),
        "openmp_threads": dn.pdn_openmp_threads(),
        "cuda_compiled": bool(dn.pdn_cuda_compiled()),
        "cudnn_compiled": bool(dn.pdn_cudnn_compiled()),
    }


def cuda_devices():
    """Names of the CUDA devices this build can use (empty for a CPU build or without a GPU)."""
    cdef int i, n = dn.pdn_cuda_device_count()
    return [dn.pdn_cuda_device_name(i).decode() for i in range(n)]


def seed_darknet(unsigned int seed):
    """Seed darknet's rand() (its random weight init and augmentation)."""
    dn.srand(seed)


def set_threads(int n):
    """Threads for darknet's OpenMP loops and for the BLAS gemm."""
    dn.pdn_openmp_set_threads(n)
    dn.pdn_blas_set_threads(n)


# ------------------------------------------------------------------------------------ images

cdef int _image_into_input(const unsigned char[:, :, :] pixels, int net_w, int net_h,
                           float *dst, int threads=1) except -1 nogil:
    """BGR uint8 HxWx3 pixels -> darknet's letterbox, written to dst (3*net_h*net_w floats), by
    up to ``threads`` threads (two at most; the same floats however many)."""
    if dn.pdn_letterbox_bgr_u8(&pixels[0, 0, 0], pixels.shape[0], pixels.shape[1], pixels.strides[0],
                               pixels.strides[1], net_w, net_h, dst, threads) != 0:
        with gil:
            raise MemoryError("no memory to letterbox a %dx%d image" % (pixels.shape[1], pixels.shape[0]))
    return 0


def letterbox(const unsigned char[:, :, :] pixels, int net_w, int net_h, int threads=1):
    """darknet's letterbox of a BGR uint8 image: float32 array (3, net_h, net_w), RGB in [0, 1]."""
    out = np.empty((3, net_h, net_w), dtype=np.float32)
    cdef float[:, :, ::1] view = out
    with nogil:
        _image_into_input(pixels, net_w, net_h, &view[0, 0, 0], threads)
    return out


def letterbox_reference(const unsigned char[:, :, :] pixels, int net_w, int net_h):
    """The same through darknet's own letterbox_image() (slower; for tests)."""
    cdef int h = pixels.shape[0], w = pixels.shape[1], rc
    out = np.empty((3, net_h, net_w), dtype=np.float32)
    cdef float[:, :, ::1] view = out
    cdef dn.image im = dn.make_image(w, h, 3)
    if im.data == NULL:
        raise MemoryError()
    try:
        with nogil:
            dn.pdn_bgr_u8_to_image(&pixels[0, 0, 0], h, w, pixels.strides[0], pixels.strides[1], im)
            rc = dn.pdn_letterbox_into(im, net_w, net_h, &view[0, 0, 0])
    finally:
        dn.free_image(im)
    if rc != 0:
        raise MemoryError()
    return out


# ------------------------------------------------------------------------------------ networks

cdef tuple _layer_shape(dn.layer *l):
    """(C, H, W) of a layer's output; layers that keep no spatial shape (softmax, cost) give (n, 1, 1)."""
    if l.out_c * l.out_h * l.out_w == l.outputs:
        return (l.out_c, l.out_h, l.out_w)
    return (l.outputs, 1, 1)


cdef class NetworkHandle:
    """Owns one darknet ``network*``; all access goes through its lock."""

    cdef dn.network *net
    cdef object lock
    cdef object _input           # float32 buffer of batch * inputs, reused by every forward pass
    cdef readonly int base_w, base_h   # the cfg's input size: what forward() takes
    cdef readonly int gpu
    cdef readonly int fused_layers   # convolutions whose batch-norm was folded into the weights

    def __cinit__(self):
        self.net = NULL
        self.fused_layers = 0

    def __init__(self, str cfg_path, weights_path, int batch=0, int gpu=-1, bint clear=False):
        """Parse ``cfg_path`` (already validated) and load ``weights_path`` (or None)."""
        cdef bytes cfg_b = cfg_path.encode()
        cdef bytes weights_b = weights_path.encode() if weights_path else b""
        cdef const char *cfg_c = cfg_b
        cdef const char *weights_c = weights_b
        cdef dn.network *net = NULL
        cdef int status
        self.lock = threading.Lock()
        self.gpu = gpu
        with _load_lock:   # darknet selects the device through a global while parsing
            with nogil:
                status = dn.pdn_load_network(cfg_c, weights_c, batch, gpu, clear, &net)
        _check(status, f"loading {cfg_path}" + (f" with {weights_path}" if weights_path else ""))
        self.net = net
        self.base_w, self.base_h = net.w, net.h
        self._input = np.zeros(self.net.batch * self.net.inputs, dtype=np.float32)

    def __dealloc__(self):
        if self.net != NULL:
            dn.pdn_free_network(self.net)
            self.net = NULL

    def close(self):
        """Free the network now. Further use raises ValueError."""
        with self.lock:
            if self.net != NULL:
                dn.pdn_free_network(self.net)
                self.net = NULL

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def closed(self):
        return self.net == NULL

    cdef dn.network *_require(self) except NULL:
        if self.net == NULL:
            raise ValueError("the network is closed")
        return self.net

    @property
    def shape(self):
        """(batch, channels, height, width) of the network input forward() takes (the cfg's)."""
        cdef dn.network *net = self._require()
        return (net.batch, net.c, self.base_h, self.base_w)

    @property
    def input_size_in_use(self):
        """(width, height) of the input the network is sized for now: the last detect()'s."""
        cdef dn.network *net = self._require()
        return (net.w, net.h)

    cdef int _sized(self, dn.network *net, int w, int h) except -1:
        """Give the network (lock held) a w x h input, resizing its layers when it has another
        (darknet's resize_network; the caller checked that the network can be resized), and the
        input buffer its size. darknet resizes layer by layer; when it fails part way, the layers
        no longer agree, so the network is freed and the error says so: further use raises
        ValueError (closed), not a forward pass over mismatched buffers."""
        cdef int status
        if net.w != w or net.h != h:
            status = dn.pdn_resize(net, w, h)
            if status != dn.PDN_OK:
                try:
                    _check(status, f"resizing the network to {w}x{h} (the network was closed: load it again)")
                finally:
                    dn.pdn_free_network(self.net)
                    self.net = NULL
        if self._input.shape[0] != net.batch * net.inputs:
            self._input = np.zeros(net.batch * net.inputs, dtype=np.float32)
        return 0

    def forward(self, const float[:, :, :, ::1] x, layer_indices):
        """Run batches of x (N, C, H, W) and return each wanted layer's output, N images each."""
        cdef dn.network *net
        cdef int n_images = x.shape[0], start, count, status, k, li
        cdef Py_ssize_t per_image
        cdef float[::1] buf
        cdef float[::1] dst
        with self.lock:
            net = self._require()
            if x.shape[1] != net.c or x.shape[2] != self.base_h or x.shape[3] != self.base_w:
                raise ValueError(f"input must be (N, {net.c}, {self.base_h}, {self.base_w}), "
                                 f"got ({x.shape[0]}, {x.shape[1]}, {x.shape[2]}, {x.shape[3]})")
            self._sized(net, self.base_w, self.base_h)
            outputs = [np.empty((n_images,) + _layer_shape(&net.layers[li]), dtype=np.float32)
                       for li in layer_indices]
            buf = self._input
            per_image = net.inputs
            for start in range(0, n_images, net.batch):
                count = min(net.batch, n_images - start)
                with nogil:
                    memcpy(&buf[0], &x[start, 0, 0, 0], sizeof(float) * per_image * count)
                    if count < net.batch:
                        memset(&buf[per_image * count], 0, sizeof(float) * per_image * (net.batch - count))
                    status = dn.pdn_predict(net, &buf[0])
                _check(status, "the forward pass")
                for k, li in enumerate(layer_indices):
                    _check(dn.pdn_pull_layer_output(net, li), "copying a layer output from the GPU")
                    dst = outputs[k].reshape(-1)
                    memcpy(&dst[start * net.layers[li].outputs], net.layers[li].output,
                           sizeof(float) * net.layers[li].outputs * count)
        return outputs

    def detect(self, list images, float thresh, float hier, float nms, int width=0, int height=0):
        """Letterbox, forward and decode a list of BGR uint8 images, at a width x height input
        (0: the cfg's; another size only for a network the caller checked can be resized).

        Returns, per image, a list of (class_id, confidence, x1, y1, x2, y2) in image pixels.
        """
        cdef dn.network *net
        cdef const unsigned char[:, :, :] pixels
        cdef float[::1] buf
        cdef int start, count, b, status, n_images = len(images)
        results = []
        with self.lock:
            net = self._require()
            self._sized(net, width or self.base_w, height or self.base_h)
            buf = self._input
            for start in range(0, n_images, net.batch):
                count = min(net.batch, n_images - start)
                sizes = []
                for b in range(count):
                    pixels = images[start + b]
                    sizes.append((pixels.shape[1], pixels.shape[0]))
                    with nogil:
                        _image_into_input(pixels, net.w, net.h, &buf[b * net.inputs])
                with nogil:
                    status = dn.pdn_predict(net, &buf[0])
                _check(status, "the forward pass")
                for b in range(count):
                    results.append(self._boxes(net, b, sizes[b][0], sizes[b][1], thresh, hier, nms))
        return results

    cdef list _boxes(self, dn.network *net, int b, int w, int h, float thresh, float hier, float nms):
        cdef dn.detection *dets = NULL
        cdef int n = 0, i, j, classes, status
        cdef float x1, y1, x2, y2, p
        with nogil:
            status = dn.pdn_network_boxes(net, b, w, h, thresh, hier, &dets, &n)
        _check(status, "decoding boxes")
        found = []
        try:
            if n == 0:
                return found
            classes = dets[0].classes
            with nogil:
                status = dn.pdn_nms_sort(dets, n, classes, nms)
            _check(status, "non-maximum suppression")
            for i in range(n):
                x1 = (dets[i].bbox.x - dets[i].bbox.w / 2) * w
                x2 = (dets[i].bbox.x + dets[i].bbox.w / 2) * w
                y1 = (dets[i].bbox.y - dets[i].bbox.h / 2) * h
                y2 = (dets[i].bbox.y + dets[i].bbox.h / 2) * h
                x1 = min(max(x1, 0), w); x2 = min(max(x2, 0), w)
                y1 = min(max(y1, 0), h); y2 = min(max(y2, 0), h)
                for j in range(classes):
                    p = dets[i].prob[j]
                    if p > thresh:
                        found.append((j, p, x1, y1, x2, y2))
        finally:
            if dets != NULL:
                dn.free_detections(dets, n)
        return found

    def fuse_batchnorm(self):
        """Fold batch-norm into the convolutions (CPU inference). Returns the number of layers."""
        with self.lock:
            self.fused_layers += dn.pdn_fuse_batchnorm(self._require())
        return self.fused_layers

    def train_step(self, const float[:, ::1] x, const float[:, ::1] y):
        """One darknet training pass (train_network) over the rows of x (inputs, CHW) and y (truths).

        Rows must be a multiple of the network's batch; returns darknet's average loss.
        """
        cdef dn.network *net
        cdef float loss = 0
        cdef int status, n = x.shape[0]
        with self.lock:
            net = self._require()
            if self.fused_layers:
                raise ValueError("a network loaded for inference (batch-norm folded) cannot train")
            if n == 0 or n % net.batch or y.shape[0] != n:
                raise ValueError(f"need the same number of input and truth rows, a multiple of the batch "
                                 f"({net.batch}); got {n} and {y.shape[0]}")
            if x.shape[1] != net.inputs or y.shape[1] != net.truths:
                raise ValueError(f"rows must hold {net.inputs} inputs and {net.truths} truths; "
                                 f"got {x.shape[1]} and {y.shape[1]}")
            with nogil:
                status = dn.pdn_train_arrays(net, <float *>&x[0, 0], <float *>&y[0, 0], n,
                                             <int>x.shape[1], <int>y.shape[1], &loss)
            _check(status, "a training step")
        return float(loss)

    @property
    def training_state(self):
        """(iteration, max_batches, learning rate, images per iteration) of darknet's schedule."""
        cdef dn.network *net = self._require()
        return (int(dn.get_current_batch(net)), int(net.max_batches), float(dn.get_current_rate(net)),
                int(net.batch * net.subdivisions))

    def save_weights(self, str path):
        cdef bytes path_b = path.encode()
        cdef const char *path_c = path_b
        cdef int status
        with self.lock:
            net = self._require()
            if self.fused_layers:
                raise ValueError("this network's batch-norm was folded into its weights for inference; "
                                 "load it with fuse_batchnorm=False to save weights in the cfg's layout")
            with nogil:
                status = dn.pdn_save_weights(self.net, path_c)
            _check(status, f"saving weights to {path}")


_load_lock = threading.Lock()


# ------------------------------------------------------------------------------------ training

cdef class _PathList:
    """Owns the C strings of a darknet list file (image paths, labels)."""

    cdef char **items
    cdef readonly int size

    def __cinit__(self):
        self.items = NULL
        self.size = 0

    def __init__(self, str list_file):
        cdef bytes path_b = list_file.encode()
        cdef const char *path_c = path_b
        cdef char **items = NULL
        cdef int count = 0
        _check(dn.pdn_read_lines(path_c, &items, &count), f"reading {list_file}")
        self.items = items
        self.size = count

    def __dealloc__(self):
        cdef int i
        if self.items != NULL:
            for i in range(self.size):
                free(self.items[i])
            free(self.items)
            self.items = NULL


cdef class _DataLoader:
    """Owns darknet's background loading thread and the batch it fills."""

    cdef dn.load_args args
    cdef dn.data buffer
    cdef dn.pthread_t thread
    cdef bint running
    cdef object keep_alive    # the _PathList objects the args point into

    def __cinit__(self):
        self.running = False

    cdef void start(self) noexcept:
        self.args.d = &self.buffer
        self.thread = dn.load_data(self.args)
        self.running = True

    cdef dn.data take(self) noexcept nogil:
        """Wait for the batch in flight, start loading the next one, hand over the finished one."""
        dn.pthread_join(self.thread, NULL)
        cdef dn.data ready = self.buffer
        self.args.d = &self.buffer
        self.thread = dn.load_data(self.args)
        return ready

    cdef void stop(self) noexcept:
        if self.running:
            with nogil:
                dn.pthread_join(self.thread, NULL)
            dn.free_data(self.buffer)
            self.running = False

    def __dealloc__(self):
        self.stop()


def train(*, str kind, str cfg_path, weights_path, str train_list, labels_file, int classes,
          list gpus, str backup_dir, str base_name, int max_batches, int seed, bint clear,
          object progress, int backup_every, int threads, object milestone, bint flip=True):
    """darknet's train_detector/train_classifier loop, driven from Python.

    ``progress(dict)`` is called after every iteration; it may raise to stop (the caller decides
    what to save). Returns a dict with the last iteration, losses and paths written.
    Ctrl-C (KeyboardInterrupt) stops after the current iteration and saves the backup.
    ``flip``: the detection loader's random horizontal mirror (off for characters).
    """
    cdef list handles = []
    cdef NetworkHandle h
    cdef dn.network *net
    cdef dn.layer last
    cdef _DataLoader loader = _DataLoader()
    cdef _PathList paths, labels = None
    cdef dn.data batch
    cdef float loss = 0
    cdef int status, ngpus = len(gpus) if gpus else 1, i, imgs, count = 0, dim, lo, hi
    cdef double avg_loss = -1
    import os, random, time

    dn.srand(seed)
    for i in range(ngpus):
        dn.srand(seed)
        h = NetworkHandle(cfg_path, weights_path, 0, gpus[i] if gpus else -1, clear)
        h.net.learning_rate *= ngpus
        if max_batches > 0:
            h.net.max_batches = max_batches
        handles.append(h)
    h = handles[0]
    net = h.net
    dn.srand(seed + 1)
    imgs = net.batch * net.subdivisions * ngpus

    paths = _PathList(train_list)
    if kind == "detector":
        last = net.layers[net.n - 1]
        loader.args = dn.get_base_args(net)
        loader.args.coords = last.coords
        loader.args.classes = last.classes
        loader.args.jitter = last.jitter
        loader.args.num_boxes = last.max_boxes
        loader.args.type = dn.DETECTION_DATA
        random_resize = bool(last.random)
        resize_every = 10
    else:
        labels = _PathList(labels_file)
        loader.args = dn.get_base_args(net)
        loader.args.min = <int>(net.min_ratio * net.w)
        loader.args.max = <int>(net.max_ratio * net.w)
        loader.args.labels = labels.items
        loader.args.classes = classes
        loader.args.type = dn.CLASSIFICATION_DATA
        random_resize = bool(net.random)
        resize_every = 40
    loader.args.paths = paths.items
    loader.args.n = imgs
    loader.args.m = paths.size
    loader.args.threads = threads
    loader.keep_alive = (paths, labels)

    backup_path = os.path.join(backup_dir, f"{base_name}.backup")
    written = []

    def save(path):
        tmp = path + ".part"
        h.save_weights(tmp)
        os.replace(tmp, path)
        written.append(path)

    base_w, base_h = net.w, net.h
    # the sizes come from a seeded generator of their own: darknet's rand() is shared with the
    # loader threads, so its sequence here would depend on thread timing
    scales = random.Random(seed)
    started = time.perf_counter()
    previous_flip = dn.pdn_get_training_flip()
    dn.pdn_set_training_flip(flip)
    loader.start()
    iteration = int(dn.get_current_batch(net))
    consistent = True      # False while darknet is inside an iteration that may not have finished
    try:
        while dn.get_current_batch(net) < <size_t>net.max_batches:
            if random_resize and count % resize_every == 0:
                # darknet's multi-scale training (320..608 for a 416 network, the last 200
                # iterations at the largest), generalised to this network's own size and aspect
                lo = max(1, (base_w * 10 // 13) // 32)
                hi = max(lo, (base_w * 19 // 13) // 32)
                dim = scales.randint(lo, hi) * 32
                if dn.get_current_batch(net) + 200 > <size_t>net.max_batches:
                    dim = hi * 32
                dim_h = max(32, int(round(dim * base_h / base_w / 32)) * 32)
                loader.stop()
                loader.args.w = dim
                loader.args.h = dim_h
                loader.args.size = dim
                for hh in handles:
                    _check(dn.pdn_resize((<NetworkHandle>hh).net, dim, dim_h), "resizing the network")
                loader.start()
            count += 1
            t0 = time.perf_counter()
            consistent = False
            with nogil:
                batch = loader.take()
                if ngpus == 1:
                    status = dn.pdn_train(net, batch, &loss)
            if ngpus > 1:
                status = _train_multi(handles, batch, &loss)
            dn.free_data(batch)
            _check(status, "a training iteration")
            consistent = True
            seconds = time.perf_counter() - t0
            avg_loss = loss if avg_loss < 0 else avg_loss * 0.9 + loss * 0.1
            iteration = int(dn.get_current_batch(net))
            if iteration % backup_every == 0:
                save(backup_path)
            if milestone(iteration):
                save(os.path.join(backup_dir, f"{base_name}_{iteration}.weights"))
            if progress is not None:
                progress({"iteration": iteration, "max_batches": int(net.max_batches),
                          "loss": float(loss), "avg_loss": float(avg_loss),
                          "learning_rate": float(dn.get_current_rate(net)),
                          "images_per_second": imgs / seconds if seconds > 0 else float("inf"),
                          "seconds": seconds, "images": iteration * imgs,
                          "input_size": (int(net.w), int(net.h))})
            PyErr_CheckSignals()
        final_path = os.path.join(backup_dir, f"{base_name}_final.weights")
        save(final_path)
        save(backup_path)      # so that a later call with a larger max_batches resumes from here
    except BaseException:
        loader.stop()
        if consistent and not h.closed:
            save(backup_path)   # the network is consistent after each completed iteration
        raise
    finally:
        loader.stop()
        dn.pdn_set_training_flip(previous_flip)
        for hh in handles:
            (<NetworkHandle>hh).close()
    return {"iteration": iteration, "loss": float(loss), "avg_loss": float(avg_loss),
            "weights": final_path, "backup": backup_path, "written": written,
            "seconds": time.perf_counter() - started}


def sample_detection_batch(str list_file, int n, int w, int h, int boxes, int classes, float jitter,
                           float hue, float saturation, float exposure, bint flip, unsigned int seed):
    """One batch as darknet's detection loader makes it for training (random images, jitter,
    HSV changes, the mirror when ``flip``): (x: n x 3 x h x w float32, truths: n x boxes x 5)."""
    import numpy as np
    cdef _PathList paths = _PathList(list_file)
    x = np.zeros((n, 3 * w * h), dtype=np.float32)
    y = np.zeros((n, boxes * 5), dtype=np.float32)
    cdef float[:, ::1] xv = x
    cdef float[:, ::1] yv = y
    cdef int status, previous = dn.pdn_get_training_flip()
    dn.srand(seed)
    dn.pdn_set_training_flip(flip)
    try:
        with nogil:
            status = dn.pdn_load_detection_batch(paths.items, paths.size, n, w, h, boxes, classes, jitter,
                                                 hue, saturation, exposure, &xv[0, 0], &yv[0, 0])
    finally:
        dn.pdn_set_training_flip(previous)
    _check(status, f"loading a batch from {list_file}")
    return x.reshape(n, 3, h, w), y.reshape(n, boxes, 5)


cdef int _train_multi(list handles, dn.data batch, float *loss) except? -1:
    cdef int n = len(handles), i, status
    cdef dn.network **nets = <dn.network **>malloc(n * sizeof(dn.network *))
    if nets == NULL:
        raise MemoryError()
    try:
        for i in range(n):
            nets[i] = (<NetworkHandle>handles[i]).net
        with nogil:
            status = dn.pdn_train_multi(nets, n, batch, loss)
    finally:
        free(nets)
    return status
