"""The LRS's canonical activity definitions (the Activities resource) after the platform's own
statements and clients' ones: the platform's activities named as its content names them and by
nobody else, clients' own activities merged language by language, whichever way the store writes
them (merged in SQL, or not written at all when the process knows them stored)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import update

from induction.content import catalogue
from induction.extensions import db
from induction.learning import services
from induction.plans import status as learner_status
from induction.xapi import store
from induction.xapi.models import ActivityDefinition

from ..concurrency import burst
from ..journey import answer, read_module, read_section
from .conftest import Api, statement

BASE = "http://induction.test/xapi/activities/"
SECTION = BASE + "modules/first-steps/sections/hello"
MODULE = BASE + "modules/first-steps"
CONTENT = {"Content-Type": "application/json"}


def defined(api: Api, iri: str) -> Any:
    answer = api.get("/xapi/activities", {"activityId": iri})
    assert answer.status_code == 200
    return answer.get_json().get("definition")


def learner(make: Any, email: str) -> Any:
    person = make.learner(email=email)
    learner_status.refresh([person], catalogue())
    db.session.commit()
    return person


def test_the_platforms_activities_are_defined_by_the_platform_alone(
    client: Any, api: Api, make: Any, auth: Any
) -> None:
    module = catalogue().module("first-steps")
    assert module is not None
    title = module.section("hello").title  # type: ignore[union-attr]
    auth.sign_in(learner(make, "ada@example.org"))
    read_section(client, "first-steps", "hello")
    assert defined(api, SECTION) == {"name": {"en-GB": title}}
    assert defined(api, MODULE) is None  # named by a read only as its parent, which defines nothing

    # A tool's definitions of the platform's activities are not taken: the platform alone defines them.
    named = {"name": {"en-GB": title}}
    added = {"name": {"en-GB": "Renamed", "fr": "Bonjour"}, "description": {"en-GB": "The first section"}}
    sent = api.post("/xapi/statements", statement(object={"id": SECTION, "definition": added}))
    assert sent.status_code == 200
    assert defined(api, SECTION) == named
    kept = api.get("/xapi/statements", {"statementId": sent.get_json()[0]})
    assert kept.get_json()["object"]["definition"] == added  # the tool's statement is kept as sent
    assert (
        api.get("/xapi/statements", {"statementId": sent.get_json()[0], "format": "canonical"}).get_json()["object"][
            "definition"
        ]
        == named
    )
    # ...while its own activities it defines as it likes, languages merging.
    tool = "http://tools.example.org/activities/one"
    for definition in ({"name": {"en-GB": "One"}}, {"name": {"fr": "Un"}}):
        assert api.post("/xapi/statements", statement(object={"id": tool, "definition": definition})).status_code == 200
    assert defined(api, tool) == {"name": {"en-GB": "One", "fr": "Un"}}
    auth.sign_out()
    auth.sign_in(learner(make, "noor@example.org"))
    read_section(client, "first-steps", "hello")
    assert defined(api, SECTION) == named

    # Completing the module names it (its `completed` statement is stored with the quiz's).
    read_module(client, "first-steps")
    answer(client, "first-steps")
    assert defined(api, MODULE) == {"name": {"en-GB": module.title}}


def test_a_read_rolled_back_leaves_no_definition_and_the_next_one_stores_it(app: Any, api: Api, make: Any) -> None:
    content = catalogue()
    module = content.module("first-steps")
    assert module is not None
    person = learner(make, "ada@example.org")
    assert services.open_section(person, content, module, module.sections[0])
    db.session.rollback()
    assert defined(api, SECTION) is None
    assert services.open_section(person, content, module, module.sections[0])
    db.session.commit()
    assert defined(api, SECTION) == {"name": {"en-GB": module.sections[0].title}}


def test_a_definition_another_worker_changed_is_written_again_within_a_minute(
    client: Any, api: Api, make: Any, auth: Any, monkeypatch: Any
) -> None:
    """A process trusts a definition it saw committed for a minute (`store.KNOWN_SECONDS`): a change
    made meanwhile by another worker (written straight to the table here) is set right by the
    platform's first statement after that."""
    monkeypatch.setattr(store, "KNOWN_SECONDS", float("inf"))  # however slowly the test runs
    title = catalogue().module("first-steps").section("hello").title  # type: ignore[union-attr]
    auth.sign_in(learner(make, "ada@example.org"))
    read_section(client, "first-steps", "hello")
    # as another worker would store a client's statement that renames it
    db.session.execute(update(ActivityDefinition).values(definition='{"name":{"en-GB":"Renamed"}}'))
    db.session.commit()
    auth.sign_out()
    auth.sign_in(learner(make, "noor@example.org"))
    read_section(client, "first-steps", "hello")
    assert defined(api, SECTION) == {"name": {"en-GB": "Renamed"}}  # trusted, so not written again
    monkeypatch.setattr(store, "KNOWN_SECONDS", 0.0)  # the minute has passed
    auth.sign_out()
    auth.sign_in(learner(make, "sam@example.org"))
    read_section(client, "first-steps", "hello")
    assert defined(api, SECTION) == {"name": {"en-GB": title}}


def test_statements_defining_the_same_activities_crosswise_at_once_are_all_stored(api: Api, served: str) -> None:
    """Half the requests define X by a name and Z by a type, the other half the other way round:
    each request writes both rows, in one order whatever the kind of definition, so none waits on
    another that waits on it (PostgreSQL's deadlock, answered 500, when they were written in two
    passes), and the canonical definitions end with both kinds merged."""
    x, z = "http://tools.example.org/x", "http://tools.example.org/z"
    sent = []
    for index in range(10):
        named, typed = (x, z) if index % 2 else (z, x)
        body = statement(
            object={"id": named, "definition": {"name": {"en-GB": f"Name {index}"}}},
            context={
                "contextActivities": {"other": [{"id": typed, "definition": {"type": f"http://t.example/{index}"}}]}
            },
        )
        sent.append(("POST", "/xapi/statements", {"data": json.dumps(body), "headers": api.headers(CONTENT)}))
    answers = burst(sent, served)
    assert [answer.status_code for answer in answers] == [200] * 10, [answer.text[:200] for answer in answers]
    for iri in (x, z):
        definition = defined(api, iri)
        assert definition["name"]["en-GB"].startswith("Name ") and definition["type"].startswith("http://t.example/")
