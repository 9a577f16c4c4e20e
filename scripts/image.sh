#!/usr/bin/env bash
# Build the container image from the Dockerfile with buildah (no daemon, no
# registry), run it for real against the coordinator simulator, print its size.
#   scripts/image.sh [--no-run] [--tag NAME] [--sim PATH]
#   scripts/image.sh --clean       remove the images and layers this script made
#                                  (keeps the debootstrap tarball)
#   --no-run    build only (the run check needs python3 and a built trino-sim)
#   --tag NAME  image name (default localhost/trino-buffer-exporter:VERSION)
#   --sim PATH  the simulator for the run check (default $TBE_SIM, else
#               BUILD_DIR/bin/trino-sim, BUILD_DIR defaulting to ./build)
# Run as root on Debian 12; installs buildah with apt-get when missing.
#
# 1. Base image. The Dockerfile says FROM debian:bookworm-slim. When buildah has
#    no such image, it is made here: the cached debootstrap minbase tarball
#    (scripts/debian-rootfs.sh) is unpacked into a `buildah from scratch`
#    container, trimmed the way Debian's slim images are (debuerreotype's
#    slimify and minimizing config), and committed as
#    localhost/debian:bookworm-slim, which buildah's short-name lookup finds
#    for debian:bookworm-slim (a debian:bookworm-slim already in buildah's
#    storage, e.g. a pulled one, is used as it is). Differences from the published image: package
#    versions are today's (not the image's snapshot), timestamps are not
#    normalized, and the layer is not byte-for-byte reproducible.
# 2. Build: buildah bud --pull=never --layers, vfs storage, chroot isolation
#    (works on any file system and needs no container runtime). The build
#    stage is also tagged (localhost/trino-buffer-exporter-build:cache) so its
#    package layer stays cached between runs; older layers of this Dockerfile
#    are removed.
# 3. Run check: a working container of the image gets a config pointing at a
#    simulator on 127.0.0.1 and runs the image's ENTRYPOINT + CMD with
#    `buildah run --isolation chroot --network host --user 65532:65532`:
#    chroot isolation runs the process in the host's network namespace, so
#    loopback is shared, and buildah sets the user itself. (No PID namespace:
#    the supervisor is not PID 1 here.) Checks: /metrics equals /sim/expected
#    for every worker series (tests/integration/match_truth.py), supervisor and
#    collectors run as uid/gid 65532, SIGTERM ends the run with status 0 and
#    no process left, no compiler or test tool in the image.
# 4. One line `image: NAME: SIZE ...`.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
here=$top/scripts

run_check=1 clean=0 tag="" sim=${TBE_SIM:-}
while [ $# -gt 0 ]; do
    case $1 in
    --no-run) run_check=0 ;;
    --clean) clean=1 ;;
    --tag) tag=${2:?--tag NAME}; shift ;;
    --sim) sim=${2:?--sim PATH}; shift ;;
    *) echo "usage: $0 [--no-run] [--tag NAME] [--sim PATH] | --clean" >&2; exit 64 ;;
    esac
    shift
done
[ "$(id -u)" = 0 ] || { echo "image: must run as root (buildah with vfs storage)" >&2; exit 77; }

version=$(sed -n 's/^project(trino-buffer-exporter VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
[ -n "$version" ] || { echo "image: no project version in $top/CMakeLists.txt" >&2; exit 1; }
tag=${tag:-localhost/trino-buffer-exporter:$version}
base=localhost/debian:bookworm-slim
build_cache=localhost/trino-buffer-exporter-build:cache

if ! type -P buildah >/dev/null; then
    echo "image: installing buildah"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends buildah >/dev/null
fi
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
# Debian 12's buildah (1.28) ignores the STORAGE_DRIVER variable its manual
# documents, so every call names the driver.
buildah() { command buildah --storage-driver "$STORAGE_DRIVER" "$@"; }

# Untagged images of this Dockerfile's steps that nothing builds on any more
# (superseded cache layers). Other images in buildah's storage are left alone.
prune_ours() {
    local id removed=1
    while [ $removed = 1 ]; do
        removed=0
        for id in $(buildah images --quiet --filter dangling=true 2>/dev/null); do
            if buildah inspect --type image --format '{{range .Docker.History}}{{.CreatedBy}}{{"\n"}}{{end}}' "$id" 2>/dev/null |
                grep -qE 'docker-(build|runtime)-stage\.sh|/tmp/tbe/'; then
                buildah rmi "$id" >/dev/null 2>&1 && removed=1
            fi
        done
    done
}

if [ $clean = 1 ]; then
    for img in "$tag" "$build_cache" "$base"; do
        buildah rmi "$img" >/dev/null 2>&1 && echo "image: removed $img" || true
    done
    prune_ours
    exit 0
fi

# One run at a time on this machine (same image names, same storage).
cache=${TBE_CACHE_DIR:-/var/cache/trino-buffer-exporter}
mkdir -p "$cache"
exec 8>"$cache/.image.lock"
flock -n 8 || { echo "image: waiting for another scripts/image.sh"; flock 8; }

# The processes under a pid (those of a `buildah run`).
descendants() {
    local p kids
    kids=$(grep -l "^PPid:[[:space:]]*$1\$" /proc/[0-9]*/status 2>/dev/null | cut -d/ -f3 || true)
    for p in $kids; do
        echo "$p"
        descendants "$p"
    done
}

ctr="" sim_pid="" run_pid="" tmp=$(mktemp -d "${TMPDIR:-/tmp}/tbe-image.XXXXXX")
cleanup() {
    if [ -n "$run_pid" ]; then
        kill -KILL $(descendants "$run_pid") "$run_pid" 2>/dev/null || true
        wait "$run_pid" 2>/dev/null || true
    fi
    [ -z "$sim_pid" ] || { kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null || true; }
    [ -z "$ctr" ] || buildah rm "$ctr" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# --- 1. base image ----------------------------------------------------------

# The trimming of Debian's slim images, on a root file system at $1.
slimify() {
    local r=$1
    # Later package installs keep excluding the same files (as in the real image).
    cat >"$r/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# The "slim" variant of the Debian base image (made by scripts/image.sh):
# files normally unnecessary in containers are excluded, also from later installs.
path-exclude /usr/share/doc/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
path-include /usr/share/doc/*/copyright
path-include /usr/share/locale/all_languages
path-include /usr/share/locale/currency/*
path-include /usr/share/locale/l10n/*
path-include /usr/share/locale/languages
path-include /usr/share/locale/locale.alias
EOF
    # Remove what those rules exclude, inside the root (symlinks resolve there).
    chroot "$r" /bin/sh -c '
        for d in doc groff info linda lintian/overrides locale man; do
            [ -d /usr/share/$d ] || continue
            find /usr/share/$d -depth -mindepth 1 ! -type d ! -type l \
                ! -path "/usr/share/doc/*/copyright" ! -path /usr/share/locale/all_languages \
                ! -path "/usr/share/locale/currency/*" ! -path "/usr/share/locale/l10n/*" \
                ! -path /usr/share/locale/languages ! -path /usr/share/locale/locale.alias -exec rm -f {} +
            while [ -n "$(find /usr/share/$d -depth -mindepth 1 \( -empty -o -xtype l \) -print -exec rm -rf {} + | head -c1)" ]; do :; done
        done'
    # Services never start during an install; apt keeps no caches or translations.
    printf '#!/bin/sh\n# No service starts during a package install in a container.\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
    chmod 0755 "$r/usr/sbin/policy-rc.d"
    echo force-unsafe-io >"$r/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
    local clean='"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true";'
    cat >"$r/etc/apt/apt.conf.d/docker-clean" <<EOF
DPkg::Post-Invoke { $clean };
APT::Update::Post-Invoke { $clean };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'Acquire::GzipIndexes "true";' >"$r/etc/apt/apt.conf.d/docker-gzip-indexes"
    echo 'Acquire::Languages "none";' >"$r/etc/apt/apt.conf.d/docker-no-languages"
    echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$r/etc/apt/apt.conf.d/docker-autoremove-suggests"
    # No logs or caches of the bootstrap; the runtime provides resolv.conf and hostname.
    rm -rf "$r/var/lib/apt/lists/"* "$r/var/cache/apt/"*.bin "$r/var/cache/ldconfig/aux-cache" \
        "$r/var/log/"*.log "$r/var/log/apt/"*
    mkdir -p "$r/var/lib/apt/lists/partial"
    : >"$r/etc/hostname"
}

if buildah inspect --type image debian:bookworm-slim >/dev/null 2>&1; then
    echo "image: base debian:bookworm-slim present"
else
    start=$(date +%s)
    tarball=$(bash "$here/debian-rootfs.sh")
    ctr=$(buildah from --name "tbe-base-$$" scratch)
    mnt=$(buildah mount "$ctr")
    tar -C "$mnt" --numeric-owner --xattrs -xzpf "$tarball" --exclude='./dev/*'
    slimify "$mnt"
    buildah umount "$ctr" >/dev/null
    buildah config --cmd '["bash"]' \
        --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
    buildah commit --quiet --rm "$ctr" "$base" >/dev/null
    ctr=""
    echo "image: made $base from $tarball in $(($(date +%s) - start)) s"
fi

# --- 2. build ---------------------------------------------------------------

start=$(date +%s)
# The build stage first, tagged, so that its package layer survives the pruning.
buildah bud --isolation chroot --pull=never --layers --target build -t "$build_cache" -f "$top/Dockerfile" "$top"
buildah bud --isolation chroot --pull=never --layers -t "$tag" -f "$top/Dockerfile" "$top"
prune_ours
echo "image: built $tag in $(($(date +%s) - start)) s"

size_line() {
    local mnt=$1
    printf 'image: %s: %s (buildah images), %s MiB unpacked, user %s\n' "$tag" \
        "$(buildah images --format '{{.Size}}' "$tag" | head -n 1)" \
        "$(du -sxm "$mnt" | cut -f1)" "$(buildah inspect --type image --format '{{.OCIv1.Config.User}}' "$tag")"
}

ctr=$(buildah from --pull=never --name "tbe-image-check-$$" "$tag")
mnt=$(buildah mount "$ctr")
if [ $run_check = 0 ]; then
    size_line "$mnt"
    exit 0
fi

# --- 3. run check -----------------------------------------------------------

fail=0
bad() { echo "image: FAIL: $*" >&2; fail=1; }

# No compiler, build or test tool: none of setup.sh's build and test packages
# that are not runtime packages, and no such binary.
eval "$(awk '/^(runtime|build|test)_pkgs=\(/ { on = 1 } on { print } on && /\)/ { on = 0 }' "$here/setup.sh")"
[ "${#runtime_pkgs[@]}" -gt 0 ] && [ "${#build_pkgs[@]}" -gt 0 ] && [ "${#test_pkgs[@]}" -gt 0 ] ||
    { echo "image: no package lists in $here/setup.sh" >&2; exit 1; }
installed=$(dpkg-query --admindir="$mnt/var/lib/dpkg" -W -f='${Package} ${db:Status-Abbrev}\n' | awk '$2 ~ /^ii/ { print $1 }')
# openssl is also a dependency of ca-certificates (a runtime package).
for p in "${build_pkgs[@]}" "${test_pkgs[@]}"; do
    printf ' %s ' "${runtime_pkgs[@]}" openssl | grep -q " $p " && continue
    grep -qx "$p" <<<"$installed" && bad "the image contains the build/test package $p"
done
for p in $(grep -E '^(gcc|g\+\+|cpp|clang|llvm|binutils|make|cmake|python3)(-[0-9.]+)?$|-dev$' <<<"$installed" || true); do
    bad "the image contains the package $p"
done
for b in cc gcc c99 cpp clang make cmake ld as objdump python3 git curl valgrind promtool helm; do
    for d in usr/bin usr/local/bin bin; do
        [ -e "$mnt/$d/$b" ] && bad "the image contains /$d/$b"
    done
done

# The image's own entry point, user and default command.
user=$(buildah inspect --type image --format '{{.OCIv1.Config.User}}' "$tag")
mapfile -t entry < <(buildah inspect --type image --format '{{range .OCIv1.Config.Entrypoint}}{{.}}{{"\n"}}{{end}}' "$tag")
mapfile -t cmd < <(buildah inspect --type image --format '{{range .OCIv1.Config.Cmd}}{{.}}{{"\n"}}{{end}}' "$tag")
[ "$user" = 65532:65532 ] || bad "image USER is '$user', want 65532:65532"
[ "${#entry[@]}" -ge 1 ] || { bad "image has no ENTRYPOINT"; exit 1; }
conf=/etc/trino-buffer-exporter/exporter.conf
[ "${cmd[*]}" = "--config $conf" ] || bad "image CMD is '${cmd[*]}', want '--config $conf'"

if [ -z "$sim" ]; then sim=${BUILD_DIR:-$top/build}/bin/trino-sim; fi
[ -x "$sim" ] || { echo "image: no simulator at $sim (scripts/build.sh -DTBE_BUILD_SIM=ON builds it; or --sim PATH, or --no-run)" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "image: the run check needs python3 (or --no-run)" >&2; exit 1; }

"$sim" --listen 127.0.0.1:0 --port-file "$tmp/sim.port" --queries 6 --workers 4 --stages 3 &
sim_pid=$!
for _ in $(seq 100); do [ -s "$tmp/sim.port" ] && break; sleep 0.1; done
[ -s "$tmp/sim.port" ] || { echo "image: the simulator did not start" >&2; exit 1; }
sim_url=http://127.0.0.1:$(cat "$tmp/sim.port")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cat >"$tmp/exporter.conf" <<EOF
listen = "127.0.0.1:$port";
poll_interval_seconds = 1;
coordinators = ( { name = "sim"; url = "$sim_url"; release = "trino"; } );
EOF
buildah copy --quiet --chmod 0644 "$ctr" "$tmp/exporter.conf" "$conf" >/dev/null

echo "image: running ${entry[*]} ${cmd[*]} as $user (simulator $sim_url, /metrics on 127.0.0.1:$port)"
buildah run --isolation chroot --network host --user "$user" "$ctr" -- "${entry[@]}" "${cmd[@]}" \
    >"$tmp/run.log" 2>&1 &
run_pid=$!

# The processes of the run by command name.
named() { local p; for p in $(descendants "$run_pid"); do [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$1" ] && echo "$p"; done; true; }

sup=""
for _ in $(seq 300); do
    sup=$(named trino-buffer-ex | head -n 1)
    [ -n "$sup" ] && break
    kill -0 "$run_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$sup" ]; then
    bad "the exporter did not start"
    cat "$tmp/run.log" >&2
    exit 1
fi

PYTHONDONTWRITEBYTECODE=1 python3 "$top/tests/integration/match_truth.py" "http://127.0.0.1:$port/metrics" "$sim_url" \
    --release trino --timeout 60 || bad "/metrics of the image does not equal the simulator's truth"

collectors=$(named trino-buffer-co)
[ -n "$collectors" ] || bad "no collector process"
for p in $sup $collectors; do
    ids=$(awk '/^(Uid|Gid):/ { printf "%s %s %s %s ", $2, $3, $4, $5 }' "/proc/$p/status")
    [ "$ids" = "65532 65532 65532 65532 65532 65532 65532 65532 " ] ||
        bad "process $p ($(cat "/proc/$p/comm")) runs with uid/gid $ids, want 65532"
done
echo "image: supervisor $sup and collector(s) $(echo $collectors) run as uid 65532 gid 65532"

kill -TERM "$sup"
stopped=0
for _ in $(seq 100); do
    kill -0 "$run_pid" 2>/dev/null || { stopped=1; break; }
    sleep 0.1
done
if [ $stopped = 1 ]; then
    rc=0
    wait "$run_pid" || rc=$?
    run_pid=""
    [ $rc = 0 ] || bad "after SIGTERM the run exited $rc, want 0"
    for p in $sup $collectors; do [ -d "/proc/$p" ] && bad "process $p still there after SIGTERM"; done
    [ $rc = 0 ] && echo "image: SIGTERM: exited 0 within 10 s, no process left"
else
    bad "still running 10 s after SIGTERM"
fi
if [ $fail != 0 ]; then
    echo "image: the exporter's output:" >&2
    tail -n 30 "$tmp/run.log" >&2
fi

size_line "$mnt"
[ $fail = 0 ] && echo "image: OK"
exit $fail
