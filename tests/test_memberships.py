"""A learner in several organisations, and moving between them (issue 17): the Common Core travels with
the person, each organisation's items start afresh, each manager sees only their organisations' part."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from induction import clock
from induction.accounts.models import Membership, Role
from induction.accounts.organisations import organisations_of
from induction.content import catalogue
from induction.extensions import db
from induction.learning.models import LearnerStatus, ModuleProgress
from induction.plans import moves
from induction.plans.models import InductionItem, InductionPlan, ItemProgress
from induction.privacy.models import AuditEntry

from .conftest import Factory, csrf_from
from .forms import submit
from .journey import complete_modules_at


def items(organisation: Any, *titles: str, job_role: str | None = None) -> list[InductionItem]:
    made = [InductionItem(organisation_id=organisation.id, title=t, job_role=job_role) for t in titles]
    db.session.add_all(made)
    db.session.commit()
    return made


def sign_off(learner: Any, item: InductionItem, by: Any) -> None:
    from induction.plans import services as plans

    plans.sign_off_item(by, learner, item, catalogue())
    db.session.commit()


def send_change(client: Any, learner: Any, **fields: Any) -> Any:
    """Send the learner's organisations form (a job role and a start date unless given); the answer.
    With confirm="yes", as from the confirmation page: with the state that page carries, unless given."""
    form = {"job_role": "Teaching assistant", "started_on": "2026-12-01", **fields}
    url = f"/manage/learners/{learner.id}/organisations"
    if form.get("confirm") == "yes" and "state" not in form:
        shown = submit(client, url, {k: v for k, v in form.items() if k != "confirm"}).get_data(as_text=True)
        form.update(dict(re.findall(r'name="(state)" value="([^"]*)"', shown)))
    return submit(client, url, form)


def confirmation(client: Any, learner: Any, **fields: Any) -> dict[str, str]:
    """The form of the confirmation page for this change, as its button sends it."""
    shown = send_change(client, learner, **fields)
    assert shown.status_code == 200, shown.data
    html = shown.get_data(as_text=True)
    form = html[html.index('<form method="post" action="/manage/learners/') :]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def current(learner: Any) -> set[int]:
    db.session.expire_all()
    return set(
        db.session.scalars(
            select(Membership.organisation_id).where(Membership.user_id == learner.id, Membership.left_at.is_(None))
        )
    )


@pytest.fixture
def schools(make: Factory) -> dict[str, Any]:
    old = make.organisation("Hillside Primary")
    new = make.organisation("Brook Lane Primary", induction_weeks=6)
    club = make.organisation("Riverside Football Club", "sport and culture", ownership="voluntary")
    learner = make.learner(old, name="Jo Hillside", job_role="Teaching assistant")
    return {
        "old": old,
        "new": new,
        "club": club,
        "learner": learner,
        "both": make.manager(old, new, name="Head of Trust"),
        "old_manager": make.manager(old, name="Hillside Head"),
        "new_manager": make.manager(new, name="Brook Lane Head"),
        "club_manager": make.manager(club, name="Club Secretary"),
    }


def test_every_learner_has_one_current_membership_in_their_organisation(schools: dict[str, Any]) -> None:
    learner = schools["learner"]
    assert current(learner) == {schools["old"].id}
    assert organisations_of(learner) == [schools["old"].id]
    membership = db.session.scalar(select(Membership).where(Membership.user_id == learner.id))
    assert membership is not None and membership.job_role == "Teaching assistant"


def test_moving_keeps_the_common_core_and_starts_the_items_afresh(
    client: Any, auth: Any, schools: dict[str, Any]
) -> None:
    learner, old, new = schools["learner"], schools["old"], schools["new"]
    (fire,) = items(old, "Fire drill")
    (phonics,) = items(new, "Phonics training")
    complete_modules_at(learner, datetime(2026, 11, 2, 10, 0))
    sign_off(learner, fire, schools["old_manager"])

    def modules() -> set[tuple[str, str, datetime | None, datetime | None]]:
        db.session.expire_all()
        return {
            (r.module_slug, r.state, r.completed_at, r.expires_at)
            for r in db.session.scalars(select(ModuleProgress).where(ModuleProgress.user_id == learner.id))
        }

    before = modules()
    assert len(before) == 2 and all(state == "completed" for _, state, _, _ in before)
    assert any(expires is not None for _, _, _, expires in before)  # the refresher module's date

    auth.sign_in(schools["both"])
    move = {"change": "move", "leaving": old.id, "to": new.id}
    confirm = send_change(client, learner, **move)
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "What travels with them" in text and "What starts afresh" in text
    assert "Phonics training" not in text and "1, none of them done yet" in text
    assert current(learner) == {old.id}  # nothing changes before the confirmation

    done = send_change(client, learner, **move, confirm="yes")
    assert done.status_code == 302
    assert current(learner) == {new.id}
    # The Common Core travelled: the same completions and refresher dates.
    assert modules() == before
    # The new organisation's items start afresh; the old sign-off stays in the record.
    assert db.session.get(ItemProgress, (learner.id, phonics.id)) is None
    kept = db.session.get(ItemProgress, (learner.id, fire.id))
    assert kept is not None and kept.signed_off_at is not None
    status = db.session.scalars(select(LearnerStatus).where(LearnerStatus.user_id == learner.id)).all()
    assert [(s.organisation_id, s.status, s.modules_done, s.items_done, s.items_total) for s in status] == [
        (new.id, "in progress", 2, 0, 1)
    ]
    # History: the old membership is kept with its end; the main organisation is the new one.
    ended = db.session.scalar(
        select(Membership).where(Membership.user_id == learner.id, Membership.left_at.is_not(None))
    )
    assert ended is not None and ended.organisation_id == old.id
    assert learner.organisation_id == new.id and learner.start_date == date(2026, 12, 1)
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.subject_id == learner.id, AuditEntry.action == "moved between organisations"
        )
    )
    assert entry is not None and entry.detail == "from Hillside Primary to Brook Lane Primary as Teaching assistant"
    # The manager of both sees the move in the record of learning, and the time at Hillside.
    page = client.get(f"/manage/learners/{learner.id}").get_data(as_text=True)
    assert "Left Hillside Primary" in page and "Joined Brook Lane Primary as Teaching assistant" in page
    assert "Item signed off: Fire drill" in page and "Phonics training" in page
    history = client.get(f"/manage/learners/{learner.id}/organisations").get_data(as_text=True)
    assert "Where they were before" in history and "Hillside Primary" in history
    auth.sign_out()
    # Brook Lane's own manager sees Brook Lane's part only.
    auth.sign_in(schools["new_manager"])
    page = client.get(f"/manage/learners/{learner.id}").get_data(as_text=True)
    assert "Phonics training" in page and "Joined Brook Lane Primary" in page
    assert "Fire drill" not in page and "Hillside Primary" not in page


def test_after_a_move_the_old_manager_no_longer_sees_the_learner(
    client: Any, auth: Any, schools: dict[str, Any]
) -> None:
    learner, old, new = schools["learner"], schools["old"], schools["new"]
    moves.move(learner, old, new, "Teaching assistant", date(2026, 12, 1), catalogue())
    db.session.commit()
    auth.sign_in(schools["old_manager"])
    assert client.get(f"/manage/learners/{learner.id}").status_code == 404
    assert "Jo Hillside" not in client.get("/manage/").get_data(as_text=True)
    auth.sign_out()
    auth.sign_in(schools["new_manager"])
    assert client.get(f"/manage/learners/{learner.id}").status_code == 200
    assert "Jo Hillside" in client.get("/manage/").get_data(as_text=True)


def test_a_learner_in_two_organisations_shows_each_manager_their_own_part(
    client: Any, auth: Any, schools: dict[str, Any]
) -> None:
    learner, old, club = schools["learner"], schools["old"], schools["club"]
    (fire,) = items(old, "Fire drill")
    items(club, "Pitch-side first aid", "Kit room rules")
    sign_off(learner, fire, schools["old_manager"])
    moves.add(learner, club, "Coach", date(2026, 12, 1), catalogue())
    db.session.commit()
    assert set(organisations_of(learner)) == {old.id, club.id} and organisations_of(learner)[0] == old.id

    auth.sign_in(schools["old_manager"])
    page = client.get(f"/manage/learners/{learner.id}").get_data(as_text=True)
    assert "Fire drill" in page and "Pitch-side first aid" not in page and "Riverside" not in page
    report = client.get("/manage/").get_data(as_text=True)
    assert "1 of 1" in report and "Riverside" not in report  # Hillside's item, signed off
    auth.sign_out()

    auth.sign_in(schools["club_manager"])
    page = client.get(f"/manage/learners/{learner.id}").get_data(as_text=True)
    assert "Pitch-side first aid" in page and "Fire drill" not in page and "Hillside Primary" not in page
    report = client.get("/manage/").get_data(as_text=True)
    assert "0 of 2" in report and "Coach" in report and "Hillside Primary" not in report
    export = client.get("/manage/export.csv").get_data(as_text=True)
    assert "Riverside Football Club" in export and "Hillside Primary" not in export
    # The club's sign-off of Hillside's item is refused: not its item.
    assert client.get(f"/manage/learners/{learner.id}/items/{fire.id}/sign-off").status_code == 404


def test_a_manager_of_both_sees_one_row_for_each_organisation(
    client: Any, auth: Any, make: Factory, schools: dict[str, Any]
) -> None:
    learner, new = schools["learner"], schools["new"]
    items(new, "Phonics training")
    moves.add(learner, new, "Reading support", date(2026, 12, 1), catalogue())
    db.session.commit()
    auth.sign_in(schools["both"])
    report = client.get("/manage/").get_data(as_text=True)
    assert report.count(f'id="learner-{learner.id}-') == 2
    assert "Reading support" in report and "Teaching assistant" in report
    page = client.get(f"/manage/learners/{learner.id}").get_data(as_text=True)
    assert "Brook Lane Primary: organisation and role items" in page
    assert "Hillside Primary: organisation and role items" in page


def test_the_learner_sees_their_modules_once_and_each_organisations_items(
    client: Any, auth: Any, schools: dict[str, Any]
) -> None:
    learner, old, club = schools["learner"], schools["old"], schools["club"]
    items(old, "Fire drill")
    items(club, "Pitch-side first aid")
    moves.add(learner, club, "Coach", date(2026, 12, 1), catalogue())
    db.session.commit()
    auth.sign_in(learner)
    home = client.get("/").get_data(as_text=True)
    assert home.count('<h3><a href="/modules/first-steps">') == 1  # the modules once
    assert "Hillside Primary" in home and "Riverside Football Club" in home
    plan = client.get("/plan").get_data(as_text=True)
    assert "Fire drill" in plan and "Pitch-side first aid" in plan
    (aid,) = db.session.scalars(select(InductionItem).where(InductionItem.title == "Pitch-side first aid")).all()
    marked = client.post(f"/plan/items/{aid.id}/done", data={"csrf_token": csrf_from(plan)})
    assert marked.status_code == 302


def test_a_manager_cannot_move_a_learner_out_of_scope(client: Any, auth: Any, schools: dict[str, Any]) -> None:
    learner, old, new, club = schools["learner"], schools["old"], schools["new"], schools["club"]
    auth.sign_in(schools["club_manager"])
    # Not their learner: 404, whatever the form says.
    assert client.get(f"/manage/learners/{learner.id}/organisations").status_code == 404
    answer = submit(
        client,
        f"/manage/learners/{learner.id}/organisations",
        {"change": "move", "leaving": old.id, "to": club.id, "job_role": "Coach", "started_on": "2026-12-01",
         "confirm": "yes"},
        form_url="/manage/",
    )  # fmt: skip
    assert answer.status_code == 404
    auth.sign_out()
    # Their learner, into an organisation they do not manage: 404, nothing stored.
    auth.sign_in(schools["old_manager"])
    assert send_change(client, learner, change="move", leaving=old.id, to=club.id, confirm="yes").status_code == 404
    assert send_change(client, learner, change="add", to=new.id, confirm="yes").status_code == 404
    assert current(learner) == {old.id}
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"change": "move", "leaving": "", "to": "new"}, "Choose the organisation they leave."),
        ({"change": "move", "leaving": "old", "to": ""}, "Choose the organisation they join."),
        (
            {"change": "move", "leaving": "old", "to": "old"},
            "Choose an organisation other than the one they are leaving.",
        ),
        ({"change": "add", "to": "new", "job_role": ""}, "Enter their job role in the organisation they join."),
        ({"change": "add", "to": "new", "job_role": "x" * 121}, "Field cannot be longer than 120 characters."),
        ({"change": "add", "to": "new", "started_on": "31/02/2027"}, "Enter the day they start there as a date."),
        ({"change": "sideways", "to": "new"}, "Not a valid choice"),
        ({"change": "add", "to": "not-a-number"}, "Choose the organisation they join from the list."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_stores_nothing(
    client: Any, auth: Any, schools: dict[str, Any], fields: dict[str, str], message: str
) -> None:
    learner = schools["learner"]
    ids = {"old": str(schools["old"].id), "new": str(schools["new"].id)}
    auth.sign_in(schools["both"])
    answer = send_change(client, learner, **{k: ids.get(v, v) for k, v in fields.items()}, confirm="yes")
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    assert current(learner) == {schools["old"].id}


def test_moving_into_an_organisation_they_are_in_already_is_refused(
    client: Any, auth: Any, schools: dict[str, Any]
) -> None:
    learner, old, new = schools["learner"], schools["old"], schools["new"]
    moves.add(learner, new, "Reading support", date(2026, 12, 1), catalogue())
    db.session.commit()
    with pytest.raises(moves.MoveError, match="already in Brook Lane Primary"):
        moves.move(learner, old, new, "Teaching assistant", date(2026, 12, 1), catalogue())
    db.session.rollback()
    auth.sign_in(schools["both"])
    page = client.get(f"/manage/learners/{learner.id}/organisations").get_data(as_text=True)
    assert "already in every organisation you manage" in page


def test_a_move_from_the_main_organisation_drops_the_old_plan(schools: dict[str, Any]) -> None:
    learner, old, new = schools["learner"], schools["old"], schools["new"]
    db.session.add(InductionPlan(user_id=learner.id, due_date=date(2027, 1, 31), due_reason="part-time"))
    db.session.commit()
    moves.move(learner, old, new, "Teaching assistant", date(2026, 12, 1), catalogue())
    db.session.commit()
    assert db.session.scalar(select(InductionPlan).where(InductionPlan.user_id == learner.id)) is None
    row = db.session.scalar(select(LearnerStatus).where(LearnerStatus.user_id == learner.id))
    assert row is not None and row.due_date == date(2027, 1, 12)  # six weeks from the start at Brook Lane


def test_an_admin_editing_the_main_organisation_moves_the_learner(make: Factory, schools: dict[str, Any]) -> None:
    learner, old, club = schools["learner"], schools["old"], schools["club"]
    learner.organisation_id = club.id
    learner.job_role = "Coach"
    db.session.commit()
    assert current(learner) == {club.id}
    ended = db.session.scalar(select(Membership).where(Membership.organisation_id == old.id))
    assert ended is not None and ended.left_at is not None
    learner.role = Role.MANAGER.value  # no longer a learner: their memberships end
    db.session.commit()
    assert current(learner) == set()


def test_an_admin_moves_anyone_from_the_admin_pages(
    client: Any, auth: Any, make: Factory, schools: dict[str, Any]
) -> None:
    learner, old, club = schools["learner"], schools["old"], schools["club"]
    admin = make.user(Role.ADMIN)
    auth.sign_in(admin)
    person = client.get(f"/admin/users/{learner.id}").get_data(as_text=True)
    assert f"/manage/learners/{learner.id}/organisations" in person
    moved = send_change(client, learner, change="move", leaving=old.id, to=club.id, job_role="Coach", confirm="yes")
    assert moved.status_code == 302
    assert current(learner) == {club.id}


def test_ten_identical_moves_at_once_make_one_membership(make: Factory, served: str, schools: dict[str, Any]) -> None:
    from .concurrency import Visitor, no_server_errors

    learner, old, new = schools["learner"], schools["old"], schools["new"]
    office = Visitor(served)
    office.sign_in(schools["both"].email)
    token = office.token(f"/manage/learners/{learner.id}/organisations")
    form = {"csrf_token": token, "change": "move", "leaving": old.id, "to": new.id, "job_role": "Teaching assistant",
            "started_on": "2026-12-01", "confirm": "yes"}  # fmt: skip
    form["state"] = _state(office, learner, form)
    answers = office.together("POST", f"/manage/learners/{learner.id}/organisations", data=form)
    no_server_errors(answers)
    # One confirmation, used once: the first makes the move, the others are told it was made.
    codes = sorted(a.status_code for a in answers)
    assert codes == [302] + [409] * 9, [a.text[-3000:] for a in answers if a.status_code not in (302, 409)][:1]
    assert all(USED in a.text for a in answers if a.status_code == 409)
    db.session.expire_all()
    rows = db.session.scalars(select(Membership).where(Membership.user_id == learner.id)).all()
    assert sorted((m.organisation_id, m.left_at is None) for m in rows) == sorted([(old.id, False), (new.id, True)])
    moved = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "moved between organisations")
    )
    assert moved == 1


def test_ten_identical_additions_at_once_make_one_membership(
    make: Factory, served: str, schools: dict[str, Any]
) -> None:
    from .concurrency import Visitor, no_server_errors

    learner, club = schools["learner"], schools["club"]
    admin = make.user(Role.ADMIN)
    office = Visitor(served)
    office.sign_in(admin.email)
    token = office.token(f"/manage/learners/{learner.id}/organisations")
    form = {"csrf_token": token, "change": "add", "to": club.id, "job_role": "Coach", "started_on": "2026-12-01",
            "confirm": "yes"}  # fmt: skip
    form["state"] = _state(office, learner, form)
    answers = office.together("POST", f"/manage/learners/{learner.id}/organisations", data=form)
    no_server_errors(answers)
    assert sorted(a.status_code for a in answers) == [302] + [409] * 9
    db.session.expire_all()
    assert current(learner) == {schools["old"].id, club.id}
    assert (
        db.session.scalar(select(func.count()).select_from(Membership).where(Membership.organisation_id == club.id))
        == 1
    )


def _state(office: Any, learner: Any, form: dict[str, Any]) -> str:
    """The state the confirmation page for `form` carries, as the office's browser is shown it."""
    shown = {k: v for k, v in form.items() if k != "confirm"}
    page = office.session.post(f"{office.base}/manage/learners/{learner.id}/organisations", data=shown, timeout=60)
    found = re.search(r'name="state" value="([0-9a-f]{16})"', page.text)
    assert page.status_code == 200 and found, page.text[-2000:]
    return found.group(1)


USED = "This change was already made or the learner&#39;s organisations changed since you confirmed"


def test_a_confirmation_sent_again_after_a_move_back_changes_nothing(
    client: Any, auth: Any, schools: dict[str, Any]
) -> None:
    learner, old, new = schools["learner"], schools["old"], schools["new"]
    auth.sign_in(schools["both"])
    url = f"/manage/learners/{learner.id}/organisations"
    there = confirmation(client, learner, change="move", leaving=old.id, to=new.id)
    assert there["state"] and there["confirm"] == "yes"
    assert client.post(url, data=there).status_code == 302
    assert current(learner) == {new.id}
    # Sent twice (a double click): refused, nothing stored.
    again = client.post(url, data=there)
    assert again.status_code == 409 and USED in again.get_data(as_text=True)
    # Moved back, then the first confirmation replayed (the browser's history, a resent form).
    assert send_change(client, learner, change="move", leaving=new.id, to=old.id, confirm="yes").status_code == 302
    assert current(learner) == {old.id}

    def stored() -> tuple[list[tuple[int, bool]], int]:
        db.session.expire_all()
        rows = db.session.scalars(select(Membership).where(Membership.user_id == learner.id).order_by(Membership.id))
        moved = select(func.count()).select_from(AuditEntry).where(AuditEntry.subject_id == learner.id)
        return [(m.organisation_id, m.left_at is None) for m in rows], db.session.scalar(moved) or 0

    before = stored()
    replayed = client.post(url, data=there)
    assert replayed.status_code == 409
    page = replayed.get_data(as_text=True)
    assert USED in page and "check the learner&#39;s page" in page
    assert stored() == before and current(learner) == {old.id}


def test_a_confirmation_without_its_state_is_refused(client: Any, auth: Any, schools: dict[str, Any]) -> None:
    learner, old, new = schools["learner"], schools["old"], schools["new"]
    auth.sign_in(schools["both"])
    shown = confirmation(client, learner, change="add", to=new.id)
    for state in ("", "not-a-state"):
        answer = client.post(f"/manage/learners/{learner.id}/organisations", data={**shown, "state": state})
        assert answer.status_code == 400
        assert "Confirm the change on its confirmation page" in answer.get_data(as_text=True)
        assert current(learner) == {old.id}
    # Its own state, unchanged: the addition is made.
    assert client.post(f"/manage/learners/{learner.id}/organisations", data=shown).status_code == 302
    assert current(learner) == {old.id, new.id}


def test_the_database_refuses_a_second_current_membership(schools: dict[str, Any]) -> None:
    from sqlalchemy.exc import IntegrityError

    learner, old = schools["learner"], schools["old"]
    db.session.add(Membership(user_id=learner.id, organisation_id=old.id, job_role="Again", joined_at=clock.utcnow()))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_reports_make_the_same_queries_with_learners_in_several_organisations(
    client: Any, auth: Any, make: Factory, schools: dict[str, Any], count_queries: Any
) -> None:
    old, new = schools["old"], schools["new"]
    auth.sign_in(schools["both"])
    client.get("/manage/")
    count_queries.statements.clear()
    client.get("/manage/")
    few = count_queries.count
    shared = []
    for number in range(6):
        shared.append(make.learner(old, name=f"Shared {number}", job_role="Teaching assistant"))
        moves.add(shared[-1], new, "Reading support", date(2026, 12, 1), catalogue())
    db.session.commit()
    first = shared[0].id
    client.get("/manage/")  # the first view after learners are added straight to the database
    count_queries.statements.clear()
    page = client.get("/manage/")
    assert page.status_code == 200 and page.get_data(as_text=True).count(f'id="learner-{first}-') == 2
    assert count_queries.count == few, count_queries.statements


def test_the_migration_gives_each_learner_a_membership_and_keeps_their_status(tmp_path: Any) -> None:
    """Upgrade a database holding learners from before memberships, then downgrade it again."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from .conftest import make_app

    other = make_app(f"sqlite:///{tmp_path / 'before.db'}")
    with other.app_context():
        upgrade(revision="d6f8b0c2e4a3")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO organisations (id, name, sector, ownership, induction_weeks, created_at) VALUES "
                    "(1, 'Hillside Primary', 'education', 'statutory', 12, '2026-01-01 00:00:00')"
                )
            )
            for number, (role, organisation) in enumerate([("learner", 1), ("learner", None), ("manager", None)], 1):
                conn.execute(
                    text(
                        "INSERT INTO users (id, uuid, email, name, role, organisation_id, job_role, start_date, "
                        "active, demo, created_at) VALUES (:id, :uuid, :email, 'Someone', :role, :organisation, "
                        "'Teaching assistant', '2026-09-01', 1, 0, '2026-08-20 09:00:00')"
                    ),
                    {"id": number, "uuid": f"uuid-{number}", "email": f"p{number}@example.org", "role": role,
                     "organisation": organisation},
                )  # fmt: skip
            conn.execute(
                text(
                    "INSERT INTO learner_status (user_id, status, modules_done, items_done, items_total, due_date) "
                    "VALUES (1, 'in progress', 1, 2, 3, '2026-11-24'), (2, 'not started', 0, 0, 0, NULL)"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            memberships = conn.execute(
                text("SELECT user_id, organisation_id, job_role, started_on, left_at FROM memberships")
            ).all()
            assert [tuple(m) for m in memberships] == [(1, 1, "Teaching assistant", "2026-09-01", None)]
            status = conn.execute(
                text("SELECT user_id, organisation_id, status, modules_done, items_done, due_date FROM learner_status")
            ).all()
            assert [tuple(s) for s in status] == [(1, 1, "in progress", 1, 2, "2026-11-24")]
        downgrade(revision="d6f8b0c2e4a3")
        with db.engine.connect() as conn:
            status = conn.execute(text("SELECT user_id, status, items_done FROM learner_status")).all()
            assert [tuple(s) for s in status] == [(1, "in progress", 2)]
        db.engine.dispose()


def test_the_learners_own_data_lists_every_organisation_they_have_been_in(
    client: Any, auth: Any, schools: dict[str, Any]
) -> None:
    learner, old, new, club = schools["learner"], schools["old"], schools["new"], schools["club"]
    moves.add(learner, club, "Coach", date(2026, 12, 1), catalogue())
    moves.move(learner, old, new, "Teaching assistant", date(2026, 12, 1), catalogue())
    db.session.commit()
    auth.sign_in(learner)
    page = client.get("/account/data").get_data(as_text=True)
    assert "Riverside Football Club, Coach" in page and "Brook Lane Primary" in page
    assert "Hillside Primary, Teaching assistant: since" in page and "until" in page
    assert "Main organisation" in page


def test_the_plan_is_the_main_organisations_to_change(client: Any, auth: Any, schools: dict[str, Any]) -> None:
    learner, club = schools["learner"], schools["club"]
    moves.add(learner, club, "Coach", date(2026, 12, 1), catalogue())
    db.session.commit()
    auth.sign_in(schools["club_manager"])
    page = client.get(f"/manage/learners/{learner.id}").get_data(as_text=True)
    assert "Change the due date" not in page and "Agree this plan" not in page
    assert "Due in Riverside Football Club" in page and "23 February 2027" in page  # 12 weeks from the start
    token = csrf_from(page)
    changed = client.post(
        f"/manage/learners/{learner.id}/due-date",
        data={"csrf_token": token, "due-due_date": "2027-03-01", "due-reason": "part-time"},
    )
    assert changed.status_code == 403
    agreed = client.post(f"/manage/learners/{learner.id}/agree", data={"csrf_token": token, "confirm": "yes"})
    assert agreed.status_code == 403
    bulk = client.post(
        "/manage/selected", data={"csrf_token": token, "action": "agree", "learner": learner.id, "confirm": "yes"}
    )
    assert bulk.status_code == 302
    assert db.session.scalar(select(InductionPlan).where(InductionPlan.user_id == learner.id)) is None


def test_adding_someone_who_has_an_account_says_how_to_add_them_here(
    client: Any, auth: Any, schools: dict[str, Any]
) -> None:
    learner = schools["learner"]
    auth.sign_in(schools["club_manager"])
    data = {"name": "Jo Hillside", "email": learner.email, "organisation": schools["club"].id, "job_role": "Coach",
            "role_group": "1", "start_date": "2026-12-01"}  # fmt: skip
    answer = submit(client, "/manage/learners/new", data)
    assert answer.status_code == 400
    assert "an admin or a manager of both can add them to yours from their page" in answer.get_data(as_text=True)
    assert current(learner) == {schools["old"].id}


def test_an_admin_changing_the_main_organisation_on_the_form_moves_the_learner_and_says_so(
    client: Any, auth: Any, make: Factory, schools: dict[str, Any]
) -> None:
    learner, old, club = schools["learner"], schools["old"], schools["club"]
    db.session.add(InductionPlan(user_id=learner.id, due_date=date(2026, 1, 31), due_reason="part-time"))
    db.session.commit()
    auth.sign_in(make.user(Role.ADMIN))
    data = {"name": "Jo Hillside", "email": learner.email, "role": "learner", "organisation": club.id,
            "job_role": "Coach", "active": "y"}  # fmt: skip
    moment = clock.utcnow()
    with clock.frozen(moment):
        assert submit(client, f"/admin/users/{learner.id}", data).status_code == 302
    assert current(learner) == {club.id}
    # The plan agreed with the old organisation does not follow: the due date starts afresh from today.
    assert db.session.scalar(select(InductionPlan).where(InductionPlan.user_id == learner.id)) is None
    db.session.refresh(learner)
    assert learner.start_date == moment.date()
    row = db.session.scalar(select(LearnerStatus).where(LearnerStatus.user_id == learner.id))
    assert row is not None and row.organisation_id == club.id
    assert row.due_date == moment.date() + timedelta(weeks=club.induction_weeks)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "moved between organisations"))
    assert entry is not None
    assert entry.detail == "from Hillside Primary to Riverside Football Club (main organisation changed)"
    assert old.id not in organisations_of(learner)


def test_an_items_sign_off_names_the_items_organisation_in_its_statement(schools: dict[str, Any]) -> None:
    from induction.xapi.models import StatementRecord
    from induction.xapi.statements import ORGANISATION_EXTENSION

    learner, old, club = schools["learner"], schools["old"], schools["club"]
    (fire,) = items(old, "Fire drill")
    (first_aid,) = items(club, "Pitch-side first aid")
    moves.add(learner, club, "Coach", date(2026, 12, 1), catalogue())
    db.session.commit()
    sign_off(learner, fire, schools["old_manager"])
    sign_off(learner, first_aid, schools["club_manager"])
    named = {}
    for record in db.session.scalars(select(StatementRecord).where(StatementRecord.verb_id.like("%completed"))):
        body = json.loads(record.body)
        if "/items/" in body["object"]["id"]:
            named[body["object"]["id"].rsplit("/", 1)[-1]] = body["context"]["extensions"][ORGANISATION_EXTENSION]
    assert named == {str(fire.id): "Hillside Primary", str(first_aid.id): "Riverside Football Club"}
