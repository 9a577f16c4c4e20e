#!/usr/bin/env bash
# Runtime stage of the Dockerfile, also run by the test suite (tests/deploy).
#   docker-runtime-stage.sh ROOT            (in the image: ROOT=/)
#       install the runtime libraries (scripts/setup.sh --runtime), create the
#       unprivileged user 65532, check the staged binaries, clean up.
#   docker-runtime-stage.sh --check ROOT    (the test suite: changes nothing)
#       the checks only: every shared library the binaries need resolves, and
#       (where dpkg knows the file) comes from a package of setup.sh's
#       runtime list or the base image.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

check_only=0
if [ "${1:-}" = --check ]; then check_only=1; shift; fi
[ $# = 1 ] || { echo "usage: $0 [--check] ROOT" >&2; exit 64; }
root=${1%/}

# Packages of debian:bookworm-slim that the binaries may use without listing them.
base_pkgs="libc6 libgcc-s1"
runtime_pkgs=$(sed -n 's/^runtime_pkgs=(\(.*\))/\1/p' "$here/setup.sh")
[ -n "$runtime_pkgs" ] || { echo "docker-runtime-stage: no runtime_pkgs=(...) in $here/setup.sh" >&2; exit 1; }

if [ $check_only = 0 ]; then
    bash "$here/setup.sh" --runtime
    # A system account above SYS_UID_MAX (the distroless "nonroot" id): -K says
    # that is intended.
    getent group tbe >/dev/null || groupadd --system -K SYS_GID_MAX=65532 --gid 65532 tbe
    getent passwd tbe >/dev/null ||
        useradd --system -K SYS_UID_MAX=65532 --uid 65532 --gid 65532 --no-create-home \
            --home-dir /nonexistent --shell /usr/sbin/nologin tbe
fi

bins=$(find "$root/usr" "$root/usr/local" -maxdepth 4 -type f \
    \( -path '*/bin/trino-buffer-exporter' -o -name trino-buffer-collector -o -name trino-buffer-parse \) \
    2>/dev/null | sort -u)
[ "$(printf '%s\n' "$bins" | grep -c .)" -ge 3 ] ||
    { echo "docker-runtime-stage: supervisor, collector or trino-buffer-parse not found under $root" >&2; exit 1; }

fail=0
for b in $bins; do
    if ldd "$b" | grep -q 'not found'; then
        echo "docker-runtime-stage: $b: unresolved libraries:" >&2
        ldd "$b" | grep 'not found' >&2
        fail=1
    fi
    command -v dpkg >/dev/null 2>&1 || continue
    # Direct dependencies only (transitive ones come with the packages' own
    # Depends), as the dynamic loader itself reports them: no binutils needed,
    # so the same check runs in the runtime image.
    direct=$(LD_DEBUG=files LD_TRACE_LOADED_OBJECTS=1 "$b" 2>&1 >/dev/null |
        awk -v by="needed by $b [" 'index($0, by) { sub(/^.*file=/, ""); print $1 }')
    if [ -z "$direct" ]; then
        echo "docker-runtime-stage: $b: the dynamic loader reported no library" >&2
        fail=1
    fi
    for needed in $direct; do
        lib=$(ldd "$b" | awk -v n="$needed" '$1 == n && $2 == "=>" { print $3 }')
        real=$(readlink -f "$lib")
        pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$real" 2>/dev/null || true)
        pkg=${pkg%%:*}
        if [ -z "$pkg" ]; then
            echo "docker-runtime-stage: $b needs $needed, owned by no package" >&2
            fail=1
        elif ! printf ' %s %s ' "$runtime_pkgs" "$base_pkgs" | grep -q " $pkg "; then
            echo "docker-runtime-stage: $b needs $needed from $pkg, missing in setup.sh runtime_pkgs" >&2
            fail=1
        else
            echo "docker-runtime-stage: $(basename "$b"): $needed <- $pkg"
        fi
    done
done
[ $fail = 0 ] || exit 1

if [ $check_only = 0 ]; then
    "$root/usr/bin/trino-buffer-exporter" --version
    apt-get clean
    rm -rf /var/lib/apt/lists/* /tmp/tbe
fi
echo "docker-runtime-stage: OK"
