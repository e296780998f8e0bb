"""The learner's hot pages (issue 19): the section and module pages take the signed-in person as a
plain row (`accounts.sessions.SignedIn`), and the sign-in is still checked on every request.

Query counts are pinned in tests/test_query_counts.py; these tests hold what must not be lost
on the way: a sign-out or a switched-off account ends the sign-in on these pages at once too,
the pages show the same things to each role, and no ORM `User` is built for them."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, request
from sqlalchemy import select

from induction.accounts.models import Role, User, UserSession
from induction.clock import frozen, utcnow
from induction.extensions import READS, db, limiter
from induction.learning.models import ModuleProgress

from .conftest import csrf_from
from .forms import submit
from .test_sessions import DEAD, LIVE, REMEMBER, SESSION, browser, sign_in

SECTION = "/modules/first-steps/hello"
MODULE = "/modules/first-steps"


def status_of(app: Flask, saved: dict[str, str], path: str) -> dict[str, int]:
    """The page's status for a new browser holding each saved cookie alone."""
    found = {}
    for name in (SESSION, REMEMBER):
        other = browser(app)
        other.set_cookie(name, saved[name])
        found[name] = other.get(path).status_code
    return found


@pytest.mark.parametrize("path", [SECTION, MODULE])
def test_signing_out_ends_the_sign_in_on_the_reading_pages_at_once(app: Flask, make: Any, path: str) -> None:
    learner = make.learner()
    client = browser(app)
    saved = sign_in(client, learner.email)
    assert status_of(app, saved, path) == LIVE
    db.session.execute(db.delete(UserSession).where(UserSession.user_id == learner.id))  # signed out elsewhere
    db.session.commit()
    assert status_of(app, saved, path) == DEAD
    assert client.get(path).headers["Location"].startswith("/sign-in")


def test_an_account_switched_off_is_refused_on_the_reading_pages_at_once(app: Flask, make: Any) -> None:
    learner = make.learner()
    saved = sign_in(browser(app), learner.email)
    assert status_of(app, saved, SECTION) == LIVE
    db.session.rollback()
    learner.active = False
    db.session.commit()
    assert status_of(app, saved, SECTION) == DEAD
    assert status_of(app, saved, MODULE) == DEAD


def test_the_idle_timeout_holds_on_the_reading_pages(app: Flask, make: Any) -> None:
    learner = make.learner()
    client = browser(app)
    sign_in(client, learner.email, remember=False)
    assert client.get(SECTION).status_code == 200
    with frozen(utcnow() + timedelta(minutes=62)):
        assert client.get(SECTION).status_code == 302


def test_reading_records_the_sign_ins_last_use(app: Flask, make: Any) -> None:
    learner = make.learner()
    client = browser(app)
    sign_in(client, learner.email)
    later = utcnow() + timedelta(minutes=5)
    with frozen(later):
        assert client.get(SECTION).status_code == 200
    seen = db.session.scalar(select(UserSession.last_seen_at).where(UserSession.user_id == learner.id))
    assert seen == later


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (
            Role.LEARNER,
            ["Your induction", f'action="{SECTION}/read"', "Your plan", "data-offline-save"],
            ["Statistics"],
        ),
        (Role.TRAINER, ["Statistics", 'rel="next"'], [f'action="{SECTION}/read"', "Your plan", "data-offline-save"]),
    ],
)
def test_the_reading_pages_show_each_role_its_own_page(
    app: Flask, make: Any, role: Role, shown: list[str], hidden: list[str]
) -> None:
    person = make.user(role, make.organisation() if role is Role.LEARNER else None, name="Robin Reader")
    client = browser(app)
    sign_in(client, person.email)
    page = client.get(SECTION)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'data-user="{person.uuid}"' in html
    assert 'name="csrf_token"' in html  # the sign-out form
    for text in shown:
        assert text in html
    for text in hidden:
        assert text not in html


def test_no_orm_user_or_progress_row_is_built_for_the_reading_pages(app: Flask, make: Any) -> None:
    learner = make.learner()
    client = browser(app)
    sign_in(client, learner.email)
    assert submit(client, f"{SECTION}/read", form_url=SECTION).status_code == 302  # the module has a progress row
    built: list[Any] = []

    def note(target: Any, _context: Any) -> None:
        built.append(target)

    db.event.listen(User, "load", note)
    db.event.listen(ModuleProgress, "load", note)
    try:
        assert client.get(SECTION).status_code == 200
        assert "1 of " in client.get(MODULE).get_data(as_text=True)  # its plain columns are read
        assert built == []
        assert client.get("/plan").status_code == 200  # a page that is not marked gets the ORM objects
        assert built
    finally:
        db.event.remove(User, "load", note)
        db.event.remove(ModuleProgress, "load", note)


def opened(app: Flask, value: str) -> Any:
    with app.test_request_context("/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={value}"}):
        return app.session_interface.open_session(app, request)


def test_a_kept_session_cookie_is_checked_like_a_new_one(app: Flask, make: Any, monkeypatch: Any) -> None:
    signed = app.session_interface.get_signing_serializer(app).dumps({"_user_id": "abc", "list": [1]})  # type: ignore[union-attr]
    first = opened(app, signed)
    first["list"].append(2)  # what one request changes stays in that request
    first["_user_id"] = "changed"
    again = opened(app, signed)
    assert dict(again) == {"_user_id": "abc", "list": [1]}
    # A character inside the signature (the last one of base64 may carry only padding bits).
    forged = signed[:-5] + ("A" if signed[-5] != "A" else "B") + signed[-4:]
    assert dict(opened(app, forged)) == {}  # a forged signature opens nothing
    lifetime = app.permanent_session_lifetime.total_seconds()
    later = time.time() + lifetime + 5
    monkeypatch.setattr("induction.web.cookies.time.time", lambda: later)
    assert dict(opened(app, signed)) == {}  # too old, though it was kept


def test_every_rate_limit_is_on_writes_so_reads_can_skip_the_check(app: Flask) -> None:
    """`extensions.check_limits_on_writes_only` skips Flask-Limiter's check for reads: that is right
    only while no limit applies to a GET, HEAD or OPTIONS (the limits' effect: tests/test_sign_in_limits.py)."""
    limits = [limit for kept in limiter.limit_manager._decorated_limits.values() for limit in kept]
    assert limits
    for limit in limits:
        assert limit.methods, limit
        assert not {method.upper() for method in limit.methods} & READS, limit


@pytest.mark.postgres
def test_a_write_after_a_reading_page_still_runs_in_a_transaction(app: Flask, make: Any) -> None:
    """The reading pages run their queries without a transaction on PostgreSQL; the connection
    they used goes back to the pool as it came, so the next request's writes are one transaction."""
    learner = make.learner()
    client = browser(app)
    sign_in(client, learner.email)
    handed_out: list[bool] = []

    def note(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        handed_out.append(bool(dbapi_connection.autocommit))

    db.event.listen(db.engine, "checkout", note)
    try:
        page = client.get(SECTION)
        assert page.status_code == 200
        assert submit(client, f"{SECTION}/read", form_url=SECTION).status_code == 302
    finally:
        db.event.remove(db.engine, "checkout", note)
    assert handed_out and not any(handed_out)
    assert "You have read this section." in client.get(SECTION).get_data(as_text=True)


def test_a_sign_ins_forms_carry_one_csrf_token_which_works(app: Flask, make: Any) -> None:
    learner = make.learner()
    client = browser(app)
    sign_in(client, learner.email)
    first = csrf_from(client.get(SECTION).get_data(as_text=True))
    assert csrf_from(client.get(MODULE).get_data(as_text=True)) == first  # signed once, not per page
    assert client.post(f"{SECTION}/read", data={"csrf_token": first}).status_code == 302
    forged = first[:-5] + ("A" if first[-5] != "A" else "B") + first[-4:]
    assert client.post(f"{SECTION}/read", data={"csrf_token": forged}).status_code == 400
    assert client.post("/sign-out", data={"csrf_token": first}).status_code == 302
    sign_in(client, learner.email)
    assert csrf_from(client.get(SECTION).get_data(as_text=True)) != first  # a new sign-in, a new token


def test_the_module_page_offers_the_section_pages_offline_control(app: Flask, make: Any) -> None:
    """module.html writes out learning/_offline.html (issue 19): the two must not drift apart."""
    learner = make.learner()
    client = browser(app)
    sign_in(client, learner.email)
    control = re.compile(r"<div data-offline-queue.*?Remove the saved copy</button></span></p>\n</div>", re.S)
    on_module = control.findall(client.get(MODULE).get_data(as_text=True))
    on_section = control.findall(client.get(SECTION).get_data(as_text=True))
    assert len(on_module) == 1
    assert on_module == on_section
