#!/usr/bin/env bash
# Obtain darknet's source when the `darknet/` submodule is empty (our machines cannot reach GitHub).
#
# Debian bookworm's source package `darknet` (0.0.0+git20180914.61c9d02e-2) is upstream commit
# 61c9d02e plus five small Debian patches (data paths, OpenCV 4 build fixes, a use-after-free fix in
# image_opencv.cpp). None of them touches code that pydarknet compiles in except a data path
# in image.c that we never use, so the library is the pinned commit.
#
# Usage: scripts/fetch-darknet-source.sh [DEST]   (default: third_party/darknet-debian, git-ignored)
# Adds a deb-src entry for bookworm when none exists (needs root for that and for installing dpkg-dev).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-$here/third_party/darknet-debian}"
want_version="0.0.0+git20180914.61c9d02e-2"

if [ -f "$dest/src/network.c" ] && [ -f "$dest/include/darknet.h" ]; then
    echo "fetch-darknet-source: already present at $dest"
    exit 0
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

have_deb_src() {
    grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/
}

if ! have_deb_src; then
    echo "fetch-darknet-source: adding a deb-src entry for bookworm"
    as_root tee /etc/apt/sources.list.d/pydarknet-deb-src.sources >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    as_root apt-get update -qq
elif ! apt-cache showsrc darknet >/dev/null 2>&1 || [ -z "$(apt-cache showsrc darknet 2>/dev/null)" ]; then
    as_root apt-get update -qq
fi
command -v dpkg-source >/dev/null || as_root apt-get install -y -qq dpkg-dev >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
( cd "$work" && apt-get source -qq "darknet=$want_version" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true )
unpacked="$(find "$work" -maxdepth 1 -type d -name 'darknet-*' | head -n 1)"
if [ -z "$unpacked" ] || [ ! -f "$unpacked/src/network.c" ]; then
    echo "fetch-darknet-source: apt-get source darknet=$want_version failed" >&2
    exit 1
fi
mkdir -p "$(dirname "$dest")"
rm -rf "$dest"
mv "$unpacked" "$dest"
echo "fetch-darknet-source: darknet $want_version unpacked into $dest"
