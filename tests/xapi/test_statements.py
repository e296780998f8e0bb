"""The Statement resource: storing, conflicts, voiding, queries, paging, formats, versions and credentials."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from induction.extensions import db
from induction.xapi import clients, store

from .conftest import Api, statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def post(api: Api, *bodies: dict[str, Any]) -> list[str]:
    response = api.post("/xapi/statements", list(bodies))
    assert response.status_code == 200, response.get_json()
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    return list(response.get_json())


def ids_of(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [s["id"] for s in response.get_json()["statements"]]


def test_post_returns_ids_in_order_and_get_returns_the_stored_statement(api: Api) -> None:
    given = str(uuid.uuid4())
    ids = post(api, statement(id=given), statement())
    assert ids[0] == given and len(ids) == 2
    found = api.get("/xapi/statements", {"statementId": given})
    assert found.status_code == 200
    body = found.get_json()
    assert body["actor"]["mbox"] == "mailto:ada@example.com"
    assert body["authority"]["name"] == "Test tool" and body["version"] == "1.0.0"
    assert body["stored"].endswith("Z") and body["timestamp"] == body["stored"]
    assert "X-Experience-API-Consistent-Through" in found.headers and "Last-Modified" in found.headers


def test_put_stores_with_the_given_id_and_answers_204(api: Api) -> None:
    ident = str(uuid.uuid4())
    assert api.put("/xapi/statements", statement(), {"statementId": ident}).status_code == 204
    assert api.get("/xapi/statements", {"statementId": ident}).get_json()["id"] == ident
    assert api.put("/xapi/statements", statement()).get_json()["field"] == "statementId"
    other = api.put("/xapi/statements", statement(id=str(uuid.uuid4())), {"statementId": ident})
    assert other.status_code == 400 and other.get_json()["field"] == "id"


def test_the_same_id_and_statement_is_accepted_a_different_one_conflicts(api: Api) -> None:
    ident = str(uuid.uuid4())
    body = statement(id=ident, timestamp="2026-01-01T12:00:00+01:00")
    post(api, body)
    assert post(api, {**body, "timestamp": "2026-01-01T11:00:00.000Z"}) == [ident]
    assert api.put("/xapi/statements", body, {"statementId": ident}).status_code == 204
    changed = api.post("/xapi/statements", {**body, "verb": {"id": "http://example.com/verbs/other"}})
    assert changed.status_code == 409
    assert api.get("/xapi/statements", {"statementId": ident}).get_json()["verb"]["id"].endswith("experienced")


def test_a_bad_statement_refuses_the_whole_batch(api: Api) -> None:
    good = statement(id=str(uuid.uuid4()))
    refused = api.post("/xapi/statements", [good, statement(verb={"id": "not an iri"})])
    assert refused.status_code == 400
    assert refused.get_json() == {"error": refused.get_json()["error"], "field": "[1].verb.id"}
    assert api.get("/xapi/statements", {"statementId": good["id"]}).status_code == 404


def test_malformed_json_and_wrong_content_types_are_refused(api: Api) -> None:
    assert api.post("/xapi/statements", "{not json").status_code == 400
    form = api.post("/xapi/statements", json.dumps(statement()), Content_Type="text/plain")
    assert form.status_code == 400 and form.get_json()["field"] == "Content-Type"
    multipart = api.post("/xapi/statements", b"--x\r\n", Content_Type="multipart/mixed; boundary=x")
    assert multipart.status_code == 400 and "multipart" in multipart.get_json()["error"]


def test_version_header_is_required_and_checked(client: Any, api: Api) -> None:
    for version, status in (("1.0.3", 200), ("1.0", 200), ("1.0.9", 200), ("0.95", 400), ("1.1.0", 400), ("", 400)):
        response = client.get(
            "/xapi/statements", headers={"Authorization": api.auth, "X-Experience-API-Version": version}
        )
        assert response.status_code == status, version
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
    about = client.get("/xapi/about")
    assert about.status_code == 200 and "1.0.3" in about.get_json()["version"]


def test_credentials_are_required_and_revocation_is_immediate(client: Any, api: Api, credentials: Any) -> None:
    anonymous = client.get("/xapi/statements", headers={"X-Experience-API-Version": "1.0.3"})
    assert anonymous.status_code == 401 and "Basic" in anonymous.headers["WWW-Authenticate"]
    wrong = Api(client, credentials[0], "wrong")
    assert wrong.get("/xapi/statements").status_code == 401
    clients.revoke(db.session.scalar(clients.clients_query()))
    db.session.commit()
    assert api.get("/xapi/statements").status_code == 401


def test_read_only_credentials_cannot_write(client: Any) -> None:
    issued = clients.create("Reader", read_only=True)
    db.session.commit()
    reader = Api(client, issued.client.key, issued.secret)
    assert reader.get("/xapi/statements").status_code == 200
    assert reader.post("/xapi/statements", statement()).status_code == 403


def test_voiding_hides_a_statement_except_by_voided_statement_id(api: Api) -> None:
    target = post(api, statement())[0]
    voiding = post(api, statement(verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": target}))[0]
    assert api.get("/xapi/statements", {"statementId": target}).status_code == 404
    assert api.get("/xapi/statements", {"voidedStatementId": target}).get_json()["id"] == target
    assert api.get("/xapi/statements", {"voidedStatementId": voiding}).status_code == 404
    listed = ids_of(api.get("/xapi/statements"))
    assert target not in listed and voiding in listed
    # a voiding statement cannot itself be voided
    post(api, statement(verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": voiding}))
    assert api.get("/xapi/statements", {"statementId": voiding}).status_code == 200


def test_a_statement_voided_before_it_arrives_is_stored_voided(api: Api) -> None:
    later = str(uuid.uuid4())
    post(api, statement(verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": later}))
    post(api, statement(id=later))
    assert api.get("/xapi/statements", {"statementId": later}).status_code == 404


def test_single_statement_parameters_cannot_be_mixed(api: Api) -> None:
    ident = str(uuid.uuid4())
    both = api.get("/xapi/statements", {"statementId": ident, "voidedStatementId": ident})
    assert both.status_code == 400
    assert api.get("/xapi/statements", {"statementId": ident, "verb": VOIDED}).status_code == 400
    assert api.get("/xapi/statements", {"statementId": ident, "format": "ids"}).status_code == 404
    assert api.get("/xapi/statements", {"statementId": "nope"}).status_code == 400


def test_unknown_parameters_and_wrong_case_are_refused(api: Api) -> None:
    assert api.get("/xapi/statements", {"colour": "blue"}).status_code == 400
    assert api.get("/xapi/statements", {"Verb": VOIDED}).status_code == 400
    assert api.get("/xapi/statements", {"ascending": "yes"}).status_code == 400
    assert api.get("/xapi/statements", {"limit": "-1"}).status_code == 400
    assert api.post("/xapi/statements", statement(), {"statementId": str(uuid.uuid4())}).status_code == 400


def test_filters(api: Api) -> None:
    registration = str(uuid.uuid4())
    group = {"objectType": "Group", "member": [{"mbox": "mailto:grace@example.com"}]}
    first = post(api, statement(context={"registration": registration}))[0]
    second = post(api, statement(actor=group, verb={"id": "http://example.com/verbs/met"}))[0]
    third = post(
        api,
        statement(
            actor={"mbox": "mailto:bob@example.com"},
            object={"id": "http://example.com/activities/two"},
            context={
                "instructor": {"mbox": "mailto:ada@example.com"},
                "contextActivities": {"parent": {"id": "http://example.com/activities/one"}},
            },
        ),
    )[0]
    ref = post(
        api, statement(actor={"mbox": "mailto:eve@example.com"}, object={"objectType": "StatementRef", "id": first})
    )[0]
    ada = json.dumps({"mbox": "mailto:ada@example.com"})
    assert ids_of(api.get("/xapi/statements", {"agent": ada})) == [ref, first]
    assert ids_of(api.get("/xapi/statements", {"agent": ada, "related_agents": "true"})) == [ref, third, first]
    grace = json.dumps({"mbox": "mailto:grace@example.com"})
    assert ids_of(api.get("/xapi/statements", {"agent": grace})) == [second]
    assert ids_of(api.get("/xapi/statements", {"verb": "http://example.com/verbs/met"})) == [second]
    one = "http://example.com/activities/one"
    assert ids_of(api.get("/xapi/statements", {"activity": one})) == [ref, second, first]
    assert ids_of(api.get("/xapi/statements", {"activity": one, "related_activities": "true"})) == [
        ref,
        third,
        second,
        first,
    ]
    assert ids_of(api.get("/xapi/statements", {"registration": registration})) == [ref, first]
    assert ids_of(api.get("/xapi/statements", {"ascending": "true", "limit": "2"}))[:2] == [first, second]
    empty = api.get("/xapi/statements", {"verb": "http://example.com/verbs/never"})
    assert empty.get_json() == {"statements": [], "more": ""}


def test_since_and_until_use_stored_time(api: Api) -> None:
    first = post(api, statement())[0]
    stored = api.get("/xapi/statements", {"statementId": first}).get_json()["stored"]
    second = post(api, statement())[0]
    assert ids_of(api.get("/xapi/statements", {"since": stored})) == [second]
    assert ids_of(api.get("/xapi/statements", {"until": stored})) == [first]


def test_more_pages_through_every_statement_once(api: Api) -> None:
    made = post(api, *[statement() for _ in range(7)])
    seen: list[str] = []
    response = api.get("/xapi/statements", {"limit": "3"})
    while True:
        seen += ids_of(response)
        more = response.get_json()["more"]
        if not more:
            break
        assert more.startswith("/xapi/statements?")
        response = api.get(urlsplit(more).path, {k: v[0] for k, v in parse_qs(urlsplit(more).query).items()})
    assert seen == list(reversed(made))


def test_formats(api: Api) -> None:
    body = statement(
        verb={"id": "http://example.com/verbs/read", "display": {"en-GB": "read", "fr": "lu"}},
        object={"id": "http://example.com/activities/book", "definition": {"name": {"en-GB": "Book", "fr": "Livre"}}},
    )
    ident = post(api, body)[0]
    post(
        api,
        statement(
            object={"id": "http://example.com/activities/book", "definition": {"description": {"fr": "Un livre"}}}
        ),
    )
    ids = api.get("/xapi/statements", {"statementId": ident, "format": "ids"}).get_json()
    assert ids["verb"] == {"id": "http://example.com/verbs/read"}
    assert ids["actor"] == {"objectType": "Agent", "mbox": "mailto:ada@example.com"}
    assert "definition" not in ids["object"]
    canonical = api.get(
        "/xapi/statements", {"statementId": ident, "format": "canonical"}, Accept_Language="fr"
    ).get_json()
    assert canonical["verb"]["display"] == {"fr": "lu"}
    assert canonical["object"]["definition"] == {"name": {"fr": "Livre"}, "description": {"fr": "Un livre"}}
    exact = api.get("/xapi/statements", {"statementId": ident}).get_json()
    assert exact["object"]["definition"] == body["object"]["definition"]
    assert api.get("/xapi/statements", {"format": "full"}).status_code == 400


def test_context_activities_come_back_as_arrays(api: Api) -> None:
    ident = post(api, statement(context={"contextActivities": {"parent": {"id": "http://example.com/p"}}}))[0]
    found = api.get("/xapi/statements", {"statementId": ident}).get_json()
    assert found["context"]["contextActivities"]["parent"] == [{"id": "http://example.com/p"}]


def test_attachments_true_answers_multipart(api: Api) -> None:
    post(api, statement())
    response = api.get("/xapi/statements", {"attachments": "true"})
    assert response.status_code == 200 and response.mimetype == "multipart/mixed"
    assert b"application/json" in response.data


def test_head_answers_like_get_without_a_body(api: Api) -> None:
    post(api, statement())
    response = api.head("/xapi/statements")
    assert response.status_code == 200 and response.data == b""
    assert "X-Experience-API-Consistent-Through" in response.headers


def test_alternate_request_syntax(api: Api, client: Any) -> None:
    ident = str(uuid.uuid4())
    form = {
        "Authorization": api.auth,
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
        "statementId": ident,
        "content": json.dumps(statement()),
    }
    assert client.post("/xapi/statements?method=PUT", data=form).status_code == 204
    query = {"Authorization": api.auth, "X-Experience-API-Version": "1.0.3", "statementId": ident}
    found = client.post("/xapi/statements?method=GET", data=query)
    assert found.status_code == 200 and found.get_json()["id"] == ident
    assert client.post(f"/xapi/statements?method=GET&statementId={ident}", data=query).status_code == 400
    assert client.get("/xapi/statements?method=GET", headers=api.headers()).status_code == 400


def test_statement_refs_match_filters_through_chains_each_once_and_across_pages(api: Api) -> None:
    met = "http://example.com/verbs/met"
    eve = {"mbox": "mailto:eve@example.com"}
    target = post(api, statement(verb={"id": met}))[0]
    ref = post(api, statement(actor=eve, object={"objectType": "StatementRef", "id": target}))[0]
    post(api, statement())  # matches nothing
    ref_of_ref = post(api, statement(actor=eve, object={"objectType": "StatementRef", "id": ref}))[0]
    # matches the verb itself and targets a match: listed once
    both = post(api, statement(verb={"id": met}, object={"objectType": "StatementRef", "id": target}))[0]
    assert ids_of(api.get("/xapi/statements", {"verb": met})) == [both, ref_of_ref, ref, target]
    assert ids_of(api.get("/xapi/statements", {"verb": met, "ascending": "true"})) == [target, ref, ref_of_ref, both]
    seen: list[str] = []
    response = api.get("/xapi/statements", {"verb": met, "limit": "1"})
    while True:
        seen += ids_of(response)
        more = response.get_json()["more"]
        if not more:
            break
        response = api.get(urlsplit(more).path, {k: v[0] for k, v in parse_qs(urlsplit(more).query).items()})
    assert seen == [both, ref_of_ref, ref, target]
    voiding = post(api, statement(verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": ref}))[0]
    # a voided statement leaves the list; what targets it (the voiding statement too) still matches through it
    assert ids_of(api.get("/xapi/statements", {"verb": met})) == [voiding, both, ref_of_ref, target]


def _batch(activities: int) -> list[dict[str, Any]]:
    return [
        statement(
            actor={"mbox": f"mailto:learner{n % 40}@example.com"},
            object={"id": f"http://example.com/activities/{n % activities}", "definition": {"name": {"en-GB": "One"}}},
            context={"registration": str(uuid.uuid4())},
        )
        for n in range(50)
    ]


@pytest.mark.parametrize("forwarding", [False, True])
def test_query_counts_are_pinned(app: Any, api: Api, count_queries: Any, forwarding: bool, monkeypatch: Any) -> None:
    monkeypatch.setattr(store, "KNOWN_SECONDS", float("inf"))  # a slow machine must not change the counts
    app.config["LRS_ENDPOINT"] = "http://127.0.0.1:9/xAPI" if forwarding else ""
    outbox = 1 if forwarding else 0
    post(api, statement())
    count_queries.statements.clear()
    post(api, statement())
    # auth, stored ids and voids, one INSERT of the statement and one of its links (one statement
    # on PostgreSQL); no look-up of an activity whose stored definition the process knows
    links = 0 if db.engine.dialect.name == "postgresql" else 1
    assert count_queries.count == 3 + links + outbox, count_queries.statements
    count_queries.statements.clear()
    post(api, *_batch(activities=7))
    # a batch of 50: the same, whatever its size; one INSERT of its 6 new activities (in the same
    # statement as the statements and links on PostgreSQL)
    assert count_queries.count == 3 + 2 * links + outbox, count_queries.statements
    inserts = [q for q in count_queries.statements if q.startswith(("INSERT INTO statements", "WITH s AS"))]
    assert len(inserts) == 1, count_queries.statements
    count_queries.statements.clear()
    post(api, *_batch(activities=7))
    assert count_queries.count == 3 + links + outbox, count_queries.statements
    for _ in range(10):
        post(api, *_batch(activities=7))
    count_queries.statements.clear()
    filtered = api.get("/xapi/statements", {"verb": statement()["verb"]["id"], "limit": "100"})
    assert len(ids_of(filtered)) == 100 and filtered.get_json()["more"]
    # auth, then one query for the page: 100 of 602 that match
    assert count_queries.count == 2, count_queries.statements
    count_queries.statements.clear()
    agent = json.dumps({"mbox": "mailto:ada@example.com"})
    filtered = api.get("/xapi/statements", {"agent": agent, "verb": statement()["verb"]["id"], "limit": "1"})
    assert len(ids_of(filtered)) == 1
    assert count_queries.count == 2, count_queries.statements
