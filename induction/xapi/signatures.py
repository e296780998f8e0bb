"""Signed statements (xAPI 1.0.3 Data 2.6): a JWS, in compact serialization, sent as an attachment.

The LRS checks that a signature is well formed, as the spec requires of it: the JWS decodes, its
algorithm is RS256, RS384 or RS512, its payload is the statement it was sent with (by the spec's
comparison rules, ignoring attachments and what the LRS may set), and, when its header carries an
X.509 chain (`x5c`), the signature verifies with the first certificate's public key. Whether to
trust that certificate is the reader's business (the spec's note), so a signature without x5c is
accepted once the rest holds.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import RSAKey

from induction.xapi import formats, validation
from induction.xapi.formats import XapiError
from induction.xapi.services import same_statement

if TYPE_CHECKING:
    from induction.xapi.attachments import Part

USAGE = "http://adlnet.gov/expapi/attachments/signature"
CONTENT_TYPE = "application/octet-stream"
ALGORITHMS = ("RS256", "RS384", "RS512")
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")
# joserfc's default sizes are for tokens; an x5c chain alone passes its 512-octet header limit.
_REGISTRY = jws.JWSRegistry(algorithms=ALGORITHMS)
_REGISTRY.max_header_length = 64 * 1024
_REGISTRY.max_payload_length = 1024 * 1024
_REGISTRY.max_signature_length = 4096


def check(statement: dict[str, Any], parts: dict[str, Part], prefix: str) -> None:
    """Refuse the statement if any of its signature attachments is missing or malformed (400)."""
    for number, attachment in enumerate(statement.get("attachments") or []):
        if attachment.get("usageType") != USAGE:
            continue
        where = f"{prefix}attachments[{number}]"
        if attachment["contentType"].split(";", 1)[0].strip().lower() != CONTENT_TYPE:
            raise XapiError(f"a signature's contentType must be {CONTENT_TYPE}", f"{where}.contentType")
        part = parts.get(attachment["sha2"].lower())
        if part is None:
            raise XapiError(
                "a signature must be sent as a part of a multipart/mixed request so that the LRS can check it",
                f"{where}.sha2",
            )
        verify(part.data, statement, where)


def verify(token: bytes, statement: dict[str, Any], where: str) -> None:
    """Raise XapiError unless `token` is a well-formed RS256/384/512 JWS of `statement`."""
    try:
        text = token.decode("ascii").strip()
    except UnicodeDecodeError:
        raise XapiError("the signature is not a JWS in compact serialization", where) from None
    segments = text.split(".")
    if len(segments) != 3 or not _SEGMENT.match(segments[2]):
        raise XapiError("the signature is not a JWS in compact serialization (header.payload.signature)", where)
    try:
        signed = jws.extract_compact(text.encode(), registry=_REGISTRY)
    except JoseError as error:
        raise XapiError(f"the signature is not a valid JWS: {error.description or error.error}", where) from None
    header = signed.headers()
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise XapiError(f"the signature's algorithm must be RS256, RS384 or RS512, not {algorithm!r}", where)
    if "x5c" in header:
        key = _certificate_key(header["x5c"], where)
        try:
            jws.deserialize_compact(text, key, algorithms=[algorithm], registry=_REGISTRY)
        except BadSignatureError:
            raise XapiError("the signature does not verify with the x5c certificate's key", where) from None
        except JoseError as error:
            raise XapiError(f"the signature cannot be checked: {error.description or error.error}", where) from None
    original = formats.loads(signed.payload, f"{where} (JWS payload)")
    if not isinstance(original, dict):
        raise XapiError("the signature's payload must be the signed statement, a JSON object", where)
    try:
        validation.statement(original)
    except XapiError as error:
        raise XapiError(
            f"the signature's payload is not a valid statement: {error.message} ({error.field})", where
        ) from None
    if not _same(original, statement):
        raise XapiError("the signature's payload is not the statement it was sent with", where)


def _certificate_key(chain: Any, where: str) -> RSAKey:
    if not isinstance(chain, list) or not chain or not all(isinstance(c, str) for c in chain):
        raise XapiError("x5c must be a non-empty array of base64 certificates", where)
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True))
    except (ValueError, binascii.Error):
        raise XapiError("the first x5c certificate is not a base64 DER X.509 certificate", where) from None
    public_key = certificate.public_key()
    if not isinstance(public_key, RSAPublicKey):
        raise XapiError("the x5c certificate's key must be an RSA key for RS256, RS384 or RS512", where)
    return RSAKey.import_key(public_key)


def _same(original: dict[str, Any], received: dict[str, Any]) -> bool:
    """The spec's statement comparison: attachments are not part of the statement, and the id,
    authority, stored, timestamp and version may have been set after signing, never changed."""
    if "id" in original and str(original["id"]).lower() != str(received.get("id", original["id"])).lower():
        return False
    signed = {k: v for k, v in original.items() if k != "attachments"}
    sent = {k: v for k, v in received.items() if k != "attachments"}
    return same_statement(sent, signed)
