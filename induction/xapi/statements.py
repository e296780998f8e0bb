"""The statements the platform makes, built with `tincan`, and the one function that stores them."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from tincan import (
    Activity,
    ActivityDefinition,
    ActivityList,
    Agent,
    AgentAccount,
    Context,
    ContextActivities,
    Extensions,
    LanguageMap,
    Result,
    Score,
    Statement,
    Verb,
)

from induction.accounts.models import User
from induction.clock import utcnow
from induction.xapi import store as lrs_store

ADL = "http://adlnet.gov/expapi/verbs/"
CMI5 = "https://w3id.org/xapi/adl/verbs/"
EXPERIENCED = ADL + "experienced"
ANSWERED = ADL + "answered"
PASSED = ADL + "passed"
FAILED = ADL + "failed"
COMPLETED = ADL + "completed"
VOIDED = ADL + "voided"
ATTENDED = ADL + "attended"  # a training session, with the trainer who took the register as instructor
WAIVED = CMI5 + "waived"
SATISFIED = CMI5 + "satisfied"

ORGANISATION_EXTENSION = "https://w3id.org/xapi/induction/extensions/organisation"
PLATFORM = "Induction platform"


def activities_base() -> str:
    return f"{current_app.config['BASE_URL']}/xapi/activities/"


def activity_iri(path: str) -> str:
    """The IRI of an activity, e.g. `modules/<slug>/sections/<id>`."""
    return activities_base() + path


def activity_path(iri: str) -> str | None:
    """The platform's path of an activity IRI, or None when it is not one of ours."""
    base = activities_base()
    return iri[len(base) :] if iri.startswith(base) else None


def actor_key_for_uuid(user_uuid: str) -> str:
    return f"account|{current_app.config['BASE_URL']}|{user_uuid}"


@dataclass(frozen=True)
class Event:
    """What happened, in the platform's words, before it becomes a statement.

    No free text a person typed goes in (a waiver's reason stays in the `waivers` table)."""

    verb: str
    object_path: str
    object_name: str
    registration: str | None = None
    parent_path: str | None = None
    revision: str | None = None
    success: bool | None = None
    response: str | None = None
    score_raw: float | None = None
    score_max: float | None = None
    duration: timedelta | None = None
    instructor: User | None = None
    statement_ref: str | None = None
    organisation: str | None = None  # the organisation the event belongs to, if not the learner's main one


def _agent(user: User) -> Agent:
    """The person as xAPI sees them: the account's pseudonymous id only, never a name or e-mail,
    so the log (and any LRS it is forwarded to) names no one, and erasing a person leaves it as it is."""
    return Agent(account=AgentAccount(home_page=current_app.config["BASE_URL"], name=user.uuid))


def build(user: User, event: Event, at: datetime | None = None) -> dict[str, Any]:
    """The xAPI 1.0.3 statement for `event` by `user`, as JSON-ready data."""
    verb_name = event.verb.rsplit("/", 1)[-1]
    timestamp = (at or datetime.now(UTC)).astimezone(UTC)
    statement = Statement(
        id=str(uuid.uuid4()),
        actor=_agent(user),
        verb=Verb(id=event.verb, display=LanguageMap({"en-GB": verb_name})),
        timestamp=timestamp,
    )
    if event.statement_ref:
        statement.object = {"objectType": "StatementRef", "id": event.statement_ref}
    else:
        statement.object = Activity(
            id=activity_iri(event.object_path),
            definition=ActivityDefinition(name=LanguageMap({"en-GB": event.object_name})),
        )
    if event.verb != VOIDED:
        context = Context(platform=PLATFORM, language="en-GB")
        if event.registration:
            context.registration = event.registration
        if event.revision:
            context.revision = event.revision
        parents = [Activity(id=activity_iri(event.parent_path))] if event.parent_path else []
        context.context_activities = ContextActivities(grouping=ActivityList([Activity(id=activity_iri("induction"))]))
        if parents:
            context.context_activities.parent = ActivityList(parents)
        if event.instructor is not None:
            context.instructor = _agent(event.instructor)
        organisation = event.organisation or (user.organisation.name if user.organisation is not None else None)
        if organisation is not None:
            context.extensions = Extensions({ORGANISATION_EXTENSION: organisation})
        statement.context = context
    result = _result(event)
    if result is not None:
        statement.result = result
    data: dict[str, Any] = json.loads(statement.to_json())
    return data


def _result(event: Event) -> Result | None:
    if all(v is None for v in (event.success, event.response, event.score_raw, event.duration)):
        return None
    result = Result()
    if event.success is not None:
        result.success = event.success
    if event.response is not None:
        result.response = event.response
    if event.score_raw is not None and event.score_max:
        result.score = Score(
            raw=event.score_raw, min=0, max=event.score_max, scaled=round(event.score_raw / event.score_max, 4)
        )
    if event.duration is not None:
        result.duration = event.duration
    return result


def parse_timestamp(value: str) -> datetime:
    """A statement timestamp as naive UTC, the form the database keeps."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).replace(tzinfo=None)


def record(user: User, event: Event, at: datetime | None = None) -> lrs_store.Stored:
    """Build and store the statement for `event` (flushed, not committed): the LRS sets `stored`,
    `authority` and `version` and writes the filter links, the canonical activities and, when
    forwarding is on, the outbox row, all in the caller's transaction."""
    batch = Batch()
    batch.add(user, [event], at)
    return batch.store()[0]


class Batch:
    """Statements waiting to be stored together: a change's own, then what settling it adds (a
    `completed` statement), so that they all go in as one INSERT of statements and one of links.

    Each statement gets its id and its `stored` time when it is added."""

    def __init__(self) -> None:
        self.items: list[lrs_store.Prepared] = []

    def add(self, user: User, events: list[Event], at: datetime | None = None) -> list[str]:
        """Build the statements for `events` (stored at one moment); returns their ids."""
        stored = utcnow()
        key = actor_key_for_uuid(user.uuid)
        added = [lrs_store.Prepared(lrs_store.prepare(build(user, e, at), None, stored), user.id, key) for e in events]
        self.items += added
        return [item.data["id"] for item in added]

    def add_data(self, data: dict[str, Any], user_id: int | None, actor_key: str) -> str:
        """Add a statement already built (`build`); returns its id."""
        self.items.append(lrs_store.Prepared(lrs_store.prepare(data, None, utcnow()), user_id, actor_key))
        return str(self.items[-1].data["id"])

    def store(self) -> list[lrs_store.Stored]:
        """Store what is waiting (flushed, not committed), in the order added; the batch is then empty."""
        items, self.items = self.items, []
        return lrs_store.store_many(items)


def mark_voided(statement_id: str) -> None:
    """Hide a statement from queries and projections; it stays in the table."""
    lrs_store.void([statement_id])
