"""Forwarding through the outbox: batches, order per learner, back-off, parking, and nothing lost."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from induction import clock
from induction.extensions import db
from induction.xapi import forwarding
from induction.xapi import statements as xs
from induction.xapi.models import ForwardItem

from .conftest import Api, statement


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"LRS_ENDPOINT": "http://127.0.0.1:9/xAPI", "LRS_RETRY_BASE_SECONDS": 10.0, "LRS_BATCH_SIZE": 3}


class FakeLrs:
    """An external LRS whose answers the test sets; it records each batch it receives."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.answer: Any = (200, "[]")

    def __call__(self, batch: list[dict[str, Any]]) -> tuple[int, str]:
        answer = self.answer(batch) if callable(self.answer) else self.answer
        if isinstance(answer, Exception):
            raise answer
        self.batches.append([s["id"] for s in batch])
        return answer  # type: ignore[no-any-return]


def record(user: Any, count: int) -> list[str]:
    ids = [
        xs.record(user, xs.Event(xs.EXPERIENCED, f"modules/first-steps/sections/s{i}", f"S{i}")).id
        for i in range(count)
    ]
    db.session.commit()
    return ids


def waiting() -> int:
    return db.session.scalar(select(func.count()).select_from(ForwardItem)) or 0


def test_each_statement_gets_an_outbox_row_in_its_transaction(make: Any, api: Api) -> None:
    learner = make.learner()
    xs.record(learner, xs.Event(xs.EXPERIENCED, "modules/first-steps/sections/hello", "Hello"))
    db.session.rollback()
    assert waiting() == 0
    record(learner, 2)
    api.post("/xapi/statements", [statement(), statement()])
    assert waiting() == 4


def test_batches_keep_ids_and_order_and_empty_the_outbox(make: Any) -> None:
    ids = record(make.learner(), 7)
    lrs = FakeLrs()
    total = forwarding.forward_due(lrs)
    assert total.sent == 7 and waiting() == 0
    assert [len(b) for b in lrs.batches] == [3, 3, 1]
    assert [i for b in lrs.batches for i in b] == ids


def test_network_errors_and_5xx_back_off_exponentially(make: Any) -> None:
    start = datetime(2026, 3, 2, 9, 0, 0)
    with clock.frozen(start):
        record(make.learner(), 2)
        lrs = FakeLrs()
        lrs.answer = forwarding.Unreachable("connection refused")
        assert forwarding.forward_due(lrs).retrying == 2
    first = db.session.scalars(select(ForwardItem)).all()
    assert all(r.attempts == 1 and "connection refused" in (r.last_error or "") for r in first)
    assert [r.next_attempt_at for r in first] == [start + timedelta(seconds=10)] * 2  # the base delay
    with clock.frozen(start + timedelta(seconds=9, microseconds=999_999)):
        assert forwarding.forward_due(lrs).retrying == 0  # not due yet: nothing tried
    assert lrs.batches == [] and all(r.attempts == 1 for r in db.session.scalars(select(ForwardItem)))
    retried = start + timedelta(seconds=10)
    with clock.frozen(retried):
        lrs.answer = (503, "busy")
        assert forwarding.forward_due(lrs).retrying == 2
    second = db.session.scalars(select(ForwardItem)).all()
    assert all(r.attempts == 2 and r.last_error == "503: busy" for r in second)
    assert [r.next_attempt_at for r in second] == [retried + timedelta(seconds=20)] * 2  # doubled
    with clock.frozen(retried + timedelta(seconds=19)):
        assert forwarding.forward_due(lrs).sent == 0  # not due yet
    assert len(lrs.batches) == 1  # only the 503 batch reached the LRS


def test_a_refused_statement_is_parked_with_the_reason_and_the_rest_go_on(make: Any) -> None:
    ids = record(make.learner(), 3)
    lrs = FakeLrs()
    lrs.answer = lambda batch: (422, '{"detail": "bad verb"}') if ids[1] in [s["id"] for s in batch] else (200, "[]")
    total = forwarding.forward_due(lrs)
    assert total.sent == 2 and total.parked == 1
    status = forwarding.status()
    assert status.waiting == 0 and [p.statement_id for p in status.parked] == [ids[1]]
    assert status.parked[0].last_error == '422: {"detail": "bad verb"}'
    assert forwarding.retry() == 1
    db.session.commit()
    lrs.answer = (200, "[]")
    assert forwarding.forward_due(lrs).sent == 1 and waiting() == 0


def test_a_learner_waits_behind_their_own_statement_in_back_off(make: Any) -> None:
    one, two = make.learner(), make.learner()
    first = record(one, 1)
    lrs = FakeLrs()
    lrs.answer = forwarding.Unreachable("down")
    forwarding.forward_due(lrs)
    later_one, later_two = record(one, 1), record(two, 1)
    lrs.answer = (200, "[]")
    forwarding.forward_due(lrs)
    sent = [i for b in lrs.batches for i in b]
    assert sent == later_two  # the first learner's later statement waits for the earlier one
    db.session.execute(ForwardItem.__table__.update().values(next_attempt_at=clock.utcnow()))
    db.session.commit()
    forwarding.forward_due(lrs)
    assert [i for b in lrs.batches for i in b] == later_two + first + later_one


def test_a_second_worker_on_sqlite_waits_for_the_lock(make: Any, app: Any) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the file lock is the SQLite way; PostgreSQL uses SKIP LOCKED")
    record(make.learner(), 2)
    lrs = FakeLrs()
    with forwarding._sqlite_lock() as mine:
        assert mine
        assert forwarding.forward_batch(lrs) is None
    assert forwarding.forward_due(lrs).sent == 2


def test_the_cli_forwards_once(make: Any, runner: Any, monkeypatch: Any) -> None:
    record(make.learner(), 2)
    lrs = FakeLrs()
    monkeypatch.setattr(forwarding, "sender_from_config", lambda: lrs)
    result = runner.invoke(args=["xapi", "forward", "--once"])
    assert result.exit_code == 0, result.output
    assert "Sent 2" in result.output and waiting() == 0
    queue = runner.invoke(args=["xapi", "queue"])
    assert "waiting: 0" in queue.output


def test_bodies_are_sent_as_stored(make: Any) -> None:
    ids = record(make.learner(), 1)
    sent: list[dict[str, Any]] = []
    forwarding.forward_due(lambda batch: (sent.extend(batch), (200, "[]"))[1])
    assert sent[0]["id"] == ids[0] and json.dumps(sent[0]).count("authority") == 1


@pytest.mark.postgres  # SELECT ... FOR UPDATE SKIP LOCKED is the PostgreSQL way; SQLite uses a file lock
def test_workers_on_postgresql_skip_rows_another_worker_holds(make: Any) -> None:
    one, two = make.learner(), make.learner()
    held = record(one, 1)
    later_one, others = record(one, 1), record(two, 2)
    with db.engine.connect() as other_worker:
        transaction = other_worker.begin()
        other_worker.execute(
            select(ForwardItem.id).where(ForwardItem.statement_id == held[0]).with_for_update(skip_locked=True)
        ).all()
        lrs = FakeLrs()
        forwarding.forward_due(lrs)
        # the held row is skipped, and so is the same learner's later one; the other learner's go
        assert [i for b in lrs.batches for i in b] == others
        transaction.rollback()
    forwarding.forward_due(lrs)
    assert [i for b in lrs.batches for i in b] == others + held + later_one
