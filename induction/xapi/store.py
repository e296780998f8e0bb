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
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, insert, select, update

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


_A = ActivityDefinition.__table__
_DEFINITIONS = select(_A.c.key, _A.c.definition).where(_A.c.key.in_(bindparam("keys", expanding=True)))
_REDEFINE = update(_A).where(_A.c.key == bindparam("b_key")).values(definition=bindparam("b_definition"))


def update_activities(statements: Iterable[dict[str, Any]]) -> None:
    """Keep the canonical definition of every activity the statements mention: one read, then one
    INSERT of the new activities and one UPDATE of the changed definitions, if any."""
    wanted: dict[str, tuple[str, dict[str, Any]]] = {}
    for statement in statements:
        for iri, definition in _definitions(statement):
            key = formats.short_key(iri)
            previous = wanted.get(key, (iri, {}))[1]
            wanted[key] = (iri, merge_definition(previous, definition))
    if not wanted:
        return
    stored: dict[str, str] = dict(db.session.execute(_DEFINITIONS, {"keys": list(wanted)}).all())  # type: ignore[arg-type]
    added, changed = [], []
    for key, (iri, definition) in wanted.items():
        old = stored.get(key)
        if old is None:
            added.append({"key": key, "iri": iri, "definition": formats.dumps(definition)})
        elif definition:
            text = formats.dumps(merge_definition(json.loads(old), definition))
            if text != old:
                changed.append({"b_key": key, "b_definition": text})
    if added:
        db.session.execute(insert(_A), added)
    if changed:
        db.session.execute(_REDEFINE, changed)


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


_STATEMENT_COLUMNS = (
    "id",
    "user_id",
    "actor_key",
    "verb_id",
    "object_id",
    "registration",
    "timestamp",
    "stored",
    "voided",
    "voids",
    "body",
)
_LINK_COLUMNS = ("statement_seq", "kind", "value")
_ROWS_PER_INSERT = 1000  # 11,000 parameters at most: within SQLite's and PostgreSQL's limits


_Plan = tuple[str, str, tuple[Any, ...]]


@lru_cache(maxsize=64)
def _insert_plan(table: Any, columns: tuple[str, ...], dialect: Any, returning: str) -> _Plan:
    """The INSERT's text up to VALUES, its RETURNING clause and each column's bind processor."""
    processors = tuple(table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns)
    quote = dialect.identifier_preparer.quote
    # names and types from the table's metadata, quoted; every value is a bound parameter
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
    if dialect.name == "postgresql":  # binary (%b): the driver sends the arrays without escaping
        arrays = ", ".join(f"%b::{table.c[name].type.compile(dialect)}[]" for name in columns)
        head += f"SELECT * FROM unnest({arrays})"  # noqa: S608
    return head, f" RETURNING {returning}" if returning else "", processors


def _insert_rows(table: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]], returning: str = "") -> list[Any]:
    """INSERT the rows in one statement, handed to the driver as it is: one round trip, without an
    executemany's per-row parameter handling. PostgreSQL gets one array per column
    (`INSERT ... SELECT * FROM unnest(...)`: the same text whatever the number of rows, so psycopg
    prepares it once); SQLite one `VALUES (...), (...)` per 1,000 rows. Values go through each
    column type's bind processor (SQLite keeps datetimes as text), so the rows are exactly what the
    ORM would write. `returning` names columns to return (e.g. "id, seq")."""
    connection = db.session.connection()
    dialect = connection.dialect
    head, tail, processors = _insert_plan(table, columns, dialect, returning)
    if any(processors):
        rows = [
            tuple(value if process is None else process(value) for process, value in zip(processors, row, strict=True))
            for row in rows
        ]
    if dialect.name == "postgresql":
        arrays = tuple(list(values) for values in zip(*rows, strict=True))
        result = connection.exec_driver_sql(head + tail, arrays)
        return list(result.all()) if returning else []
    one = "(" + ", ".join(["?" if dialect.paramstyle == "qmark" else "%s"] * len(columns)) + ")"
    returned: list[Any] = []
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        result = connection.exec_driver_sql(
            f"{head}VALUES {', '.join([one] * len(chunk))}{tail}", tuple(value for row in chunk for value in row)
        )
        if returning:
            returned += result.all()
    return returned


def store_many(items: list[Prepared], voided_ids: Iterable[str] = ()) -> list[Stored]:
    """Add the statements, their links, canonical activities and outbox rows (not committed).

    One INSERT for all the statements and one for all their links, whatever their number
    (`_insert_rows`), written as plain rows rather than ORM objects. `voided_ids` are ids among
    `items` that a voiding statement already targets."""
    if not items:
        return []
    if db.session.new or db.session.dirty:
        db.session.flush()  # what the caller added (a user, say) goes in first, as an autoflush would
    voided = set(voided_ids)
    values = []
    for item in items:
        data = item.data
        obj = data["object"]
        verb_id = data["verb"]["id"]
        values.append(
            (
                data["id"],
                item.user_id,
                item.actor_key,
                verb_id,
                obj.get("id") or "",
                (data.get("context") or {}).get("registration"),
                _moment(data["timestamp"]),
                _moment(data["stored"]),
                data["id"] in voided,
                obj["id"] if verb_id == VOIDED else None,
                formats.dumps(data),
            )
        )
    returned = dict(_insert_rows(StatementRecord.__table__, _STATEMENT_COLUMNS, values, "id, seq"))
    seqs = [returned[row[0]] for row in values]
    links_rows = [
        (seq, kind, value) for seq, item in zip(seqs, items, strict=True) for kind, value in sorted(links(item.data))
    ]
    if links_rows:
        _insert_rows(StatementLink.__table__, _LINK_COLUMNS, links_rows)
    update_activities(item.data for item in items)
    if current_app.config.get("LRS_ENDPOINT"):
        now = utcnow()
        db.session.execute(
            insert(ForwardItem.__table__),
            [
                {
                    "statement_seq": seq,
                    "statement_id": row[0],
                    "actor_key": row[2],
                    "created_at": now,
                    "next_attempt_at": now,
                    "attempts": 0,
                    "parked": False,
                }
                for seq, row in zip(seqs, values, strict=True)
            ],
        )
    return [Stored(seq, row[0], row[1], row[2], row[7]) for seq, row in zip(seqs, values, strict=True)]


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
