"""`flask demo`: the data a new user signs in to see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from induction.accounts.models import Organisation, User
from induction.completion.models import Certificate
from induction.extensions import db

from .conftest import csrf_from
from .forms import submit


def test_demo_loads_people_progress_and_prints_the_sign_ins(runner: Any, client: Any, auth: Any) -> None:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    for email in (
        "admin@example.org",
        "trainer@example.org",
        "manager@example.org",
        "other.manager@example.org",
        "learner@example.org",
        "new.starter@example.org",
        "partnership@example.org",
    ):
        assert email in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 49
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 3
    assert db.session.scalar(select(func.count()).select_from(Certificate)) > 0
    assert auth.sign_in("learner@example.org", "induction-demo").status_code == 302
    assert "in progress" in client.get("/").get_data(as_text=True)
    auth.sign_out()
    auth.sign_in("manager@example.org", "induction-demo")
    report = client.get("/manage/").get_data(as_text=True)
    assert "Riverside Primary School" in report and "Northside Youth Project" in report
    assert "Little Acorns Day Nursery" not in report
    auth.sign_out()
    auth.sign_in("partnership@example.org", "induction-demo")
    figures = client.get("/partnership").get_data(as_text=True)
    assert "Little Acorns Day Nursery" in figures and "fewer than 5" in figures
    again = runner.invoke(args=["demo"])
    assert again.exit_code != 0 and "already has users" in again.output


def test_the_new_starter_has_nothing_done(runner: Any, client: Any, auth: Any) -> None:
    runner.invoke(args=["demo"])
    auth.sign_in("new.starter@example.org", "induction-demo")
    home = client.get("/").get_data(as_text=True)
    assert "not started" in home
    assert csrf_from(home)


def test_demo_is_refused_in_production(runner: Any, app: Any) -> None:
    app.config["ENV"] = "production"
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0 and "never loaded in production" in result.output


def test_create_admin_prints_a_link_that_sets_the_password(runner: Any, client: Any) -> None:
    result = runner.invoke(args=["create-admin", "chief@example.org", "--name", "Chief Admin"])
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1].replace("http://induction.test", "")
    done = submit(client, link, {"new": "tall green ladder", "confirm": "tall green ladder"})
    assert done.status_code == 302
    assert runner.invoke(args=["create-admin", "chief@example.org", "--name", "Again"]).exit_code != 0
