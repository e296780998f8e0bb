"""The organisation scope: one function decides, and every role gets only what it may see."""

from __future__ import annotations

from typing import Any

import pytest

from induction.accounts.models import Role
from induction.accounts.scope import learners_of, visible_learners, visible_memberships, visible_organisations
from induction.extensions import db


@pytest.fixture
def world(make: Any) -> dict[str, Any]:
    school = make.organisation("School", "education")
    club = make.organisation("Club", "sport and culture", ownership="voluntary")
    nursery = make.organisation("Nursery", "early years", ownership="private")
    return {
        "school": school,
        "club": club,
        "nursery": nursery,
        "manager": make.manager(school, club),
        "other": make.manager(nursery),
        "admin": make.user(Role.ADMIN),
        "trainer": make.user(Role.TRAINER),
        "pupil_helper": make.learner(school, name="In School"),
        "coach": make.learner(club, name="In Club"),
        "nurse": make.learner(nursery, name="In Nursery"),
    }


def names(query: Any) -> set[str]:
    return {row.name for row in db.session.scalars(query)}


def test_each_role_sees_its_own_organisations(world: dict[str, Any]) -> None:
    assert names(visible_organisations(world["manager"])) == {"School", "Club"}
    assert names(visible_organisations(world["other"])) == {"Nursery"}
    assert names(visible_organisations(world["admin"])) == {"School", "Club", "Nursery"}
    assert names(visible_organisations(world["trainer"])) == set()
    assert names(visible_organisations(world["coach"])) == {"Club"}


def test_each_role_sees_only_learners_in_scope(world: dict[str, Any]) -> None:
    assert names(visible_learners(world["manager"])) == {"In School", "In Club"}
    assert names(visible_learners(world["other"])) == {"In Nursery"}
    assert names(visible_learners(world["admin"])) == {"In School", "In Club", "In Nursery"}
    assert names(visible_learners(world["trainer"])) == set()
    assert names(visible_learners(world["coach"])) == {"In Club"}


def test_a_learner_in_two_organisations_is_in_the_scope_of_each(world: dict[str, Any]) -> None:
    from datetime import date

    from induction.content import catalogue
    from induction.plans import moves

    moves.add(world["pupil_helper"], world["nursery"], "Nursery assistant", date(2026, 12, 1), catalogue())
    db.session.commit()
    assert names(visible_learners(world["other"])) == {"In Nursery", "In School"}
    assert names(visible_learners(world["manager"])) == {"In School", "In Club"}  # once, not once per organisation
    assert names(visible_organisations(world["pupil_helper"])) == {"School", "Nursery"}
    parts = db.session.execute(visible_memberships(world["other"])).all()
    assert sorted((user.name, m.organisation_id) for user, m in parts) == sorted(
        [("In Nursery", world["nursery"].id), ("In School", world["nursery"].id)]
    )  # the Nursery's part of the School's learner, not the School's


def test_a_learner_who_moved_is_out_of_the_old_organisations_scope(world: dict[str, Any]) -> None:
    from datetime import date

    from induction.content import catalogue
    from induction.plans import moves

    moves.move(world["coach"], world["club"], world["nursery"], "Play worker", date(2026, 12, 1), catalogue())
    db.session.commit()
    assert names(visible_learners(world["manager"])) == {"In School"}
    assert names(visible_learners(world["other"])) == {"In Nursery", "In Club"}
    assert names(learners_of([world["club"].id])) == set()
    assert names(visible_organisations(world["coach"])) == {"Nursery"}


def test_a_manager_sees_only_their_organisations_in_reports(client: Any, auth: Any, world: dict[str, Any]) -> None:
    auth.sign_in(world["manager"])
    page = client.get("/manage/").get_data(as_text=True)
    assert "In School" in page
    assert "In Club" in page
    assert "In Nursery" not in page
    assert "Nursery" not in page


def test_another_organisation_answers_404(client: Any, auth: Any, world: dict[str, Any]) -> None:
    auth.sign_in(world["manager"])
    assert client.get(f"/manage/?organisation={world['nursery'].id}").status_code == 404
    assert client.get(f"/manage/?organisation={world['school'].id}").status_code == 200


@pytest.mark.parametrize("who", ["pupil_helper", "trainer"])
def test_lower_roles_cannot_open_reports(client: Any, auth: Any, world: dict[str, Any], who: str) -> None:
    auth.sign_in(world[who])
    assert client.get("/manage/").status_code == 403


def test_a_manager_of_nothing_sees_an_empty_state(client: Any, auth: Any, make: Any) -> None:
    auth.sign_in(make.manager())
    assert "You do not manage any organisations yet" in client.get("/manage/").get_data(as_text=True)
