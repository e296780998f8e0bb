"""What the statement store tells the layers above it, without importing them.

`statements_stored` is sent once a change has made statements about learners, inside the same
transaction, before anything commits: after storing them (and applying the voids among them), or,
for the platform's own learning events, with them waiting in a batch that is stored after the
subscribers have added theirs (`announce`). Its subscriber,
`plans.settling.on_statements_stored` (connected by `create_app`), settles each learner's progress:
the `module_progress` and `learner_status` rows, `completed` and `satisfied` statements and the
certificate, all in that transaction. So the statement, its projections and the certificate land
together or not at all. The sender has taken each learner's lock (`database.lock_learner`) before
reading what the change depends on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from blinker import Namespace
from flask import current_app

from induction.accounts.models import User
from induction.content.model import Catalogue
from induction.xapi.statements import Batch

_signals = Namespace()

statements_stored = _signals.signal("statements-stored")
"""Sent with the app as sender and `learners` (in the order to settle them), `catalogue`, `now` and
`batch` (the change's statements, not yet stored, or None when they are)."""


class NobodySettles(RuntimeError):
    """Statements were stored but nothing subscribes to settle progress: the app was not wired."""


def announce(learners: Sequence[User], catalogue: Catalogue, now: datetime, batch: Batch | None = None) -> list[Any]:
    """Send `statements_stored` for these learners; returns what the subscribers answered (a
    certificate the change issued, or None). Raises NobodySettles if no subscriber is connected,
    so progress can never silently fall behind the statements.

    With a `batch`, the change's statements have not been stored yet: the subscriber applies them
    to the stored states as they are, may add statements of its own to the batch (a `completed`),
    and may store it first when it must read them back; whatever is left in the batch is stored
    here, after the subscribers, in one INSERT, still inside the transaction. Without one, the
    statements are stored already and the subscriber replays each learner's statements."""
    if not learners:
        if batch is not None:
            batch.store()
        return []
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if next(iter(statements_stored.receivers_for(app)), None) is None:
        raise NobodySettles("no subscriber to statements_stored: create_app connects plans.settling")
    answers = statements_stored.send(app, learners=learners, catalogue=catalogue, now=now, batch=batch)
    if batch is not None:
        batch.store()
    return [answer for _, answer in answers]
