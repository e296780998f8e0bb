"""Settling a learner's induction after a change: the one place that turns stored statements into
progress, `completed` and `satisfied` statements and a certificate, in the caller's transaction.

It sits with plans because induction completion needs both the modules (learning) and the
organisation and role items (plans). Layers below reach it through the statement store's signal
(`xapi.signals.statements_stored`, connected by `create_app` through `init_app`); plans' own
changes call `settle` directly."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import and_, case, literal, or_, update

from induction import clock
from induction.accounts.models import User
from induction.completion.models import Certificate
from induction.completion.services import induction_expiry, issue_certificate, latest_certificate
from induction.content.model import Catalogue
from induction.extensions import db
from induction.learning import progress
from induction.learning.models import LearnerStatus, ModuleProgress
from induction.plans import status as learner_status
from induction.plans.items import items_done
from induction.rules import DONE, LearningEvent, Status, induction_status
from induction.xapi import signals
from induction.xapi import statements as xs


def settle(
    user: User,
    catalogue: Catalogue,
    now: datetime | None = None,
    items_before: bool | None = None,
    events: list[LearningEvent] | None = None,
    batch: xs.Batch | None = None,
) -> Certificate | None:
    """Bring the learner's progress up to date after an event; record what it completes.

    Call it after the event's statements are stored (and their voids applied), or with them
    waiting in `batch`, with the learner locked: the states before the event are the stored
    projection, which only this function changes. `events` are the learning events of the
    statements just made, when the caller knows them: they are applied to the stored states
    (`progress.advance`), the same result as a replay of every statement, which is what happens
    without them or when they cannot simply be applied (a void, an event older than the last one,
    a new refresher cycle; see `rules.advance`; a waiting batch is stored first, so the replay
    reads it). A `completed` statement goes into `batch` when there is one, to be stored with the
    event's own. `items_before` says whether the organisation and role items were all signed off
    before the event (by default: as they are now). Returns the certificate if this event
    completed the whole induction, or changed when a completed induction expires (a refresher
    done early, a module waived after it was completed): the certificate always states the expiry
    the rules give.
    """
    moment = now or clock.utcnow()
    rows = progress.rows_after_lock(user.id)  # one query for the states before and after, or none
    before = progress.current_states(user.id, catalogue, moment, rows=rows)
    after = progress.advance(user, catalogue, events, rows, moment) if events is not None else None
    replayed = after is None
    if after is None:
        if batch is not None:
            batch.store()  # the replay reads every statement, these included
        after = progress.refresh(user.id, catalogue, moment, rows=rows)
    for module in catalogue.modules:
        old, new = before.get(module.slug), after[module.slug]
        if new.status is Status.COMPLETED and (old is None or old.completed_at != new.completed_at):
            completed = xs.Event(
                xs.COMPLETED,
                f"modules/{module.slug}",
                module.title,
                registration=new.registration,
                revision=module.revision,
                success=True,
            )
            if batch is not None:
                batch.add(user, [completed], moment)
            else:
                xs.record(user, completed, moment)
    if replayed or not _refresh_modules_in_status(user, catalogue, rows):
        learner_status.refresh([user], catalogue)
    if not all(s.status in DONE for s in after.values()):
        return None  # the induction is not completed, whatever the items say
    if batch is not None:
        batch.store()  # the event's statements before the `satisfied` one
    items_after = items_done(user)
    items_before = items_after if items_before is None else items_before
    if induction_status(after.values(), items_after) is not Status.COMPLETED:
        return None
    was_done = induction_status(before.values(), items_before) is Status.COMPLETED
    latest = latest_certificate(user.id) if was_done else None
    renewed = latest is not None and latest.revoked_at is None and latest.expires_at != induction_expiry(after)
    if not was_done or renewed:
        return issue_certificate(user, catalogue, after, moment)
    return None


def _refresh_modules_in_status(user: User, catalogue: Catalogue, rows: dict[str, ModuleProgress]) -> bool:
    """After a learning event, bring the module columns of the learner's learner_status rows (one
    per organisation they are in) up to date from their progress `rows`, in one UPDATE: a learning
    event changes the modules, never the items or the due date, so each row's status follows from
    the modules and the items it already counts, as `plans.status.refresh` would compute it.
    False when the learner has no rows, which `plans.status.refresh` makes."""
    stored = [rows[m.slug] for m in catalogue.modules if m.slug in rows]
    states = {r.module_slug: Status(r.state) for r in stored}
    all_done = bool(catalogue.modules) and all(states.get(m.slug) in DONE for m in catalogue.modules)
    started = any(Status(r.state) is not Status.NOT_STARTED or r.outdated for r in stored)
    expiries = [r.expires_at for r in stored if r.expires_at is not None and r.state == Status.COMPLETED.value]
    activity = [r.last_activity_at for r in stored if r.last_activity_at is not None]
    # induction_status with each row's own items: all modules done and every item signed off is
    # completed; else any module started or any item signed off is in progress. (Stored states are
    # never "expired": reports read that from next_expiry.)
    status = case(
        (and_(literal(all_done), LearnerStatus.items_done == LearnerStatus.items_total), Status.COMPLETED.value),
        (or_(literal(started), LearnerStatus.items_done > 0), Status.IN_PROGRESS.value),
        else_=Status.NOT_STARTED.value,
    )
    result = db.session.execute(
        update(LearnerStatus)
        .where(LearnerStatus.user_id == user.id)
        .values(
            status=status,
            modules_done=sum(1 for r in stored if Status(r.state) in DONE),
            done_modules=learner_status.done_slugs(stored),
            next_expiry=min(expiries) if expiries else None,
            last_activity_at=max(activity) if activity else None,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def on_statements_stored(
    sender: Flask,
    *,
    learners: Sequence[User],
    catalogue: Catalogue,
    now: datetime,
    batch: xs.Batch | None = None,
    **_: Any,
) -> Certificate | None:
    """Settle each learner the statements are about, in the order given; returns the certificate
    the change issued, if any (the last one, when several learners got one). With the `batch` of
    statements waiting to be stored, their events are applied to the stored states, read from the
    statements themselves; without one, or when they void something, each learner's statements
    are replayed."""
    new = progress.events_in(batch, catalogue) if batch is not None else None
    issued = None
    for learner in learners:
        events = None if new is None else new.get(learner.id, [])
        issued = settle(learner, catalogue, now, events=events, batch=batch) or issued
    return issued


def init_app(app: Flask) -> None:
    """Subscribe to the statement store's signal for this app."""
    signals.statements_stored.connect(on_statements_stored, sender=app)
