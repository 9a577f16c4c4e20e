#!/usr/bin/env bash
# Run a command in a brand-new Debian 12 with nothing but git: the way to check
# that the repository's own scripts install everything they need.
#   scripts/fresh-debian.sh [--samples DIR | --no-samples] [--keep] 'COMMAND'
#   e.g. scripts/fresh-debian.sh 'bash scripts/demo.sh --check'
#        scripts/fresh-debian.sh 'bash scripts/test.sh'
# Each run unpacks a new copy of the cached `debootstrap --variant=minbase
# bookworm` tarball (scripts/debian-rootfs.sh, made on the first run), installs
# git and ca-certificates in it, clones this repository's committed HEAD
# (uncommitted changes are not in it) to /root/trino-buffer-exporter, and runs
# COMMAND there with bash, as root, in a clean environment (TBE_*, FUZZ_SECONDS
# and CI are passed through). Exits with COMMAND's status.
#   --samples DIR  a read-only copy of DIR at /root/shared/samples, i.e.
#                  ../shared/samples from the clone, where CI has the shared
#                  samples (default: ../shared/samples of this repository, if
#                  it exists)
#   --no-samples   no samples
#   --keep         keep the root file system (its path is printed) for a look
# Isolation: own mount and PID namespaces (unshare), the host's network
# namespace (loopback is shared; apt reaches the mirror through the host's
# resolv.conf; CA certificates added on the host in
# /usr/local/share/ca-certificates, e.g. an egress proxy's, are trusted in it
# too). The root is bind-mounted on itself (so "/" is a mount point), and
# /proc, /sys, /dev, /dev/pts, /dev/shm and /run (tmpfs) are mounted in it;
# everything is unmounted, every process COMMAND left behind is killed and the
# root removed on exit, also on Ctrl-C. The tarball stays cached in
# TBE_CACHE_DIR (default /var/cache/trino-buffer-exporter); the roots are made
# under TBE_FRESH_DIR (default /var/tmp). Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

usage() { echo "usage: $0 [--samples DIR | --no-samples] [--keep] 'COMMAND'" >&2; exit 64; }
samples=$top/../shared/samples keep=0
[ -d "$samples" ] || samples=""
while [ $# -gt 0 ]; do
    case $1 in
    --samples) [ $# -ge 2 ] || usage; samples=$2; shift ;;
    --no-samples) samples="" ;;
    --keep) keep=1 ;;
    --) shift; break ;;
    -*) usage ;;
    *) break ;;
    esac
    shift
done
[ $# = 1 ] && [ -n "$1" ] || usage
command=$1
[ "$(id -u)" = 0 ] || { echo "fresh-debian: must run as root (chroot, mounts)" >&2; exit 77; }
if [ -n "$samples" ]; then
    [ -d "$samples" ] || { echo "fresh-debian: --samples $samples: not a directory" >&2; exit 66; }
    samples=$(cd "$samples" && pwd)
fi

# Outside the namespaces: make (or reuse) the tarball, then re-run this script
# as PID 1 of new mount and PID namespaces. When it ends, the kernel kills
# whatever COMMAND left running and drops every mount made inside.
if [ "${TBE_FRESH_INNER:-}" != 1 ]; then
    git -C "$top" rev-parse --verify -q HEAD >/dev/null ||
        { echo "fresh-debian: $top is not a git repository with a commit" >&2; exit 1; }
    [ -z "$(git -C "$top" status --porcelain --untracked-files=no)" ] ||
        echo "fresh-debian: note: uncommitted changes in $top are not in the clone" >&2
    tarball=$(bash "$here/debian-rootfs.sh")
    args=(--no-samples)
    [ -z "$samples" ] || args=(--samples "$samples")
    [ $keep = 0 ] || args+=(--keep)
    exec env TBE_FRESH_INNER=1 TBE_FRESH_TARBALL="$tarball" \
        unshare --mount --pid --fork --propagation private --kill-child \
        bash "$0" "${args[@]}" -- "$command"
fi

# Inside: this shell is PID 1 of its own PID namespace (the cleanup relies on it).
[ $$ = 1 ] || { echo "fresh-debian: TBE_FRESH_INNER is internal; run $0 without it" >&2; exit 70; }
tarball=$TBE_FRESH_TARBALL
base=${TBE_FRESH_DIR:-/var/tmp}
mkdir -p "$base"
# Each root is locked (ROOT.lock) while its run lives; a root whose lock is
# free was left by a run that was killed (SIGKILL skips the cleanup): removed
# here. A kept root has no lock file.
exec 6>"$base/.tbe-fresh-debian.lock"
flock 6
for lock in "$base"/tbe-fresh-debian.*.lock; do
    [ -e "$lock" ] || continue
    if flock -n "$lock" true; then
        rm -rf --one-file-system "${lock%.lock}" && rm -f "$lock"
        echo "fresh-debian: removed ${lock%.lock}, left by a killed run"
    fi
done
root=$(mktemp -d "$base/tbe-fresh-debian.XXXXXX")
exec 7>"$root.lock"
flock 7
exec 6>&-
mounted=()

cleanup() {
    local rc=$? i left t0=$SECONDS
    trap - EXIT INT TERM
    # Every other process of this PID namespace is COMMAND's leftover.
    kill -KILL -1 2>/dev/null || true
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" 2>/dev/null || true
    done
    left=$(awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/self/mounts)
    if [ -n "$left" ]; then
        echo "fresh-debian: still mounted, $root not removed: $left" >&2
    elif [ $keep = 1 ]; then
        rm -f "$root.lock"
        echo "fresh-debian: root kept at $root"
    else
        rm -rf --one-file-system "$root"
        rm -f "$root.lock"
        echo "fresh-debian: removed $root in $((SECONDS - t0)) s"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mnt() { # mnt TARGET MOUNT-ARGS...: mount and remember it for the cleanup
    local target=$root$1
    shift
    mkdir -p "$target"
    mount "$@" "$target"
    mounted+=("$target")
}

start=$(date +%s)
tar -C "$root" --numeric-owner --xattrs -xzpf "$tarball"
# The root is a mount point, as on a real machine (container tools remount "/").
mnt "" --bind "$root"
mnt /proc -t proc proc
mnt /sys -t sysfs -o ro,nosuid,nodev,noexec sysfs
mnt /dev --bind /dev
mnt /dev/pts --bind /dev/pts
mnt /dev/shm -t tmpfs -o mode=1777,nosuid,nodev shm
mnt /run -t tmpfs -o mode=0755,nosuid,nodev run
mkdir -p -m 1777 "$root/run/lock"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"

# A clean environment, as a login on a new machine would have.
env_vars=(HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
for name in $(compgen -e); do
    case $name in TBE_FRESH_*) ;; TBE_* | FUZZ_SECONDS | CI) env_vars+=("$name=${!name}") ;; esac
done
in_root() { chroot "$root" /usr/bin/env -i "${env_vars[@]}" "$@"; }

# Certificate authorities added on this host (e.g. a TLS-intercepting egress
# proxy's) are trusted in the chroot too: a fresh machine of the same network
# gets them the same way, and without them npm cannot reach its registry.
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi

echo "fresh-debian: installing git in a new Debian 12 at $root"
in_root /bin/sh -c 'export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends git ca-certificates >/dev/null' ||
    { echo "fresh-debian: apt-get install git in the chroot failed" >&2; exit 1; }

# The clone is made by the chroot's own git from a read-only view of this repository.
mnt /mnt/source --bind -o ro "$top"
mount -o remount,bind,ro "$root/mnt/source"
in_root git -c safe.directory='*' clone --quiet /mnt/source /root/trino-buffer-exporter
umount "$root/mnt/source"
unset 'mounted[-1]'
rmdir "$root/mnt/source"
echo "fresh-debian: cloned $(git -C "$top" log -1 --format='%h %s' HEAD | cut -c1-72)"

if [ -n "$samples" ]; then
    mkdir -p "$root/root/shared"
    cp -a "$samples" "$root/root/shared/samples"
    chmod -R a-w "$root/root/shared/samples"
    echo "fresh-debian: samples from $samples at /root/shared/samples (read-only)"
fi
echo "fresh-debian: ready in $(($(date +%s) - start)) s; running: $command"

start=$(date +%s)
rc=0
in_root /bin/bash -c 'cd /root/trino-buffer-exporter && eval "$1"' fresh-debian "$command" </dev/null || rc=$?
echo "fresh-debian: '$command' exited $rc after $(($(date +%s) - start)) s"
exit $rc
