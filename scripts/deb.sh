#!/usr/bin/env bash
# Build a Debian package (.deb) of the exporter from this tree, for bare metal
# and VMs: dpkg-deb from a `cmake --install` into a staging tree, nothing of
# the test suite needed (building needs only scripts/setup.sh --build).
#   scripts/deb.sh [--build-dir DIR] [--out DIR]
#     --build-dir  the Release build (default ./build-deb; configured with
#                  prefix /usr, sysconfdir /etc, Debian's hardening flags)
#     --out        where the .deb goes (default ./dist); its path is printed last
# Contents: /usr/bin/trino-buffer-exporter, the collector and parser in
# /usr/libexec/trino-buffer-exporter/, the unit in /lib/systemd/system, the
# man page, /etc/trino-buffer-exporter/exporter.conf (a conffile: upgrades
# never overwrite local changes), the examples and
# docs/alerts.md in /usr/share/doc/trino-buffer-exporter/, and the Prometheus
# rules (examples/prometheus-rules.yml) in /usr/share/trino-buffer-exporter/.
# The maintainer scripts (packaging/deb/) create the system user
# trino-buffer-exporter and /etc/trino-buffer-exporter/credentials (0700), and
# leave the unit disabled on a new install. lintian overrides, each with its
# reason: packaging/deb/lintian-overrides.
# Environment: DEB_MAINTAINER ("Name <mail>", default the last commit's author).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-deb out=$top/dist
while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) build=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "usage: $0 [--build-dir DIR] [--out DIR]" >&2; exit 64 ;;
    esac
    shift
done
for tool in dpkg-deb dpkg-shlibdeps dpkg-buildflags; do
    command -v $tool >/dev/null || { echo "deb: $tool missing (Debian package dpkg-dev)" >&2; exit 69; }
done
pkg=trino-buffer-exporter
version=$(sed -n 's/^project(trino-buffer-exporter VERSION \([0-9.]*\) .*/\1/p' "$top/CMakeLists.txt")
[ -n "$version" ] || { echo "deb: no version in CMakeLists.txt" >&2; exit 1; }
debversion=$version-1
arch=$(dpkg --print-architecture)
maint=${DEB_MAINTAINER:-$(git -C "$top" log -1 --format='%an <%ae>' 2>/dev/null || true)}
[ -n "$maint" ] || { echo "deb: set DEB_MAINTAINER=\"Name <mail>\"" >&2; exit 64; }

# Release build, Debian's hardening flags (fortify, relro, bindnow, PIE).
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
    LDFLAGS=$(dpkg-buildflags --get LDFLAGS) \
    BUILD_DIR=$build bash "$top/scripts/build.sh" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_SYSCONFDIR=/etc -DTBE_SYSTEMD_UNITDIR=/lib/systemd/system \
    -DTBE_BUILD_TESTS=OFF >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/tbe-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
DESTDIR=$root cmake --install "$build" --strip >/dev/null
if [ ! -x "$root/usr/bin/$pkg" ] || [ ! -x "$root/usr/libexec/$pkg/trino-buffer-collector" ] ||
    [ ! -f "$root/usr/share/$pkg/prometheus-rules.yml" ]; then
    echo "deb: the install tree lacks the binaries or the rules" >&2
    exit 1
fi

doc=$root/usr/share/doc/$pkg
install -m 0644 "$top/packaging/deb/copyright" "$doc/copyright"
install -d -m 0755 "$root/usr/share/lintian/overrides"
install -m 0644 "$top/packaging/deb/lintian-overrides" "$root/usr/share/lintian/overrides/$pkg"
gzip -9n "$root/usr/share/man/man8/$pkg.8"
date=$(date -R -d "@$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)")
printf '%s (%s) unstable; urgency=medium\n\n  * Built from the source tree by scripts/deb.sh.\n\n -- %s  %s\n' \
    "$pkg" "$debversion" "$maint" "$date" | gzip -9n >"$doc/changelog.Debian.gz"
rmdir "$root/etc/$pkg/credentials" # made by postinst, mode 0700

# Dependencies of the ELF files, as dpkg-shlibdeps finds them.
mkdir -p "$work/src/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" >"$work/src/debian/control"
mapfile -t elves < <(find "$root/usr/bin" "$root/usr/libexec" -type f -printf '-e%p\n')
shlibs=$(cd "$work/src" && dpkg-shlibdeps -O "${elves[@]}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

mkdir -p "$root/DEBIAN"
cat >"$root/DEBIAN/control" <<CONTROL
Package: $pkg
Version: $debversion
Architecture: $arch
Maintainer: $maint
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $shlibs, adduser
Recommends: ca-certificates
Section: net
Priority: optional
Description: Prometheus exporter of Trino workers' output buffers
 Tells autoscalers which Trino workers still hold in-flight query data in
 their output buffers, so that a scale-down never removes one a running
 query still reads from. A supervisor serves /metrics and runs one collector
 process per coordinator, which polls the coordinator (or the workers) for
 running tasks and their buffers.
CONTROL
echo "/etc/$pkg/exporter.conf" >"$root/DEBIAN/conffiles"
install -m 0755 "$top/packaging/deb/postinst" "$top/packaging/deb/prerm" "$top/packaging/deb/postrm" "$root/DEBIAN/"
(cd "$root" && find . \( -path ./DEBIAN -o -path ./etc \) -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/control" "$root/DEBIAN/conffiles"

mkdir -p "$out"
deb=$out/${pkg}_${debversion}_$arch.deb
dpkg-deb --build -Zxz --root-owner-group "$root" "$deb" >/dev/null
echo "$deb"
