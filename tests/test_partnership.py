"""The partnership's read-only view: aggregate figures for member organisations only, counts under
five shown as "fewer than 5", no names, and the same figures as CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from induction.accounts.models import Organisation, Partnership, Role, User
from induction.clock import utcnow
from induction.content import catalogue
from induction.extensions import db
from induction.partnership.services import FEWER, shown
from induction.plans import status as learner_status

from .conftest import Factory
from .journey import complete_modules_at


def partnership_user(make: Factory, *members: Organisation) -> User:
    partnership = Partnership(name="Riverside Safeguarding Partnership", area="Riverside", organisations=list(members))
    db.session.add(partnership)
    db.session.commit()
    return make.user(Role.PARTNERSHIP, partnership_id=partnership.id)


def test_small_counts_are_shown_as_fewer_than_five() -> None:
    assert [shown(n) for n in (0, 1, 4, 5, 12)] == [FEWER, FEWER, FEWER, "5", "12"]


def test_the_partnership_sees_aggregates_of_its_members_and_no_names(client: Any, auth: Any, make: Factory) -> None:
    school = make.organisation("Riverside School", sector="education", ownership="statutory")
    club = make.organisation("Riverside Boxing Club", sector="sport and culture", ownership="voluntary")
    elsewhere = make.organisation("Hilltop Nursery", sector="early years", ownership="private")
    learners = [make.learner(school, name=f"Schoolperson {i}") for i in range(6)]
    learners += [make.learner(club, name="Clubperson One"), make.learner(elsewhere, name="Nurseryperson One")]
    for person in learners[:5]:
        complete_modules_at(person, utcnow() - timedelta(days=1))
    learner_status.refresh(learners, catalogue())
    db.session.commit()
    viewer = partnership_user(make, school, club)
    auth.sign_in(viewer)

    page = client.get("/partnership")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "Riverside School" in html and "Riverside Boxing Club" in html
    assert "Hilltop Nursery" not in html  # not a member
    assert "person" not in html.lower().replace("personal", "")  # no learner's name anywhere
    assert FEWER in html
    rows = list(csv.reader(io.StringIO(client.get("/partnership/export.csv").get_data(as_text=True))))
    header = rows[0]
    body = {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert body[("organisation", "Riverside School")]["learners"] == "6"
    assert body[("organisation", "Riverside School")]["completed"] == "5"
    assert body[("organisation", "Riverside School")]["not started"] == FEWER
    assert body[("organisation", "Riverside Boxing Club")]["learners"] == FEWER
    assert body[("sector", "Education")]["completed"] == "5"
    assert body[("ownership", "Voluntary")]["overdue"] == FEWER
    assert ("organisation", "Hilltop Nursery") not in body


def test_the_partnership_cannot_reach_people(client: Any, auth: Any, make: Factory) -> None:
    school = make.organisation()
    learner = make.learner(school)
    auth.sign_in(partnership_user(make, school))
    assert client.get("/").status_code == 302  # their home is the figures
    assert client.get(f"/manage/learners/{learner.id}").status_code in (403, 404)
    assert client.get("/manage/").status_code in (403, 404)
    assert client.get("/manage/export.csv").status_code in (403, 404)
    assert client.get("/training").status_code == 403


def test_others_cannot_read_the_partnership_figures(client: Any, auth: Any, make: Factory) -> None:
    school = make.organisation()
    auth.sign_in(make.manager(school))
    assert client.get("/partnership").status_code == 403
    assert client.get("/partnership/export.csv").status_code == 403


def test_a_partnership_without_members_says_so(client: Any, auth: Any, make: Factory) -> None:
    auth.sign_in(partnership_user(make))
    page = client.get("/partnership").get_data(as_text=True)
    assert "not linked to any member organisations" in page


def test_the_commands_set_up_a_partnership_and_its_sign_in(runner: Any, make: Factory) -> None:
    make.organisation("Riverside School")
    make.organisation("Riverside Boxing Club")
    refused = runner.invoke(args=["partnership", "set", "Riverside SCP", "--organisation", "Nowhere"])
    assert refused.exit_code != 0 and "No organisation is called: Nowhere" in refused.output
    made = runner.invoke(
        args=["partnership", "set", "Riverside SCP", "--organisation", "Riverside School",
              "--organisation", "Riverside Boxing Club"]
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    added = runner.invoke(
        args=["partnership", "add-user", "pat@example.org", "--name", "Pat", "--partnership", "Riverside SCP"]
    )
    assert added.exit_code == 0, added.output
    assert "/set-password/" in added.output
    user = db.session.scalars(select(User).where(User.email == "pat@example.org")).one()
    assert user.role == Role.PARTNERSHIP and user.partnership is not None
    assert [o.name for o in user.partnership.organisations] == ["Riverside Boxing Club", "Riverside School"]
