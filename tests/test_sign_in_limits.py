"""Sign-in limits counted in the database: shared by every worker, fair to the account's owner,
and no faster for addresses that have no account or no password yet."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from induction.accounts import passwords
from induction.accounts.models import SignInAttempt
from induction.accounts.throttle import Limit
from induction.clock import frozen, utcnow
from induction.extensions import db

from .conftest import PASSWORD, FreshContextClient, make_app
from .forms import submit

WRONG = "not the password at all"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SIGN_IN_LIMIT": "3 per minute"}


def browser(app: Flask, address: str = "192.0.2.1") -> Any:
    app.test_client_class = FreshContextClient
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(client: Any, email: str, password: str) -> int:
    response = submit(client, "/sign-in", {"email": email, "password": password})
    if response.status_code == 302:
        assert submit(client, "/sign-out", form_url="/").status_code == 302
    return int(response.status_code)


@pytest.fixture
def second_worker(app: Flask, database_url: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    """Another app over the same database, as a second gunicorn worker (or a restarted one) is."""
    other = make_app(database_url, **app_config)
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_limit_holds_across_two_workers(app: Flask, second_worker: Flask, make: Any) -> None:
    learner = make.learner()
    one, two = browser(app), browser(second_worker)
    statuses = [attempt(client, learner.email, WRONG) for client in (one, two, one)]
    assert statuses == [401, 401, 401]
    assert attempt(two, learner.email, WRONG) == 429
    assert attempt(one, learner.email, PASSWORD) == 429
    fresh_worker = make_app(app.config["SQLALCHEMY_DATABASE_URI"], SIGN_IN_LIMIT="3 per minute")
    try:
        assert attempt(browser(fresh_worker), learner.email, PASSWORD) == 429  # a restart forgets nothing
    finally:
        with fresh_worker.app_context():
            db.engine.dispose()


def test_one_address_guessing_one_account_does_not_lock_out_its_colleagues(app: Flask, make: Any) -> None:
    guessed, colleague = make.learner(), make.learner()
    office = browser(app)  # everyone in one office signs in from one public address
    assert [attempt(office, guessed.email, WRONG) for _ in range(4)] == [401, 401, 401, 429]
    assert attempt(browser(app), colleague.email, PASSWORD) == 302


def test_one_address_trying_many_accounts_is_limited_across_accounts(app: Flask, make: Any) -> None:
    people = [make.learner() for _ in range(16)]  # the limit is 3, so the address may fail 15 times in all
    client = browser(app)
    assert [attempt(client, p.email, WRONG) for p in people] == [401] * 15 + [429]
    assert attempt(client, people[0].email, PASSWORD) == 429  # the spraying address is stopped everywhere
    assert attempt(browser(app, "198.51.100.7"), people[15].email, PASSWORD) == 302  # others are not affected


def test_a_guessed_account_stays_open_to_its_owner_from_a_clean_address(app: Flask, make: Any) -> None:
    owner = make.learner()
    guessers = [browser(app, f"203.0.113.{n}") for n in (1, 2, 3)]
    assert [attempt(g, owner.email, WRONG) for g in guessers] == [401, 401, 401]
    assert attempt(guessers[0], owner.email, WRONG) == 429  # the account is guarded: failing addresses stop
    newcomer = browser(app, "203.0.113.99")
    assert attempt(newcomer, owner.email, WRONG) == 401  # an address that has not failed gets one try
    assert attempt(newcomer, owner.email, PASSWORD) == 429  # and then no more
    assert attempt(browser(app, "198.51.100.7"), owner.email, PASSWORD) == 302  # the owner is not locked out


def test_a_lock_ends_when_the_failures_age_and_refused_tries_do_not_extend_it(app: Flask, make: Any) -> None:
    learner = make.learner()
    client = browser(app)
    assert [attempt(client, learner.email, WRONG) for _ in range(3)] == [401, 401, 401]
    with frozen(utcnow() + timedelta(seconds=50)):
        assert attempt(client, learner.email, PASSWORD) == 429
    with frozen(utcnow() + timedelta(seconds=61)):
        assert attempt(client, learner.email, PASSWORD) == 302


def test_only_failures_are_kept(app: Flask, make: Any) -> None:
    learner = make.learner()
    client = browser(app)
    for _ in range(5):
        assert attempt(client, learner.email, PASSWORD) == 302
    assert attempt(client, learner.email, WRONG) == 401
    assert attempt(client, "Nobody@Example.org", WRONG) == 401
    db.session.rollback()
    rows = db.session.scalars(select(SignInAttempt).order_by(SignInAttempt.id)).all()
    assert [(r.email, r.address) for r in rows] == [
        (learner.email, "192.0.2.1"),
        ("nobody@example.org", "192.0.2.1"),
    ]


def test_old_attempts_are_deleted(app: Flask, make: Any) -> None:
    learner = make.learner()
    client = browser(app)
    attempt(client, learner.email, WRONG)
    with frozen(utcnow() + timedelta(minutes=2)):
        attempt(client, learner.email, WRONG)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SignInAttempt)) == 1


def test_every_sign_in_runs_one_hash_check_whatever_the_account(
    app: Flask, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    real = passwords.check_password_hash

    def counting(password_hash: str, password: str) -> bool:
        checks.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "check_password_hash", counting)
    active = make.learner(email="active@example.org")
    invited = make.learner(email="invited@example.org")
    invited.password_hash = None
    db.session.commit()
    outcomes = {}
    for index, email in enumerate(("nobody@example.org", invited.email, active.email)):
        checks.clear()
        outcomes[email] = attempt(browser(app, f"192.0.2.{10 + index}"), email, WRONG)
        outcomes[email + " checks"] = len(checks)
        cost = checks[0].split("$", 1)[0]
        outcomes[email + " cost"] = cost
    assert outcomes["nobody@example.org"] == outcomes[invited.email] == outcomes[active.email] == 401
    assert outcomes["nobody@example.org checks"] == outcomes["invited@example.org checks"] == 1
    assert outcomes["active@example.org checks"] == 1
    assert outcomes["nobody@example.org cost"] == outcomes["invited@example.org cost"]
    assert outcomes["invited@example.org cost"] == outcomes["active@example.org cost"]  # scrypt, same parameters


@pytest.mark.parametrize(
    ("text", "attempts", "seconds"),
    [("10 per 5 minutes", 10, 300), ("3 per minute", 3, 60), ("10000 per minute", 10000, 60)],
)
def test_the_limit_setting_is_read_as_written(text: str, attempts: int, seconds: int) -> None:
    assert Limit.parse(text) == Limit(attempts, timedelta(seconds=seconds))
