"""Signed statements (xAPI 1.0.3 Data 2.6): a JWS attachment the LRS checks before storing."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc import jws
from joserfc.jwk import OctKey, RSAKey

from tests.xapi.conftest import Api, statement
from tests.xapi.test_attachments import (
    ESSAY,
    attachment_rows,
    declared,
    multipart,
    part,
    post_multipart,
    read_multipart,
    stored_count,
)

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"


class Signer:
    """An RSA key and a self-signed certificate for it, as a Learning Record Provider would hold."""

    def __init__(self, name: str = "Induction test signer") -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.now(UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .sign(self.key, hashes.SHA256())
        )

    @property
    def x5c(self) -> list[str]:
        return [base64.b64encode(self.certificate.public_bytes(serialization.Encoding.DER)).decode()]

    def sign(self, payload: dict[str, Any], alg: str = "RS256", *, x5c: list[str] | None = None) -> bytes:
        header: dict[str, Any] = {"alg": alg}
        if x5c is not None:
            header["x5c"] = x5c
        token = jws.serialize_compact(header, json.dumps(payload), RSAKey.import_key(self.key), algorithms=[alg])
        return token.encode()


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer()


def signed(original: dict[str, Any], token: bytes, **overrides: Any) -> dict[str, Any]:
    """`original` with its signature attachment added (and `overrides` applied after signing)."""
    signature = {
        "usageType": SIGNATURE,
        "display": {"en-GB": "Signature"},
        "contentType": "application/octet-stream",
        **declared(token, "application/octet-stream"),
    }
    signature["usageType"] = SIGNATURE
    signature["display"] = {"en-GB": "Signature"}
    return {**original, "attachments": [*original.get("attachments", []), signature], **overrides}


def send(api: Api, sent: dict[str, Any], token: bytes, *extra: tuple[bytes, dict[str, str]]) -> Any:
    return post_multipart(api, multipart([sent], *extra, part(token, "application/octet-stream")))


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_a_signed_statement_is_stored_with_its_signature(api: Api, signer: Signer, alg: str) -> None:
    original = statement(result={"success": True, "score": {"scaled": 0.9}})
    token = signer.sign(original, alg, x5c=signer.x5c)
    answer = send(api, signed(original, token), token)
    assert answer.status_code == 200, answer.get_json()

    fetched = api.get("/xapi/statements", {"statementId": answer.get_json()[0], "attachments": "true"})
    statements_part, signature_part = read_multipart(fetched)
    stored = json.loads(statements_part.get_payload(decode=True))
    assert stored["attachments"][0]["usageType"] == SIGNATURE
    assert signature_part.get_content_type() == "application/octet-stream"
    assert signature_part.get_payload(decode=True) == token


def test_the_signed_statement_may_carry_other_attachments_and_lack_an_id(api: Api, signer: Signer) -> None:
    original = statement(attachments=[declared(ESSAY)])
    token = signer.sign(original, x5c=signer.x5c)
    answer = send(api, signed(original, token), token, part(ESSAY))
    assert answer.status_code == 200, answer.get_json()
    assert len(attachment_rows()) == 2


def test_without_x5c_the_signature_is_accepted_as_well_formed(api: Api, signer: Signer) -> None:
    """The spec checks the key only when the header carries a certificate; trusting it is the reader's job."""
    original = statement()
    token = signer.sign(original)
    assert send(api, signed(original, token), token).status_code == 200


def refused(answer: Any, words: str) -> None:
    assert answer.status_code == 400, answer.get_data()
    assert words in answer.get_json()["error"]
    assert answer.get_json()["field"].startswith("[0].attachments[")
    assert stored_count() == 0
    assert attachment_rows() == []


def test_a_tampered_statement_is_refused(api: Api, signer: Signer) -> None:
    original = statement(result={"success": False})
    token = signer.sign(original, x5c=signer.x5c)
    refused(send(api, signed(original, token, result={"success": True}), token), "not the statement")


def test_a_payload_with_another_id_is_refused(api: Api, signer: Signer) -> None:
    original = statement(id="6690e6c9-3ef0-4ed3-8b37-7f3964730bee")
    token = signer.sign(original, x5c=signer.x5c)
    sent = signed(original, token, id="7790e6c9-3ef0-4ed3-8b37-7f3964730bee")
    refused(send(api, sent, token), "not the statement")


def test_a_signature_by_another_key_than_the_certificates_is_refused(api: Api, signer: Signer) -> None:
    original = statement()
    token = Signer("Someone else").sign(original, x5c=signer.x5c)
    refused(send(api, signed(original, token), token), "does not verify")


def test_a_tampered_jws_payload_is_refused(api: Api, signer: Signer) -> None:
    original = statement()
    header, _, signature = signer.sign(original, x5c=signer.x5c).decode().split(".")
    forged = base64.urlsafe_b64encode(json.dumps(statement(verb={"id": "http://example.com/forged"})).encode())
    token = f"{header}.{forged.decode().rstrip('=')}.{signature}".encode()
    refused(send(api, signed(statement(verb={"id": "http://example.com/forged"}), token), token), "does not verify")


def test_hs256_is_refused(api: Api) -> None:
    original = statement()
    key = OctKey.import_key(b"a shared secret that is long enough for HS256!!")
    token = jws.serialize_compact({"alg": "HS256"}, json.dumps(original), key, algorithms=["HS256"]).encode()
    refused(send(api, signed(original, token), token), "RS256, RS384 or RS512")


@pytest.mark.parametrize(
    ("token", "words"),
    [
        (b"not a jws", "compact serialization"),
        (b"a.b.c", "not a valid JWS"),
        (b"\xff\xfe.a.b", "compact serialization"),
        (b"eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", "not valid JSON"),  # payload "not json"
        (b"eyJhbGciOiJSUzI1NiJ9.W10.c2ln", "a JSON object"),  # payload []
        (b"eyJhbGciOiJSUzI1NiIsIng1YyI6WyIhISJdfQ.e30.c2ln", "x5c certificate"),  # x5c ["!!"]
    ],
)
def test_a_malformed_signature_is_refused(api: Api, token: bytes, words: str) -> None:
    refused(send(api, signed(statement(), token), token), words)


def test_a_signature_must_be_octet_stream(api: Api, signer: Signer) -> None:
    original = statement()
    token = signer.sign(original, x5c=signer.x5c)
    sent = signed(original, token)
    sent["attachments"][0]["contentType"] = "text/plain"
    answer = post_multipart(api, multipart([sent], part(token, "text/plain")))
    refused(answer, "application/octet-stream")


def test_a_signature_must_come_as_a_part(api: Api, signer: Signer) -> None:
    original = statement()
    token = signer.sign(original, x5c=signer.x5c)
    sent = signed(original, token)
    sent["attachments"][0]["fileUrl"] = "http://example.com/signature.jws"
    refused(post_multipart(api, multipart([sent])), "sent as a part")
