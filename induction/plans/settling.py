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

from induction import clock
from induction.accounts.models import User
from induction.completion.models import Certificate
from induction.completion.services import induction_expiry, issue_certificate, latest_certificate
from induction.content.model import Catalogue
from induction.learning import progress
from induction.plans import status as learner_status
from induction.plans.items import items_done
from induction.rules import Status, induction_status
from induction.xapi import signals
from induction.xapi import statements as xs


def settle(
    user: User,
    catalogue: Catalogue,
    now: datetime | None = None,
    items_before: bool | None = None,
) -> Certificate | None:
    """Recompute the learner's progress after an event; record what it completes.

    Call it after the event's statements are stored (and their voids applied), with the learner
    locked: the states before the event are the stored projection, which only this function
    changes. `items_before` says whether the organisation and role items were all signed off
    before the event (by default: as they are now). Returns the certificate if this
    event completed the whole induction, or changed when a completed induction expires
    (a refresher done early, a module waived after it was completed): the certificate
    always states the expiry the rules give.
    """
    moment = now or clock.utcnow()
    rows = progress.progress_rows(user.id)  # one query for the states before and the refresh
    before = progress.current_states(user.id, catalogue, moment, rows=rows)
    items_after = items_done(user)
    items_before = items_after if items_before is None else items_before
    after = progress.refresh(user.id, catalogue, moment, rows=rows)
    for module in catalogue.modules:
        old, new = before.get(module.slug), after[module.slug]
        if new.status is Status.COMPLETED and (old is None or old.completed_at != new.completed_at):
            xs.record(
                user,
                xs.Event(
                    xs.COMPLETED,
                    f"modules/{module.slug}",
                    module.title,
                    registration=new.registration,
                    revision=module.revision,
                    success=True,
                ),
                moment,
            )
    learner_status.refresh([user], catalogue)
    if induction_status(after.values(), items_after) is not Status.COMPLETED:
        return None
    was_done = induction_status(before.values(), items_before) is Status.COMPLETED
    latest = latest_certificate(user.id) if was_done else None
    renewed = latest is not None and latest.revoked_at is None and latest.expires_at != induction_expiry(after)
    if not was_done or renewed:
        return issue_certificate(user, catalogue, after, moment)
    return None


def on_statements_stored(
    sender: Flask, *, learners: Sequence[User], catalogue: Catalogue, now: datetime, **_: Any
) -> Certificate | None:
    """Settle each learner the stored statements are about, in the order given; returns the
    certificate the change issued, if any (the last one, when several learners got one)."""
    issued = None
    for learner in learners:
        issued = settle(learner, catalogue, now) or issued
    return issued


def init_app(app: Flask) -> None:
    """Subscribe to the statement store's signal for this app."""
    signals.statements_stored.connect(on_statements_stored, sender=app)
