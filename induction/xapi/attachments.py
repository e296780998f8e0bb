"""Attachment data (xAPI 1.0.3 Data 2.4.11, Communication 1.5.2): reading `multipart/mixed`
statement requests, matching each part to the attachments the statements declare by SHA-2,
storing the bytes once per hash, and answering GET with `attachments=true` as `multipart/mixed`.

The MIME parsing is the standard library's `email` parser; this module only checks what it found.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from flask import Response, current_app
from sqlalchemy import select

from induction.extensions import db
from induction.xapi import signatures
from induction.xapi.formats import XapiError
from induction.xapi.models import AttachmentData

# Each attachment's data may be at most this many octets (LRS_ATTACHMENT_MAX_BYTES); the whole
# request is also bounded by MAX_CONTENT_LENGTH (5 MiB). Either answers 413.
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
# SHA-2 digests by the length of their hex form: the spec names SHA-256, -384 and -512; SHA-224 is SHA-2 too.
DIGESTS = {56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}


@dataclass(frozen=True)
class Part:
    """One attachment part of a request: its declared hash (lower case), media type and raw bytes."""

    sha2: str
    content_type: str | None
    data: bytes


def max_bytes() -> int:
    return int(current_app.config.get("LRS_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def parse(content_type: str, body: bytes) -> tuple[bytes, list[Part]]:
    """The statements (the first part's bytes) and the attachment parts of a multipart/mixed body.

    Raises XapiError naming what is malformed: no boundary, a missing or unclosed boundary, a first
    part that is not application/json, a later part without X-Experience-API-Hash, an encoding other
    than binary, a hash that is not the SHA-2 of its part, or a part over the size limit."""
    if "boundary=" not in content_type.lower():
        raise XapiError("a multipart/mixed request needs a boundary parameter in its Content-Type", "Content-Type")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("utf-8", "surrogateescape")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if message.defects:
        raise XapiError(f"the multipart body is malformed: {_defects(message.defects)}", "body")
    if not message.is_multipart():
        raise XapiError("the Content-Type is not multipart/mixed", "Content-Type")
    pieces = list(_parts(message))
    if not pieces:
        raise XapiError("the multipart body has no parts: the first part must hold the statements", "body")
    first, *rest = pieces
    if first.get_content_type() != "application/json":
        raise XapiError("the first part must hold the statements, with Content-Type application/json", "body")
    limit = max_bytes()
    parts: list[Part] = []
    for index, piece in enumerate(rest, start=2):
        where = f"part {index}"
        declared = (piece.get("X-Experience-API-Hash") or "").strip().lower()
        if not declared:
            raise XapiError(f"{where} has no X-Experience-API-Hash header", "X-Experience-API-Hash")
        if len(declared) not in DIGESTS or any(c not in "0123456789abcdef" for c in declared):
            raise XapiError(
                f"{where}: X-Experience-API-Hash must be the hex SHA-256, SHA-384 or SHA-512 of the part",
                "X-Experience-API-Hash",
            )
        encoding = (piece.get("Content-Transfer-Encoding") or "binary").strip().lower()
        if encoding != "binary":
            raise XapiError(
                f"{where}: Content-Transfer-Encoding must be binary, not {encoding!r}", "Content-Transfer-Encoding"
            )
        data = piece.get_payload(decode=True)
        if not isinstance(data, bytes):
            raise XapiError(f"{where} is not a single attachment", "body")
        if len(data) > limit:
            raise XapiError(f"{where} is {len(data)} octets; each attachment may be at most {limit}", "body", 413)
        if hashlib.new(DIGESTS[len(declared)], data).hexdigest() != declared:
            raise XapiError(
                f"{where}: X-Experience-API-Hash is not the SHA-2 of the part's data", "X-Experience-API-Hash"
            )
        content_type_header = piece.get("Content-Type")
        parts.append(Part(declared, piece.get_content_type() if content_type_header else None, data))
    statements = first.get_payload(decode=True)
    if not isinstance(statements, bytes) or not statements.strip():
        raise XapiError("the first part has no statements", "body")
    return statements, parts


def _parts(message: EmailMessage) -> Iterator[EmailMessage]:
    for piece in message.iter_parts():
        if not isinstance(piece, EmailMessage):
            raise XapiError("the multipart body is malformed", "body")
        if piece.defects:
            raise XapiError(f"the multipart body is malformed: {_defects(piece.defects)}", "body")
        if piece.is_multipart():
            raise XapiError("a part may not itself be multipart", "body")
        yield piece


def _defects(defects: Iterable[Any]) -> str:
    names = {
        "StartBoundaryNotFoundDefect": "the boundary never starts a part",
        "CloseBoundaryNotFoundDefect": "the closing boundary is missing",
        "NoBoundaryInMultipartDefect": "the Content-Type has no boundary",
        "MultipartInvariantViolationDefect": "it has no parts",
    }
    return "; ".join(sorted({names.get(type(d).__name__, str(d) or type(d).__name__) for d in defects}))


def declared(statement: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The Attachment objects of a statement and of its SubStatement, if any."""
    yield from statement.get("attachments") or []
    inner = statement.get("object")
    if isinstance(inner, dict) and inner.get("objectType") == "SubStatement":
        yield from inner.get("attachments") or []


def check(batch: list[dict[str, Any]], parts: list[Part], *, listed: bool) -> list[Part]:
    """Match the parts to the statements' attachments (Communication 1.5.2); returns the parts to store.

    Every attachment without a fileUrl needs a part with its sha2; every part must be the data of
    some declared attachment, with the declared length and contentType; every signature must verify."""
    by_hash = {p.sha2: p for p in parts}
    used: set[str] = set()
    for index, statement in enumerate(batch):
        prefix = f"[{index}]." if listed else ""
        for number, attachment in enumerate(declared(statement)):
            where = f"{prefix}attachments[{number}]"
            sha2 = attachment["sha2"].lower()
            part = by_hash.get(sha2)
            if part is None:
                if "fileUrl" not in attachment:
                    raise XapiError(
                        "this attachment has no fileUrl and the request has no part with its sha2",
                        f"{where}.sha2",
                    )
                continue
            used.add(sha2)
            if part.content_type is None:  # the part left it out: keep the type the statement declares
                by_hash[sha2] = part = Part(sha2, attachment["contentType"].split(";", 1)[0].strip().lower(), part.data)
            if len(part.data) != attachment["length"]:
                raise XapiError(
                    f"length is {attachment['length']} but the part with this sha2 has {len(part.data)} octets",
                    f"{where}.length",
                )
            wanted = attachment["contentType"].split(";", 1)[0].strip().lower()
            if part.content_type is not None and part.content_type != wanted:
                raise XapiError(
                    f"contentType is {wanted!r} but the part with this sha2 says {part.content_type!r}",
                    f"{where}.contentType",
                )
        signatures.check(statement, by_hash, prefix)
    for part in parts:
        if part.sha2 not in used:
            raise XapiError(
                f"the part with X-Experience-API-Hash {part.sha2} matches no attachment of the statements",
                "X-Experience-API-Hash",
            )
    return [by_hash[h] for h in sorted(used)]


def store(parts: list[Part]) -> None:
    """Keep each part's bytes once per hash; data already held is left as it is."""
    if not parts:
        return
    held = set(db.session.scalars(select(AttachmentData.sha2).where(AttachmentData.sha2.in_([p.sha2 for p in parts]))))
    for part in parts:
        if part.sha2 not in held:
            db.session.add(
                AttachmentData(
                    sha2=part.sha2,
                    content_type=(part.content_type or "application/octet-stream")[:255],
                    length=len(part.data),
                    content=part.data,
                )
            )
    db.session.flush()


def held(statements: Iterable[dict[str, Any]]) -> list[AttachmentData]:
    """The data the LRS holds for the statements' attachments, once per hash, in order of first mention."""
    hashes: dict[str, None] = {}
    for statement in statements:
        for attachment in declared(statement):
            hashes.setdefault(attachment["sha2"].lower(), None)
    if not hashes:
        return []
    rows = {r.sha2: r for r in db.session.scalars(select(AttachmentData).where(AttachmentData.sha2.in_(hashes)))}
    return [rows[h] for h in hashes if h in rows]  # those known by fileUrl alone have no data


def encode(text: str, data: list[AttachmentData]) -> tuple[bytes, str]:
    """A multipart/mixed body and its Content-Type: the statements' JSON, then each attachment."""
    boundary = uuid.uuid4().hex
    chunks = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(), text.encode(), b"\r\n"]
    for row in data:
        chunks.append(
            (
                f"--{boundary}\r\nContent-Type: {row.content_type}\r\nContent-Transfer-Encoding: binary\r\n"
                f"X-Experience-API-Hash: {row.sha2}\r\n\r\n"
            ).encode()
        )
        chunks += [row.content, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f'multipart/mixed; boundary="{boundary}"'


def response(text: str, bodies: Iterable[str], headers: dict[str, str]) -> Response:
    """The statements part then one part per attachment the statements (stored JSON) reference and the LRS holds."""
    payload, content_type = encode(text, held(json.loads(b) for b in bodies))
    return Response(payload, content_type=content_type, headers=headers)
