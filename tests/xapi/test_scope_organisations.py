"""A learner in two organisations, read through clients limited to one of them: each client sees the
person's own learning (the Common Core, which travels with them) and its own organisation's part, never
the other organisation's sign-offs, whichever way it asks."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from induction.content import catalogue
from induction.extensions import db
from induction.plans import moves
from induction.plans import services as plans
from induction.plans.models import InductionItem, ItemProgress
from induction.xapi import clients
from induction.xapi import statements as xs

from .conftest import Api

BASE = "http://induction.test"


@dataclass
class Shared:
    """Jo, in A (main) and B; a section read, A's item and B's item signed off by their managers."""

    learner: Any
    a: Api
    b: Api
    read: str
    a_sign_off: str
    b_sign_off: str


def _sign_off(manager: Any, learner: Any, item: InductionItem) -> str:
    plans.sign_off_item(manager, learner, item, catalogue())
    db.session.commit()
    row = db.session.get(ItemProgress, (learner.id, item.id))
    assert row is not None and row.statement_id is not None
    return row.statement_id


@pytest.fixture
def shared(client: FlaskClient, make: Any) -> Shared:
    a, b = make.organisation("Hillside Primary"), make.organisation("Riverside Football Club")
    learner = make.learner(a, name="Jo Shared")
    moves.add(learner, b, "Coach", date(2026, 12, 1), catalogue())
    a_item, b_item = (
        InductionItem(organisation_id=a.id, title="Fire drill"),
        InductionItem(organisation_id=b.id, title="Pitch-side first aid"),
    )
    db.session.add_all([a_item, b_item])
    db.session.commit()
    read = xs.record(learner, xs.Event(xs.EXPERIENCED, "modules/first-steps/sections/hello", "Hello")).id
    db.session.commit()
    a_sign_off = _sign_off(make.manager(a), learner, a_item)
    b_sign_off = _sign_off(make.manager(b), learner, b_item)
    limited = [clients.create(f"Limited to {o.name}", organisation_ids=[o.id]) for o in (a, b)]
    db.session.commit()
    a_api, b_api = (Api(client, i.client.key, i.secret) for i in limited)
    return Shared(learner, a_api, b_api, read, a_sign_off, b_sign_off)


def _agent(learner: Any) -> str:
    return json.dumps({"objectType": "Agent", "account": {"homePage": BASE, "name": learner.uuid}})


def _ids(api: Api, **params: str) -> set[str]:
    answer = api.get("/xapi/statements", params)
    assert answer.status_code == 200, answer.data
    return {s["id"] for s in answer.get_json()["statements"]}


def test_each_organisations_client_sees_the_common_core_and_its_own_sign_offs(shared: Shared, api: Api) -> None:
    jo = _agent(shared.learner)
    assert _ids(shared.a, agent=jo) == {shared.read, shared.a_sign_off}
    assert _ids(shared.b, agent=jo) == {shared.read, shared.b_sign_off}
    assert _ids(shared.a) == {shared.read, shared.a_sign_off}
    assert _ids(shared.a, verb=xs.COMPLETED) == {shared.a_sign_off}
    # An unlimited client sees everything.
    assert {shared.read, shared.a_sign_off, shared.b_sign_off} <= _ids(api, agent=jo)
    # Nothing of B's item reaches A's client, even its title.
    text = shared.a.get("/xapi/statements", {"agent": jo}).get_data(as_text=True)
    assert "Pitch-side first aid" not in text and "Riverside Football Club" not in text


def test_another_organisations_sign_off_by_id_is_not_there(shared: Shared, api: Api) -> None:
    hidden = shared.a.get("/xapi/statements", {"statementId": shared.b_sign_off})
    assert hidden.status_code == 404
    assert hidden.get_json()["error"] == "no statement has this id"  # as for an id never stored
    assert shared.a.head("/xapi/statements", {"statementId": shared.b_sign_off}).status_code == 404
    assert shared.b.get("/xapi/statements", {"statementId": shared.b_sign_off}).status_code == 200
    assert api.get("/xapi/statements", {"statementId": shared.b_sign_off}).status_code == 200
    assert shared.b.get("/xapi/statements", {"statementId": shared.a_sign_off}).status_code == 404
    for limited in (shared.a, shared.b):
        assert limited.get("/xapi/statements", {"statementId": shared.read}).status_code == 200


def test_paging_a_limited_client_walks_only_what_it_may_see(shared: Shared, count_queries: Any) -> None:
    seen, params = [], {"agent": _agent(shared.learner), "limit": "1"}
    shared.a.get("/xapi/statements", {"limit": "1"})  # its first use is recorded; later reads write nothing
    count_queries.statements.clear()
    answer = shared.a.get("/xapi/statements", params).get_json()
    assert count_queries.count == 2, count_queries.statements  # the credentials, then one query for the page
    while True:
        seen += [s["id"] for s in answer["statements"]]
        if not answer["more"]:
            break
        answer = shared.a.client.get(answer["more"], headers=shared.a.headers()).get_json()
    assert seen == [shared.a_sign_off, shared.read]  # newest first, one a page, B's sign-off skipped


def test_what_a_limited_client_posts_is_its_own_and_voids_of_what_it_sees_follow(shared: Shared, api: Api) -> None:
    jo = json.loads(_agent(shared.learner))
    posted = {
        "id": str(uuid.uuid4()),
        "actor": jo,
        "verb": {"id": xs.ATTENDED, "display": {"en-GB": "attended"}},
        "object": {"id": "http://club.example/activities/training-night"},
    }
    assert shared.b.post("/xapi/statements", posted).status_code == 200
    assert posted["id"] in _ids(shared.b) and posted["id"] not in _ids(shared.a)
    # Voiding the read (by an unlimited client): both see the void, and the read by voidedStatementId.
    void = {"actor": jo, "verb": {"id": xs.VOIDED}, "object": {"objectType": "StatementRef", "id": shared.read}}
    (void_id,) = api.post("/xapi/statements", void).get_json()
    for limited in (shared.a, shared.b):
        assert void_id in _ids(limited)
        assert limited.get("/xapi/statements", {"voidedStatementId": shared.read}).status_code == 200


def test_a_limited_client_cannot_void_another_organisations_sign_off(shared: Shared, api: Api) -> None:
    jo = json.loads(_agent(shared.learner))
    for target in (shared.b_sign_off, str(uuid.uuid4())):
        void = {"actor": jo, "verb": {"id": xs.VOIDED}, "object": {"objectType": "StatementRef", "id": target}}
        posted = shared.a.post("/xapi/statements", void)
        put = shared.a.put("/xapi/statements", void, {"statementId": str(uuid.uuid4())})
        for refused in (posted, put):
            assert refused.status_code == 403 and refused.get_json()["field"] == "object"
    assert shared.b.get("/xapi/statements", {"statementId": shared.b_sign_off}).status_code == 200
    assert _ids(api, verb=xs.VOIDED) == set()


def test_another_organisations_voided_sign_off_is_not_there_either(shared: Shared, api: Api) -> None:
    jo = json.loads(_agent(shared.learner))
    void = {"actor": jo, "verb": {"id": xs.VOIDED}, "object": {"objectType": "StatementRef", "id": shared.b_sign_off}}
    (void_id,) = api.post("/xapi/statements", void).get_json()
    assert shared.a.get("/xapi/statements", {"voidedStatementId": shared.b_sign_off}).status_code == 404
    assert shared.b.get("/xapi/statements", {"voidedStatementId": shared.b_sign_off}).status_code == 200
    assert void_id in _ids(shared.b) and void_id not in _ids(shared.a)  # the void targets what A may not read
