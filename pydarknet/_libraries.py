"""Loads the shared libraries the extension links against before the extension itself.

The extension finds them through an $ORIGIN-relative RPATH when they sit in the same
site-packages; preloading by absolute path also covers split installs (user site, --target dirs).
"""
from __future__ import annotations

import ctypes
import glob
import os


def _load_global(path: str) -> None:
    ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)


def preload() -> None:
    try:
        import scipy_openblas32
    except ImportError:        # a build with PYDARKNET_BLAS=system|off does not need it
        pass
    else:
        lib = os.path.join(scipy_openblas32.get_lib_dir(), "libscipy_openblas.so")
        if os.path.exists(lib):
            _load_global(lib)
    try:                       # CUDA builds: cuBLAS/cuRAND from the nvidia-* wheels
        import nvidia
    except ImportError:
        return
    for base in getattr(nvidia, "__path__", []):
        for pattern in ("cu13/lib/libcublasLt.so.*", "cu13/lib/libcublas.so.*", "cu13/lib/libcurand.so.*"):
            for lib in sorted(glob.glob(os.path.join(base, pattern))):
                try:
                    _load_global(lib)
                except OSError:
                    pass
