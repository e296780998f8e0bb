"""Bulk seed data for the manager report benchmarks, written with PostgreSQL's COPY.

One manager manages 50 organisations; learners are spread over them with start dates in the
last three and a half years and progress from nothing to everything (some with the
safeguarding refresher expired or due), induction plans, signed-off items, certificates and
a few statements each. Two more organisations the manager does not manage have learners too,
so the organisation scope has something to leave out. The schema comes from the app's own
migrations (`flask db upgrade`); only the rows are written here.

The first learners (`learner0@…` onwards) are left not started: the page and quiz
benchmarks sign in as them.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import psycopg

MANAGED_ORGANISATIONS = 50
OUTSIDE_LEARNERS = 200  # in each of the two organisations outside the manager's scope
RESERVED = 64  # learners left not started, for the page and quiz benchmarks
PASSWORD = "bench-password-for-everyone"  # noqa: S105 - a throwaway cluster's test accounts
MANAGER_EMAIL = "manager@bench.example.org"
BASE_URL = "http://127.0.0.1"
ADL = "http://adlnet.gov/expapi/verbs/"
SECTORS = [
    "education", "health", "social care and family support", "youth", "justice", "sport and culture", "early years",
]  # fmt: skip
OWNERSHIP = ["statutory", "private", "voluntary", "independent"]
JOBS = {
    "education": ["Teaching assistant", "Lunchtime supervisor", "Class teacher", "Office manager"],
    "health": ["Health visitor", "School nurse", "Healthcare assistant"],
    "social care and family support": ["Social worker", "Family support worker", "Residential care worker"],
    "youth": ["Youth worker", "Sessional youth worker", "Volunteer mentor"],
    "justice": ["Youth justice officer", "Custody officer"],
    "sport and culture": ["Sports coach", "Library assistant", "Volunteer coach"],
    "early years": ["Nursery practitioner", "Room leader", "Apprentice"],
}
FIRST = ["Amara", "Ben", "Chloe", "Dev", "Ella", "Farah", "George", "Hana", "Isaac", "Jade", "Kai", "Leah", "Mo"]
LAST = ["Ahmed", "Brown", "Clarke", "Davies", "Evans", "Green", "Hughes", "Khan", "Lewis", "Patel", "Smith"]


@dataclass(frozen=True)
class ModuleInfo:
    slug: str
    sections: tuple[str, ...]
    refresher_months: int | None
    quiz_slug: str
    revision: str
    title: str


@dataclass(frozen=True)
class Organisations:
    managed: list[tuple[int, str, str]]  # (id, name, sector)
    outside: list[tuple[int, str, str]]


def psycopg_dsn(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


def password_hash() -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD)


def _copy(cursor: psycopg.Cursor[Any], table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _next_id(cursor: psycopg.Cursor[Any], table: str, column: str = "id") -> int:
    row = cursor.execute(f"SELECT coalesce(max({column}), 0) + 1 FROM {table}").fetchone()  # noqa: S608 - fixed names
    return int(row[0]) if row else 1


def _reset_sequence(cursor: psycopg.Cursor[Any], table: str, column: str = "id") -> None:
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), (SELECT max({column}) FROM {table}))"  # noqa: S608
    )


def prepare(database_url: str, hashed: str, today: date) -> Organisations:
    """The organisations, their items and the manager; call once on an empty, migrated database."""
    now = datetime.combine(today, datetime.min.time())
    with psycopg.connect(psycopg_dsn(database_url)) as connection, connection.cursor() as cursor:
        first = _next_id(cursor, "organisations")
        managed: list[tuple[int, str, str]] = []
        outside: list[tuple[int, str, str]] = []
        for index in range(MANAGED_ORGANISATIONS + 2):
            sector = SECTORS[index % len(SECTORS)]
            name = f"Bench {sector} setting {index + 1:02d}"
            (managed if index < MANAGED_ORGANISATIONS else outside).append((first + index, name, sector))
        _copy(
            cursor, "organisations", ["id", "name", "sector", "ownership", "induction_weeks", "created_at"],
            ((oid, name, sector, OWNERSHIP[oid % 4], 12, now) for oid, name, sector in managed + outside),
        )  # fmt: skip
        _reset_sequence(cursor, "organisations")
        items: list[tuple[int, str | None, str, str, bool, datetime]] = []
        for oid, _, sector in managed + outside:
            items.append((oid, None, "Read the safeguarding policy", "", True, now))
            items.append((oid, None, "Fire safety walk-round", "", True, now))
            items.append((oid, JOBS[sector][0], f"Shadow an experienced {JOBS[sector][0].lower()}", "", True, now))
        columns = ["organisation_id", "job_role", "title", "description", "active", "created_at"]
        _copy(cursor, "induction_items", columns, items)
        manager_id = _next_id(cursor, "users")
        _copy(
            cursor, "users", USER_COLUMNS,
            [(manager_id, str(uuid.uuid4()), MANAGER_EMAIL, "Morgan Manager", hashed, "manager", None, None, None,
              None, True, False, now, None)],
        )  # fmt: skip
        _reset_sequence(cursor, "users")
        _copy(cursor, "managed_organisations", ["user_id", "organisation_id"], ((manager_id, o[0]) for o in managed))
    return Organisations(managed, outside)


USER_COLUMNS = [
    "id", "uuid", "email", "name", "password_hash", "role", "organisation_id", "job_role", "role_group",
    "start_date", "active", "demo", "created_at", "last_sign_in_at",
]  # fmt: skip
PROGRESS_COLUMNS = [
    "user_id", "module_slug", "state", "read_sections", "read_count", "passed", "completed_at", "expires_at",
    "last_activity_at", "outdated", "registration",
]  # fmt: skip
STATEMENT_COLUMNS = [
    "id", "user_id", "actor_key", "verb_id", "object_id", "registration", "timestamp", "stored", "voided", "body",
]  # fmt: skip
CERTIFICATE_COLUMNS = [
    "code", "user_id", "learner_name", "organisation_name", "issued_at", "expires_at", "modules", "statement_id",
]  # fmt: skip


def _months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def _statement(
    user_uuid: str,
    name: str,
    organisation: str,
    verb: str,
    path: str,
    title: str,
    registration: str | None,
    at: datetime,
) -> tuple[str, str, str, str, dict[str, Any]]:
    """(id, actor key, verb IRI, object IRI, body) shaped like the statements the app records."""
    statement_id = str(uuid.uuid4())
    object_id = f"{BASE_URL}/xapi/activities/{path}"
    stamp = at.isoformat(timespec="milliseconds") + "Z"
    body: dict[str, Any] = {
        "id": statement_id,
        "actor": {"objectType": "Agent", "name": name, "account": {"homePage": BASE_URL, "name": user_uuid}},
        "verb": {"id": ADL + verb, "display": {"en-GB": verb}},
        "object": {"objectType": "Activity", "id": object_id, "definition": {"name": {"en-GB": title}}},
        "context": {
            "platform": "Induction platform",
            "language": "en-GB",
            "contextActivities": {"grouping": [{"id": f"{BASE_URL}/xapi/activities/induction"}]},
            "extensions": {"https://w3id.org/xapi/induction/extensions/organisation": organisation},
        },
        "timestamp": stamp,
        "stored": stamp,
        "version": "1.0.3",
    }
    if registration:
        body["context"]["registration"] = registration
    return statement_id, f"account|{BASE_URL}|{user_uuid}", ADL + verb, object_id, body


@dataclass
class _Rows:
    users: list[tuple[Any, ...]]
    plans: list[tuple[Any, ...]]
    progress: list[tuple[Any, ...]]
    items: list[tuple[Any, ...]]
    statements: list[tuple[Any, ...]]
    certificates: list[tuple[Any, ...]]
    status: list[tuple[Any, ...]] = field(default_factory=list)


STATUS_COLUMNS = [
    "user_id", "organisation_id", "status", "modules_done", "items_done", "items_total", "next_expiry",
    "last_activity_at", "due_date", "done_modules",
]  # fmt: skip


def _status(
    user_id: int,
    oid: int,
    modules: int,
    done: list[str],
    expiries: list[datetime],
    last: datetime | None,
    signed: int,
    mine: int,
    due: date | None,
) -> tuple[Any, ...]:
    """The learner_status row plans/status.py would compute for what `_learner` wrote (checked
    against the app's own refresh on a sample by inprocess.check_projections)."""
    if len(done) == modules and signed == mine:
        status = "completed"
    elif last is not None or signed:
        status = "in progress"
    else:
        status = "not started"
    slugs = f"|{'|'.join(sorted(done))}|" if done else ""
    return (user_id, oid, status, len(done), signed, mine, min(expiries) if expiries else None, last, due, slugs)


def _learner(
    rows: _Rows,
    rng: random.Random,
    user_id: int,
    index: int,
    organisation: tuple[int, str, str],
    items: dict[int, list[tuple[int, str | None]]],
    modules: Sequence[ModuleInfo],
    hashed: str,
    today: date,
) -> None:
    oid, organisation_name, sector = organisation
    now = datetime.combine(today, datetime.min.time())
    user_uuid = str(uuid.uuid4())
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {index}"
    job_role = rng.choice(JOBS[sector])
    start = today - timedelta(days=rng.randint(0, 1260))
    rows.users.append(
        (user_id, user_uuid, f"learner{index}@bench.example.org", name, hashed, "learner", oid, job_role,
         rng.randint(1, 8), start, True, False, now, None)
    )  # fmt: skip
    mine = [item for item, role in items[oid] if role in (None, job_role)]
    due = start + timedelta(weeks=12)  # the organisation's 12 weeks, unless a plan says otherwise
    if index < RESERVED:
        rows.status.append(_status(user_id, oid, len(modules), [], [], None, 0, len(mine), due))
        return
    if rng.random() < 0.7:  # most learners have a plan; the rest fall back to the organisation's 12 weeks
        due = start + timedelta(weeks=12 + rng.choice((0, 0, 0, 4, 8)))
        agreed = datetime.combine(start, datetime.min.time()) + timedelta(days=2) if rng.random() < 0.6 else None
        rows.plans.append((user_id, due, "", agreed, None, now))
    chance = rng.random()
    done = 0 if chance < 0.15 else rng.randint(0, len(modules) - 1) if chance < 0.6 else len(modules)
    if chance < 0.15:
        rows.status.append(_status(user_id, oid, len(modules), [], [], None, 0, len(mine), due))
        return
    moment = datetime.combine(start, datetime.min.time()) + timedelta(hours=rng.randint(8, 200))
    last: tuple[ModuleInfo, str, str] | None = None
    finished: list[dict[str, Any]] = []
    expiries: list[datetime] = []
    for position, module in enumerate(modules):
        if position > done or moment > now:
            break
        registration = str(uuid.uuid4())
        if position < done:
            moment = min(moment + timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600)), now)
            expires = _months(moment, module.refresher_months) if module.refresher_months else None
            rows.progress.append(
                (user_id, module.slug, "completed", json.dumps(list(module.sections)), len(module.sections), True,
                 moment, expires, moment, False, registration)
            )  # fmt: skip
            finished.append({"slug": module.slug, "title": module.title, "status": "completed"})
            if expires:
                expiries.append(expires)
            last = (module, f"quizzes/{module.quiz_slug}", registration)
        else:
            read = module.sections[: rng.randint(1, len(module.sections))]
            moment = min(moment + timedelta(days=rng.randint(1, 10)), now)
            rows.progress.append(
                (user_id, module.slug, "in progress", json.dumps(list(read)), len(read), False, None, None, moment,
                 False, registration)
            )  # fmt: skip
            last = (module, f"modules/{module.slug}/sections/{read[-1]}", registration)
    all_modules = len(finished) == len(modules)
    signed = mine if all_modules and rng.random() < 0.9 else mine[: rng.randint(0, len(mine))]
    for item in signed:
        rows.items.append((user_id, item, moment, moment + timedelta(days=1), None, None))
    last_activity = moment if last is not None else None
    done_slugs = [f["slug"] for f in finished]
    rows.status.append(
        _status(user_id, oid, len(modules), done_slugs, expiries, last_activity, len(signed), len(mine), due)
    )
    if last is not None:
        module, path, registration = last
        verb = "passed" if path.startswith("quizzes/") else "experienced"
        statement_id, actor, verb_id, object_id, body = _statement(
            user_uuid, name, organisation_name, verb, path, module.title, registration, moment
        )
        rows.statements.append(
            (statement_id, user_id, actor, verb_id, object_id, registration, moment, moment, False, json.dumps(body))
        )
    if all_modules and len(signed) == len(mine):
        issued = moment + timedelta(days=1)
        statement_id, actor, verb_id, object_id, body = _statement(
            user_uuid, name, organisation_name, "satisfied", "induction", "Induction", None, issued
        )
        body["verb"]["id"] = verb_id = "https://w3id.org/xapi/adl/verbs/satisfied"
        rows.statements.append(
            (statement_id, user_id, actor, verb_id, object_id, None, issued, issued, False, json.dumps(body))
        )
        rows.certificates.append(
            (uuid.uuid4().hex[:16].upper(), user_id, name, organisation_name, issued,
             min(expiries) if expiries else None, json.dumps(finished), statement_id)
        )  # fmt: skip


def add_learners(
    database_url: str,
    organisations: Organisations,
    modules: Sequence[ModuleInfo],
    first_index: int,
    count: int,
    hashed: str,
    today: date,
    seed: int = 20261125,
) -> dict[str, int]:
    """Add `count` learners to the managed organisations (and, with the first batch, those outside).

    Returns how many rows went into each table."""
    rng = random.Random(seed + first_index)  # noqa: S311 - repeatable data, not secrets
    rows = _Rows([], [], [], [], [], [])
    with psycopg.connect(psycopg_dsn(database_url)) as connection, connection.cursor() as cursor:
        items: dict[int, list[tuple[int, str | None]]] = {}
        for item_id, oid, job_role in cursor.execute("SELECT id, organisation_id, job_role FROM induction_items"):
            items.setdefault(oid, []).append((item_id, job_role))
        user_id = first_user = _next_id(cursor, "users")
        for offset in range(count):
            index = first_index + offset
            organisation = organisations.managed[index % len(organisations.managed)]
            _learner(rows, rng, user_id, index, organisation, items, modules, hashed, today)
            user_id += 1
        if first_index == 0:
            for offset in range(OUTSIDE_LEARNERS * len(organisations.outside)):
                organisation = organisations.outside[offset % len(organisations.outside)]
                _learner(rows, rng, user_id, 10_000_000 + offset, organisation, items, modules, hashed, today)
                user_id += 1
        written = {
            "users": _copy(cursor, "users", USER_COLUMNS, rows.users),
            "induction_plans": _copy(
                cursor, "induction_plans",
                ["user_id", "due_date", "due_reason", "agreed_at", "agreed_by_id", "updated_at"], rows.plans,
            ),
            "module_progress": _copy(cursor, "module_progress", PROGRESS_COLUMNS, rows.progress),
            "item_progress": _copy(
                cursor, "item_progress",
                ["user_id", "item_id", "marked_done_at", "signed_off_at", "signed_off_by_id", "statement_id"],
                rows.items,
            ),
            "statements": _copy(cursor, "statements", STATEMENT_COLUMNS, rows.statements),
            "certificates": _copy(cursor, "certificates", CERTIFICATE_COLUMNS, rows.certificates),
        }  # fmt: skip
        found = cursor.execute("SELECT to_regclass('memberships')").fetchone()
        if found is not None and found[0] is not None:
            # Each learner is a member of their organisation, as the app makes every learner it adds.
            cursor.execute(
                "INSERT INTO memberships (user_id, organisation_id, job_role, started_on, joined_at) "
                "SELECT id, organisation_id, job_role, start_date, created_at FROM users "
                "WHERE role = 'learner' AND organisation_id IS NOT NULL AND id >= %s",
                (first_user,),
            )
            written["memberships"] = cursor.rowcount
        found = cursor.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'learner_status' AND column_name = 'done_modules'"
        ).fetchone()
        if found is not None:  # the projection, as the app would compute it (the rest: inprocess.refresh_projections)
            written["learner_status"] = _copy(cursor, "learner_status", STATUS_COLUMNS, rows.status)
            _check_summary(cursor)
        _reset_sequence(cursor, "users")
        cursor.execute("ANALYZE")  # as autovacuum would, before anyone reads the report
    return written


SUMMARY_KEY = (
    "organisation_id, status, "
    "coalesce((extract(year FROM due_date) * 12 + extract(month FROM due_date) - 1)::integer, 999999), "
    "coalesce((extract(year FROM next_expiry) * 12 + extract(month FROM next_expiry) - 1)::integer, 999999), "
    "done_modules"
)


def _check_summary(cursor: psycopg.Cursor[Any]) -> None:
    """The learner_status_summary the database triggers kept while COPY wrote learner_status must equal a
    recount of learner_status (where the schema has it); raises if not."""
    found = cursor.execute("SELECT to_regclass('learner_status_summary')").fetchone()
    if found is None or found[0] is None:
        return
    recount = f"SELECT {SUMMARY_KEY}, count(*) FROM learner_status GROUP BY {SUMMARY_KEY}"  # noqa: S608
    kept = (
        "SELECT organisation_id, status, due_month, expiry_month, done_modules, learners::bigint "
        "FROM learner_status_summary"
    )
    row = cursor.execute(
        f"SELECT (SELECT count(*) FROM ({recount} EXCEPT ALL {kept}) AS missing)"  # noqa: S608
        f" + (SELECT count(*) FROM ({kept} EXCEPT ALL {recount}) AS extra)"
    ).fetchone()
    if row is None or row[0]:
        raise RuntimeError(f"learner_status_summary differs from a recount of learner_status ({row})")


def analyze(database_url: str) -> None:
    """Fresh planner statistics and visibility maps, as autovacuum would make before long (since
    PostgreSQL 13 it vacuums a table after enough inserts, not only after updates): a database
    that has served for a while, rather than one loaded with COPY a second ago, whose index-only
    scans still read every row's page to learn whether it is visible."""
    with psycopg.connect(psycopg_dsn(database_url), autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
