"""Signing in and out, passwords, and the bad inputs around them."""

from __future__ import annotations

from typing import Any

import pytest

from induction.accounts import invitations
from induction.accounts.models import Role
from induction.accounts.passwords import password_problem
from induction.extensions import db

from .conftest import PASSWORD, AuthActions
from .forms import submit


def test_sign_in_takes_a_learner_home(client: Any, auth: Any, make: Any) -> None:
    learner = make.learner(name="Ada Lovelace")
    response = auth.sign_in(learner)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Hello Ada Lovelace" in client.get("/").get_data(as_text=True)
    db.session.rollback()  # end the test's read transaction, to see what the request wrote
    db.session.refresh(learner)
    assert learner.last_sign_in_at is not None


def test_wrong_password_and_unknown_user_get_the_same_clear_message(client: Any, auth: Any, make: Any) -> None:
    learner = make.learner()
    for response in (auth.sign_in(learner, "wrong password here"), auth.sign_in("nobody@example.org")):
        assert response.status_code == 401
        assert "The e-mail address or password is not right." in response.get_data(as_text=True)


def test_a_switched_off_account_cannot_sign_in(auth: Any, make: Any) -> None:
    learner = make.learner(active=False)
    response = auth.sign_in(learner)
    assert response.status_code == 401
    assert "This account is switched off" in response.get_data(as_text=True)


def test_pages_need_sign_in(client: Any) -> None:
    response = client.get("/modules/first-steps")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


def test_next_only_goes_to_this_site(client: Any, make: Any) -> None:
    learner = make.learner()
    response = submit(client, "/sign-in?next=//evil.example/", {"email": learner.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_a_form_without_csrf_token_is_refused(client: Any, make: Any) -> None:
    learner = make.learner()
    response = client.post("/sign-in", data={"email": learner.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "The form had expired or was not sent from this site" in response.get_data(as_text=True)


def test_sign_out_needs_a_post_with_csrf(client: Any, auth: Any, make: Any) -> None:
    auth.sign_in(make.learner())
    assert client.get("/sign-out").status_code == 405
    assert client.post("/sign-out").status_code == 400
    assert auth.sign_out().status_code == 302
    assert client.get("/").status_code == 302


def test_the_session_is_new_after_sign_in(client: Any, auth: Any, make: Any) -> None:
    client.get("/sign-in")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    auth.sign_in(make.learner())
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.permanent


class TestRateLimit:
    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {"SIGN_IN_LIMIT": "3 per minute"}

    def test_too_many_attempts_on_one_account_are_refused(self, auth: Any, make: Any) -> None:
        learner = make.learner()
        statuses = [auth.sign_in(learner, "wrong password here").status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        response = auth.sign_in(learner)
        assert response.status_code == 429
        assert "Wait a few minutes" in response.get_data(as_text=True)


class TestProduction:
    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {"ALLOW_DEMO_SIGN_INS": False}

    def test_demo_accounts_are_refused(self, auth: Any, make: Any) -> None:
        learner = make.learner(demo=True)
        response = auth.sign_in(learner)
        assert response.status_code == 401
        assert "Demo accounts cannot sign in" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 10 characters"),
        ("password123", "too common"),
        ("qwertyuiop", "too common"),
        ("x" * 129, "at most 128"),
        ("jane.doe-is-me", "e-mail address"),
        ("purple tractor lemon", None),
        ("alllowercaseisfine", None),
    ],
)
def test_password_rules_follow_length_not_composition(password: str, problem: str | None) -> None:
    found = password_problem(password, "jane.doe@example.org")
    assert (found is None) if problem is None else (problem in (found or ""))


def test_change_password(client: Any, auth: Any, make: Any) -> None:
    learner = make.learner()
    auth.sign_in(learner)
    new = {"new": "purple tractor lemon", "confirm": "purple tractor lemon"}
    bad = submit(client, "/account/password", {"current": "not it at all", **new})
    assert bad.status_code == 400
    assert "Your current password is not right." in bad.get_data(as_text=True)
    weak = submit(client, "/account/password", {"current": PASSWORD, "new": "password123", "confirm": "password123"})
    assert weak.status_code == 400
    assert "too common" in weak.get_data(as_text=True)
    good = submit(client, "/account/password", {"current": PASSWORD, **new})
    assert good.status_code == 302
    auth.sign_out()
    assert auth.sign_in(learner, PASSWORD).status_code == 401
    assert auth.sign_in(learner, "purple tractor lemon").status_code == 302


def test_roles_are_stored_as_their_names(make: Any) -> None:
    manager = make.manager(make.organisation())
    db.session.refresh(manager)
    assert manager.role == "manager"
    assert manager.has_role(Role.MANAGER)
    assert not manager.has_role(Role.ADMIN)


def test_a_set_password_link_dies_when_a_newer_one_is_sent_and_when_used(client: Any, auth: Any, make: Any) -> None:
    learner = make.learner(email="new.starter@example.org")
    learner.password_hash = None
    older = invitations.link_for(learner).removeprefix("http://induction.test")
    newer = invitations.link_for(learner).removeprefix("http://induction.test")
    db.session.commit()
    replaced = client.get(older)
    assert replaced.status_code == 400
    assert "a newer one has been sent" in replaced.get_data(as_text=True)
    response = submit(client, newer, {"new": "river stone lantern", "confirm": "river stone lantern"})
    assert response.status_code == 302
    for link in (newer, older):
        used = client.get(link)
        assert used.status_code == 400 and "already been used" in used.get_data(as_text=True)
    assert client.post(newer, data={"new": "x", "confirm": "x"}).status_code == 400
    assert auth.sign_in(learner.email, "river stone lantern").status_code == 302


def test_setting_a_password_from_a_link_ends_the_accounts_sign_ins(app: Any, client: Any, make: Any) -> None:
    learner = make.learner()
    link = invitations.link_for(learner).removeprefix("http://induction.test")
    db.session.commit()
    other = app.test_client()
    AuthActions(other).sign_in(learner)
    assert other.get("/").status_code == 200
    assert submit(client, link, {"new": "river stone lantern", "confirm": "river stone lantern"}).status_code == 302
    assert other.get("/").status_code == 302


class TestForgotPassword:
    """Self-service "Forgot your password?", through a real SMTP server on loopback."""

    @pytest.fixture
    def app_config(self, mailbox: Any) -> dict[str, Any]:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": mailbox.port}

    @staticmethod
    def ask(client: Any, email: str) -> Any:
        return submit(client, "/forgot-password", {"email": email})

    @staticmethod
    def link_in(mailbox: Any, email: str) -> str:
        import re

        from .mailbox import Mailbox

        found = re.search(r"http://induction\.test(/set-password/\S+)", Mailbox.body(mailbox.to(email)[-1]))
        assert found
        return found.group(1)

    def test_the_sign_in_page_offers_it(self, client: Any) -> None:
        assert 'href="/forgot-password"' in client.get("/sign-in").get_data(as_text=True)

    def test_the_answer_is_the_same_whether_the_address_has_an_account(
        self, client: Any, make: Any, mailbox: Any
    ) -> None:
        make.learner(email="known@example.org")
        known = self.ask(client, "Known@Example.org ")
        unknown = self.ask(client, "nobody@example.org")
        assert known.status_code == unknown.status_code == 200
        known_page = known.get_data(as_text=True).replace("Known@Example.org", "X")
        assert known_page == unknown.get_data(as_text=True).replace("nobody@example.org", "X")
        assert [m["To"] for m in mailbox.messages] == ["known@example.org"]

    def test_the_link_sets_a_new_password_once(self, client: Any, auth: Any, make: Any, mailbox: Any) -> None:
        learner = make.learner(email="forgetful@example.org")
        self.ask(client, learner.email)
        link = self.link_in(mailbox, learner.email)
        new = "quiet harbour window"
        assert submit(client, link, {"new": new, "confirm": new}).status_code == 302
        used = client.get(link)
        assert used.status_code == 400 and "already been used" in used.get_data(as_text=True)
        assert auth.sign_in(learner.email, PASSWORD).status_code == 401
        assert auth.sign_in(learner.email, new).status_code == 302

    def test_a_newer_link_replaces_the_older_and_a_link_lasts_an_hour(
        self, client: Any, make: Any, mailbox: Any
    ) -> None:
        from datetime import timedelta

        from induction.clock import frozen, utcnow

        learner = make.learner(email="twice@example.org")
        self.ask(client, learner.email)
        older = self.link_in(mailbox, learner.email)
        self.ask(client, learner.email)
        newer = self.link_in(mailbox, learner.email)
        assert client.get(older).status_code == 400
        assert client.get(newer).status_code == 200
        with frozen(utcnow() + timedelta(minutes=61)):
            expired = client.get(newer)
        assert expired.status_code == 400 and "worked for an hour" in expired.get_data(as_text=True)

    def test_switched_off_accounts_get_no_email(self, client: Any, make: Any, mailbox: Any) -> None:
        make.learner(email="gone@example.org", active=False)
        assert self.ask(client, "gone@example.org").status_code == 200
        assert mailbox.messages == []

    def test_a_bad_address_is_named_and_nothing_is_sent(self, client: Any, mailbox: Any) -> None:
        response = self.ask(client, "not an address")
        assert response.status_code == 400
        assert "Enter a valid e-mail address." in response.get_data(as_text=True)
        assert mailbox.messages == []

    def test_asking_too_often_for_one_address_is_refused(self, client: Any, make: Any, mailbox: Any) -> None:
        make.learner(email="busy@example.org")
        statuses = [self.ask(client, "busy@example.org").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert len(mailbox.to("busy@example.org")) == 3
        assert self.ask(client, "someone.else@example.org").status_code == 200

    def test_the_limits_are_counted_in_the_database_for_every_worker(
        self, app: Any, client: Any, make: Any, mailbox: Any
    ) -> None:
        from induction.extensions import limiter

        make.learner(email="busy@example.org")
        for _ in range(3):
            assert self.ask(client, "busy@example.org").status_code == 200
            limiter.reset()  # nothing kept in this worker's memory: as if each went to another worker
        refused = self.ask(client, "busy@example.org")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "900"
        assert "Too many links have been asked for recently" in refused.get_data(as_text=True)
        assert len(mailbox.to("busy@example.org")) == 3
        app.config["SIGN_IN_LIMIT"] = "2 per 5 minutes"  # the limit per address asking, across addresses asked about
        assert self.ask(client, "a@example.org").status_code == 429  # 3 let through from here already
