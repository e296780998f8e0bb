"""The deployment's signing key for credentials: made once, kept in a file, published as a JWKS.

The key is an ECDSA P-256 key (ES256). Its file is `CREDENTIAL_KEY_FILE` if set (e.g. a mounted
secret), else `credential-signing-key.pem` in the instance folder. The first request that needs
the key and finds no file makes one; two workers doing so at once both end up with the one
written first (the file appears whole, by a hard link that fails if it exists), so every
credential is signed by the key the JWKS publishes.
"""

from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path
from typing import Any

from flask import current_app
from joserfc.jwk import ECKey

ALGORITHM = "ES256"
CURVE = "P-256"
DEFAULT_FILE = "credential-signing-key.pem"


def key_path() -> Path:
    configured = current_app.config.get("CREDENTIAL_KEY_FILE") or ""
    return Path(configured) if configured else Path(current_app.instance_path) / DEFAULT_FILE


def signing_key() -> ECKey:
    """The private key this deployment signs credentials with, made and stored on first use."""
    path = key_path()
    return _loaded(str(path), _ensure(path))


def _ensure(path: Path) -> int:
    """Write a new key to `path` unless one is there; returns the file's modification time."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = ECKey.generate_key(CURVE, private=True).as_pem(private=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        try:
            os.link(draft, path)  # whole or not at all; fails if another worker linked theirs first
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.stat().st_mtime_ns


@functools.lru_cache(maxsize=4)
def _loaded(filename: str, modified: int) -> ECKey:
    key = ECKey.import_key(Path(filename).read_bytes())
    if not key.is_private or key.as_dict(private=False).get("crv") != CURVE:
        raise ValueError(f"{filename} must hold a private EC key on the {CURVE} curve")
    return key


def key_id() -> str:
    """The key's id: its RFC 7638 thumbprint, so a new key gets a new id by itself."""
    return signing_key().thumbprint()


def public_jwks() -> dict[str, Any]:
    """The JWK Set a verifier fetches: the public half only."""
    public = signing_key().as_dict(private=False)
    public.update(kid=key_id(), use="sig", alg=ALGORITHM)
    return {"keys": [public]}
