"""Statements in, projections out: the bridge between the statements table and the rules."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select

from induction.accounts.models import User
from induction.clock import utcnow
from induction.content.model import Catalogue, Module
from induction.extensions import db
from induction.learning.models import ModuleProgress
from induction.learning.periods import local_periods
from induction.rules import (
    Kind,
    LearningEvent,
    LocalPeriods,
    ModuleSpec,
    ModuleState,
    ReplayNeeded,
    Status,
    completion_expiry,
    expired,
    module_state,
)
from induction.rules import advance as advance_state
from induction.xapi import statements as xs
from induction.xapi.models import StatementRecord
from induction.xapi.store import moment_of

_KINDS = {xs.EXPERIENCED: Kind.READ, xs.PASSED: Kind.PASSED, xs.FAILED: Kind.FAILED, xs.WAIVED: Kind.WAIVED}


def spec_of(module: Module, local_periods: tuple[LocalPeriods, ...] = ()) -> ModuleSpec:
    """What the rules need of the module, with the refresher periods set where the learner works."""
    return ModuleSpec(
        module.slug, module.major, tuple(s.id for s in module.sections), module.refresher_months, local_periods
    )


def event_of(row: StatementRecord, catalogue: Catalogue) -> LearningEvent | None:
    """The learning event a stored statement stands for, or None if the rules ignore it."""
    kind = _KINDS.get(row.verb_id)
    if kind is None:
        return None
    revision = (json.loads(row.body).get("context") or {}).get("revision") or ""
    return _event(kind, row.object_id, revision, row.timestamp, row.registration, catalogue)


def _event(
    kind: Kind, object_id: str, revision: str, at: datetime, registration: str | None, catalogue: Catalogue
) -> LearningEvent | None:
    path = xs.activity_path(object_id)
    if path is None:
        return None
    parts = path.split("/")
    section = None
    if parts[0] == "modules" and len(parts) == 4 and parts[2] == "sections" and kind is Kind.READ:
        module_slug, section = parts[1], parts[3]
    elif parts[0] == "modules" and len(parts) == 2 and kind is Kind.WAIVED:
        module_slug = parts[1]
    elif parts[0] == "quizzes" and len(parts) == 2 and kind in (Kind.PASSED, Kind.FAILED):
        module = catalogue.module_for_quiz(parts[1])
        if module is None:
            return None
        module_slug = module.slug
    else:
        return None
    try:
        major = int(revision.split(".", 1)[0])
    except ValueError:
        return None
    return LearningEvent(kind, module_slug, at, major, section, registration)


def events_in(batch: xs.Batch, catalogue: Catalogue) -> dict[int, list[LearningEvent]] | None:
    """The learning events of the statements waiting in `batch`, per learner, oldest first: what
    `event_of` reads from them once stored (the same timestamp, to the column's precision), without
    reading them back. None if one of them voids another, which only a replay can undo."""
    found: dict[int, list[tuple[datetime, int, LearningEvent]]] = {}
    for position, item in enumerate(batch.items):
        data = item.data
        verb = data["verb"]["id"]
        if verb == xs.VOIDED:
            return None
        kind = _KINDS.get(verb)
        obj = data["object"]
        if kind is None or item.user_id is None or obj.get("objectType", "Activity") != "Activity":
            continue
        context = data.get("context") or {}
        at = moment_of(data["timestamp"])
        event = _event(kind, obj["id"], context.get("revision") or "", at, context.get("registration"), catalogue)
        if event is not None:
            found.setdefault(item.user_id, []).append((at, position, event))
    return {user_id: [e for _, _, e in sorted(events)] for user_id, events in found.items()}


def events_for(user_id: int, catalogue: Catalogue) -> list[LearningEvent]:
    """The learner's events, oldest first, leaving out voided statements."""
    rows = db.session.scalars(
        select(StatementRecord)
        .where(StatementRecord.user_id == user_id, StatementRecord.voided.is_(False))
        .where(StatementRecord.verb_id.in_(list(_KINDS)))
        .order_by(StatementRecord.timestamp, StatementRecord.seq)
    )
    return [e for e in (event_of(r, catalogue) for r in rows) if e is not None]


def _write(
    user_id: int, slug: str, state: ModuleState, sections: tuple[str, ...], row: ModuleProgress | None
) -> ModuleProgress | None:
    """Store `state` in the learner's row for the module; returns the row, or None when there is none."""
    if state.last_activity_at is None and not state.outdated:
        if row is not None:  # nothing counts any more, e.g. after a void
            db.session.delete(row)
        return None
    if row is None:
        row = ModuleProgress(user_id=user_id, module_slug=slug)
        db.session.add(row)
    # Expiry depends on the clock, so the row keeps "completed" and its expires_at;
    # readers ask effective_status. That keeps the projection a pure replay of statements.
    row.state = Status.COMPLETED if state.status is Status.EXPIRED else state.status
    row.read_sections = json.dumps([s for s in sections if s in state.read])
    row.read_count = len(state.read)
    row.passed = state.passed
    row.completed_at = state.completed_at
    row.expires_at = state.expires_at
    row.last_activity_at = state.last_activity_at
    row.outdated = state.outdated
    row.registration = state.registration
    return row


def refresh(
    user_id: int, catalogue: Catalogue, now: datetime | None = None, rows: dict[str, ModuleProgress] | None = None
) -> dict[str, ModuleState]:
    """Recompute and store the learner's module states from their statements.

    Pass `rows` when the caller has already loaded the learner's progress rows."""
    moment = now or utcnow()
    events = events_for(user_id, catalogue)
    rows = progress_rows(user_id) if rows is None else rows  # one query, rather than one per module
    # The refresher periods that apply where the learner works; they matter only to a refresher
    # module the learner has done something in, so most events need no look-up.
    refreshed = {m.slug for m in catalogue.modules if m.refresher_months is not None} & {e.module for e in events}
    learner = db.session.get(User, user_id) if refreshed else None
    periods = local_periods(learner) if learner is not None else {}
    states: dict[str, ModuleState] = {}
    for module in catalogue.modules:
        spec = spec_of(module, periods.get(module.slug, ()))
        state = module_state(spec, (e for e in events if e.module == module.slug), moment)
        _keep(rows, module.slug, _write(user_id, module.slug, state, spec.sections, rows.get(module.slug)))
        states[module.slug] = state
    db.session.flush()
    return states


def _keep(rows: dict[str, ModuleProgress], slug: str, row: ModuleProgress | None) -> None:
    """Keep the caller's `rows` as the table now is: later readers in the request use them."""
    if row is None:
        rows.pop(slug, None)
    else:
        rows[slug] = row


def advance(
    user: User,
    catalogue: Catalogue,
    events: list[LearningEvent],
    rows: dict[str, ModuleProgress],
    now: datetime | None = None,
) -> dict[str, ModuleState] | None:
    """Apply the learner's new `events` to their stored states and store the result: the states a
    replay of every statement (`refresh`) would give, without reading the statements again.

    `rows` are the learner's progress rows, read under their lock; they are kept in step. None when
    the stored states cannot be continued (see `rules.advance`): the caller replays instead. The
    refresher periods where the learner works are read only when an event completes a module
    that has a refresher."""
    moment = now or utcnow()
    states = current_states(user.id, catalogue, moment, rows=rows)
    periods: dict[str, tuple[LocalPeriods, ...]] | None = None

    def expiry(module: Module) -> Callable[[datetime], datetime | None]:
        def of(completed: datetime) -> datetime | None:
            nonlocal periods
            if module.refresher_months is None:
                return None
            if periods is None:
                periods = local_periods(user)
            return completion_expiry(spec_of(module, periods.get(module.slug, ())), completed)

        return of

    changed: dict[str, ModuleState] = {}
    for module in catalogue.modules:
        mine = [e for e in events if e.module == module.slug]
        if not mine:
            continue
        try:
            changed[module.slug] = advance_state(spec_of(module), states[module.slug], mine, moment, expiry(module))
        except ReplayNeeded:
            return None
    for module in catalogue.modules:
        if module.slug in changed:
            sections = tuple(s.id for s in module.sections)
            row = _write(user.id, module.slug, changed[module.slug], sections, rows.get(module.slug))
            _keep(rows, module.slug, row)
    db.session.flush()
    return {**states, **changed}


def registration_for(
    user: User, module: Module, now: datetime | None = None, rows: dict[str, ModuleProgress] | None = None
) -> str:
    """The registration the learner's next statement on `module` belongs to.

    A completion that has expired ends the cycle, so the next event starts a new one. Pass
    `rows` when the caller has already loaded the learner's progress rows.
    """
    row = db.session.get(ModuleProgress, (user.id, module.slug)) if rows is None else rows.get(module.slug)
    moment = now or utcnow()
    if row is None or row.registration is None:
        return str(uuid.uuid4())
    if row.expires_at is not None and moment >= row.expires_at:
        return str(uuid.uuid4())
    return row.registration


def progress_rows(user_id: int) -> dict[str, ModuleProgress]:
    rows = db.session.scalars(select(ModuleProgress).where(ModuleProgress.user_id == user_id))
    return {r.module_slug: r for r in rows}


def remember_rows(user_id: int, rows: dict[str, ModuleProgress]) -> dict[str, ModuleProgress]:
    """Keep the learner's progress `rows`, read after their lock (`database.lock_learner`), for the
    rest of this transaction: settling the change reads them from here (`rows_after_lock`) instead
    of asking the database again. Only settling writes the rows, and it keeps this dict in step."""
    db.session.info["progress_rows"] = (db.session().get_transaction(), user_id, rows)
    return rows


def rows_after_lock(user_id: int) -> dict[str, ModuleProgress]:
    """The learner's progress rows: those remembered in this transaction (`remember_rows`), or read now."""
    remembered = db.session.info.get("progress_rows")
    transaction = db.session().get_transaction()
    if remembered is not None and transaction is not None and remembered[:2] == (transaction, user_id):
        return remembered[2]  # type: ignore[no-any-return]
    return progress_rows(user_id)


def forget_rows() -> None:
    """Drop the remembered rows (a rebuild deletes them)."""
    db.session.info.pop("progress_rows", None)


_SECTION_PROGRESS = select(ModuleProgress.read_sections, ModuleProgress.passed).where(
    ModuleProgress.user_id == bindparam("user_id"), ModuleProgress.module_slug == bindparam("slug")
)


def section_progress(user_id: int, slug: str) -> Any:
    """What a section page shows of the learner's progress on its module: the sections read and
    whether they passed the quiz (a row with `read_sections` and `passed`, or None), without
    loading the whole row."""
    return db.session.execute(_SECTION_PROGRESS, {"user_id": user_id, "slug": slug}).first()


def read_sections(row: ModuleProgress | None) -> set[str]:
    return set(json.loads(row.read_sections)) if row else set()


def status_of(row: ModuleProgress | None, now: datetime | None = None) -> Status:
    """The row's status at `now`: a completion past its expiry date is expired."""
    if row is None:
        return Status.NOT_STARTED
    status = Status(row.state)
    if status is Status.COMPLETED and expired(row.expires_at, now or utcnow()):
        return Status.EXPIRED
    return status


def rebuild(users: Iterable[int], catalogue: Catalogue, now: datetime | None = None) -> int:
    """Throw away and recompute every projection of these learners; returns how many."""
    count = 0
    forget_rows()
    for user_id in users:
        db.session.execute(delete(ModuleProgress).where(ModuleProgress.user_id == user_id))
        refresh(user_id, catalogue, now)
        count += 1
    return count


def current_states(
    user_id: int, catalogue: Catalogue, now: datetime | None = None, rows: dict[str, ModuleProgress] | None = None
) -> dict[str, ModuleState]:
    """The stored state of every module for a learner at `now`; a module with no row is not started.

    Pass `rows` when the caller has already loaded the learner's progress rows."""
    rows = progress_rows(user_id) if rows is None else rows
    states = {}
    for module in catalogue.modules:
        row = rows.get(module.slug)
        states[module.slug] = (
            ModuleState(
                status=status_of(row, now),
                read=frozenset(json.loads(row.read_sections)),
                passed=row.passed,
                completed_at=row.completed_at,
                expires_at=row.expires_at,
                last_activity_at=row.last_activity_at,
                outdated=row.outdated,
                registration=row.registration,
            )
            if row
            else ModuleState(Status.NOT_STARTED)
        )
    return states
