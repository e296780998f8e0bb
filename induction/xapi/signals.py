"""What the statement store tells the layers above it, without importing them.

`statements_stored` is sent once a change has stored statements about learners (and applied the
voids among them), inside the same transaction, before anything commits. Its subscriber,
`plans.settling.on_statements_stored` (connected by `create_app`), settles each learner's progress:
the `module_progress` and `learner_status` rows, `completed` and `satisfied` statements and the
certificate, all in that transaction. So the statement, its projections and the certificate land
together or not at all. The sender has taken each learner's lock (`database.lock_learner`) before
reading what the change depends on."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from blinker import Namespace
from flask import current_app

from induction.accounts.models import User
from induction.content.model import Catalogue

_signals = Namespace()

statements_stored = _signals.signal("statements-stored")
"""Sent with the app as sender and `learners` (in the order to settle them), `catalogue`, `now`."""


class NobodySettles(RuntimeError):
    """Statements were stored but nothing subscribes to settle progress: the app was not wired."""


def announce(
    learners: Sequence[User], catalogue: Catalogue, now: datetime, seqs: Collection[int] | None = None
) -> list[Any]:
    """Send `statements_stored` for these learners; returns what the subscribers answered (a
    certificate the change issued, or None). Raises NobodySettles if no subscriber is connected,
    so progress can never silently fall behind the statements. `seqs`, the sequence numbers of
    the statements just stored, let the subscriber apply just those (else it replays them all)."""
    if not learners:
        return []
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if next(iter(statements_stored.receivers_for(app)), None) is None:
        raise NobodySettles("no subscriber to statements_stored: create_app connects plans.settling")
    answers = statements_stored.send(app, learners=learners, catalogue=catalogue, now=now, seqs=seqs)
    return [answer for _, answer in answers]
