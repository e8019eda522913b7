#!/usr/bin/env bash
# Proves the CUDA variant compiles and links on a machine with nvcc but no GPU (our CI), and that
# the result imports and runs on the CPU there. With a GPU present it also runs the GPU tests.
#
# Needs: nvcc (CUDA 13), the project venv (.venv), network access to PyPI for the cuBLAS/cuRAND
# wheels (or a pip cache / wheel folder in PIP_FIND_LINKS).
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
work=build/cuda-check
nv="$work/nvidia-site"
mkdir -p "$work"

if [ ! -f "$nv/nvidia/cu13/include/cublas_v2.h" ] || [ ! -f "$nv/nvidia/cu13/include/curand.h" ]; then
    echo "== installing cuBLAS and cuRAND wheels into $nv"
    $py -m pip install -q --no-deps --target "$nv" "nvidia-cublas==13.0.*" "nvidia-curand==10.4.0.*"
fi

echo "== building the CUDA variant (sm_90 + PTX)"
rm -rf "$work/dist"
PYDARKNET_NVIDIA_ROOT="$PWD/$nv/nvidia/cu13" $py -m pip wheel --no-deps -q \
    -C build-dir="$work/build" -C cmake.define.PYDARKNET_CUDA=ON -w "$work/dist" .
wheel=$(ls "$work/dist"/*.whl)
rm -rf "$work/site"
$py -m pip install -q --no-deps --target "$work/site" "$wheel"
so=$(ls "$work"/site/pydarknet/_native*.so)

echo "== checking the extension: $so"
blas_lib=$($py -c "import scipy_openblas32 as s; print(s.get_lib_dir())")
LD_LIBRARY_PATH="$PWD/$nv/nvidia/cu13/lib:$blas_lib" ldd "$so" | tee "$work/ldd.txt"
if grep -q "not found" "$work/ldd.txt"; then echo "unresolved libraries" >&2; exit 1; fi
# the device code (sm_90 cubins + compute_90 PTX) lives in the .nv_fatbin section
fatbin=$(readelf -SW "$so" | awk '$2 == ".nv_fatbin" {print $6}')
fatbin=$((16#${fatbin:-0}))
[ -n "$fatbin" ] && [ "$fatbin" -gt 100000 ] || { echo "no GPU code (.nv_fatbin) in $so" >&2; exit 1; }
echo "GPU code embedded: .nv_fatbin $((fatbin / 1024)) KiB"

echo "== importing the CUDA build and running it"
root="$PWD"
(cd "$work" && PYTHONPATH="$root/$work/site:$root/$nv" "$root/$py" - "$root") <<'PY'
import sys
import numpy as np
import pydarknet
info = pydarknet.build_info()
assert info["cuda"] and "GPU" in info["defines"], info
print("cuda build:", info["cuda_version"], info["cuda_architectures"], "devices:", info["cuda_devices"])
assert pydarknet.__file__.startswith(sys.argv[1] + "/build/cuda-check/site/"), pydarknet.__file__
cfg = sys.argv[1] + "/tests/assets/tiny-yolo-64.cfg"
w = pydarknet.write_random_weights(cfg, "tiny.weights", seed=3)
print("has('cuda') =", pydarknet.has("cuda"))
if pydarknet.has("cuda"):
    with pydarknet.Network(cfg, w, gpu=0) as net:
        img = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
        print("GPU detect:", len(net.detect(img, thresh=0.05)), "detections")
else:
    # without a device the CUDA build must refuse cleanly (darknet would need one), not crash
    try:
        pydarknet.Network(cfg, w)
    except RuntimeError as exc:
        print("no device: Network() refuses cleanly:", exc)
    else:
        raise SystemExit("a CUDA build without a device should refuse to load a network")
    from pydarknet import _native
    try:       # past the Python check, darknet's own CUDA error is caught by the guard
        _native.NetworkHandle(cfg, str(w), 0, -1, False)
    except pydarknet.DarknetError as exc:
        print("darknet's CUDA error became DarknetError:", exc)
    else:
        raise SystemExit("expected darknet to fail without a CUDA device")
PY
if (cd "$work" && PYTHONPATH="$root/$work/site:$root/$nv" "$root/$py" -c "import pydarknet, sys; sys.exit(0 if pydarknet.has('cuda') else 1)"); then
    echo "== a GPU is present: running the test suite on the CUDA build"
    (cd "$work" && PYTHONPATH="$PWD/site:$PWD/nvidia-site" ../../.venv/bin/python -m pytest ../../tests -q -p no:cacheprovider)
fi
echo "== CUDA variant OK"
