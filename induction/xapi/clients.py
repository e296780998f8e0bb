"""LRS clients: credentials an admin issues, HTTP Basic authentication, and the authority they stand for."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, select, update

from induction.clock import utcnow
from induction.extensions import db
from induction.xapi.formats import XapiError
from induction.xapi.models import LrsClient
from induction.xapi.services import Caller


@dataclass(frozen=True)
class IssuedClient:
    """A new client and its secret, which is shown once and never stored in clear."""

    client: LrsClient
    secret: str


def hash_secret(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is safe here (nothing to guess) and
    # keeps every authenticated request cheap, unlike a password hash.
    return hashlib.sha256(secret.encode()).hexdigest()


def create(
    name: str, *, read_only: bool = False, organisation_ids: Iterable[int] = (), created_by_id: int | None = None
) -> IssuedClient:
    """Issue a client with a new key and secret (flushed, not committed)."""
    secret = secrets.token_urlsafe(32)
    client = LrsClient(
        name=name.strip()[:200],
        key=secrets.token_hex(10),
        secret_hash=hash_secret(secret),
        read_only=read_only,
        organisation_ids=json.dumps(sorted(set(organisation_ids))),
        created_by_id=created_by_id,
    )
    db.session.add(client)
    db.session.flush()
    return IssuedClient(client, secret)


def revoke(client: LrsClient) -> None:
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        db.session.flush()


def clients_query() -> Select[Any]:
    return select(LrsClient).order_by(LrsClient.revoked_at.is_not(None), LrsClient.name)


def organisations_of(client: LrsClient) -> frozenset[int]:
    return _organisations(client.organisation_ids)


def _organisations(stored: str | None) -> frozenset[int]:
    return frozenset(int(i) for i in json.loads(stored or "[]"))


def authority_of(name: str, key: str) -> dict[str, Any]:
    """The Agent that statements posted with the client of this name and key are asserted by."""
    return {"objectType": "Agent", "name": name, "account": {"homePage": current_app.config["BASE_URL"], "name": key}}


def _credentials(header: str | None) -> tuple[str, str]:
    if not header or not header.lower().startswith("basic "):
        raise XapiError("HTTP Basic authentication is required", "Authorization", 401)
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise XapiError("the Authorization header is not valid Basic credentials", "Authorization", 401) from None
    key, _, secret = decoded.partition(":")
    return key, secret


def authenticate(header: str | None) -> Caller:
    """The caller for these Basic credentials; 401 unless they name a live client with the right secret.

    Called once per request, and read as one row of plain columns: no ORM object to build or expire."""
    key, secret = _credentials(header)
    C = LrsClient.__table__
    columns = (C.c.id, C.c.name, C.c.secret_hash, C.c.read_only, C.c.organisation_ids, C.c.revoked_at, C.c.last_used_at)
    client = db.session.execute(select(*columns).where(C.c.key == key)).first() if key else None
    if client is None or client.revoked_at is not None:
        raise XapiError("these credentials are not known or have been revoked", "Authorization", 401)
    if not hmac.compare_digest(client.secret_hash, hash_secret(secret)):
        raise XapiError("these credentials are not known or have been revoked", "Authorization", 401)
    now = utcnow()
    # Record use at most once a minute, so reads do not each write.
    if client.last_used_at is None or now - client.last_used_at > timedelta(minutes=1):
        db.session.execute(update(C).where(C.c.id == client.id).values(last_used_at=now))
    return Caller(
        authority=authority_of(client.name, key),
        read_only=client.read_only,
        organisation_ids=_organisations(client.organisation_ids),
        client_id=client.id,
    )
