#!/usr/bin/env bash
# Build stage of the Dockerfile, also run by the test suite (tests/deploy).
#   docker-build-stage.sh SRC BUILD DEST
#       configure + build with scripts/build.sh (prefix /usr, Release), install
#       stripped into DEST (DESTDIR), then check the staged tree.
#   docker-build-stage.sh --install-only BUILD DEST
#       the install + check steps only, from an existing build directory.
# The check reads BUILD/install_manifest.txt: the supervisor, the collector,
# the unit and the man page must be staged, and the config present.
set -euo pipefail

install_only=0
if [ "${1:-}" = --install-only ]; then
    install_only=1
    shift
    [ $# = 2 ] || { echo "usage: $0 --install-only BUILD DEST" >&2; exit 64; }
    build=$1 dest=$2
else
    [ $# = 3 ] || { echo "usage: $0 SRC BUILD DEST | --install-only BUILD DEST" >&2; exit 64; }
    src=$1 build=$2 dest=$3
fi

if [ $install_only = 0 ]; then
    BUILD_DIR=$build bash "$src/scripts/build.sh" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_SYSCONFDIR=/etc
fi

mkdir -p "$dest"
DESTDIR=$dest cmake --install "$build" --strip >/dev/null

manifest=$build/install_manifest.txt
[ -s "$manifest" ] || { echo "docker-build-stage: no $manifest" >&2; exit 1; }
fail=0
for want in '/bin/trino-buffer-exporter' '/trino-buffer-exporter/trino-buffer-collector' \
    '/trino-buffer-exporter/trino-buffer-parse' \
    '/trino-buffer-exporter.service' '/man8/trino-buffer-exporter.8'; do
    if ! grep -q -- "$want\$" "$manifest"; then
        echo "docker-build-stage: not installed: *$want" >&2
        fail=1
    fi
done
while read -r f; do
    case $f in "$dest"/*) ;; *) f=$dest$f ;; esac
    [ -e "$f" ] || [ -L "$f" ] || { echo "docker-build-stage: missing $f" >&2; fail=1; }
done <"$manifest"
# The live config is installed only when absent, so it may not be in the manifest.
if [ -z "$(find "$dest" -path '*/etc/trino-buffer-exporter/exporter.conf' 2>/dev/null)" ]; then
    echo "docker-build-stage: not installed: */etc/trino-buffer-exporter/exporter.conf" >&2
    fail=1
fi
[ $fail = 0 ] || exit 1
echo "docker-build-stage: $(wc -l <"$manifest") files staged in $dest"
