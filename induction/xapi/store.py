"""Writing statements: the LRS's own properties, the filter links, canonical activities and the outbox row.

Every statement, made by the platform or posted to `/xapi/`, goes through `store_many`, so
they are the same rows and each gets its outbox row in the same transaction.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

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
_KNOWN_LIMIT = 10_000  # activities remembered per process; past it the memory starts again
KNOWN_SECONDS = 60.0  # how long a definition seen committed is trusted without writing it again


def _known() -> dict[str, tuple[dict[str, Any], float]]:
    """The canonical definitions this process has seen committed, by activity key (per app), each
    with the moment it saw them (`time.monotonic`)."""
    known: dict[str, tuple[dict[str, Any], float]] = current_app.extensions.setdefault("induction.xapi.activities", {})
    if len(known) > _KNOWN_LIMIT:
        known.clear()
    return known


def _stored_already(known: dict[str, tuple[dict[str, Any], float]], key: str, definition: dict[str, Any]) -> bool:
    """True when the process saw, less than `KNOWN_SECONDS` ago, a committed definition of the
    activity that merging `definition` into would not change. Another worker or a client may have
    changed it since; after that time the statement writes it again (and finds out)."""
    seen = known.get(key)
    if seen is None or time.monotonic() - seen[1] >= KNOWN_SECONDS:
        return False
    return merge_definition(seen[0], definition) == seen[0]


def update_activities(statements: Iterable[dict[str, Any]]) -> None:
    """Keep the canonical definition of every activity the statements mention (see `_to_write`):
    one INSERT … ON CONFLICT of the definitions the database merges (all of them on PostgreSQL,
    those made only of language maps on SQLite); for the others, one INSERT of the new ones, then
    one read of those already stored and one UPDATE of those that changed."""
    connection = db.session.connection()
    dialect = connection.dialect
    plain, rich = _to_write(statements, all_in_sql=dialect.name == "postgresql")
    if plain:
        head, conflict = _upsert_plain(dialect)
        if dialect.name == "postgresql":
            connection.exec_driver_sql(f"{head} {_unnest_activities(dialect)} {conflict}", _columns(plain))
        else:
            one = "(?, ?, ?)" if dialect.paramstyle == "qmark" else "(%s, %s, %s)"
            for start in range(0, len(plain), _ROWS_PER_INSERT):
                chunk = plain[start : start + _ROWS_PER_INSERT]
                values = tuple(value for row in _rows(chunk) for value in row)
                connection.exec_driver_sql(f"{head} VALUES {', '.join([one] * len(chunk))} {conflict}", values)
        _note(plain)
    _write_rich(rich)


_PlainRow = tuple[str, str, dict[str, Any]]


def _to_write(
    statements: Iterable[dict[str, Any]], all_in_sql: bool = False
) -> tuple[list[_PlainRow], dict[str, tuple[str, dict[str, Any]]]]:
    """The activity definitions the statements bring that the store may not hold yet: those the
    database merges itself as (key, IRI, definition) rows sorted by key, and the others by key.

    PostgreSQL merges every definition (`_merged_pg` is `merge_definition`), so with `all_in_sql`
    all of them go to the one upsert, which locks their rows in key order: two requests naming
    the same activities can never lock them in opposite orders. SQLite's `json_patch` merges only
    definitions made of language maps (name, description: the platform's own); the others are
    merged in Python (`_write_rich`); SQLite's writers take turns, so their order does not matter.

    An activity whose statements define nothing needs no row: the Activities resource and the
    canonical format answer the same for it whether or not a row with an empty definition exists.
    One whose stored definition this process has seen committed lately (`_stored_already`), and
    which these statements would not change, needs no query: the platform's activities after
    their first statement in the process, once a minute.

    The platform's own activities (under its `/xapi/activities/`) take their definitions from the
    platform's statements only: xAPI lets an LRS update a definition only from an authority it
    trusts, and a client's name for a section would otherwise be what every other client reads.
    The client's statement itself is kept as sent."""
    wanted: dict[str, tuple[str, dict[str, Any]]] = {}
    platform = agent_key(platform_authority())
    own = f"{current_app.config['BASE_URL']}/xapi/activities/"
    for statement in statements:
        trusted = agent_key(statement.get("authority") or {}) == platform
        for iri, definition in _definitions(statement):
            if not trusted and iri.startswith(own):
                continue  # the platform's activities are defined by the platform alone
            key = formats.short_key(iri)
            previous = wanted.get(key, (iri, {}))[1]
            wanted[key] = (iri, merge_definition(previous, definition))
    known = _known()
    plain: list[_PlainRow] = []
    rich: dict[str, tuple[str, dict[str, Any]]] = {}
    for key, (iri, definition) in sorted(wanted.items()):
        if not definition or _stored_already(known, key, definition):
            continue
        if all_in_sql or _language_maps_only(definition):
            plain.append((key, iri, definition))
        else:
            rich[key] = (iri, definition)
    return plain, rich


def _language_maps_only(definition: dict[str, Any]) -> bool:
    """True when merging the definition is merging language maps: JSON Merge Patch (RFC 7396) then
    gives what `merge_definition` gives, so the database can merge it."""
    return all(
        key in ("name", "description")
        and isinstance(value, dict)
        and value
        and all(isinstance(text, str) for text in value.values())
        for key, value in definition.items()
    )


def _merged_pg(old: str, new: str) -> str:
    """PostgreSQL's `merge_definition` of two definitions (jsonb): language maps gain or replace
    languages, the rest is replaced."""
    maps = ", ".join(
        f"'{name}', CASE WHEN jsonb_typeof({old} -> '{name}') = 'object' AND {new} -> '{name}' IS NOT NULL "
        f"THEN ({old} -> '{name}') || ({new} -> '{name}') END"
        for name in ("name", "description")
    )
    return f"({old} || {new} || jsonb_strip_nulls(jsonb_build_object({maps})))"


@lru_cache(maxsize=4)
def _unnest_activities(dialect: Any) -> str:
    """PostgreSQL's rows for `_upsert_plain`, leaving out those whose stored definition merging
    would not change: they reach no ON CONFLICT, so their rows are not locked until the commit."""
    table = dialect.identifier_preparer.quote(_A.name)
    old, new = "stored.definition::jsonb", "n.definition::jsonb"
    return (
        "SELECT n.* FROM unnest(%b::VARCHAR(300)[], %b::TEXT[], %b::TEXT[]) AS n(key, iri, definition) "  # noqa: S608
        f"WHERE NOT EXISTS (SELECT FROM {table} AS stored WHERE stored.key = n.key AND {_merged_pg(old, new)} = {old})"
    )


@lru_cache(maxsize=4)
def _upsert_plain(dialect: Any) -> tuple[str, str]:
    """An INSERT that merges a new definition into a stored one (`_merged_pg` on PostgreSQL; on
    SQLite `json_patch`, for language maps only), writing the row only when that changes it: its
    head, and its ON CONFLICT clause (the rows go between: `VALUES` on SQLite, `_unnest_activities`
    on PostgreSQL). Rows come sorted by key, so two requests lock them in the same order."""
    quote = dialect.identifier_preparer.quote
    table, key = quote(_A.name), quote("key")
    if dialect.name == "postgresql":
        old = f"{table}.definition::jsonb"
        merged = _merged_pg(old, "excluded.definition::jsonb")
        update = f"SET definition = {merged}::text WHERE {merged} <> {old}"
    else:
        merged = f"json_patch({table}.definition, excluded.definition)"
        update = f"SET definition = {merged} WHERE {merged} <> {table}.definition"
    return f"INSERT INTO {table} ({key}, iri, definition)", f"ON CONFLICT ({key}) DO UPDATE {update}"


def _rows(plain: list[_PlainRow]) -> list[tuple[str, str, str]]:
    return [(key, iri, formats.dumps(definition)) for key, iri, definition in plain]


def _columns(plain: list[_PlainRow]) -> tuple[list[str], ...]:
    return tuple(list(column) for column in zip(*_rows(plain), strict=True))


def _write_rich(rich: dict[str, tuple[str, dict[str, Any]]]) -> None:
    """Store the other definitions: one INSERT of the new ones (a row another request has just
    added is left as it is), then one read of those already stored and one UPDATE of the changed."""
    if not rich:
        return
    settled: dict[str, dict[str, Any]] = {}
    new = [{"key": key, "iri": iri, "definition": formats.dumps(d)} for key, (iri, d) in rich.items()]
    inserted = set(db.session.scalars(_insert_new(db.session.connection().dialect.name).values(new)))
    settled.update((key, rich[key][1]) for key in inserted)
    rest = [key for key in rich if key not in inserted]
    if rest:
        stored: dict[str, str] = dict(db.session.execute(_DEFINITIONS, {"keys": rest}).all())  # type: ignore[arg-type]
        changed = []
        for key in rest:
            old = stored[key]
            merged = merge_definition(json.loads(old), rich[key][1])
            settled[key] = merged
            text = formats.dumps(merged)
            if text != old:
                changed.append({"b_key": key, "b_definition": text})
        if changed:
            db.session.execute(_REDEFINE, changed)
    _note([(key, "", definition) for key, definition in settled.items()])


def _note(rows: list[_PlainRow]) -> None:
    """Remember, once the transaction commits (`_remember_committed`), that the store holds these
    definitions (or definitions that merging these would not change)."""
    pending = db.session.info.setdefault("activities_written", {})
    pending.update((key, definition) for key, _, definition in rows)


def _insert_new(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING key: the keys of the rows it added."""
    statement = postgresql.insert(_A) if dialect == "postgresql" else sqlite.insert(_A)
    return statement.on_conflict_do_nothing(index_elements=[_A.c.key]).returning(_A.c.key)


@event.listens_for(Session, "after_commit")
def _remember_committed(session: Session) -> None:
    written = session.info.pop("activities_written", None)
    if written and has_app_context():
        now = time.monotonic()
        _known().update((key, (definition, now)) for key, definition in written.items())


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop("activities_written", None)


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


@lru_cache(maxsize=8)
def _with_links_plan(dialect: Any, activities: bool) -> tuple[str, tuple[Any, ...]]:
    """PostgreSQL's statements, their links and (with `activities`) the activity definitions, in
    one statement: the links' rows name their statement by id, joined to the
    statements' RETURNING in a data-modifying WITH (each runs whatever the outer SELECT reads);
    the outer SELECT returns each statement's id and seq."""
    head, tail, processors = _insert_plan(StatementRecord.__table__, _STATEMENT_COLUMNS, dialect, "id, seq")
    links_table = StatementLink.__table__
    quote = dialect.identifier_preparer.quote
    types = [
        StatementRecord.__table__.c.id.type.compile(dialect),
        links_table.c.kind.type.compile(dialect),
        links_table.c.value.type.compile(dialect),
    ]
    text = (
        f"WITH s AS ({head}{tail}), l AS (INSERT INTO {quote(links_table.name)} (statement_seq, kind, value) "  # noqa: S608
        f"SELECT s.seq, n.kind, n.value FROM unnest(%b::{types[0]}[], %b::{types[1]}[], %b::{types[2]}[]) "
        "WITH ORDINALITY AS n(statement_id, kind, value, position) JOIN s ON s.id = n.statement_id "
        "ORDER BY n.position)"
    )
    if activities:
        upsert, conflict = _upsert_plain(dialect)
        text += f", a AS ({upsert} {_unnest_activities(dialect)} {conflict})"
    return text + " SELECT id, seq FROM s", processors  # noqa: S608 (names from the metadata; values bound)


def _insert_with_links(
    rows: list[tuple[Any, ...]], found: list[tuple[str, str, str]], plain: list[_PlainRow]
) -> list[Any]:
    """INSERT the statements, their links (statement id, kind, value) and the `plain` activity
    definitions in one round trip (PostgreSQL)."""
    connection = db.session.connection()
    text, processors = _with_links_plan(connection.dialect, bool(plain))
    if any(processors):
        rows = [
            tuple(value if process is None else process(value) for process, value in zip(processors, row, strict=True))
            for row in rows
        ]
    arrays = tuple(list(values) for values in zip(*rows, strict=True))
    links_arrays = tuple(list(values) for values in zip(*found, strict=True))
    returned = list(connection.exec_driver_sql(text, arrays + links_arrays + (_columns(plain) if plain else ())).all())
    _note(plain)
    return returned


def store_many(items: list[Prepared], voided_ids: Iterable[str] = ()) -> list[Stored]:
    """Add the statements, their links, canonical activities and outbox rows (not committed).

    One INSERT for all the statements and one for all their links, whatever their number
    (`_insert_rows`), written as plain rows rather than ORM objects; on PostgreSQL one statement
    for both, and for the activity definitions made of language maps (`_insert_with_links`). The
    canonical activities cost no query at all when this process knows them stored already
    (`update_activities`). `voided_ids` are ids among `items` that a voiding statement already
    targets."""
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
                moment_of(data["timestamp"]),
                moment_of(data["stored"]),
                data["id"] in voided,
                obj["id"] if verb_id == VOIDED else None,
                formats.dumps(data),
            )
        )
    found = [
        (row[0], kind, value)
        for row, item in zip(values, items, strict=True)
        for kind, value in sorted(links(item.data))
    ]
    if db.session.connection().dialect.name == "postgresql" and found:
        plain, _ = _to_write((item.data for item in items), all_in_sql=True)
        returned = dict(_insert_with_links(values, found, plain))
    else:
        returned = dict(_insert_rows(StatementRecord.__table__, _STATEMENT_COLUMNS, values, "id, seq"))
        if found:
            _insert_rows(StatementLink.__table__, _LINK_COLUMNS, [(returned[i], k, v) for i, k, v in found])
        update_activities(item.data for item in items)
    seqs = [returned[row[0]] for row in values]
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


def moment_of(text: str) -> datetime:
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
