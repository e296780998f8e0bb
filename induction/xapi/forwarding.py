"""Forwarding statements to an external LRS from the outbox: batches, order per learner, back-off, parking.

Several workers may run at once. On PostgreSQL each claims its rows with
SELECT ... FOR UPDATE SKIP LOCKED and holds them until it has sent them; on SQLite a
file lock lets one worker send at a time. A learner's statement is sent only when
every earlier waiting statement of theirs is in the same batch, so each learner's
statements arrive in the order they were stored. Statement ids are kept, so sending a
statement again after a crash is harmless.
"""

from __future__ import annotations

import base64
import fcntl
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from induction.clock import utcnow
from induction.extensions import db
from induction.xapi import attachments
from induction.xapi.models import ForwardItem, StatementRecord
from induction.xapi.services import same_statement

log = logging.getLogger("induction.xapi.forwarding")

Sender = Callable[[list[dict[str, Any]]], tuple[int, str]]


class Unreachable(Exception):
    """The external LRS could not be reached (network error or time-out)."""


class HttpSender:
    """POSTs a batch to `endpoint`/statements and answers (status, response text); `fetch` reads
    one statement back, to tell a statement that arrived from one that clashes."""

    def __init__(self, endpoint: str, key: str, secret: str, timeout: float = 30.0) -> None:
        self.url = endpoint.rstrip("/") + "/statements"
        if not self.url.startswith(("http://", "https://")):
            raise ValueError("LRS_ENDPOINT must be an http:// or https:// address")
        self.token = base64.b64encode(f"{key}:{secret}".encode()).decode()
        self.timeout = timeout

    def __call__(self, batch: list[dict[str, Any]]) -> tuple[int, str]:
        """Attachment data the LRS holds goes too, as multipart/mixed (Communication 1.5.2)."""
        text = json.dumps(batch)
        data = attachments.held(batch)
        if data:
            body, content_type = attachments.encode(text, data)
            return self._request(self.url, data=body, method="POST", content_type=content_type)
        return self._request(self.url, data=text.encode(), method="POST")

    def fetch(self, statement_id: str) -> tuple[int, str]:
        return self._request(f"{self.url}?{urllib.parse.urlencode({'statementId': statement_id})}", None, "GET")

    def _request(
        self, url: str, data: bytes | None, method: str, content_type: str = "application/json"
    ) -> tuple[int, str]:
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            url,
            data=data,
            method=method,
            headers={
                "Content-Type": content_type,
                "X-Experience-API-Version": "1.0.3",
                "Authorization": f"Basic {self.token}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")
        except (OSError, TimeoutError) as error:
            raise Unreachable(str(error)) from error


def http_sender(endpoint: str, key: str, secret: str, timeout: float = 30.0) -> HttpSender:
    """The sender for an external LRS at `endpoint`."""
    return HttpSender(endpoint, key, secret, timeout)


def sender_from_config() -> Sender:
    config = current_app.config
    return http_sender(config["LRS_ENDPOINT"], config["LRS_KEY"], config["LRS_SECRET"])


@dataclass
class Outcome:
    """What one batch did."""

    sent: int = 0
    parked: int = 0
    retrying: int = 0


def _backoff(item: ForwardItem, reason: str, now: datetime) -> None:
    config = current_app.config
    base = float(config.get("LRS_RETRY_BASE_SECONDS", 2.0))
    cap = float(config.get("LRS_RETRY_MAX_SECONDS", 300.0))
    item.attempts += 1
    item.next_attempt_at = now + timedelta(seconds=min(cap, base * 2 ** (item.attempts - 1)))
    item.last_error = reason[:2000]


def _park(item: ForwardItem, reason: str) -> None:
    item.attempts += 1
    item.parked = True
    item.last_error = reason[:2000] or "refused without a reason"


@contextmanager
def _sqlite_lock() -> Iterator[bool]:
    """One sender at a time on SQLite: an exclusive lock on a file beside the database."""
    database = db.engine.url.database or ""
    path = Path(database + ".forward-lock") if database and database != ":memory:" else None
    if path is None:
        yield True
        return
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _claim(now: datetime, size: int) -> list[ForwardItem]:
    """Due rows, oldest first, keeping for each learner only an unbroken run from their oldest waiting row."""
    query = (
        select(ForwardItem)
        .where(ForwardItem.parked.is_(False), ForwardItem.next_attempt_at <= now)
        .order_by(ForwardItem.id)
        .limit(size)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(db.session.scalars(query))
    if not rows:
        return []
    claimed = {r.id for r in rows}
    waiting = db.session.execute(
        select(ForwardItem.id, ForwardItem.actor_key)
        .where(
            ForwardItem.parked.is_(False),
            ForwardItem.actor_key.in_({r.actor_key for r in rows}),
            ForwardItem.id <= max(claimed),
        )
        .order_by(ForwardItem.id)
    ).all()
    blocked: set[str] = set()
    allowed: set[int] = set()
    for ident, actor in waiting:
        if actor in blocked:
            continue
        if ident in claimed:
            allowed.add(ident)
        else:
            blocked.add(actor)
    return [r for r in rows if r.id in allowed]


def _bodies(items: list[ForwardItem]) -> dict[int, dict[str, Any]]:
    rows = db.session.execute(
        select(StatementRecord.seq, StatementRecord.body).where(
            StatementRecord.seq.in_([i.statement_seq for i in items])
        )
    ).all()
    return {seq: json.loads(body) for seq, body in rows}


def _send(items: list[ForwardItem], bodies: dict[int, dict[str, Any]], sender: Sender, now: datetime) -> Outcome:
    outcome = Outcome()
    try:
        status, text = sender([bodies[i.statement_seq] for i in items])
    except Unreachable as error:
        status, text = 0, f"could not reach the LRS: {error}"
    if 200 <= status < 300:
        for item in items:
            db.session.delete(item)
        outcome.sent = len(items)
    elif 400 <= status < 500 and len(items) > 1:
        # One statement spoils the batch: send them one by one to find it, keeping the order.
        for index, item in enumerate(items):
            single = _send([item], bodies, sender, now)
            outcome.sent += single.sent
            outcome.parked += single.parked
            if single.retrying:
                for later in items[index + 1 :]:
                    _backoff(later, "waiting behind an earlier statement that could not be sent", now)
                outcome.retrying += len(items) - index
                break
    elif status == 409 and _holds_already(sender, bodies[items[0].statement_seq]):
        # It arrived before, though its answer was lost: delivered, not a failure.
        db.session.delete(items[0])
        outcome.sent = 1
    elif 400 <= status < 500:
        _park(items[0], f"{status}: {text.strip()}")
        outcome.parked = 1
    else:
        reason = text if status == 0 else f"{status}: {text.strip()}"
        for item in items:
            _backoff(item, reason, now)
        outcome.retrying = len(items)
    return outcome


def _holds_already(sender: Sender, statement: dict[str, Any]) -> bool:
    """True when the external LRS holds this very statement (same id, same content as the spec
    compares them); a sender that cannot read statements back proves nothing."""
    fetch = getattr(sender, "fetch", None)
    if fetch is None:
        return False
    try:
        status, text = fetch(statement["id"])
        held = json.loads(text) if status == 200 else None
    except (Unreachable, ValueError):
        return False
    return isinstance(held, dict) and held.get("id") == statement["id"] and same_statement(held, statement)


def forward_batch(sender: Sender, now: datetime | None = None, size: int | None = None) -> Outcome | None:
    """Send one batch of due statements and commit; None when nothing is due (or another worker holds SQLite)."""
    moment = now or utcnow()
    batch_size = size or int(current_app.config.get("LRS_BATCH_SIZE", 50))
    if db.engine.dialect.name == "postgresql":
        return _forward_claimed(sender, moment, batch_size)
    with _sqlite_lock() as mine:
        if not mine:
            return None
        return _forward_claimed(sender, moment, batch_size)


def _forward_claimed(sender: Sender, moment: datetime, size: int) -> Outcome | None:
    try:
        items = _claim(moment, size)
        if not items:
            db.session.commit()
            return None
        outcome = _send(items, _bodies(items), sender, moment)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if outcome.parked:
        log.warning("parked %d statement(s) the external LRS refused", outcome.parked)
    return outcome


def forward_due(sender: Sender, size: int | None = None) -> Outcome:
    """Send every statement that is due now, batch after batch; returns the totals."""
    total = Outcome()
    while True:
        outcome = forward_batch(sender, size=size)
        if outcome is None:
            return total
        total.sent += outcome.sent
        total.parked += outcome.parked
        total.retrying += outcome.retrying
        if outcome.sent == 0 and outcome.parked == 0:
            return total  # everything due is backing off now


def next_due() -> datetime | None:
    return db.session.scalar(select(func.min(ForwardItem.next_attempt_at)).where(ForwardItem.parked.is_(False)))


def run_worker(sender: Sender, *, poll_seconds: float = 1.0, should_stop: Callable[[], bool] = lambda: False) -> None:
    """Forward until told to stop: send what is due, then sleep until the next row is due (or a poll)."""
    log.info("forwarding worker %d started", os.getpid())
    while not should_stop():
        try:
            forward_due(sender)
            due = next_due()
            db.session.commit()
        except Exception:
            log.exception("forwarding failed; trying again shortly")
            db.session.rollback()
            due = None
        wait = poll_seconds
        if due is not None:
            wait = max(0.05, min(poll_seconds, (due - utcnow()).total_seconds()))
        time.sleep(wait)


@dataclass(frozen=True)
class QueueStatus:
    waiting: int
    oldest_waiting: datetime | None
    next_attempt: datetime | None
    parked: list[ForwardItem]


def status() -> QueueStatus:
    waiting, oldest, upcoming = db.session.execute(
        select(func.count(), func.min(ForwardItem.created_at), func.min(ForwardItem.next_attempt_at)).where(
            ForwardItem.parked.is_(False)
        )
    ).one()
    parked = list(db.session.scalars(select(ForwardItem).where(ForwardItem.parked.is_(True)).order_by(ForwardItem.id)))
    return QueueStatus(waiting, oldest, upcoming, parked)


def retry(item_ids: list[int] | None = None) -> int:
    """Put parked rows back in the queue (all of them when `item_ids` is None); returns how many."""
    statement = update(ForwardItem).where(ForwardItem.parked.is_(True))
    if item_ids is not None:
        statement = statement.where(ForwardItem.id.in_(item_ids))
    result = db.session.execute(statement.values(parked=False, attempts=0, next_attempt_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
