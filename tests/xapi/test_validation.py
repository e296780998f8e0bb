"""Statement validation to the xAPI 1.0.3 data rules: each refusal names the field and why."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from induction.extensions import db
from induction.xapi import formats, validation
from induction.xapi.formats import XapiError
from induction.xapi.models import StatementRecord

from .conftest import Api, statement

SUB = {
    "objectType": "SubStatement",
    "actor": {"mbox": "mailto:b@example.com"},
    "verb": {"id": "http://example.com/verbs/planned"},
    "object": {"id": "http://example.com/activities/two"},
}


def with_path(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(statement(object={**statement()["object"]}, result={}, context={}))
    del body["result"], body["context"]
    target = body
    parts = path.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value
    return body


BAD = [
    ("id", "not-a-uuid", "id"),
    ("actor.mbox", "ada@example.com", "actor.mbox"),
    ("actor.openid", "http://openid.example.com/ada", "actor"),
    ("actor.objectType", "agent", "actor.objectType"),
    ("actor.extra", "x", "actor.extra"),
    ("actor.name", None, "actor.name"),
    ("verb.id", "experienced", "verb.id"),
    ("verb.display", {"not a tag!": "x"}, "verb.display.not a tag!"),
    ("verb.display", {"en-GB": 3}, "verb.display.en-GB"),
    ("object.id", "www.example.com/one", "object.id"),
    ("object.objectType", "activity", "object.objectType"),
    ("object.definition.moreInfo", "example", "object.definition.moreInfo"),
    ("object.definition.interactionType", "essay", "object.definition.interactionType"),
    ("object.definition.extensions", {"notiri": 1}, "object.definition.extensions.notiri"),
    ("result.score.scaled", 1.5, "result.score.scaled"),
    ("result.score.raw", "5", "result.score.raw"),
    ("result.success", "true", "result.success"),
    ("result.duration", "1 hour", "result.duration"),
    ("context.registration", "abc", "context.registration"),
    ("context.contextActivities.sibling", [], "context.contextActivities.sibling"),
    ("context.language", "english please", "context.language"),
    ("context.team", {"mbox": "mailto:t@example.com"}, "context.team.objectType"),
    ("timestamp", "2026-13-01T00:00:00Z", "timestamp"),
    ("timestamp", "2026-01-01T00:00:00-00:00", "timestamp"),
    ("timestamp", "yesterday", "timestamp"),
    ("version", "2.0.0", "version"),
    ("colour", "blue", "statement.colour"),
    ("authority", {"name": "no identifier"}, "authority"),
]


@pytest.mark.parametrize(("path", "value", "field"), BAD, ids=[f"{p}={v!r}" for p, v, _ in BAD])
def test_a_bad_statement_is_refused_naming_the_field(path: str, value: Any, field: str) -> None:
    body = with_path(path, value)
    if path == "actor.openid":
        body["actor"]["openid"] = value  # a second identifier beside mbox
    with pytest.raises(XapiError) as refused:
        validation.statement(body)
    assert refused.value.field == field, refused.value.message
    assert refused.value.status == 400 and refused.value.message


def test_the_score_must_be_consistent() -> None:
    for score, field in (({"min": 5, "max": 1}, "result.score.min"), ({"raw": 11, "max": 10}, "result.score.raw")):
        with pytest.raises(XapiError) as refused:
            validation.statement(statement(result={"score": score}))
        assert refused.value.field == field


def test_agent_or_group_as_object_needs_object_type() -> None:
    with pytest.raises(XapiError) as refused:
        validation.statement(statement(object={"mbox": "mailto:x@example.com"}))
    assert refused.value.field == "object.objectType"
    with pytest.raises(XapiError) as refused:
        validation.statement(statement(object={**SUB, "object": {"mbox": "mailto:x@example.com"}}))
    assert refused.value.field == "object.object.objectType"


def test_substatements_cannot_nest_or_carry_an_id() -> None:
    with pytest.raises(XapiError) as refused:
        validation.statement(statement(object={**SUB, "object": dict(SUB)}))
    assert refused.value.field == "object.object.objectType"
    with pytest.raises(XapiError) as refused:
        validation.statement(statement(object={**SUB, "id": "5f1b7a2c-7b0a-4c55-9e57-7f7d0c1b8e11"}))
    assert refused.value.field == "object.id"


def test_revision_and_platform_only_with_an_activity_object() -> None:
    body = statement(object={"objectType": "Agent", "mbox": "mailto:x@example.com"}, context={"platform": "web"})
    with pytest.raises(XapiError) as refused:
        validation.statement(body)
    assert refused.value.field == "context.platform"


def test_groups() -> None:
    validation.statement(statement(actor={"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}))
    validation.statement(statement(actor={"objectType": "Group", "account": {"homePage": "http://x.org", "name": "g"}}))
    with pytest.raises(XapiError, match="members"):
        validation.statement(statement(actor={"objectType": "Group", "name": "nobody"}))
    nested = {"objectType": "Group", "member": [{"objectType": "Group", "mbox": "mailto:g@example.com"}]}
    with pytest.raises(XapiError, match="member of a Group"):
        validation.statement(statement(actor=nested))


def test_voiding_needs_a_statement_ref() -> None:
    body = statement(verb={"id": validation.VOIDED})
    with pytest.raises(XapiError) as refused:
        validation.statement(body)
    assert refused.value.field == "object.objectType"


EMPTY_EXTENSIONS = {
    "http://example.com/null": None,
    "http://example.com/object": {},
    "http://example.com/list": [],
    "http://example.com/text": "",
    "http://example.com/zero": 0,
    "http://example.com/false": False,
}


def test_extensions_may_hold_null_and_empty_values(api: Api) -> None:
    """Null and empty extension values are valid xAPI: stored as sent and served back unchanged."""
    ident = str(uuid.uuid4())
    body = statement(
        id=ident,
        result={"extensions": EMPTY_EXTENSIONS},
        context={"extensions": EMPTY_EXTENSIONS},
    )
    body["object"]["definition"]["extensions"] = EMPTY_EXTENSIONS
    validation.statement(copy.deepcopy(body))
    assert api.post("/xapi/statements", body).get_json() == [ident]

    stored = json.loads(db.session.scalars(select(StatementRecord.body).where(StatementRecord.id == ident)).one())
    served = api.get("/xapi/statements", {"statementId": ident})
    assert served.status_code == 200
    for found in (stored, served.get_json()):
        assert found["result"]["extensions"] == EMPTY_EXTENSIONS
        assert found["context"]["extensions"] == EMPTY_EXTENSIONS
        assert found["object"]["definition"]["extensions"] == EMPTY_EXTENSIONS


def test_attachments_may_go_without_a_file_url() -> None:
    """Whether the data came as a multipart part is the request's check (tests/xapi/test_attachments.py)."""
    attachment = {
        "usageType": "http://example.com/u",
        "display": {"en": "A"},
        "contentType": "text/plain",
        "length": 1,
        "sha2": "ab",
    }
    validation.statement(statement(attachments=[{**attachment, "fileUrl": "http://example.com/a.txt"}]))
    validation.statement(statement(attachments=[attachment]))
    with pytest.raises(XapiError) as refused:
        validation.statement(statement(attachments=[{**attachment, "fileUrl": "not an IRI"}]))
    assert refused.value.field == "attachments[0].fileUrl"


def test_a_batch_may_not_repeat_an_id() -> None:
    ident = "5f1b7a2c-7b0a-4c55-9e57-7f7d0c1b8e11"
    with pytest.raises(XapiError) as refused:
        validation.statements([statement(id=ident), statement(id=ident.upper())])
    assert refused.value.field == "[1].id"


def test_json_with_repeated_properties_is_refused() -> None:
    with pytest.raises(XapiError, match="more than once"):
        formats.loads('{"actor": {}, "actor": {}}')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05.000Z"),
        ("2026-01-02T03:04:05.123456+01:00", "2026-01-02T02:04:05.123456Z"),
        ("2026-01-02T03:04:05.1-0530", "2026-01-02T08:34:05.100Z"),
    ],
)
def test_timestamps_are_kept_in_utc_with_milliseconds(text: str, expected: str) -> None:
    assert formats.format_timestamp(formats.parse_timestamp(text, "timestamp")) == expected


@pytest.mark.parametrize("tag", ["en", "en-GB", "zh-Hant-TW", "sgn-BE-FR", "x-private", "es-419", "de-CH-1996"])
def test_language_tags_of_rfc_5646_are_accepted(tag: str) -> None:
    assert formats.is_language_tag(tag)


@pytest.mark.parametrize("tag", ["", "e", "en_GB", "english-language-tag", "en-"])
def test_malformed_language_tags_are_refused(tag: str) -> None:
    assert not formats.is_language_tag(tag)


@pytest.mark.parametrize(
    ("value", "ok"),
    [("PT1H30M", True), ("P1Y2M3DT4H5M6.5S", True), ("P4W", True), ("PT", False), ("P", False), ("1H", False)],
)
def test_durations(value: str, ok: bool) -> None:
    assert formats.is_duration(value) is ok


@pytest.mark.parametrize("value", ["P1Y2M3DT4H5M6S7", "P1.5Y2M", "PT1.5H30M", "P1,5DT2H"])
def test_a_fraction_is_allowed_only_in_the_last_part_of_a_duration(value: str) -> None:
    assert not formats.is_duration(value)
    assert formats.is_duration("P1Y2.5M") and formats.is_duration("PT1H0,5S")


@pytest.mark.parametrize(
    "text",
    ["9999-12-31T23:59:59-23:00", "0001-01-01T00:00:00+01:00", "9001-01-01T00:00:00Z", "1900-01-01T00:30:00+01:00"],
)
def test_timestamps_outside_the_years_kept_are_refused_before_any_arithmetic(text: str) -> None:
    with pytest.raises(XapiError, match="1900 to 9000"):
        formats.parse_timestamp(text, "since")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"a": {"b": "\\udcff"}}', "a.b"),
        ('{"a": [1, "x\\u0000"]}', "a[1]"),
        ('{"a": 1e400}', "a"),
        ('{"a": -' + "9" * 401 + "}", "a"),
        ('{"a": ' + "9" * 5000 + "}", "a"),
        ("[" * 49 + "]" * 49, "[0]" * 48),
        ("[" * 5000 + "]" * 5000, "body"),
    ],
)
def test_json_a_strict_reader_or_the_database_could_not_take_is_refused(text: str, field: str) -> None:
    with pytest.raises(XapiError) as refused:
        formats.loads(text)
    assert refused.value.field == field, refused.value.message


def test_the_largest_finite_numbers_are_kept() -> None:
    assert formats.loads('{"a": 1.7e308, "b": -' + "9" * 300 + "}")["a"] == 1.7e308


def test_an_extension_may_nest_32_levels() -> None:
    value: Any = 1
    for _ in range(32):
        value = [value]
    validation.statement(statement(result={"extensions": {"http://example.com/x": value}}))
    with pytest.raises(XapiError, match="32 levels") as refused:
        validation.statement(statement(result={"extensions": {"http://example.com/x": [value]}}))
    assert refused.value.field.startswith("result.extensions.http://example.com/x[0]")


@pytest.mark.parametrize(
    ("actor", "field"),
    [
        ({"mbox": "mailto:" + "a" * 600 + "@example.com"}, "actor.mbox"),
        ({"account": {"homePage": "http://example.com", "name": "n" * 600}}, "actor.account.name"),
        ({"account": {"homePage": "http://example.com/" + "h" * 600, "name": "n"}}, "actor.account.homePage"),
    ],
)
def test_an_identifier_longer_than_its_column_is_refused(actor: dict[str, Any], field: str) -> None:
    with pytest.raises(XapiError, match="too long") as refused:
        validation.statement(statement(actor=actor))
    assert refused.value.field == field


def test_fields_that_must_be_strings_refuse_objects_and_lists() -> None:
    for kind in ({"a": 1}, ["choice"], 3):
        body = statement(object={"id": "http://example.com/a", "definition": {"interactionType": kind}})
        with pytest.raises(XapiError, match="string") as refused:
            validation.statement(body)
        assert refused.value.field == "object.definition.interactionType"


def test_an_authority_group_must_be_exactly_two_agents() -> None:
    members = [{"mbox": f"mailto:{n}@example.com"} for n in "abc"]
    validation.statement(statement(authority={"objectType": "Group", "member": members[:2]}))
    for wrong in (members, members[:1]):
        with pytest.raises(XapiError, match="exactly two") as refused:
            validation.statement(statement(authority={"objectType": "Group", "member": wrong}))
        assert refused.value.field == "authority.member"
