"""A statement posted by another tool about a known learner counts like one made in the browser."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select

from induction.content import catalogue
from induction.extensions import db
from induction.learning import progress
from induction.learning.models import ModuleProgress
from induction.xapi import clients
from induction.xapi import statements as xs
from induction.xapi.models import StatementRecord

from .conftest import Api

BASE = "http://induction.test"


def experienced(user: Any, module: Any, section: Any, registration: str | None = None) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": BASE, "name": user.uuid}},
        "verb": {"id": xs.EXPERIENCED, "display": {"en-GB": "experienced"}},
        "object": {"id": f"{BASE}/xapi/activities/modules/{module.slug}/sections/{section.id}"},
        "context": {"registration": registration or str(uuid.uuid4()), "revision": module.revision},
    }


def row(user: Any, slug: str) -> ModuleProgress | None:
    return db.session.get(ModuleProgress, (user.id, slug))


def test_an_outside_tool_reading_a_section_moves_the_learner_on(api: Api, make: Any) -> None:
    learner = make.learner()
    module = catalogue().module("first-steps")
    assert module is not None
    response = api.post("/xapi/statements", experienced(learner, module, module.sections[0]))
    assert response.status_code == 200
    db.session.expire_all()
    stored = db.session.scalar(select(StatementRecord).where(StatementRecord.id == response.get_json()[0]))
    assert stored is not None and stored.user_id == learner.id
    found = row(learner, "first-steps")
    assert found is not None and found.read_count == 1 and found.state == "in progress"
    before = {(r.module_slug, r.state, r.read_sections) for r in db.session.scalars(select(ModuleProgress))}
    progress.rebuild([learner.id], catalogue())
    after = {(r.module_slug, r.state, r.read_sections) for r in db.session.scalars(select(ModuleProgress))}
    assert after == before


def test_statements_about_strangers_are_kept_but_not_counted(api: Api, make: Any) -> None:
    learner = make.learner()
    module = catalogue().module("first-steps")
    assert module is not None
    stranger = experienced(learner, module, module.sections[0])
    stranger["actor"] = {"mbox": "mailto:someone@example.com"}
    other_site = experienced(learner, module, module.sections[0])
    other_site["actor"]["account"]["homePage"] = "http://elsewhere.example.com"
    assert api.post("/xapi/statements", [stranger, other_site]).status_code == 200
    rows = db.session.scalars(select(StatementRecord)).all()
    assert len(rows) == 2 and all(r.user_id is None for r in rows)
    assert row(learner, "first-steps") is None


def test_voiding_through_the_api_takes_the_progress_back(api: Api, make: Any) -> None:
    learner = make.learner()
    module = catalogue().module("first-steps")
    assert module is not None
    ident = api.post("/xapi/statements", experienced(learner, module, module.sections[0])).get_json()[0]
    voiding = {
        "actor": {"mbox": "mailto:admin@example.com"},
        "verb": {"id": xs.VOIDED},
        "object": {"objectType": "StatementRef", "id": ident},
    }
    assert api.post("/xapi/statements", voiding).status_code == 200
    db.session.expire_all()
    assert row(learner, "first-steps") is None


def test_a_client_limited_to_organisations_sees_and_records_only_their_learners(client: Any, make: Any) -> None:
    mine, theirs = make.organisation("Mine"), make.organisation("Theirs")
    ours, other = make.learner(mine), make.learner(theirs)
    issued = clients.create("Limited", organisation_ids=[mine.id])
    db.session.commit()
    limited = Api(client, issued.client.key, issued.secret)
    module = catalogue().module("first-steps")
    assert module is not None
    assert limited.post("/xapi/statements", experienced(ours, module, module.sections[0])).status_code == 200
    refused = limited.post("/xapi/statements", experienced(other, module, module.sections[0]))
    assert refused.status_code == 403 and refused.get_json()["field"] == "actor"
    xs.record(other, xs.Event(xs.EXPERIENCED, "modules/first-steps/sections/hello", "Hello"))
    db.session.commit()
    listed = limited.get("/xapi/statements").get_json()["statements"]
    assert [s["actor"]["account"]["name"] for s in listed] == [ours.uuid]
    assert json.dumps(listed).count(other.uuid) == 0


def test_platform_statements_are_served_by_the_lrs(api: Api, make: Any) -> None:
    learner = make.learner()
    made = xs.record(learner, xs.Event(xs.EXPERIENCED, "modules/first-steps/sections/hello", "Hello"))
    db.session.commit()
    found = api.get("/xapi/statements", {"statementId": made.id}).get_json()
    assert found["authority"]["account"]["name"] == "platform"
    agent = json.dumps({"account": {"homePage": BASE, "name": learner.uuid}})
    assert [s["id"] for s in api.get("/xapi/statements", {"agent": agent}).get_json()["statements"]] == [made.id]
