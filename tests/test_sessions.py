"""Sign-ins the server can end: old cookies, replayed in a new browser, are refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from induction.accounts.models import Role, UserSession
from induction.clock import frozen, utcnow
from induction.extensions import db

from .conftest import PASSWORD, AuthActions, FreshContextClient, csrf_from
from .forms import submit

SESSION = "session"
REMEMBER = "remember_token"


def browser(app: Flask) -> Any:
    app.test_client_class = FreshContextClient
    return app.test_client()


def sign_in(client: Any, email: str, password: str = PASSWORD, remember: bool = True) -> dict[str, str]:
    """Sign in with 'keep me signed in'; the cookies the browser then holds."""
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    response = submit(client, "/sign-in", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return cookies(client)


def cookies(client: Any) -> dict[str, str]:
    found = {}
    for name in (SESSION, REMEMBER):
        cookie = client.get_cookie(name)
        if cookie is not None:
            found[name] = cookie.value
    return found


def replay(app: Flask, saved: dict[str, str], *names: str) -> int:
    """Status of the home page for a new browser holding only the named saved cookies."""
    other = browser(app)
    for name in names:
        other.set_cookie(name, saved[name])
    return int(other.get("/").status_code)


def signed_in_with(app: Flask, saved: dict[str, str]) -> dict[str, int]:
    return {name: replay(app, saved, name) for name in (SESSION, REMEMBER)}


LIVE = {SESSION: 200, REMEMBER: 200}
DEAD = {SESSION: 302, REMEMBER: 302}


def test_saved_cookies_work_until_sign_out_and_are_refused_after(app: Flask, client: Any, make: Any) -> None:
    learner = make.learner()
    saved = sign_in(client, learner.email)
    assert set(saved) == {SESSION, REMEMBER}
    assert signed_in_with(app, saved) == LIVE
    assert AuthActions(client).sign_out().status_code == 302
    assert signed_in_with(app, saved) == DEAD
    assert replay(app, saved, SESSION, REMEMBER) == 302
    assert db.session.scalars(select(UserSession).where(UserSession.user_id == learner.id)).all() == []


def test_each_sign_in_gets_a_new_remember_cookie(app: Flask, make: Any) -> None:
    learner = make.learner()
    first = sign_in(browser(app), learner.email)
    second = sign_in(browser(app), learner.email)
    assert first[REMEMBER] != second[REMEMBER]
    assert learner.uuid not in first[REMEMBER] and str(learner.id) != first[REMEMBER].split("|")[0]
    assert signed_in_with(app, first) == LIVE and signed_in_with(app, second) == LIVE


def change_password(client: Any, new: str) -> Any:
    return submit(client, "/account/password", {"current": PASSWORD, "new": new, "confirm": new})


def test_a_password_change_ends_every_other_sign_in_and_keeps_this_one(app: Flask, make: Any) -> None:
    learner = make.learner()
    here, elsewhere = browser(app), browser(app)
    sign_in(here, learner.email)
    saved_elsewhere = sign_in(elsewhere, learner.email)
    response = change_password(here, "purple tractor lemon")
    assert response.status_code == 302
    assert "signed out everywhere else" in here.get("/", follow_redirects=True).get_data(as_text=True)
    assert here.get("/").status_code == 200
    assert signed_in_with(app, cookies(here)) == LIVE
    assert elsewhere.get("/").status_code == 302
    assert signed_in_with(app, saved_elsewhere) == DEAD


def test_switching_an_account_off_ends_its_sign_ins(app: Flask, make: Any) -> None:
    organisation = make.organisation()
    learner = make.learner(organisation, name="Sam Off", email="sam@example.org")
    admin_user = make.user(Role.ADMIN)
    saved = sign_in(browser(app), learner.email)
    admin = browser(app)
    sign_in(admin, admin_user.email)
    response = submit(
        admin,
        f"/admin/users/{learner.id}",
        {"name": "Sam Off", "email": "sam@example.org", "role": "learner", "organisation": organisation.id,
         "job_role": ""},
    )  # fmt: skip
    assert response.status_code == 302
    assert signed_in_with(app, saved) == DEAD
    assert db.session.scalars(select(UserSession).where(UserSession.user_id == learner.id)).all() == []


def test_an_account_switched_off_elsewhere_is_refused_at_once(app: Flask, make: Any) -> None:
    learner = make.learner()
    saved = sign_in(browser(app), learner.email)
    db.session.rollback()  # the test's own read transaction ends before it writes
    learner.active = False  # as any other path that switches an account off would
    db.session.commit()
    assert signed_in_with(app, saved) == DEAD


def test_an_admin_signs_someone_out_everywhere(app: Flask, make: Any) -> None:
    learner, admin_user = make.learner(), make.user(Role.ADMIN)
    phone, laptop = sign_in(browser(app), learner.email), sign_in(browser(app), learner.email, remember=False)
    admin = browser(app)
    sign_in(admin, admin_user.email)
    page = admin.get(f"/admin/users/{learner.id}").get_data(as_text=True)
    assert "signed in on 2 devices" in page
    assert f"/admin/users/{learner.id}/sign-out-everywhere" in page
    confirm = admin.get(f"/admin/users/{learner.id}/sign-out-everywhere")
    assert confirm.status_code == 200 and "Yes, sign out everywhere" in confirm.get_data(as_text=True)
    assert signed_in_with(app, phone) == LIVE  # nothing happens until the admin confirms
    done = admin.post(
        f"/admin/users/{learner.id}/sign-out-everywhere",
        data={"csrf_token": csrf_from(confirm.get_data(as_text=True)), "confirm": "yes"},
        follow_redirects=True,
    )
    assert "signed out on every device (2 sign-in(s) ended)" in done.get_data(as_text=True)
    assert signed_in_with(app, phone) == DEAD
    assert replay(app, laptop, SESSION) == 302
    assert admin.get("/admin/users").status_code == 200  # the admin's own sign-in is untouched
    assert sign_in(browser(app), learner.email)  # the password still works


def test_lower_roles_cannot_sign_others_out(app: Flask, client: Any, make: Any) -> None:
    organisation = make.organisation()
    learner, manager = make.learner(organisation), make.manager(organisation)
    sign_in(client, manager.email)
    assert client.get(f"/admin/users/{learner.id}/sign-out-everywhere").status_code == 403


@pytest.mark.parametrize(("remember", "idle", "alive"), [(False, 59, True), (False, 62, False), (True, 62, True)])
def test_the_idle_timeout_holds_on_the_server(app: Flask, make: Any, remember: bool, idle: int, alive: bool) -> None:
    learner = make.learner()
    saved = sign_in(browser(app), learner.email, remember=remember)
    app.config["PERMANENT_SESSION_LIFETIME"] = 60 * 60
    with frozen(utcnow() + timedelta(minutes=idle)):
        status = replay(app, saved, *saved)  # every cookie the browser had
    assert (status == 200) is alive


def test_a_remembered_sign_in_ends_after_the_remember_duration(app: Flask, make: Any) -> None:
    saved = sign_in(browser(app), make.learner().email)
    with frozen(utcnow() + timedelta(days=15)):
        assert replay(app, saved, REMEMBER) == 302


def test_last_use_is_written_at_most_once_a_minute(app: Flask, client: Any, make: Any) -> None:
    learner = make.learner()
    sign_in(client, learner.email)

    def last_seen() -> Any:
        db.session.rollback()  # a new read transaction sees what the requests wrote
        return db.session.scalar(select(UserSession.last_seen_at).where(UserSession.user_id == learner.id))

    start = last_seen()
    for _ in range(3):
        assert client.get("/").status_code == 200
    assert last_seen() == start
    later = utcnow() + timedelta(minutes=2)
    with frozen(later):
        assert client.get("/").status_code == 200
    assert last_seen() == later


def test_a_remembered_sign_in_lasts_past_the_request_that_restores_it(app: Flask, make: Any) -> None:
    """A browser that kept only the remember-me cookie (closed and opened again) is signed in by it,
    and stays signed in with the session cookie that request gives it."""
    saved = sign_in(browser(app), make.learner().email)
    other = browser(app)
    other.set_cookie(REMEMBER, saved[REMEMBER])
    assert [other.get("/").status_code for _ in range(3)] == [200, 200, 200]
    assert other.get_cookie(REMEMBER) is not None
