"""Hostile input to the LRS: never a 5xx, and nothing stored when the answer is 4xx.

Property-based tests (hypothesis) put arbitrary JSON in every field of a statement and send
arbitrary query strings, headers and bodies to every resource; the payloads that once answered
500 or were stored and broke later reads (issue 13) are kept as named regression cases."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from induction.accounts.models import Role
from induction.extensions import db
from induction.xapi.models import ActivityDefinition, StatementLink, StatementRecord, XapiDocument

from .conftest import Api, statement

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,  # every run explores afresh; no example file is written into the checkout
)
ACTIVITY = "http://example.com/activities/one"
AGENT = json.dumps({"mbox": "mailto:ada@example.com"})
STATE = {"activityId": ACTIVITY, "agent": AGENT, "stateId": "bookmark"}


def snapshot() -> tuple[Any, ...]:
    """What the LRS holds: statements (and their voided flags), links, activities and documents."""
    db.session.rollback()
    statements = db.session.execute(select(StatementRecord.id, StatementRecord.voided).order_by("seq")).all()
    documents = db.session.execute(
        select(XapiDocument.scope, XapiDocument.doc_id, XapiDocument.etag, XapiDocument.content_type).order_by(
            XapiDocument.id
        )
    ).all()
    activities = db.session.execute(select(ActivityDefinition.key, ActivityDefinition.definition)).all()
    links = db.session.scalar(select(func.count()).select_from(StatementLink))
    db.session.rollback()
    return tuple(statements), tuple(documents), tuple(sorted(activities)), links


def check(response: Any, before: tuple[Any, ...]) -> None:
    """No 5xx; a refusal is JSON, and changed nothing."""
    event(f"answered {response.status_code}")  # shown by --hypothesis-show-statistics
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        assert response.mimetype == "application/json", response.get_data(as_text=True)[:200]
        assert snapshot() == before, f"a {response.status_code} answer changed what the LRS holds"


def read_back(api: Api) -> None:
    """Everything stored can be served again, in every format."""
    for fmt in ("exact", "ids", "canonical"):
        response = api.get("/xapi/statements", {"format": fmt, "limit": "5"})
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        json.loads(response.get_data(as_text=True), parse_constant=pytest.fail)  # strict JSON: no Infinity


# Arbitrary JSON, including lone surrogates, NUL, huge and non-finite numbers and deep nesting.
text = st.text(alphabet=st.characters(exclude_categories=()), max_size=20)
numbers = st.one_of(
    st.integers(),
    st.floats(),
    st.sampled_from([10**400, -(10**400), 1e308, -0.0, 2**63]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, text)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=12,
)
hostile_strings = st.sampled_from(
    [
        "\udcff",
        "a\x00b",
        "http://example.com/\x00",
        "9999-12-31T23:59:59-23:00",
        "0001-01-01T00:00:00+01:00",
        "9998-06-01T00:00:00Z",
        "P1Y2M3DT4H5M6S7",
        "P1.5Y2M",
        "mailto:" + "a" * 700 + "@example.com",
        "http://example.com/" + "x" * 700,
        "5f1b7a2c-7b0a-4c55-9e57-7f7d0c1b8e11",
    ]
)
# JSON text that Python's json module cannot write: put in place of "@raw:…" strings by `dump`.
RAW = {
    "@raw:1e400": "1e400",
    "@raw:-1e400": "-1e400",
    "@raw:digits": "9" * 401,
    "@raw:deep": '{"a":' * 900 + "1" + "}" * 900,
}
wrong_types = st.sampled_from([{}, [], {"a": 1}, ["x"], [{}], 0, -1, 1.5, True, None, ""])
values = st.one_of(json_values, hostile_strings, wrong_types, st.sampled_from(sorted(RAW)))


def dump(value: Any) -> str:
    text = json.dumps(value)
    for marker, raw in RAW.items():
        text = text.replace(f'"{marker}"', raw)
    return text


# Every field of a statement a tool can send (and a few beside them).
PATHS = [
    "id",
    "actor",
    "actor.objectType",
    "actor.name",
    "actor.mbox",
    "actor.member",
    "actor.account",
    "actor.account.name",
    "actor.account.homePage",
    "verb",
    "verb.id",
    "verb.display",
    "verb.display.en-GB",
    "object",
    "object.id",
    "object.objectType",
    "object.definition",
    "object.definition.name",
    "object.definition.type",
    "object.definition.interactionType",
    "object.definition.correctResponsesPattern",
    "object.definition.choices",
    "object.definition.extensions",
    "object.definition.extensions.http://example.com/ext",
    "result",
    "result.score",
    "result.score.raw",
    "result.score.scaled",
    "result.score.min",
    "result.success",
    "result.response",
    "result.duration",
    "result.extensions.http://example.com/ext",
    "context",
    "context.registration",
    "context.instructor",
    "context.team",
    "context.contextActivities",
    "context.contextActivities.parent",
    "context.revision",
    "context.language",
    "context.statement",
    "context.extensions.http://example.com/ext",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
]


def with_value(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(statement())
    target = body
    parts = path.split(".http://")[0].split(".") if ".http://" in path else path.split(".")
    if ".http://" in path:
        parts.append("http://" + path.split(".http://")[1])
    for part in parts[:-1]:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    target[parts[-1]] = value
    return body


@FUZZ
@given(path=st.sampled_from(PATHS), value=values, batch=st.booleans())
def test_arbitrary_json_in_any_field_of_a_statement(api: Api, path: str, value: Any, batch: bool) -> None:
    body = with_value(path, value)
    before = snapshot()
    response = api.post("/xapi/statements", dump([body] if batch else body))
    check(response, before)
    if response.status_code == 200:
        read_back(api)


@FUZZ
@given(body=json_values)
def test_an_arbitrary_json_body(api: Api, body: Any) -> None:
    before = snapshot()
    check(api.post("/xapi/statements", json.dumps(body)), before)
    check(
        api.put("/xapi/statements", json.dumps(body), {"statementId": "5f1b7a2c-7b0a-4c55-9e57-7f7d0c1b8e11"}), before
    )


RESOURCES = {
    "/xapi/statements": [
        "statementId",
        "voidedStatementId",
        "agent",
        "verb",
        "activity",
        "registration",
        "since",
        "until",
        "limit",
        "format",
        "attachments",
        "ascending",
        "related_agents",
        "more",
    ],
    "/xapi/activities": ["activityId"],
    "/xapi/agents": ["agent"],
    "/xapi/activities/state": ["activityId", "agent", "registration", "stateId", "since"],
    "/xapi/activities/profile": ["activityId", "profileId", "since"],
    "/xapi/agents/profile": ["agent", "profileId", "since"],
    "/xapi/about": [],
}
param_values = st.one_of(
    text,
    hostile_strings,
    st.sampled_from([ACTIVITY, AGENT, "true", "0", "-1", "1000000", "²", "ids", "canonical", "2026-01-01T00:00:00Z"]),
    st.sampled_from(["x" * 700, "9" * 5000, json.dumps({"account": {"homePage": "http://x.org", "name": "n" * 700}})]),
    json_values.map(json.dumps),
)
header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
HEADERS = ["If-Match", "If-None-Match", "Content-Type", "Accept-Language", "X-Experience-API-Version"]
HEADER_VALUES = [
    "*",
    '"0000000000000000000000000000000000000000"',
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/mixed; boundary=x",
    "text/" + "x" * 300,
    "1.0.3",
    "en;q=1e400, *;q=-1",
]


def query_string(params: dict[str, str]) -> str:
    def encode(value: str) -> str:
        return quote(value.encode("utf-8", "surrogatepass"), safe="")

    return "&".join(f"{encode(k)}={encode(v)}" for k, v in params.items())


@st.composite
def requests(draw: Any) -> tuple[str, str, str, dict[str, str], bytes]:
    path = draw(st.sampled_from(sorted(RESOURCES)))
    names = st.one_of(st.sampled_from(RESOURCES[path] or ["x"]), st.sampled_from(["method", "content"]), text)
    params = draw(st.dictionaries(names, param_values, max_size=5))
    if path.startswith("/xapi/activities/state") and draw(st.booleans()):
        params = {**STATE, **params}
    headers = draw(st.dictionaries(st.sampled_from(HEADERS), header_text | st.sampled_from(HEADER_VALUES), max_size=3))
    method = draw(st.sampled_from(["GET", "HEAD", "PUT", "POST", "DELETE"]))
    body = draw(st.one_of(st.binary(max_size=40), json_values.map(lambda v: json.dumps(v).encode())))
    return method, path, query_string(params), headers, body


@FUZZ
@given(request=requests())
def test_arbitrary_query_strings_and_headers_on_every_resource(api: Api, request: Any) -> None:
    method, path, query, headers, body = request
    before = snapshot()
    response = api.client.open(
        f"{path}?{query}" if query else path, method=method, data=body, headers=api.headers(headers)
    )
    check(response, before)
    if method in ("GET", "HEAD"):
        assert snapshot() == before, "a GET changed what the LRS holds"


# The payloads that answered 500, or were stored and broke later reads, before issue 13.
class Raw(str):
    """JSON text put into the body as it is (numbers and nesting that Python's json cannot write)."""


DEEP = Raw('{"a":' * 900 + "1" + "}" * 900)

REGRESSIONS = [
    ("lone surrogate in a name", "actor.name", "\udcff", "actor.name"),
    ("lone surrogate in a display", "verb.display.en-GB", "\udcff", "verb.display.en-GB"),
    ("lone surrogate in an extension", "result.extensions.http://example.com/ext", {"k": "\ud800"}, None),
    ("interactionType as an object", "object.definition.interactionType", {"a": 1}, None),
    ("interactionType as a list", "object.definition.interactionType", ["choice"], None),
    ("response as a list", "result.response", ["x"], "result.response"),
    ("language as an object", "context.language", {"en": 1}, "context.language"),
    ("timestamp past year 9999 in UTC", "timestamp", "9999-12-31T23:59:59-23:00", "timestamp"),
    ("timestamp before year 1 in UTC", "timestamp", "0001-01-01T00:00:00+01:00", "timestamp"),
    ("stored past year 9999 in UTC", "stored", "9999-12-31T23:59:59-23:00", "stored"),
    ("a completion dated 9998", "timestamp", "9998-06-01T00:00:00Z", "timestamp"),
    ("score.raw of 401 digits", "result.score.raw", Raw("9" * 401), "result.score.raw"),
    ("score.raw of 1e400", "result.score.raw", Raw("1e400"), "result.score.raw"),
    ("extension nested 900 deep", "result.extensions.http://example.com/ext", DEEP, None),
    ("verb id longer than its column", "verb.id", "http://example.com/" + "v" * 400, "verb.id"),
    ("object id longer than its column", "object.id", "http://example.com/" + "o" * 600, "object.id"),
    (
        "account name longer than its column",
        "actor",
        {"account": {"homePage": "http://x.org", "name": "n" * 601}},
        "actor.account.name",
    ),
    ("NUL in a verb id", "verb.id", "http://example.com/\x00", "verb.id"),
    ("NUL in a name", "actor.name", "Ada\x00", "actor.name"),
    ("duration with a trailing number", "result.duration", "P1Y2M3DT4H5M6S7", "result.duration"),
    ("duration with a fraction before its last part", "result.duration", "P1.5Y2M", "result.duration"),
    (
        "authority Group of three",
        "authority",
        {"objectType": "Group", "member": [{"mbox": f"mailto:{n}@example.com"} for n in "abc"]},
        "authority.member",
    ),
    (
        "authority Group of one",
        "authority",
        {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]},
        "authority.member",
    ),
]


@pytest.mark.parametrize(("path", "value", "field"), [r[1:] for r in REGRESSIONS], ids=[r[0] for r in REGRESSIONS])
def test_a_payload_that_once_broke_the_lrs_is_refused(api: Api, path: str, value: Any, field: str | None) -> None:
    body = json.dumps(with_value(path, "@raw" if isinstance(value, Raw) else value))
    if isinstance(value, Raw):
        body = body.replace('"@raw"', value)
    before = snapshot()
    response = api.post("/xapi/statements", body)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    named = response.get_json()["field"]
    assert named == field if field else named.startswith(path), named
    assert snapshot() == before
    read_back(api)


def test_json_nested_a_thousand_deep_is_refused(api: Api) -> None:
    before = snapshot()
    deep = "[" * 1000 + "]" * 1000
    response = api.post("/xapi/statements", deep)
    assert response.status_code == 400 and "nested" in response.get_json()["error"]
    response = api.post("/xapi/activities/state", deep, STATE)  # a merge parses the document
    assert response.status_code == 400 and response.get_json()["field"] == "body"
    assert snapshot() == before


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_nesting_49_deep_is_refused_whatever_the_strings_and_encoding_around_it(api: Api, encoding: str) -> None:
    # The quick look at nesting sets strings aside; escaped quotes and backslashes, and brackets
    # inside strings, must not hide a level or invent one. 48 levels are allowed in all.
    tricky = ['a\\"]]]}', "\\", '"[[', "line\nbreak ]"]
    deep: Any = tricky
    for _ in range(46):
        deep = [tricky, deep]  # 47 levels
    before = snapshot()
    refused = json.dumps({"k": [deep]}).encode(encoding)  # 49
    response = api.post("/xapi/statements", refused)
    assert response.status_code == 400 and "nested more than 48" in response.get_json()["error"], response.get_json()
    assert snapshot() == before
    allowed = json.dumps({"k": deep}).encode(encoding)  # 48
    response = api.post("/xapi/activities/state", allowed, STATE, **{"Content-Type": "application/json"})
    assert response.status_code == 204, response.get_json()


def test_a_deep_document_cannot_break_a_later_merge(api: Api) -> None:
    deep = "[" * 1000 + "]" * 1000
    assert api.put("/xapi/activities/state", deep, STATE).status_code == 204  # a document is kept as sent
    response = api.post("/xapi/activities/state", {"more": 1}, STATE)
    assert response.status_code == 400 and response.get_json()["field"] == "stored document"


def forged(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


MORE = {
    "cursor not a date": {"after": ["not a date", 1]},
    "negative limit": {"limit": -1},
    "limit not a number": {"limit": "x"},
    "agent as an object": {"agent": {}},
    "a million per page": {"limit": 1000000},
}


@pytest.mark.parametrize("data", MORE.values(), ids=MORE.keys())
def test_a_forged_more_token_is_refused(api: Api, data: dict[str, Any]) -> None:
    response = api.get("/xapi/statements", {"more": forged(data)})
    assert response.status_code == 400
    assert response.get_json()["field"] == "more"


def test_more_tokens_are_signed_and_cannot_be_altered(api: Api) -> None:
    api.post("/xapi/statements", [statement() for _ in range(3)])
    first = api.get("/xapi/statements", {"limit": "2"}).get_json()
    token = first["more"].split("more=", 1)[1]
    following = api.get("/xapi/statements", {"more": token})
    assert following.status_code == 200 and len(following.get_json()["statements"]) == 1
    payload, _, signature = token.rpartition(".")
    altered = forged({"limit": 1000000}).rstrip("=") + "." + signature
    assert api.get("/xapi/statements", {"more": altered}).status_code == 400


@pytest.mark.parametrize(("limit", "status"), [("-1", 400), ("x", 400), ("²", 400), ("9" * 5000, 400), ("0", 200)])
def test_the_limit_parameter(api: Api, limit: str, status: int) -> None:
    assert api.get("/xapi/statements", {"limit": limit}).status_code == status


@pytest.mark.parametrize("app_config", [{"LRS_STATEMENT_LIMIT": 2}])
def test_the_page_size_is_always_capped(api: Api) -> None:
    api.post("/xapi/statements", [statement() for _ in range(3)])
    page = api.get("/xapi/statements", {"limit": "1000000"}).get_json()
    assert len(page["statements"]) == 2 and page["more"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("since", "9999-12-31T23:59:59-23:00"),
        ("until", "0001-01-01T00:00:00+01:00"),
        ("verb", "http://example.com/\x00"),
        ("registration", "\x00"),
    ],
)
def test_bad_statement_filters_are_refused_naming_them(api: Api, name: str, value: str) -> None:
    response = api.get("/xapi/statements", {name: value})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("params", "headers", "field"),
    [
        ({**STATE, "stateId": "s" * 601}, {}, "stateId"),
        ({**STATE, "stateId": "a\x00b"}, {}, None),
        (STATE, {"Content-Type": "text/" + "x" * 256}, "Content-Type"),
        ({"activityId": ACTIVITY, "profileId": "p" * 601}, {}, "profileId"),
    ],
)
def test_document_values_the_database_cannot_hold_are_refused(
    api: Api, params: dict[str, str], headers: dict[str, str], field: str | None
) -> None:
    path = "/xapi/activities/profile" if "profileId" in params else "/xapi/activities/state"
    before = snapshot()
    response = api.put(path, b"{}", params, **{"Content-Type": "application/json", **headers})
    assert response.status_code == 400
    if field:
        assert response.get_json()["field"] == field
    assert snapshot() == before


def test_a_body_over_the_size_limit_answers_413_in_json(app: Flask, api: Api) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    before = snapshot()
    response = api.post("/xapi/statements", [statement() for _ in range(20)])
    assert response.status_code == 413
    assert response.mimetype == "application/json"
    assert response.get_json() == {
        "error": "the request is larger than this LRS takes (at most 1000 bytes); send fewer statements at a time",
        "field": "body",
    }
    assert snapshot() == before


def test_nul_in_an_address_is_refused(client: Any) -> None:
    assert client.get("/verify/AB%00CD").status_code in (400, 404)


@pytest.mark.parametrize(("role", "url"), [(Role.MANAGER, "/manage/?q=a%00b"), (Role.ADMIN, "/admin/users?q=a%00b")])
def test_nul_in_a_search_filter_is_refused(client: Any, auth: Any, make: Any, role: Role, url: str) -> None:
    organisation = make.organisation()
    auth.sign_in(make.manager(organisation) if role == Role.MANAGER else make.user(Role.ADMIN))
    assert client.get(url.replace("%00", "")).status_code == 200
    assert client.get(url).status_code == 400
