#!/usr/bin/env bash
# A pristine Debian 12 root file system, made once by debootstrap and cached as
# a tarball; scripts/image.sh (the base image) and scripts/fresh-debian.sh (a
# fresh chroot) unpack new copies of it.
#   scripts/debian-rootfs.sh            make the tarball if missing, print its path
#   scripts/debian-rootfs.sh --refresh  make it again (e.g. to pick up updates)
# Environment: TBE_CACHE_DIR (default /var/cache/trino-buffer-exporter),
# TBE_DEBIAN_MIRROR (default http://deb.debian.org/debian), TBE_DEBIAN_SECURITY
# (default http://deb.debian.org/debian-security).
# The tarball is `debootstrap --variant=minbase bookworm` (the packages of
# priority required, plus apt) with the apt sources of a standard install
# (bookworm, bookworm-updates, bookworm-security), no downloaded .debs and
# nothing of the host it was made on (resolv.conf, hostname).
# Needs root; installs debootstrap with apt-get when missing.
set -euo pipefail

refresh=0
case "${1:-}" in
"") ;;
--refresh) refresh=1 ;;
*) echo "usage: $0 [--refresh]" >&2; exit 64 ;;
esac
[ "$(id -u)" = 0 ] || { echo "debian-rootfs: must run as root (debootstrap)" >&2; exit 77; }

cache=${TBE_CACHE_DIR:-/var/cache/trino-buffer-exporter}
mirror=${TBE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${TBE_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
arch=$(dpkg --print-architecture)
tarball=$cache/debian-bookworm-minbase-$arch.tar.gz

mkdir -p "$cache"
# One maker at a time (image.sh and fresh-debian.sh may run together).
exec 9>"$cache/.debian-rootfs.lock"
flock 9

if [ -s "$tarball" ] && [ $refresh = 0 ]; then
    echo "$tarball"
    exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1 || [ ! -s /usr/share/keyrings/debian-archive-keyring.gpg ]; then
    echo "debian-rootfs: installing debootstrap" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends debootstrap debian-archive-keyring >/dev/null
fi

work=$(mktemp -d "$cache/.rootfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "debian-rootfs: debootstrap --variant=minbase bookworm from $mirror (a few minutes, once)" >&2
start=$(date +%s)
if ! debootstrap --variant=minbase --arch="$arch" bookworm "$work/root" "$mirror" >"$work/log" 2>&1; then
    echo "debian-rootfs: debootstrap failed; last lines:" >&2
    tail -n 20 "$work/log" >&2
    [ -f "$work/root/debootstrap/debootstrap.log" ] && tail -n 20 "$work/root/debootstrap/debootstrap.log" >&2
    exit 1
fi

# The sources of a standard Debian 12 install, in the deb822 form Debian's own
# container images use.
rm -f "$work/root/etc/apt/sources.list"
cat >"$work/root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
# Nothing of this host: debootstrap copies its resolv.conf and hostname.
rm -f "$work/root/etc/resolv.conf"
echo localhost >"$work/root/etc/hostname"
mkdir -p "$work/root/var/lib/apt/lists/partial"

tar --numeric-owner --xattrs -C "$work/root" -czf "$work/rootfs.tar.gz" .
mv -f "$work/rootfs.tar.gz" "$tarball"
echo "debian-rootfs: $tarball ($(du -h "$tarball" | cut -f1)) in $(($(date +%s) - start)) s" >&2
echo "$tarball"
