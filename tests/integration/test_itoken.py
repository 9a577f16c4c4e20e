#!/usr/bin/env python3
"""The internal token, checked by independent implementations:
Debian's python3-cryptography derives the keys (HKDF-SHA256, no salt, info
"internal-communication", 32 bytes; hashlib's SHA-256 for Trino <= 479) and
Debian's python3-jwt (PyJWT) verifies the tokens tbe-itoken makes with the real
src/collector/itoken.c, and makes tokens that itoken_verify must accept or refuse
exactly as PyJWT does. A token signed with the other scheme's key is refused by
both. The secrets reach tbe-itoken in files, as in the exporter."""
import base64
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import check, finish, log  # noqa: E402

import jwt  # noqa: E402  python3-jwt
from trino_keys import hkdf_key, sha256_key  # noqa: E402  python3-cryptography, hashlib

TOOL = os.environ["TBE_ITOKEN"]
d = os.environ.get("TMPDIR", "/tmp")
d = os.path.join(d, "tbe-it-itoken-%d" % os.getpid())
os.makedirs(d, mode=0o700)


def keys(secret):
    return {"hkdf": hkdf_key(secret), "sha256": sha256_key(secret)}


def secret_file(name, secret, newline=b"\n"):
    path = os.path.join(d, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(secret + newline)
    return path


def tool(*args, stdin=None):
    r = subprocess.run([TOOL] + [str(a) for a in args], input=stdin, capture_output=True,
                       timeout=30)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def unb64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# Secrets: Trino's test secret, non-ASCII UTF-8, an `openssl rand 512 | base64`
# style value joined to one line, spaces kept, the longest the reader accepts.
secrets = {
    "trino-test": b"internal-shared-secret",
    "utf8": "sécret-ü-秘密".encode(),
    "base64": base64.b64encode(bytes(range(256)) * 2),
    "spaces": b"  leading and trailing kept \t",
    "max": b"k" * 4096,
}
now = int(time.time())

for name, secret in secrets.items():
    path = secret_file(name, secret)
    want = keys(secret)
    check(want["hkdf"] != want["sha256"], "%s: the two schemes give different keys" % name)

    # (a) the keys
    for scheme in ("hkdf", "sha256"):
        rc, out, err = tool("derive", scheme, path)
        check(rc == 0 and out.strip() == want[scheme].hex(),
              "%s: %s key = %s" % (name, scheme, "python3-cryptography HKDF" if scheme == "hkdf"
                                   else "hashlib.sha256"))
    # a CRLF line end is the same secret
    path_crlf = secret_file(name + "-crlf", secret, b"\r\n")
    rc, out, err = tool("derive", "hkdf", path_crlf)
    check(rc == 0 and out.strip() == want["hkdf"].hex(), "%s: CRLF stripped" % name)

    for scheme, other in (("hkdf", "sha256"), ("sha256", "hkdf")):
        key = want[scheme]

        # (b) ours, verified by PyJWT
        rc, out, err = tool("make", scheme, path, "tbe-exporter-1", now, 360)
        token = out.strip()
        check(rc == 0 and token.count(".") == 2, "%s/%s: tbe-itoken makes a token" % (name, scheme))
        try:
            claims = jwt.decode(token, key, algorithms=["HS256"])
            ok = claims == {"sub": "tbe-exporter-1", "exp": now + 360}
        except jwt.PyJWTError as e:
            log("PyJWT:", repr(e))
            ok = False
        check(ok, "%s/%s: PyJWT verifies our token, sub and exp" % (name, scheme))
        check(jwt.get_unverified_header(token) == {"alg": "HS256"},
              "%s/%s: header exactly {\"alg\":\"HS256\"}, as jjwt writes it" % (name, scheme))
        h, p, s = token.split(".")
        check(unb64(h) == b'{"alg":"HS256"}' and
              unb64(p) == b'{"sub":"tbe-exporter-1","exp":%d}' % (now + 360) and
              "=" not in token and len(unb64(s)) == 32,
              "%s/%s: the exact bytes (claims in jjwt's order, no padding)" % (name, scheme))
        try:
            jwt.decode(token, want[other], algorithms=["HS256"])
            rejected = False
        except jwt.InvalidSignatureError:
            rejected = True
        check(rejected, "%s/%s: PyJWT refuses it with the %s key" % (name, scheme, other))
        rc, out, err = tool("verify", scheme, path, now, stdin=token.encode())
        check(rc == 0 and out.split() == ["ok", "tbe-exporter-1", str(now + 360)],
              "%s/%s: round trip through itoken_verify" % (name, scheme))
        rc, out, err = tool("verify", other, path, now, stdin=token.encode())
        check(rc == 1 and out.strip() == "bad signature",
              "%s/%s: itoken_verify refuses it with the %s key" % (name, scheme, other))

        # (c) PyJWT's, verified by ours (PyJWT adds "typ":"JWT" to the header)
        token = jwt.encode({"sub": "coordinator-7", "exp": now + 300}, key, algorithm="HS256")
        rc, out, err = tool("verify", scheme, path, now, stdin=token.encode())
        check(rc == 0 and out.split() == ["ok", "coordinator-7", str(now + 300)],
              "%s/%s: itoken_verify accepts PyJWT's token" % (name, scheme))
        rc, out, err = tool("verify", other, path, now, stdin=token.encode())
        check(rc == 1 and out.strip() == "bad signature",
              "%s/%s: ... and refuses it with the %s key" % (name, scheme, other))

# Both sides agree on the edges, with PyJWT's tokens and ours.
path = secret_file("edges", secrets["trino-test"])
key = keys(secrets["trino-test"])["hkdf"]


def pyjwt_verdict(token):
    """PyJWT's verdict now (it reads the clock itself)."""
    try:
        jwt.decode(token, key, algorithms=["HS256"], options={"require": ["exp"]})
        return "ok"
    except jwt.ExpiredSignatureError:
        return "expired"
    except jwt.ImmatureSignatureError:
        return "not yet valid"
    except jwt.InvalidAlgorithmError:
        return "algorithm"
    except jwt.InvalidSignatureError:
        return "signature"
    except jwt.MissingRequiredClaimError:
        return "claims"
    except jwt.DecodeError:
        return "malformed"


t = int(time.time())
cases = [
    # (what, token, itoken_verify's answer, PyJWT's verdict)
    ("expired a second ago", jwt.encode({"sub": "c", "exp": t - 1}, key, algorithm="HS256"),
     "token expired", "expired"),
    ("valid for an hour", jwt.encode({"sub": "c", "exp": t + 3600}, key, algorithm="HS256"),
     "ok c %d" % (t + 3600), "ok"),
    ("nbf in an hour", jwt.encode({"sub": "c", "exp": t + 7200, "nbf": t + 3600}, key,
                                  algorithm="HS256"), "token not yet valid", "not yet valid"),
    ("alg none", jwt.encode({"sub": "c", "exp": t + 60}, None, algorithm="none"),
     "algorithm is not HS256", "algorithm"),
    ("alg HS512", jwt.encode({"sub": "c", "exp": t + 60}, key, algorithm="HS512"),
     "algorithm is not HS256", "algorithm"),
    ("no exp", jwt.encode({"sub": "c"}, key, algorithm="HS256"),
     "missing or invalid claims", "claims"),
]
for what, token, ours, theirs in cases:
    if isinstance(token, bytes):
        token = token.decode()
    rc, out, err = tool("verify", "hkdf", path, t, stdin=token.encode())
    check(out.strip() == ours and (rc == 0) == ours.startswith("ok"),
          "%s: itoken_verify says %r" % (what, ours))
    if out.strip() != ours:
        log("got", repr(out), repr(err))
    check(pyjwt_verdict(token) == theirs, "%s: PyJWT agrees (%s)" % (what, theirs))

# Our token at its edges: valid until exp, refused from exp on, by both
# (PyJWT reads the clock, so it gets a margin where the edge is in the future).
rc, out, err = tool("make", "hkdf", path, "n", t - 360, 361)
token = out.strip()
rc, out, err = tool("verify", "hkdf", path, t, stdin=token.encode())
check(rc == 0, "our token with 1 s left: itoken_verify accepts")
rc, out, err = tool("make", "hkdf", path, "n", t - 300, 360)
check(pyjwt_verdict(out.strip()) == "ok", "our token made 5 min ago: PyJWT accepts")
rc, out, err = tool("make", "hkdf", path, "n", t - 360, 360)
token = out.strip()
rc, out, err = tool("verify", "hkdf", path, t, stdin=token.encode())
check(rc == 1 and out.strip() == "token expired", "our token at exp: itoken_verify refuses")
check(pyjwt_verdict(token) == "expired", "our token at exp: PyJWT refuses")

# A tampered payload (exp pushed out, signature kept) is refused by both.
rc, out, err = tool("make", "hkdf", path, "n", t, 60)
h, p, s = out.strip().split(".")
forged = ".".join([h, base64.urlsafe_b64encode(json.dumps(
    {"sub": "n", "exp": t + 10 ** 6}, separators=(",", ":")).encode()).decode().rstrip("="), s])
rc, out, err = tool("verify", "hkdf", path, t, stdin=forged.encode())
check(rc == 1 and out.strip() == "bad signature", "forged exp: itoken_verify refuses")
check(pyjwt_verdict(forged) == "signature", "forged exp: PyJWT refuses")

# The secret never appears in anything the tool prints, even when refused.
bad = secret_file("two-lines", b"s3cret-line-1\ns3cret-line-2")
rc, out, err = tool("derive", "hkdf", bad)
check(rc == 2 and "line break" in err and "s3cret" not in out + err,
      "a two-line secret file is refused without its content")

subprocess.run(["rm", "-rf", d], check=False)
finish()
