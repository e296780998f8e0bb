"""Forwarding into a real external LRS, Ralph, on loopback; with the fault test: nothing lost, nothing twice."""

from __future__ import annotations

import base64
import json
import time
import urllib.request
from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import update

from induction.clock import utcnow
from induction.extensions import db
from induction.xapi import forwarding
from induction.xapi import statements as xs
from induction.xapi.models import ForwardItem

from .conftest import RALPH_PASSWORD, RALPH_USER, VERSION, Api, Ralph, statement


@pytest.fixture
def app_config(forwarding_config: dict[str, Any]) -> dict[str, Any]:
    return forwarding_config


def drain(timeout: float = 60.0) -> forwarding.Outcome:
    """Forward until the queue is empty (waiting out back-off), or fail after `timeout` seconds."""
    sender = forwarding.sender_from_config()
    total = forwarding.Outcome()
    deadline = time.monotonic() + timeout
    while forwarding.status().waiting:
        assert time.monotonic() < deadline, "the outbox did not empty in time"
        outcome = forwarding.forward_due(sender)
        total.sent += outcome.sent
        total.parked += outcome.parked
        db.session.commit()
        time.sleep(0.02)
    return total


def test_statements_arrive_in_ralph_with_their_ids(make: Any, api: Api, ralph: Ralph) -> None:
    learner = make.learner()
    made = xs.record(learner, xs.Event(xs.EXPERIENCED, "modules/first-steps/sections/hello", "Hello")).id
    db.session.commit()
    posted = api.post("/xapi/statements", [statement(), statement()]).get_json()
    assert drain().sent == 3
    assert [s["id"] for s in ralph.statements()] == [made, *posted]
    assert forwarding.status().waiting == 0


def test_a_statement_ralph_refuses_is_parked_with_its_reason(make: Any, api: Api, ralph: Ralph) -> None:
    ident = api.post("/xapi/statements", statement()).get_json()[0]
    # Ralph already holds a different statement under the same id, so it answers 409.
    other = statement(id=ident, verb={"id": "http://example.com/verbs/other"})
    token = base64.b64encode(f"{RALPH_USER}:{RALPH_PASSWORD}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{ralph.endpoint}/statements",
        data=json.dumps(other).encode(),
        headers={"Authorization": f"Basic {token}", "Content-Type": "application/json", **VERSION},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        assert response.status == 200
    later = api.post("/xapi/statements", statement()).get_json()[0]
    outcome = drain()
    assert outcome.parked == 1 and outcome.sent == 1
    parked = forwarding.status().parked
    assert [p.statement_id for p in parked] == [ident]
    assert parked[0].last_error and parked[0].last_error.startswith("409")
    assert [s["id"] for s in ralph.statements()] == [ident, later]


def test_fault_ralph_down_for_1000_statements_then_all_arrive_once_in_order(make: Any, api: Api, ralph: Ralph) -> None:
    learners = [make.learner() for _ in range(4)]
    ralph.stop()
    made: dict[str, list[str]] = defaultdict(list)
    sender = forwarding.sender_from_config()
    for index in range(1000):
        learner = learners[index % len(learners)]
        row = xs.record(learner, xs.Event(xs.EXPERIENCED, f"modules/first-steps/sections/s{index}", f"S{index}"))
        made[learner.uuid].append(row.id)
        if index % 100 == 99:
            db.session.commit()
            outcome = forwarding.forward_due(sender)  # the worker keeps trying while Ralph is down
            assert outcome.sent == 0
    assert forwarding.status().waiting == 1000
    ralph.start()
    assert drain().sent == 1000
    received = ralph.statements()
    ids = [s["id"] for s in received]
    assert len(ids) == 1000 and len(set(ids)) == 1000
    by_learner: dict[str, list[str]] = defaultdict(list)
    for item in received:
        by_learner[item["actor"]["account"]["name"]].append(item["id"])
    assert by_learner == made


class DroppingProxy:
    """A loopback proxy in front of Ralph that, while `drop` is set, passes each request on,
    lets Ralph store it, then closes the connection without passing the answer back."""

    def __init__(self, target_port: int) -> None:
        import socket
        import threading

        self.target_port = target_port
        self.drop = True
        self.dropped = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._answer, args=(upstream, client, self.drop), daemon=True).start()

    @staticmethod
    def _pipe(source: Any, sink: Any) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass

    def _answer(self, upstream: Any, client: Any, drop: bool) -> None:
        answer = b""
        try:
            while chunk := upstream.recv(65536):
                answer += chunk
                if not drop:
                    client.sendall(chunk)
        except OSError:
            pass
        if drop and answer:
            self.dropped += 1
        client.close()
        upstream.close()

    def close(self) -> None:
        self.listener.close()


def test_fault_answers_lost_after_ralph_stored_the_batch_count_as_delivered(make: Any, ralph: Ralph) -> None:
    learner = make.learner()
    made = [xs.record(learner, xs.Event(xs.EXPERIENCED, f"modules/first-steps/sections/s{n}", f"S{n}")).id for n in range(5)]
    db.session.commit()
    proxy = DroppingProxy(ralph.port)
    try:
        sender = forwarding.http_sender(f"http://127.0.0.1:{proxy.port}/xAPI", RALPH_USER, RALPH_PASSWORD, timeout=10)
        first = forwarding.forward_due(sender)
        assert first.sent == 0 and first.retrying == 5, "the worker heard nothing back, so it will try again"
        assert proxy.dropped == 1
        assert [s["id"] for s in ralph.statements()] == made, "yet Ralph stored the batch"
        proxy.drop = False
        db.session.execute(update(ForwardItem).values(next_attempt_at=utcnow()))
        db.session.commit()
        again = forwarding.forward_due(sender)
    finally:
        proxy.close()
    assert again.sent == 5 and again.parked == 0
    assert forwarding.status().waiting == 0 and forwarding.status().parked == []
    assert [s["id"] for s in ralph.statements()] == made, "each statement is in Ralph once"
