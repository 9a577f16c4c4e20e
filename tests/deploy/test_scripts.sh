#!/usr/bin/env bash
# The Dockerfile and its scripts: every RUN step is a call of a script that the
# test suite runs (scripts/setup.sh, scripts/docker-build-stage.sh,
# scripts/docker-runtime-stage.sh); the image is non-root, serves port 8000,
# runs the supervisor as PID 1 with the config at the documented path. Also:
# the scripts parse and refuse bad usage with 64, install-helm.sh is
# idempotent, .dockerignore keeps local builds out of the context. (The image
# itself is built and run by deploy_image: scripts/image.sh.)
set -euo pipefail
src=${TBE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
helm=${TBE_HELM:-helm}
df=$src/Dockerfile
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

# Scripts that tests/deploy runs (test_install.sh runs the two docker-* ones).
tested="setup.sh docker-build-stage.sh docker-runtime-stage.sh"
runs=$(grep -cE '^RUN ' "$df" || true)
[ "$runs" -ge 3 ] || bad "Dockerfile: expected >= 3 RUN steps, got $runs"
while IFS= read -r line; do
    script=$(printf '%s\n' "$line" | sed -n 's#^RUN \["bash", "[^"]*scripts/\([a-z-]*\.sh\)".*#\1#p;s#^RUN \["bash", "/tmp/tbe/\([a-z-]*\.sh\)".*#\1#p')
    if [ -z "$script" ]; then
        bad "Dockerfile: RUN is not an exec-form call of a script: $line"
    elif ! printf ' %s ' "$tested" | grep -q " $script "; then
        bad "Dockerfile: $script is not run by the test suite"
    elif [ ! -f "$src/scripts/$script" ]; then
        bad "Dockerfile: scripts/$script missing"
    fi
done < <(grep -E '^RUN ' "$df")
[ "$(grep -c '^FROM debian:bookworm-slim' "$df")" = 2 ] || bad "Dockerfile: two debian:bookworm-slim stages"
grep -qE '^USER [1-9][0-9]*:[1-9][0-9]*$' "$df" || bad "Dockerfile: numeric non-root USER"
grep -qx 'EXPOSE 8000' "$df" || bad "Dockerfile: EXPOSE 8000"
grep -qx 'ENTRYPOINT \["/usr/bin/trino-buffer-exporter"\]' "$df" || bad "Dockerfile: supervisor as PID 1"
grep -q '"/etc/trino-buffer-exporter/exporter.conf"' "$df" || bad "Dockerfile: config path"
grep -q -- '--runtime' "$src/scripts/docker-runtime-stage.sh" || bad "runtime stage must use setup.sh --runtime"
grep -q -- '--build' "$df" || bad "build stage must use setup.sh --build"

for s in setup.sh build.sh install-helm.sh docker-build-stage.sh docker-runtime-stage.sh \
    demo.sh image.sh debian-rootfs.sh fresh-debian.sh deb.sh; do
    bash -n "$src/scripts/$s" || bad "scripts/$s does not parse"
done
sh -n "$src/scripts/install-helm.sh" || bad "install-helm.sh is not POSIX sh"

# The runtime stage's package install, as the image does it (a no-op where the
# packages are present, as after scripts/setup.sh).
bash "$src/scripts/setup.sh" --runtime || bad "setup.sh --runtime"

# Usage errors are distinct.
rc=0; bash "$src/scripts/docker-build-stage.sh" >/dev/null 2>&1 || rc=$?
[ $rc = 64 ] || bad "docker-build-stage.sh without arguments: rc $rc, want 64"
rc=0; bash "$src/scripts/docker-runtime-stage.sh" >/dev/null 2>&1 || rc=$?
[ $rc = 64 ] || bad "docker-runtime-stage.sh without arguments: rc $rc, want 64"
# (Each of these checks its arguments before doing anything.)
for c in "image.sh --bogus" "debian-rootfs.sh --bogus" "fresh-debian.sh" "fresh-debian.sh --bogus x" \
    "fresh-debian.sh a b" "demo.sh --bogus" "setup.sh --bogus" "deb.sh --bogus"; do
    read -ra argv <<<"$c"
    rc=0; bash "$src/scripts/${argv[0]}" "${argv[@]:1}" >/dev/null 2>&1 </dev/null || rc=$?
    [ $rc = 64 ] || bad "scripts/$c: rc $rc, want 64 (usage)"
done

# install-helm.sh: idempotent where helm is installed (no download).
hp=$(command -v "$helm" || true)
if [ -z "$hp" ]; then
    bad "helm not installed (scripts/install-helm.sh)"
else
    out=$(HELM_DEST=$hp sh "$src/scripts/install-helm.sh") || bad "install-helm.sh rerun failed"
    printf '%s\n' "$out" | grep -q 'already at' || bad "install-helm.sh not idempotent: $out"
fi

for pat in .git build; do
    grep -qx "$pat" "$src/.dockerignore" || bad ".dockerignore lacks $pat"
done

[ $fail = 0 ] && echo "test_scripts: OK"
exit $fail
