"""Trino's internal-communication signing keys, computed independently of
src/collector/itoken.c: HKDF-SHA256 (no salt, info "internal-communication",
32 bytes; Trino >= 480) with Debian's python3-cryptography, and SHA-256 of the
secret (Trino <= 479) with hashlib. secret: bytes. python3-cryptography is
imported on first use only.
"""
import hashlib


def hkdf_key(secret):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"internal-communication").derive(secret)


def sha256_key(secret):
    return hashlib.sha256(secret).digest()
