"""The provider's RSA signing key: one key file shared by every process.

Several gunicorn workers (and the test server) sign ID tokens, and the relying
party verifies them against the one key that /jwks publishes, so all processes
must sign with the same key. The key lives in settings.MOCK_EID_KEY_FILE
(PEM, PKCS#8, mode 0600). When it is missing, the first process to need it
generates it and publishes it atomically with a hard link, which fails if
another process got there first; the loser then reads the winner's file, so no
worker ever keeps a key that is not on disk. (On file systems without hard
links, os.replace is the fallback and the file is read back after it.)

The key is cached in memory per process, by path (tests point the setting at a
temporary file). Delete the file and restart to rotate the key.
"""

import base64
import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

KEY_SIZE = 2048
ALGORITHM = "RS256"

_lock = threading.Lock()
_cache: dict[Path, rsa.RSAPrivateKey] = {}
_jwk_cache: dict[int, dict] = {}


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _load(path: Path) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < KEY_SIZE:
        raise ValueError(f"{path} does not hold an RSA private key of at least {KEY_SIZE} bits")
    return key


def _generate(path: Path) -> rsa.RSAPrivateKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file with mode 0600 in the same folder (same file system).
    fd, tmp_name = tempfile.mkstemp(prefix=".mock-eid-key-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o600)
        try:
            os.link(tmp_name, path)
        except FileExistsError:
            pass  # another process published its key first: use that one
        except OSError:
            os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return _load(path)


def private_key() -> rsa.RSAPrivateKey:
    """The signing key, loaded (or created) once per process."""
    path = Path(settings.MOCK_EID_KEY_FILE)
    key = _cache.get(path)
    if key is not None:
        return key
    with _lock:
        key = _cache.get(path)
        if key is None:
            key = _load(path) if path.exists() else _generate(path)
            _cache[path] = key
    return key


def public_jwk() -> dict:
    """The public key as a JWK (RFC 7517), with its RFC 7638 thumbprint as kid."""
    key = private_key()
    cached = _jwk_cache.get(id(key))
    if cached is None or cached["key"] is not key:
        numbers = key.public_key().public_numbers()
        jwk = {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)}
        cached = {"key": key, "jwk": {**jwk, "kid": thumbprint(jwk), "use": "sig", "alg": ALGORITHM}}
        _jwk_cache[id(key)] = cached
    return dict(cached["jwk"])


def thumbprint(jwk: dict) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, no whitespace."""
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def key_id() -> str:
    return public_jwk()["kid"]


def jwks() -> dict:
    return {"keys": [public_jwk()]}
