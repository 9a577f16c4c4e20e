#!/usr/bin/env bash
# The Debian package, for real: build it with scripts/deb.sh, lintian it
# (errors and warnings fail), then in a new Debian 12 chroot (the cached
# `debootstrap --variant=minbase bookworm` of scripts/debian-rootfs.sh):
# `apt-get install ./pkg.deb` (its dependencies from the mirror), the system
# user and the credentials directory, `--check-config` on the shipped
# configuration, `--once` as that user against the simulator (run on the host,
# reached over the shared loopback), both units enabled and kept enabled by an
# upgrade, then `apt-get purge`: nothing of the package may be left (no unit
# link or state either) but the system user, which Debian keeps.
#   test_deb.sh BUILD_DIR   (root for the chroot; otherwise exits 77 after lintian)
set -euo pipefail
build=$1
src=${TBE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
pkg=trino-buffer-exporter

if [ "${TBE_DEB_INNER:-}" != 1 ]; then
    command -v lintian >/dev/null || { echo "test_deb: lintian missing (scripts/setup.sh --all)" >&2; exit 1; }
    tmp=$(mktemp -d /var/tmp/tbe-deb.XXXXXX)
    sim_pid=""
    cleanup() {
        [ -z "$sim_pid" ] || kill "$sim_pid" 2>/dev/null || true
        rm -rf --one-file-system "$tmp"
    }
    trap cleanup EXIT
    t0=$SECONDS
    deb=$(bash "$src/scripts/deb.sh" --build-dir "$build/deb-build" --out "$tmp" | tail -n 1)
    echo "test_deb: built $(basename "$deb") in $((SECONDS - t0)) s"
    contents=$(dpkg-deb -c "$deb" | awk '{ print $NF }')
    for want in ./usr/bin/$pkg ./usr/libexec/$pkg/trino-buffer-collector ./lib/systemd/system/$pkg.service \
        ./usr/share/man/man8/$pkg.8.gz ./etc/$pkg/exporter.conf ./usr/share/$pkg/prometheus-rules.yml \
        ./usr/share/doc/$pkg/copyright ./usr/share/doc/$pkg/alerts.md; do
        grep -qxF "$want" <<<"$contents" || { echo "FAIL: $deb lacks $want" >&2; exit 1; }
    done
    [ "$(dpkg-deb -f "$deb" Package)" = $pkg ] || { echo "FAIL: Package field" >&2; exit 1; }
    dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qxF /etc/$pkg/exporter.conf ||
        { echo "FAIL: exporter.conf is not a conffile" >&2; exit 1; }
    cmp -s <(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/$pkg/prometheus-rules.yml) \
        "$src/examples/prometheus-rules.yml" || { echo "FAIL: shipped rules differ" >&2; exit 1; }
    lrc=0
    lint=$(lintian --fail-on error,warning "$deb" 2>&1) || lrc=$?
    grep -v '^running with root privileges' <<<"$lint" || true
    [ $lrc = 0 ] || { echo "FAIL: lintian (exit $lrc)" >&2; exit 1; }
    echo "test_deb: lintian clean (errors, warnings)"

    if [ "$(id -u)" != 0 ]; then
        echo "test_deb: not root: no chroot install (skipped)"
        exit 77
    fi
    tarball=$(bash "$src/scripts/debian-rootfs.sh")
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$build/bin/trino-sim" --listen "127.0.0.1:$port" --queries 3 --workers 3 >"$tmp/sim.log" 2>&1 &
    sim_pid=$!
    for _ in $(seq 50); do
        (: </dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
        kill -0 "$sim_pid" 2>/dev/null || { cat "$tmp/sim.log" >&2; echo "FAIL: trino-sim exited" >&2; exit 1; }
        sleep 0.2
    done
    TBE_DEB_INNER=1 unshare --mount --pid --fork --propagation private --kill-child \
        bash "$0" "$build" "$tmp" "$deb" "$tarball" "$port"
    echo "test_deb: OK in $((SECONDS - t0)) s"
    exit 0
fi

# Inside new mount and PID namespaces (PID 1): the kernel drops every mount
# and kills every process left when this shell ends.
tmp=$2 deb=$3 tarball=$4 port=$5
root=$tmp/root
mkdir -p "$root"
tar -C "$root" --numeric-owner --xattrs -xzpf "$tarball"
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount -t tmpfs -o mode=0755,nosuid,nodev run "$root/run"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/srv/deb"
cp "$deb" "$root/srv/deb/"
in_root() { chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

t0=$SECONDS
in_root apt-get update -qq
in_root apt-get install -y -qq --no-install-recommends "/srv/deb/$(basename "$deb")" >"$tmp/apt.log" 2>&1 ||
    { cat "$tmp/apt.log" >&2; echo "FAIL: apt-get install ./$(basename "$deb")" >&2; exit 1; }
echo "test_deb: apt-get install in a new Debian 12: $((SECONDS - t0)) s"

grep -qxF "ExecStart=/usr/bin/$pkg --config /etc/$pkg/exporter.conf" "$root/lib/systemd/system/$pkg.service" ||
    bad "unit ExecStart: $(grep '^ExecStart=' "$root/lib/systemd/system/$pkg.service")"
in_root getent passwd $pkg | grep -q ':/nonexistent:/usr/sbin/nologin$' || bad "system user $pkg"
[ "$(stat -c %a "$root/etc/$pkg/credentials")" = 700 ] || bad "/etc/$pkg/credentials not 0700"
in_root trino-buffer-exporter --check-config --config /etc/$pkg/exporter.conf || bad "--check-config on the shipped exporter.conf"
in_root man -w trino-buffer-exporter >/dev/null 2>&1 || [ -f "$root/usr/share/man/man8/$pkg.8.gz" ] || bad "man page"

cat >"$root/tmp/sim.conf" <<CONF
namespace = "trino";
coordinators = ( { name = "sim"; url = "http://127.0.0.1:$port"; release = "trino"; } );
pod_map = { source = "node_id"; };
CONF
chmod 0644 "$root/tmp/sim.conf"
out=$(in_root setpriv --reuid=$pkg --regid=$pkg --clear-groups trino-buffer-exporter --config /tmp/sim.conf --once) ||
    bad "--once as $pkg against the simulator"
grep -qE '^trino_buffer_exporter_up\{coordinator="sim",release="trino"\} 1$' <<<"$out" || bad "--once: up 1"
n=$(grep -c '^trino_worker_running_tasks{' <<<"$out" || true)
[ "$n" = 3 ] || bad "--once: $n workers, not 3"
echo "test_deb: --once as $pkg: up 1, $n workers"

# The administrator enables both units (deb-systemd-helper stands in for
# `systemctl enable`: no systemd runs in the chroot); neither was enabled by the
# install itself.
# It only runs as if from a maintainer script (DPKG_MAINTSCRIPT_PACKAGE).
dsh() { in_root env DPKG_MAINTSCRIPT_PACKAGE=$pkg deb-systemd-helper "$@"; }
wants=$root/etc/systemd/system
for unit in $pkg.service $pkg.socket; do
    [ -f "$root/lib/systemd/system/$unit" ] || bad "$unit not installed"
    dsh --quiet is-enabled $unit && bad "$unit enabled by the install"
    dsh enable $unit >/dev/null 2>&1 || bad "enable $unit"
done
[ -L "$wants/multi-user.target.wants/$pkg.service" ] || bad "enabling left no multi-user.target.wants link"
[ -L "$wants/sockets.target.wants/$pkg.socket" ] || bad "enabling left no sockets.target.wants link"

# Upgrade keeps a changed conffile (dpkg's conffile handling, no prompt with
# --force-confold) and both enabled units enabled.
echo '# local change' >>"$root/etc/$pkg/exporter.conf"
in_root dpkg --force-confold -i "/srv/deb/$(basename "$deb")" >/dev/null || bad "re-install"
grep -q '^# local change$' "$root/etc/$pkg/exporter.conf" || bad "re-install overwrote exporter.conf"
for unit in $pkg.service $pkg.socket; do
    dsh --quiet is-enabled $unit || bad "re-install disabled $unit"
done

rm -f "$root/srv/deb/"*.deb "$root/tmp/sim.conf"
in_root apt-get purge -y -qq $pkg >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log" >&2; bad "apt-get purge"; }
left=$(cd "$root" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./run \) -prune -o \
    -name "*$pkg*" -print)
[ -z "$left" ] || bad "left after purge: $left"
in_root dpkg-query -W -f '${db:Status-Abbrev}' $pkg 2>/dev/null | grep -q . && bad "still known to dpkg after purge"
in_root getent passwd $pkg >/dev/null || bad "system user removed on purge (Debian keeps it)"
[ $fail = 0 ] && echo "test_deb: purged; left: the system user $pkg (kept by policy)"
exit $fail
