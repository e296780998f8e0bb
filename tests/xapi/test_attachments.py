"""Attachments sent and returned as multipart/mixed (xAPI 1.0.3 Data 2.4.11, Communication 1.5.2)."""

from __future__ import annotations

import hashlib
import json
import uuid
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from induction.extensions import db
from induction.xapi.models import AttachmentData, StatementRecord
from tests.xapi.conftest import Api, statement

BOUNDARY = "xapi-boundary-7f3a"
ESSAY = "My reflection on the induction: keeping children safe.\r\nSecond line — with a dash.\n".encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def declared(data: bytes, content_type: str = "text/plain", **extra: Any) -> dict[str, Any]:
    """The Attachment object for `data`."""
    return {
        "usageType": "http://example.com/attachment-usage/essay",
        "display": {"en-GB": "Essay"},
        "contentType": content_type,
        "length": len(data),
        "sha2": sha256(data),
        **extra,
    }


def multipart(statements: Any, *parts: tuple[bytes, dict[str, str]], boundary: str = BOUNDARY) -> bytes:
    """A multipart/mixed body: the statements as JSON, then each (data, headers) part."""
    chunks = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(), json.dumps(statements).encode()]
    for data, headers in parts:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        chunks += [f"\r\n--{boundary}\r\n{head}\r\n".encode(), data]
    chunks.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(chunks)


def part(data: bytes, content_type: str = "text/plain", sha2: str | None = None) -> tuple[bytes, dict[str, str]]:
    return data, {
        "Content-Type": content_type,
        "Content-Transfer-Encoding": "binary",
        "X-Experience-API-Hash": sha2 or sha256(data),
    }


def post_multipart(api: Api, body: bytes, boundary: str = BOUNDARY, **params: str) -> Any:
    return api.post("/xapi/statements", body, params, Content_Type=f'multipart/mixed; boundary="{boundary}"')


def read_multipart(response: Any) -> list[EmailMessage]:
    """The parts of a multipart/mixed answer, read with the standard library's parser."""
    head = f"Content-Type: {response.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + response.get_data())
    assert not message.defects
    return list(message.iter_parts())  # type: ignore[arg-type]


def stored_count() -> int:
    return db.session.scalar(select(func.count()).select_from(StatementRecord)) or 0


def attachment_rows() -> list[AttachmentData]:
    return list(db.session.scalars(select(AttachmentData)))


def test_a_statement_with_an_attachment_round_trips(api: Api) -> None:
    sent = statement(attachments=[declared(ESSAY)])
    answer = post_multipart(api, multipart([sent], part(ESSAY)))
    assert answer.status_code == 200, answer.get_json()
    [statement_id] = answer.get_json()

    fetched = api.get("/xapi/statements", {"statementId": statement_id, "attachments": "true"})
    assert fetched.status_code == 200
    assert fetched.mimetype == "multipart/mixed"
    statements_part, essay_part = read_multipart(fetched)
    assert statements_part.get_content_type() == "application/json"
    got = json.loads(statements_part.get_payload(decode=True))
    assert got["id"] == statement_id and got["attachments"][0]["sha2"] == sha256(ESSAY)
    assert essay_part["X-Experience-API-Hash"] == sha256(ESSAY)
    assert essay_part["Content-Transfer-Encoding"] == "binary"
    assert essay_part.get_content_type() == "text/plain"
    assert essay_part.get_payload(decode=True) == ESSAY

    plain = api.get("/xapi/statements", {"statementId": statement_id, "attachments": "false"})
    assert plain.mimetype == "application/json"
    assert plain.get_json()["attachments"] == sent["attachments"]


def test_binary_data_keeps_every_octet(api: Api) -> None:
    data = bytes(range(256)) * 4 + b"\r\n--xapi-boundary-7f3\r\n\n\r"
    sent = statement(attachments=[declared(data, "application/octet-stream")])
    answer = post_multipart(api, multipart(sent, part(data, "application/octet-stream")))
    assert answer.status_code == 200, answer.get_json()
    fetched = api.get("/xapi/statements", {"statementId": answer.get_json()[0], "attachments": "true"})
    assert read_multipart(fetched)[1].get_payload(decode=True) == data


def test_the_same_data_is_stored_once_and_served_once(api: Api) -> None:
    first = statement(attachments=[declared(ESSAY)])
    second = statement(attachments=[declared(ESSAY)], verb={"id": "http://adlnet.gov/expapi/verbs/attempted"})
    # one copy of the data serves both statements of a batch (Communication 1.5.2)
    assert post_multipart(api, multipart([first, second], part(ESSAY))).status_code == 200
    assert post_multipart(api, multipart(statement(attachments=[declared(ESSAY)]), part(ESSAY))).status_code == 200
    assert [r.sha2 for r in attachment_rows()] == [sha256(ESSAY)]

    listed = api.get("/xapi/statements", {"attachments": "true"})
    parts = read_multipart(listed)
    assert len(json.loads(parts[0].get_payload(decode=True))["statements"]) == 3
    assert [p["X-Experience-API-Hash"] for p in parts[1:]] == [sha256(ESSAY)]


def test_put_takes_multipart_too(api: Api) -> None:
    statement_id = str(uuid.uuid4())
    body = multipart(statement(attachments=[declared(ESSAY)]), part(ESSAY))
    answer = api.put(
        "/xapi/statements", body, {"statementId": statement_id}, Content_Type=f"multipart/mixed; boundary={BOUNDARY}"
    )
    assert answer.status_code == 204, answer.get_json()
    assert [r.length for r in attachment_rows()] == [len(ESSAY)]


def test_attachments_by_file_url_need_no_part(api: Api) -> None:
    by_url = declared(ESSAY, fileUrl="http://example.com/essays/1.txt")
    answer = post_multipart(api, multipart(statement(attachments=[by_url])))
    assert answer.status_code == 200, answer.get_json()
    fetched = api.get("/xapi/statements", {"statementId": answer.get_json()[0], "attachments": "true"})
    assert len(read_multipart(fetched)) == 1  # the LRS never had the data, so there is no part for it
    assert attachment_rows() == []


def test_json_with_an_attachment_that_has_no_file_url_is_refused(api: Api) -> None:
    answer = api.post("/xapi/statements", statement(attachments=[declared(ESSAY)]))
    assert answer.status_code == 400
    assert answer.get_json()["field"] == "attachments[0].sha2"
    assert stored_count() == 0


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        pytest.param(
            multipart(statement(attachments=[declared(ESSAY)]), part(ESSAY, sha2=sha256(b"something else"))),
            "X-Experience-API-Hash",
            "not the SHA-2",
            id="hash-mismatch",
        ),
        pytest.param(
            multipart(statement(attachments=[declared(ESSAY)])), "attachments[0].sha2", "no part", id="missing-part"
        ),
        pytest.param(
            multipart(statement(attachments=[declared(ESSAY)]), part(ESSAY), part(b"stray")),
            "X-Experience-API-Hash",
            "matches no attachment",
            id="undeclared-part",
        ),
        pytest.param(
            multipart(statement(attachments=[{**declared(ESSAY), "length": 3}]), part(ESSAY)),
            "attachments[0].length",
            "length is 3",
            id="wrong-length",
        ),
        pytest.param(
            multipart(statement(attachments=[declared(ESSAY)]), part(ESSAY, "image/png")),
            "attachments[0].contentType",
            "image/png",
            id="wrong-content-type",
        ),
        pytest.param(
            multipart(statement(attachments=[declared(ESSAY)]), (ESSAY, {"Content-Type": "text/plain"})),
            "X-Experience-API-Hash",
            "part 2 has no X-Experience-API-Hash",
            id="no-hash-header",
        ),
        pytest.param(
            multipart(
                statement(attachments=[declared(ESSAY)]),
                (ESSAY, {"X-Experience-API-Hash": sha256(ESSAY), "Content-Transfer-Encoding": "base64"}),
            ),
            "Content-Transfer-Encoding",
            "must be binary",
            id="not-binary",
        ),
        pytest.param(
            multipart(statement(attachments=[declared(ESSAY)]), part(ESSAY))[:-12],
            "body",
            "closing boundary",
            id="unclosed",
        ),
        pytest.param(
            b"--" + BOUNDARY.encode() + b"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--" + BOUNDARY.encode() + b"--",
            "body",
            "first part",
            id="first-part-not-json",
        ),
        pytest.param(b"no boundary at all", "body", "malformed", id="no-parts"),
        pytest.param(
            multipart(statement(attachments=[{**declared(ESSAY), "sha2": "abc"}]), part(ESSAY, sha2="abc")),
            "X-Experience-API-Hash",
            "hex SHA-256",
            id="hash-not-sha2",
        ),
    ],
)
def test_a_malformed_multipart_request_is_refused_and_nothing_stored(
    api: Api, body: bytes, field: str, words: str
) -> None:
    answer = post_multipart(api, body)
    assert answer.status_code == 400, answer.get_data()
    assert answer.get_json()["field"] == field
    assert words in answer.get_json()["error"]
    assert stored_count() == 0
    assert attachment_rows() == []


def test_a_content_type_without_a_boundary_is_refused(api: Api) -> None:
    answer = api.post("/xapi/statements", multipart(statement()), Content_Type="multipart/mixed")
    assert answer.status_code == 400
    assert "boundary" in answer.get_json()["error"]
    assert stored_count() == 0


def test_an_attachment_over_the_size_limit_answers_413(app: Flask, api: Api) -> None:
    app.config["LRS_ATTACHMENT_MAX_BYTES"] = 64
    big = b"x" * 65
    answer = post_multipart(api, multipart(statement(attachments=[declared(big)]), part(big)))
    assert answer.status_code == 413
    assert "at most 64" in answer.get_json()["error"]
    assert stored_count() == 0
    small = b"x" * 64
    assert post_multipart(api, multipart(statement(attachments=[declared(small)]), part(small))).status_code == 200


def test_a_read_only_client_stores_no_attachment(api: Api, app: Flask) -> None:
    from induction.xapi import clients

    issued = clients.create("Reader", read_only=True)
    db.session.commit()
    reader = Api(api.client, issued.client.key, issued.secret)
    answer = post_multipart(reader, multipart(statement(attachments=[declared(ESSAY)]), part(ESSAY)))
    assert answer.status_code == 403
    assert attachment_rows() == []


def test_forwarding_sends_the_attachment_data_along(app: Flask, api: Api, served: str, credentials: Any) -> None:
    """An LRS must not push statements to another LRS without the attachment data it received
    (Communication 1.5.2): here the external LRS is this app on a real server, which refuses a
    statement whose attachment has neither a fileUrl nor a part."""
    from induction.xapi.forwarding import http_sender

    answer = post_multipart(api, multipart(statement(attachments=[declared(ESSAY)]), part(ESSAY)))
    [statement_id] = answer.get_json()
    body = json.loads(db.session.scalar(select(StatementRecord.body).where(StatementRecord.id == statement_id)))
    db.session.rollback()
    status, text = http_sender(served + "/xapi", *credentials)([body])
    assert status == 200, text
    assert json.loads(text) == [statement_id]
