"""A client limited to some organisations acts only on learners of those organisations, on every
resource and method: outside its scope a read finds nothing, a write answers 403, and nothing changes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from induction.content import catalogue
from induction.extensions import db
from induction.learning.models import ModuleProgress
from induction.xapi import clients
from induction.xapi import statements as xs
from induction.xapi.services import Caller, may_act_on

from .conftest import Api

BASE = "http://induction.test"
ACTIVITY = "http://example.com/activities/one"
STATE, ACTIVITY_PROFILE, AGENT_PROFILE = "/xapi/activities/state", "/xapi/activities/profile", "/xapi/agents/profile"


def agent(user: Any) -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": BASE, "name": user.uuid}}


def experienced(user: Any, *, with_id: bool = True) -> dict[str, Any]:
    module = catalogue().module("first-steps")
    assert module is not None
    return {
        **({"id": str(uuid.uuid4())} if with_id else {}),
        "actor": agent(user),
        "verb": {"id": xs.EXPERIENCED, "display": {"en-GB": "experienced"}},
        "object": {"id": f"{BASE}/xapi/activities/modules/first-steps/sections/{module.sections[0].id}"},
        "context": {"registration": str(uuid.uuid4()), "revision": module.revision},
    }


def voiding(by: Any, target: str) -> dict[str, Any]:
    return {"actor": agent(by), "verb": {"id": xs.VOIDED}, "object": {"objectType": "StatementRef", "id": target}}


@dataclass
class World:
    """Two organisations, a learner in each with a statement, a state document and an agent profile,
    a shared activity profile, and a client limited to the first organisation."""

    admin: Api
    limited: Api
    ours: Any
    other: Any
    ours_statement: str
    other_statement: str
    other_voided: str

    def state(self, user: Any, **extra: str) -> dict[str, str]:
        return {"activityId": ACTIVITY, "agent": json.dumps(agent(user)), **extra}

    def profile(self, user: Any, **extra: str) -> dict[str, str]:
        return {"agent": json.dumps(agent(user)), **extra}


@pytest.fixture
def world(client: FlaskClient, api: Api, make: Any) -> World:
    mine, theirs = make.organisation("Mine"), make.organisation("Theirs")
    ours, other = make.learner(mine), make.learner(theirs)
    issued = clients.create("Limited", organisation_ids=[mine.id])
    db.session.commit()
    limited = Api(client, issued.client.key, issued.secret)
    ids = []
    for user in (ours, other, other):
        response = api.post("/xapi/statements", experienced(user))
        assert response.status_code == 200
        ids.append(response.get_json()[0])
    assert api.post("/xapi/statements", voiding(other, ids[2])).status_code == 200
    for user in (ours, other):
        assert api.put(STATE, {"page": 3}, {**_state(user), "stateId": "bookmark"}).status_code == 204
        assert api.put(AGENT_PROFILE, {"theme": "dark"}, {**_profile(user), "profileId": "prefs"}).status_code == 204
    assert api.put(ACTIVITY_PROFILE, {"a": 1}, {"activityId": ACTIVITY, "profileId": "shared"}).status_code == 204
    return World(api, limited, ours, other, ids[0], ids[1], ids[2])


def _state(user: Any) -> dict[str, str]:
    return {"activityId": ACTIVITY, "agent": json.dumps(agent(user))}


def _profile(user: Any) -> dict[str, str]:
    return {"agent": json.dumps(agent(user))}


def snapshot() -> dict[str, list[str]]:
    """Every row of every table but the clients' (whose last use is recorded), to show nothing changed."""
    db.session.expire_all()
    rows = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name != "xapi_clients":
                rows[table.name] = sorted(repr(tuple(r)) for r in connection.execute(select(table)))
    return rows


Request = Callable[[World], Any]

# Each request, by the limited client, about the other organisation's learner (or no learner of ours).
REFUSED: dict[str, tuple[int, Request]] = {
    "GET statement": (404, lambda w: w.limited.get("/xapi/statements", {"statementId": w.other_statement})),
    "GET voided statement": (404, lambda w: w.limited.get("/xapi/statements", {"voidedStatementId": w.other_voided})),
    "HEAD statement": (404, lambda w: w.limited.head("/xapi/statements", {"statementId": w.other_statement})),
    "POST statement": (403, lambda w: w.limited.post("/xapi/statements", experienced(w.other))),
    "POST statements, one outside": (
        403,
        lambda w: w.limited.post("/xapi/statements", [experienced(w.ours), experienced(w.other)]),
    ),
    "POST a stored statement again": (
        403,
        lambda w: w.limited.post("/xapi/statements", _stored(w.admin, w.other_statement)),
    ),
    "POST about a stranger": (
        403,
        lambda w: w.limited.post(
            "/xapi/statements", {**experienced(w.ours), "actor": {"mbox": "mailto:x@example.com"}}
        ),
    ),
    "PUT statement": (
        403,
        lambda w: w.limited.put(
            "/xapi/statements", experienced(w.other, with_id=False), {"statementId": str(uuid.uuid4())}
        ),
    ),
    "POST voiding": (403, lambda w: w.limited.post("/xapi/statements", voiding(w.ours, w.other_statement))),
    "PUT voiding": (
        403,
        lambda w: w.limited.put(
            "/xapi/statements", voiding(w.ours, w.other_statement), {"statementId": str(uuid.uuid4())}
        ),
    ),
    "POST voiding of a statement not stored": (
        403,
        lambda w: w.limited.post("/xapi/statements", voiding(w.ours, str(uuid.uuid4()))),
    ),
    "GET state": (404, lambda w: w.limited.get(STATE, w.state(w.other, stateId="bookmark"))),
    "HEAD state": (404, lambda w: w.limited.head(STATE, w.state(w.other, stateId="bookmark"))),
    "PUT state": (403, lambda w: w.limited.put(STATE, {"page": 9}, w.state(w.other, stateId="bookmark"))),
    "PUT new state": (403, lambda w: w.limited.put(STATE, {"page": 9}, w.state(w.other, stateId="new"))),
    "POST state": (403, lambda w: w.limited.post(STATE, {"page": 9}, w.state(w.other, stateId="bookmark"))),
    "DELETE state": (403, lambda w: w.limited.delete(STATE, w.state(w.other, stateId="bookmark"))),
    "DELETE all state": (403, lambda w: w.limited.delete(STATE, w.state(w.other))),
    "PUT state by the alternate syntax": (
        403,
        lambda w: w.limited.client.post(
            STATE + "?method=PUT",
            data={
                **w.state(w.other, stateId="bookmark"),
                "Authorization": w.limited.auth,
                "X-Experience-API-Version": "1.0.3",
                "Content-Type": "application/json",
                "content": '{"page": 9}',
            },
        ),
    ),
    "PUT state of a stranger": (
        403,
        lambda w: w.limited.put(
            STATE, {"a": 1}, {"activityId": ACTIVITY, "agent": '{"mbox": "mailto:x@example.com"}', "stateId": "s"}
        ),
    ),
    "GET agent profile": (404, lambda w: w.limited.get(AGENT_PROFILE, w.profile(w.other, profileId="prefs"))),
    "PUT agent profile": (
        403,
        lambda w: w.limited.put(AGENT_PROFILE, {"theme": "light"}, w.profile(w.other, profileId="prefs"), If_Match="*"),
    ),
    "POST agent profile": (
        403,
        lambda w: w.limited.post(AGENT_PROFILE, {"theme": "light"}, w.profile(w.other, profileId="prefs")),
    ),
    "DELETE agent profile": (403, lambda w: w.limited.delete(AGENT_PROFILE, w.profile(w.other, profileId="prefs"))),
    "PUT activity profile": (
        403,
        lambda w: w.limited.put(
            ACTIVITY_PROFILE, {"a": 2}, {"activityId": ACTIVITY, "profileId": "shared"}, If_Match="*"
        ),
    ),
    "POST activity profile": (
        403,
        lambda w: w.limited.post(ACTIVITY_PROFILE, {"b": 2}, {"activityId": ACTIVITY, "profileId": "shared"}),
    ),
    "DELETE activity profile": (
        403,
        lambda w: w.limited.delete(ACTIVITY_PROFILE, {"activityId": ACTIVITY, "profileId": "shared"}),
    ),
}


def _stored(admin: Api, statement_id: str) -> dict[str, Any]:
    found = admin.get("/xapi/statements", {"statementId": statement_id}).get_json()
    return {k: v for k, v in found.items() if k not in ("stored", "authority", "version")}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_outside_its_organisations_a_limited_client_is_refused_and_nothing_changes(world: World, case: str) -> None:
    status, send = REFUSED[case]
    before = snapshot()
    response = send(world)
    assert response.status_code == status, response.data
    if response.data:
        assert world.other.uuid not in response.get_data(as_text=True)
    assert snapshot() == before


def test_a_refused_voiding_keeps_the_other_learners_progress(world: World) -> None:
    before = db.session.get(ModuleProgress, (world.other.id, "first-steps"))
    assert before is not None and before.read_count == 1
    refused = world.limited.post("/xapi/statements", voiding(world.ours, world.other_statement))
    assert refused.status_code == 403 and refused.get_json()["field"] == "object"
    db.session.expire_all()
    after = db.session.get(ModuleProgress, (world.other.id, "first-steps"))
    assert after is not None and after.read_count == 1
    assert world.admin.get("/xapi/statements", {"statementId": world.other_statement}).status_code == 200


def test_lists_outside_its_organisations_are_empty(world: World) -> None:
    limited, other = world.limited, world.other
    by_agent = limited.get("/xapi/statements", {"agent": json.dumps(agent(other))}).get_json()
    assert by_agent == {"statements": [], "more": ""}
    everything = limited.get("/xapi/statements").get_json()["statements"]
    assert [s["id"] for s in everything] == [world.ours_statement]
    assert limited.get(STATE, world.state(other)).get_json() == []
    assert limited.get(AGENT_PROFILE, world.profile(other)).get_json() == []
    person = limited.get("/xapi/agents", {"agent": json.dumps(agent(other))}).get_json()
    assert person == {"objectType": "Person", "account": [agent(other)["account"]]}
    assert "name" not in world.admin.get("/xapi/agents", {"agent": json.dumps(agent(other))}).get_json()


def test_within_its_organisations_a_limited_client_does_everything(world: World) -> None:
    limited, ours = world.limited, world.ours
    assert limited.get("/xapi/statements", {"statementId": world.ours_statement}).status_code == 200
    by_agent = limited.get("/xapi/statements", {"agent": json.dumps(agent(ours))}).get_json()["statements"]
    assert [s["id"] for s in by_agent] == [world.ours_statement]
    assert limited.post("/xapi/statements", _stored(world.admin, world.ours_statement)).status_code == 200
    put_id = str(uuid.uuid4())
    assert limited.put("/xapi/statements", experienced(ours, with_id=False), {"statementId": put_id}).status_code == 204
    assert limited.post("/xapi/statements", voiding(ours, put_id)).status_code == 200
    assert limited.get("/xapi/statements", {"voidedStatementId": put_id}).status_code == 200

    bookmark = world.state(ours, stateId="bookmark")
    assert limited.get(STATE, bookmark).get_json() == {"page": 3}
    assert limited.post(STATE, {"seen": True}, bookmark).status_code == 204
    assert limited.put(STATE, {"page": 4}, world.state(ours, stateId="other")).status_code == 204
    assert limited.get(STATE, world.state(ours)).get_json() == ["bookmark", "other"]
    assert limited.delete(STATE, bookmark).status_code == 204
    assert limited.delete(STATE, world.state(ours)).status_code == 204
    assert limited.get(STATE, world.state(ours)).get_json() == []

    prefs = world.profile(ours, profileId="prefs")
    etag = limited.get(AGENT_PROFILE, prefs).headers["ETag"]
    assert limited.put(AGENT_PROFILE, {"theme": "light"}, prefs, If_Match=etag).status_code == 204
    assert limited.post(AGENT_PROFILE, {"size": "large"}, prefs).status_code == 204
    assert limited.get(AGENT_PROFILE, prefs).get_json() == {"theme": "light", "size": "large"}
    assert limited.get(AGENT_PROFILE, world.profile(ours)).get_json() == ["prefs"]
    assert limited.delete(AGENT_PROFILE, prefs).status_code == 204

    # Activity profiles belong to no organisation: a limited client reads them but cannot change them.
    shared = {"activityId": ACTIVITY, "profileId": "shared"}
    assert limited.get(ACTIVITY_PROFILE, shared).get_json() == {"a": 1}
    assert limited.get(ACTIVITY_PROFILE, {"activityId": ACTIVITY}).get_json() == ["shared"]
    mine = limited.get("/xapi/agents", {"agent": json.dumps(agent(ours))}).get_json()
    assert mine == {"objectType": "Person", "account": [agent(ours)["account"]]}  # no name, even of its own learners


def test_an_unlimited_client_acts_on_every_learner(world: World) -> None:
    admin, other = world.admin, world.other
    assert admin.post("/xapi/statements", voiding(other, world.other_statement)).status_code == 200
    assert admin.delete(STATE, world.state(other)).status_code == 204
    assert (
        admin.put(ACTIVITY_PROFILE, {"a": 2}, {"activityId": ACTIVITY, "profileId": "shared"}, If_Match="*").status_code
        == 204
    )


def test_the_one_rule(app: Any, make: Any) -> None:
    """may_act_on: learners of the caller's organisations only; never a Group, a stranger or a manager."""
    mine, theirs = make.organisation("Mine"), make.organisation("Theirs")
    ours, other, manager = make.learner(mine), make.learner(theirs), make.manager(mine)
    limited = Caller(authority={}, organisation_ids=frozenset({mine.id}))
    unlimited = Caller(authority={})
    assert may_act_on(limited, agent(ours))
    assert may_act_on(limited, agent(ours), agent(ours))
    assert not may_act_on(limited, agent(ours), agent(other))
    assert not may_act_on(limited, agent(manager))
    assert not may_act_on(limited, {"mbox": "mailto:x@example.com"})
    assert not may_act_on(limited, {"account": {"homePage": "http://elsewhere.example", "name": ours.uuid}})
    assert not may_act_on(limited, {"objectType": "Group", "account": {"homePage": BASE, "name": ours.uuid}})
    assert may_act_on(unlimited, agent(other), {"mbox": "mailto:x@example.com"})
