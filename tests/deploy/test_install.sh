#!/usr/bin/env bash
# Install layout and systemd unit: `cmake --install` into a temporary DESTDIR
# (through the Dockerfile's build-stage script), then systemd-analyze verify,
# systemd-analyze security --offline=yes (exposure <= 2.0), the runtime-stage
# check, the man page, the Prometheus rules, and config preservation on re-install.
#   test_install.sh BUILD_DIR
set -euo pipefail
build=$1
src=${TBE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
max_exposure=2.0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tbe-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

bash "$src/scripts/docker-build-stage.sh" --install-only "$build" "$dest"

exe=$(find "$dest" -path '*/bin/trino-buffer-exporter' -type f | head -n 1)
unit=$(find "$dest" -name trino-buffer-exporter.service -type f | head -n 1)
man8=$(find "$dest" -path '*/man8/trino-buffer-exporter.8' -type f | head -n 1)
conf=$(find "$dest" -path '*/etc/trino-buffer-exporter/exporter.conf' -type f | head -n 1)
[ -n "$exe" ] && [ -n "$unit" ] && [ -n "$man8" ] && [ -n "$conf" ] || {
    echo "FAIL: staged tree incomplete: exe=$exe unit=$unit man=$man8 conf=$conf" >&2
    exit 1
}
rules=$(find "$dest" -path '*/share/trino-buffer-exporter/prometheus-rules.yml' -type f | head -n 1)
cmp -s "$rules" "$src/examples/prometheus-rules.yml" || bad "prometheus-rules.yml not installed in share/trino-buffer-exporter"
[ -n "$(find "$dest" -path '*/doc/trino-buffer-exporter/alerts.md' -type f)" ] || bad "alerts.md not installed in the doc directory"
case $unit in */lib/systemd/system/*) ;; *) bad "unit not in a systemd unit directory: $unit" ;; esac
"$exe" --version >/dev/null || bad "$exe --version"

# The unit's contract.
for line in 'Type=notify' 'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' 'DynamicUser=yes' \
    'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'PrivateDevices=yes' 'NoNewPrivileges=yes' \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' 'SystemCallFilter=@system-service' \
    'MemoryDenyWriteExecute=yes' 'CapabilityBoundingSet=' 'Documentation=man:trino-buffer-exporter(8)'; do
    grep -qxF -- "$line" "$unit" || bad "unit lacks: $line"
done
grep -qE '^WatchdogSec=[1-9]' "$unit" || bad "unit lacks WatchdogSec="
grep -qE "^ExecStart=/[^ ]*/bin/trino-buffer-exporter --config /[^ ]*/trino-buffer-exporter/exporter.conf\$" "$unit" ||
    bad "unit ExecStart: $(grep ^ExecStart= "$unit")"

# systemd-analyze checks that ExecStart= is executable: point it into DESTDIR.
# The Documentation= man page must be found where it was installed.
check=$tmp/units
mkdir -p "$check/trino-buffer-exporter.service.d"
sed "s#^ExecStart=/#ExecStart=$dest/#" "$unit" >"$check/trino-buffer-exporter.service"
cp "$src/systemd/credentials.conf.example" "$check/trino-buffer-exporter.service.d/credentials.conf"
mandir=${man8%/man8/*}
out=$(cd "$check" && MANPATH=$mandir systemd-analyze verify --man=yes trino-buffer-exporter.service 2>&1) ||
    bad "systemd-analyze verify: $out"
[ -z "$out" ] || bad "systemd-analyze verify printed: $out"
echo "systemd-analyze verify: OK (with the credentials drop-in)"

sec=$(systemd-analyze security --offline=yes "$check/trino-buffer-exporter.service" 2>&1) ||
    bad "systemd-analyze security failed: $sec"
score=$(printf '%s\n' "$sec" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
echo "systemd-analyze security --offline=yes: exposure $score (max $max_exposure)"
if [ -z "$score" ] || ! awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s <= m) }'; then
    printf '%s\n' "$sec" | grep '✗' >&2 || true
    bad "exposure ${score:-?} > $max_exposure"
fi

# The runtime stage's check on the staged binaries (libraries vs. packages).
bash "$src/scripts/docker-runtime-stage.sh" --check "$dest" || bad "docker-runtime-stage.sh --check"

# The man page: no groff warnings, the sections a man page needs.
warn=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$man8" 2>&1) || bad "groff failed"
[ -z "$warn" ] || bad "groff warnings: $warn"
text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$man8" 2>/dev/null | col -b)
for s in NAME SYNOPSIS DESCRIPTION OPTIONS SIGNALS SYSTEMD FILES; do
    grep -q "^$s" <<<"$text" || bad "man page lacks section $s"
done
for opt in --config --check-config --once --parse --log-level --log-format --version --help; do
    grep -q -- "$opt" <<<"$text" || bad "man page lacks $opt"
done

# A re-install never overwrites the administrator's config.
echo '# local change' >>"$conf"
bash "$src/scripts/docker-build-stage.sh" --install-only "$build" "$dest" >/dev/null
grep -q '^# local change$' "$conf" || bad "re-install overwrote $conf"

[ $fail = 0 ] && echo "test_install: OK"
exit $fail
