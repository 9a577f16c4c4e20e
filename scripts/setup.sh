#!/usr/bin/env bash
# Install everything the exporter needs to build, run and test on Debian 12
# (run as root, or with sudo available). Idempotent: installs only what is missing.
#   scripts/setup.sh            build + test dependencies (default)
#   scripts/setup.sh --build    only what building needs (also the Dockerfile's build stage)
#   scripts/setup.sh --demo     --build, plus python3 and curl for scripts/demo.sh --check
#   scripts/setup.sh --runtime  only the runtime libraries (used by the Dockerfile)
set -euo pipefail

mode=${1:---all}
here=$(cd "$(dirname "$0")" && pwd)

runtime_pkgs=(libcurl4 libyajl2 libconfig9 libmicrohttpd12 libsystemd0 zlib1g libssl3 libyaml-0-2 libgnutls30 libcrypt1 ca-certificates)
build_pkgs=(build-essential cmake pkg-config git libyajl-dev yajl-tools libcurl4-openssl-dev
            libconfig-dev libmicrohttpd-dev libsystemd-dev zlib1g-dev libssl-dev libyaml-dev libgnutls28-dev
            libcrypt-dev ca-certificates
            libcivetweb-dev) # the last only for the simulator (tests/sim), not in any image
demo_pkgs=(python3 curl)
test_pkgs=(python3 python3-jwt python3-cryptography openssl clang-format libclang-rt-14-dev python3-yaml curl procps prometheus wrk clang systemd unzip iproute2 time groff-base man-db bsdextrautils valgrind lintian chromium fonts-dejavu-core)

case "$mode" in
--runtime) pkgs=("${runtime_pkgs[@]}") ;;
--build) pkgs=("${build_pkgs[@]}") ;;
--demo) pkgs=("${build_pkgs[@]}" "${demo_pkgs[@]}") ;;
--all) pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
*) echo "usage: $0 [--all|--build|--demo|--runtime]" >&2; exit 64 ;;
esac

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm brings helm for the chart tests; a machine may already have Node.js from elsewhere.
if [ "$mode" = --all ] && ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    # The prometheus package must not start a system-wide server: tests start their own.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
        $sudo chmod +x /usr/sbin/policy-rc.d
        trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$mode" = --all ] && ! command -v helm >/dev/null 2>&1; then
    $sudo bash "$here/install-helm.sh"
fi
echo "setup: dependencies present"
