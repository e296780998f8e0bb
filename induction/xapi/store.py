"""Writing statements: the LRS's own properties, the filter links, canonical activities and the outbox row.

Every statement, made by the platform or posted to `/xapi/`, goes through `store_many`, so
they are the same rows and each gets its outbox row in the same transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import insert, select, update

from induction.clock import utcnow
from induction.extensions import db
from induction.xapi import formats
from induction.xapi.models import ActivityDefinition, ForwardItem, StatementLink, StatementRecord

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
CONTEXT_KINDS = ("parent", "grouping", "category", "other")


def agent_key(agent: dict[str, Any]) -> str | None:
    """The key of an Agent or identified Group's inverse functional identifier; None for an anonymous Group."""
    if "mbox" in agent:
        return "mbox|" + agent["mbox"]
    if "mbox_sha1sum" in agent:
        return "mbox_sha1sum|" + agent["mbox_sha1sum"].lower()
    if "openid" in agent:
        return "openid|" + agent["openid"]
    account = agent.get("account")
    if isinstance(account, dict):
        return f"account|{account.get('homePage', '')}|{account.get('name', '')}"
    return None


def platform_authority() -> dict[str, Any]:
    return {
        "objectType": "Agent",
        "name": "Induction platform",
        "account": {"homePage": current_app.config["BASE_URL"], "name": "platform"},
    }


def _normalise_context(statement: dict[str, Any]) -> None:
    activities = (statement.get("context") or {}).get("contextActivities")
    if isinstance(activities, dict):
        for kind, value in list(activities.items()):
            if isinstance(value, dict):
                activities[kind] = [value]


def prepare(data: dict[str, Any], authority: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """The statement as the LRS keeps it: id, stored, timestamp, authority and version set,
    timestamps in UTC, and every contextActivities value an array."""
    statement = dict(data)
    statement["id"] = str(statement.get("id") or uuid.uuid4()).lower()
    statement["stored"] = formats.format_timestamp(now)
    if "timestamp" in statement:
        statement["timestamp"] = formats.format_timestamp(formats.parse_timestamp(statement["timestamp"], "timestamp"))
    else:
        statement["timestamp"] = statement["stored"]
    statement["authority"] = authority or platform_authority()
    statement.setdefault("version", "1.0.0")
    _normalise_context(statement)
    inner = statement.get("object")
    if isinstance(inner, dict) and inner.get("objectType") == "SubStatement":
        inner = statement["object"] = dict(inner)
        _normalise_context(inner)
        if "timestamp" in inner:
            inner["timestamp"] = formats.format_timestamp(formats.parse_timestamp(inner["timestamp"], "timestamp"))
    if isinstance(inner, dict) and inner.get("objectType") == "StatementRef":
        statement["object"] = {**inner, "id": inner["id"].lower()}
    return statement


def _agents(value: Any) -> Iterator[str]:
    """Keys of an Agent or Group and, for a Group, of its members."""
    if not isinstance(value, dict):
        return
    key = agent_key(value)
    if key:
        yield key
    for member in value.get("member") or []:
        key = agent_key(member) if isinstance(member, dict) else None
        if key:
            yield key


def _context_activities(statement: dict[str, Any]) -> Iterator[str]:
    for items in ((statement.get("context") or {}).get("contextActivities") or {}).values():
        for item in items if isinstance(items, list) else [items]:
            yield item["id"]


def links(statement: dict[str, Any]) -> set[tuple[str, str]]:
    """The (kind, value) pairs the GET filters look up for this statement."""
    found: set[tuple[str, str]] = set()
    obj = statement["object"]
    kind = obj.get("objectType", "Activity")
    direct = list(_agents(statement["actor"]))
    if kind in ("Agent", "Group"):
        direct += list(_agents(obj))
    found.update(("agent", k) for k in direct)
    found.update(("related_agent", k) for k in direct)
    parts = [statement] + ([obj] if kind == "SubStatement" else [])
    for part in parts:
        context = part.get("context") or {}
        for who in (part.get("actor"), context.get("instructor"), context.get("team")):
            found.update(("related_agent", k) for k in _agents(who))
        inner = part["object"]
        inner_kind = inner.get("objectType", "Activity")
        if inner_kind in ("Agent", "Group"):
            found.update(("related_agent", k) for k in _agents(inner))
        if inner_kind == "Activity":
            found.add(("related_activity", inner["id"]))
        found.update(("related_activity", a) for a in _context_activities(part))
    found.update(("related_agent", k) for k in _agents(statement.get("authority")))
    if kind == "Activity":
        found.add(("activity", obj["id"]))
    if kind == "StatementRef":
        found.add(("ref", obj["id"].lower()))
    return {(k, formats.short_key(v)) for k, v in found}


def _definitions(statement: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    obj = statement["object"]
    parts = [statement] + ([obj] if obj.get("objectType") == "SubStatement" else [])
    for part in parts:
        inner = part["object"]
        if inner.get("objectType", "Activity") == "Activity":
            yield inner["id"], inner.get("definition") or {}
        for items in ((part.get("context") or {}).get("contextActivities") or {}).values():
            for item in items if isinstance(items, list) else [items]:
                yield item["id"], item.get("definition") or {}


def merge_definition(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The canonical definition after a statement: language maps gain or replace languages, the rest is replaced."""
    merged = dict(old)
    for key, value in new.items():
        if key in ("name", "description") and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def update_activities(statements: Iterable[dict[str, Any]]) -> None:
    """Keep the canonical definition of every activity the statements mention."""
    wanted: dict[str, tuple[str, dict[str, Any]]] = {}
    for statement in statements:
        for iri, definition in _definitions(statement):
            key = formats.short_key(iri)
            previous = wanted.get(key, (iri, {}))[1]
            wanted[key] = (iri, merge_definition(previous, definition))
    if not wanted:
        return
    rows = {r.key: r for r in db.session.scalars(select(ActivityDefinition).where(ActivityDefinition.key.in_(wanted)))}
    for key, (iri, definition) in wanted.items():
        row = rows.get(key)
        if row is None:
            db.session.add(ActivityDefinition(key=key, iri=iri, definition=formats.dumps(definition)))
        elif definition:
            merged = merge_definition(json.loads(row.definition), definition)
            text = formats.dumps(merged)
            if text != row.definition:
                row.definition = text


@dataclass(frozen=True)
class Prepared:
    """A statement ready to store, with the learner it counts for (if any)."""

    data: dict[str, Any]
    user_id: int | None
    actor_key: str


@dataclass(frozen=True)
class Stored:
    """A statement just stored: its row's sequence number, id, learner, actor's key and time stored."""

    seq: int
    id: str
    user_id: int | None
    actor_key: str
    stored: datetime


def store_many(items: list[Prepared], voided_ids: Iterable[str] = ()) -> list[Stored]:
    """Add the statements, their links, canonical activities and outbox rows (not committed).

    One INSERT for all the statements and one for all their links, whatever their number
    (insertmanyvalues; the statement id is the sentinel that orders the returned seqs), written
    as plain rows rather than ORM objects. `voided_ids` are ids among `items` that a voiding
    statement already targets."""
    if not items:
        return []
    if db.session.new or db.session.dirty:
        db.session.flush()  # what the caller added (a user, say) goes in first, as an autoflush would
    voided = set(voided_ids)
    S = StatementRecord.__table__
    values = []
    for item in items:
        data = item.data
        obj = data["object"]
        verb_id = data["verb"]["id"]
        values.append(
            {
                "id": data["id"],
                "user_id": item.user_id,
                "actor_key": item.actor_key,
                "verb_id": verb_id,
                "object_id": obj.get("id") or "",
                "registration": (data.get("context") or {}).get("registration"),
                "timestamp": _moment(data["timestamp"]),
                "stored": _moment(data["stored"]),
                "voided": data["id"] in voided,
                "voids": obj["id"] if verb_id == VOIDED else None,
                "body": formats.dumps(data),
            }
        )
    seqs = db.session.execute(insert(S).returning(S.c.seq, sort_by_parameter_order=True), values).scalars().all()
    links_rows = [
        {"statement_seq": seq, "kind": kind, "value": value}
        for seq, item in zip(seqs, items, strict=True)
        for kind, value in sorted(links(item.data))
    ]
    if links_rows:
        db.session.execute(insert(StatementLink.__table__), links_rows)
    update_activities(item.data for item in items)
    if current_app.config.get("LRS_ENDPOINT"):
        now = utcnow()
        db.session.execute(
            insert(ForwardItem.__table__),
            [
                {
                    "statement_seq": seq,
                    "statement_id": row["id"],
                    "actor_key": row["actor_key"],
                    "created_at": now,
                    "next_attempt_at": now,
                    "attempts": 0,
                    "parked": False,
                }
                for seq, row in zip(seqs, values, strict=True)
            ],
        )
    return [
        Stored(seq, row["id"], row["user_id"], row["actor_key"], row["stored"])
        for seq, row in zip(seqs, values, strict=True)
    ]


def _moment(text: str) -> datetime:
    """A timestamp `prepare` wrote (format_timestamp: UTC, ending in Z) as the naive UTC the columns keep."""
    return datetime.fromisoformat(text[:-1])


def void(target_ids: Iterable[str]) -> None:
    """Mark statements voided, unless they are voiding statements themselves (those cannot be voided)."""
    ids = [i.lower() for i in target_ids]
    if ids:
        db.session.execute(
            update(StatementRecord)
            .where(StatementRecord.id.in_(ids), StatementRecord.verb_id != VOIDED)
            .values(voided=True)
        )
