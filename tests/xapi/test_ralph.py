"""Forwarding into a real external LRS, Ralph, on loopback; with the fault test: nothing lost, nothing twice."""

from __future__ import annotations

import base64
import json
import time
import urllib.request
from collections import defaultdict
from typing import Any

import pytest

from induction.extensions import db
from induction.xapi import forwarding
from induction.xapi import statements as xs

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
