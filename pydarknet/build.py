"""What this copy of pydarknet was built from and can do: build_info() and has()."""
from __future__ import annotations

from typing import Any

from . import _build_info, _native

_FEATURES = ("cuda", "cudnn", "openmp", "blas")


def build_info() -> dict[str, Any]:
    """The darknet commit and origin, BLAS, OpenMP, CUDA/cuDNN and compiler flags of this build."""
    facts = _native.native_facts()
    return {
        "darknet_commit": _build_info.DARKNET_COMMIT,
        "darknet_origin": _build_info.DARKNET_ORIGIN,
        "darknet_source_dir": _build_info.DARKNET_DIR,
        "darknet_debian_version": _build_info.DARKNET_DEBIAN_VERSION or None,
        "blas": facts["blas"],
        "blas_library": _build_info.BLAS_LIBRARY or None,
        "blas_config": facts["blas_config"] or None,
        "openmp": _build_info.OPENMP,
        "openmp_threads": facts["openmp_threads"],
        "fast_cpu": _build_info.FAST_CPU,
        "cuda": facts["cuda_compiled"],
        "cuda_version": _build_info.CUDA_VERSION or None,
        "cuda_architectures": _build_info.CUDA_ARCHITECTURES or None,
        "cuda_note": _build_info.CUDA_NOTE,
        "cuda_devices": _native.cuda_devices(),
        "cudnn": facts["cudnn_compiled"],
        "compiler": _build_info.C_COMPILER,
        "c_flags": _build_info.C_FLAGS,
        "defines": _build_info.DEFINES,
        "build_type": _build_info.BUILD_TYPE,
    }


def has(feature: str) -> bool:
    """Whether ``feature`` ("cuda", "cudnn", "openmp", "blas") is usable now.

    "cuda" means: compiled with CUDA *and* at least one CUDA device answers at run time.
    """
    facts = _native.native_facts()
    if feature == "cuda":
        return facts["cuda_compiled"] and bool(_native.cuda_devices())
    if feature == "cudnn":
        return facts["cudnn_compiled"] and bool(_native.cuda_devices())
    if feature == "openmp":
        return facts["openmp_threads"] > 0
    if feature == "blas":
        return facts["blas"] != "none"
    raise ValueError(f"unknown feature {feature!r}; known: {', '.join(_FEATURES)}")
