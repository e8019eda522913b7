#!/usr/bin/env bash
# One-time (and idempotent) set-up on a fresh Debian bookworm machine: system packages, darknet's
# source when the submodule is empty, a virtual environment in .venv, and `pip install .`.
# Usage: scripts/setup.sh [EXTRAS]     e.g. scripts/setup.sh test,bench
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-test}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
need_pkgs=()
# fonts-*: the typefaces the synthetic plate generator renders with (never downloaded at run time)
for pkg in gcc g++ make dpkg-dev python3-venv fonts-opendin fonts-dejavu-core; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_pkgs+=("$pkg")
done
if [ ${#need_pkgs[@]} -gt 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${need_pkgs[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# darknet's source: the submodule when checked out, else Debian's source package of the same commit
if [ ! -f darknet/src/network.c ] && [ -z "${DARKNET_SOURCE_DIR:-}" ]; then
    git submodule update --init darknet >/dev/null 2>&1 || true
    [ -f darknet/src/network.c ] || scripts/fetch-darknet-source.sh
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
echo "setup: pip install .[$extras] (builds the darknet extension)"
.venv/bin/python -m pip install -q ".[$extras]"
# (from outside the source tree, so the installed package is the one imported)
(cd "${TMPDIR:-/tmp}" && "$OLDPWD/.venv/bin/python" -c "import pydarknet; i = pydarknet.build_info(); print('setup: pydarknet built from', i['darknet_origin'], i['darknet_commit'][:8], '| BLAS', i['blas'], '| OpenMP', i['openmp'], '| CUDA', i['cuda'])")
