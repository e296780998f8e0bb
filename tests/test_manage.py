"""Managers: plans, items and sign-off, waivers, reports, exports; all inside their scope."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from induction.accounts.models import EqualityMonitoring
from induction.completion.models import Certificate
from induction.extensions import db
from induction.plans.models import InductionItem, InductionPlan, ItemProgress, Waiver
from induction.xapi import statements as xs
from induction.xapi.models import StatementRecord

from .forms import submit
from .journey import answer, complete_everything, complete_modules_at, read_module


@pytest.fixture
def world(make: Any) -> dict[str, Any]:
    school = make.organisation("Riverside School", "education")
    club = make.organisation("Eastside Boxing Club", "sport and culture", ownership="voluntary")
    nursery = make.organisation("Acorn Nursery", "early years", ownership="private")
    return {
        "school": school,
        "club": club,
        "nursery": nursery,
        "manager": make.manager(school, club, email="boss@example.org"),
        "other": make.manager(nursery, email="other@example.org"),
        "ta": make.learner(school, name="Tara Assistant", email="tara@example.org", job_role="Teaching assistant"),
        "coach": make.learner(club, name="Cal Coach", email="cal@example.org", job_role="Coach", role_group=2),
        "nurse": make.learner(nursery, name="Nell Nursery", email="nell@example.org"),
    }


def test_reports_show_only_the_managers_organisations(client: Any, auth: Any, world: dict[str, Any]) -> None:
    auth.sign_in(world["manager"])
    page = client.get("/manage/").get_data(as_text=True)
    assert "Riverside School" in page and "Eastside Boxing Club" in page
    assert "Acorn Nursery" not in page and "Nell Nursery" not in page
    assert "<svg" in page and "Completion by module" in page


def test_every_manager_url_answers_404_outside_the_scope(client: Any, auth: Any, world: dict[str, Any]) -> None:
    auth.sign_in(world["manager"])
    nurse, nursery = world["nurse"], world["nursery"]
    item = InductionItem(organisation_id=nursery.id, title="Nursery fire drill")
    db.session.add(item)
    db.session.commit()
    waiver = Waiver(
        user_id=nurse.id, module_slug="first-steps", reason="x", statement_id="s", waived_by_id=world["other"].id
    )
    db.session.add(waiver)
    db.session.commit()
    own_page = "/manage/"
    for url in (
        f"/manage/?organisation={nursery.id}", f"/manage/export.csv?organisation={nursery.id}",
        f"/manage/certificates.zip?organisation={nursery.id}", f"/manage/learners/{nurse.id}",
        f"/manage/organisations/{nursery.id}/items", f"/manage/organisations/{nursery.id}/items/{item.id}/remove",
        f"/manage/learners/{nurse.id}/waivers/{waiver.id}/undo",
    ):  # fmt: skip
        assert client.get(url).status_code == 404, url
    for url in (
        f"/manage/learners/{nurse.id}/due-date", f"/manage/learners/{nurse.id}/agree",
        f"/manage/learners/{nurse.id}/items/{item.id}/sign-off", f"/manage/learners/{nurse.id}/waive",
        f"/manage/learners/{nurse.id}/attempts", f"/manage/learners/{nurse.id}/invite",
        f"/manage/learners/{nurse.id}/waivers/{waiver.id}/undo",
    ):  # fmt: skip
        assert submit(client, url, form_url=own_page).status_code == 404, url


def test_the_csv_export_is_exactly_what_the_filters_show(client: Any, auth: Any, world: dict[str, Any]) -> None:
    auth.sign_in(world["manager"])
    response = client.get(f"/manage/export.csv?organisation={world['club'].id}")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Name"
    assert [r[0] for r in rows[1:]] == ["Cal Coach"]
    everyone = list(csv.reader(io.StringIO(client.get("/manage/export.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(r[0] for r in everyone[1:]) == ["Cal Coach", "Tara Assistant"]


def test_csv_cells_that_look_like_formulas_are_neutralised(
    client: Any, auth: Any, world: dict[str, Any], make: Any
) -> None:
    make.learner(world["school"], name='=HYPERLINK("http://evil")', email="evil@example.org", job_role="+1+1")
    auth.sign_in(world["manager"])
    text = client.get("/manage/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text and "'+1+1" in text
    assert "\n=HYPERLINK" not in text


def test_filters_narrow_the_list(client: Any, auth: Any, world: dict[str, Any]) -> None:
    auth.sign_in(world["manager"])
    page = client.get("/manage/?sector=sport+and+culture").get_data(as_text=True)
    assert "Cal Coach" in page and "Tara Assistant" not in page
    page = client.get("/manage/?job_role=Teaching+assistant").get_data(as_text=True)
    assert "Tara Assistant" in page and "Cal Coach" not in page
    page = client.get("/manage/?role_group=2").get_data(as_text=True)
    assert "Cal Coach" in page and "Tara Assistant" not in page
    page = client.get("/manage/?status=completed").get_data(as_text=True)
    assert "No learners match these filters" in page


def test_the_report_makes_a_fixed_number_of_queries(
    client: Any, auth: Any, world: dict[str, Any], make: Any, count_queries: Any
) -> None:
    auth.sign_in(world["manager"])
    pages = ("/manage/", "/manage/?status=overdue&sort=due")

    def counts() -> list[int]:
        found = []
        for path in pages:
            client.get(path)
            count_queries.statements.clear()
            assert client.get(path).status_code == 200
            found.append(count_queries.count)
        return found

    # The session (with its user), the counts (learner_status_summary and the rows on the line in one
    # query), the expired modules, the organisations, the page of rows, their organisations, the
    # months, the job roles; the filtered list lists nobody here, so it loads no organisations.
    assert counts() == [8, 7], count_queries.statements
    for index in range(30):
        make.learner((world["school"], world["club"])[index % 2], job_role="Volunteer")
    # people added straight to the database got their status rows with the commit
    assert counts() == [8, 7], count_queries.statements


def test_items_sign_off_and_completion_waits_for_them(client: Any, auth: Any, world: dict[str, Any]) -> None:
    school, ta = world["school"], world["ta"]
    setting = InductionItem(organisation_id=school.id, title="Read the safeguarding policy")
    role = InductionItem(organisation_id=school.id, title="Phonics training", job_role="Teaching assistant")
    other_role = InductionItem(organisation_id=school.id, title="Minibus test", job_role="Driver")
    db.session.add_all([setting, role, other_role])
    db.session.commit()
    auth.sign_in(ta)
    plan = client.get("/plan").get_data(as_text=True)
    assert "Read the safeguarding policy" in plan and "Phonics training" in plan and "Minibus test" not in plan
    assert submit(client, f"/plan/items/{setting.id}/done", form_url="/plan").status_code == 302
    assert submit(client, f"/plan/items/{other_role.id}/done", form_url="/plan").status_code == 404
    complete_everything(client)
    assert db.session.scalar(select(Certificate)) is None
    assert "in progress" in client.get("/").get_data(as_text=True)
    auth.sign_out()
    auth.sign_in(world["manager"])
    learner_page = f"/manage/learners/{ta.id}"
    sign_off = f"{learner_page}/items/{setting.id}/sign-off"
    assert "Yes, sign it off" in client.get(sign_off).get_data(as_text=True)
    assert submit(client, sign_off, form_url=learner_page).status_code == 200  # without confirm=yes: asks first
    assert db.session.scalar(select(ItemProgress.signed_off_at).where(ItemProgress.user_id == ta.id)) is None
    assert submit(client, sign_off, {"confirm": "yes"}, form_url=learner_page).status_code == 302
    assert db.session.scalar(select(Certificate)) is None
    done = submit(client, f"{learner_page}/items/{role.id}/sign-off", {"confirm": "yes"}, form_url=learner_page)
    assert "has completed their induction" in client.get(done.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(Certificate)) is not None
    signed = db.session.scalars(select(StatementRecord).where(StatementRecord.verb_id == xs.COMPLETED)).all()
    item_statement = next(s for s in signed if s.object_id.endswith(f"/items/{setting.id}"))
    assert '"instructor"' in item_statement.body and world["manager"].uuid in item_statement.body
    again = submit(client, sign_off, {"confirm": "yes"}, form_url=learner_page)
    assert "Already signed off" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert db.session.get(ItemProgress, (ta.id, setting.id)).signed_off_by_id == world["manager"].id  # type: ignore[union-attr]


def test_a_waiver_counts_as_done_and_can_be_undone_after_confirming(
    client: Any, auth: Any, world: dict[str, Any]
) -> None:
    ta = world["ta"]
    auth.sign_in(world["manager"])
    page = f"/manage/learners/{ta.id}"
    missing = submit(client, f"{page}/waive", {"waive-module": "first-steps", "waive-reason": ""}, form_url=page)
    assert missing.status_code == 400 and "Give the prior learning" in missing.get_data(as_text=True)
    done = submit(
        client, f"{page}/waive", {"waive-module": "first-steps", "waive-reason": "Level 3 diploma, 2024"}, form_url=page
    )
    assert done.status_code == 302
    waived = db.session.scalar(select(StatementRecord).where(StatementRecord.verb_id == xs.WAIVED))
    assert waived is not None and "Level 3 diploma, 2024" not in waived.body  # free text stays out of statements
    assert "Waived: Level 3 diploma, 2024" in client.get(page).get_data(as_text=True)
    waiver = db.session.scalar(select(Waiver))
    undo = f"{page}/waivers/{waiver.id}/undo"  # type: ignore[union-attr]
    confirm = client.get(undo).get_data(as_text=True)
    assert "Yes, undo the waiver" in confirm
    assert submit(client, undo, form_url=undo).status_code == 200  # without confirm=yes: asks again
    assert submit(client, undo, {"confirm": "yes"}, form_url=undo).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(StatementRecord.voided).where(StatementRecord.id == waived.id))
    assert "Waived:" not in client.get(page).get_data(as_text=True)


def test_due_date_change_needs_a_reason_and_the_plan_is_agreed(client: Any, auth: Any, world: dict[str, Any]) -> None:
    ta = world["ta"]
    auth.sign_in(world["manager"])
    page = f"/manage/learners/{ta.id}"
    new_due = (date.today() + timedelta(weeks=20)).isoformat()
    bad = submit(client, f"{page}/due-date", {"due-due_date": new_due, "due-reason": ""}, form_url=page)
    assert bad.status_code == 400 and "Give a reason for the change." in bad.get_data(as_text=True)
    nonsense = submit(client, f"{page}/due-date", {"due-due_date": "next tuesday", "due-reason": "x"}, form_url=page)
    assert nonsense.status_code == 400
    moved = submit(client, f"{page}/due-date", {"due-due_date": new_due, "due-reason": "Part-time"}, form_url=page)
    assert moved.status_code == 302
    assert "Yes, agree the plan" in client.get(f"{page}/agree").get_data(as_text=True)
    assert submit(client, f"{page}/agree", form_url=page).status_code == 200  # asks first
    assert submit(client, f"{page}/agree", {"confirm": "yes"}, form_url=page).status_code == 302
    plan = db.session.scalar(select(InductionPlan).where(InductionPlan.user_id == ta.id))
    assert plan is not None and plan.due_date.isoformat() == new_due and plan.agreed_by_id == world["manager"].id
    auth.sign_out()
    auth.sign_in(ta)
    mine = client.get("/plan").get_data(as_text=True)
    assert "Part-time" in mine and "Yes, on" in mine


def test_a_manager_can_allow_more_quiz_attempts(client: Any, auth: Any, world: dict[str, Any]) -> None:
    ta = world["ta"]
    auth.sign_in(ta)
    answer(client, "first-steps", right=False)
    answer(client, "first-steps", right=False)
    assert client.get("/quizzes/first-steps").status_code == 403
    auth.sign_out()
    auth.sign_in(world["manager"])
    page = f"/manage/learners/{ta.id}"
    extra = submit(client, f"{page}/attempts", {"attempts-quiz": "first-steps", "attempts-extra": "1"}, form_url=page)
    assert extra.status_code == 302
    auth.sign_out()
    auth.sign_in(ta)
    assert client.get("/quizzes/first-steps").status_code == 200


def test_the_learner_page_shows_attempts_and_the_statement_timeline(
    client: Any, auth: Any, world: dict[str, Any]
) -> None:
    auth.sign_in(world["ta"])
    read_module(client, "first-steps")
    answer(client, "first-steps", right=False)
    auth.sign_out()
    auth.sign_in(world["manager"])
    page = client.get(f"/manage/learners/{world['ta'].id}").get_data(as_text=True)
    assert "Record of learning" in page and "Read section “" in page and "Did not pass the quiz 0/3" in page
    assert "0/3" in page and "Not passed" in page
    assert "answered" not in page.split("Record of learning")[1]  # each answer is part of its quiz's line


def test_certificates_zip_holds_a_pdf_per_certificate(client: Any, auth: Any, world: dict[str, Any]) -> None:
    auth.sign_in(world["coach"])
    complete_everything(client)
    auth.sign_out()
    auth.sign_in(world["manager"])
    archive = zipfile.ZipFile(io.BytesIO(client.get("/manage/certificates.zip").data))
    names = archive.namelist()
    assert len(names) == 1 and names[0].startswith("Cal-Coach-") and names[0].endswith(".pdf")
    assert archive.read(names[0]).startswith(b"%PDF")


def test_equality_report_hides_small_groups(client: Any, auth: Any, world: dict[str, Any], make: Any) -> None:
    for index in range(6):
        person = make.learner(world["school"])
        db.session.add(EqualityMonitoring(user_id=person.id, sex="female" if index < 5 else "male"))
    db.session.commit()
    auth.sign_in(world["manager"])
    page = client.get("/manage/equality").get_data(as_text=True)
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td></tr>", page))
    assert rows["Female"] == "5"
    assert rows["Male"] == "fewer than 5"


def test_learners_give_equality_answers_themselves(client: Any, auth: Any, world: dict[str, Any]) -> None:
    auth.sign_in(world["ta"])
    form = client.get("/about-you").get_data(as_text=True)
    assert "Prefer not to say" in form
    response = submit(
        client,
        "/about-you",
        {"age_band": "25 to 34", "sex": "prefer not to say", "ethnicity": "White", "disability": "no"},
    )
    assert response.status_code == 302
    assert db.session.get(EqualityMonitoring, world["ta"].id).age_band == "25 to 34"  # type: ignore[union-attr]
    bad = submit(client, "/about-you", {"age_band": "<script>", "sex": "x", "ethnicity": "x", "disability": "x"})
    assert bad.status_code == 400


def test_clock_dependent_statuses_are_worked_out_at_query_time(client: Any, auth: Any, world: dict[str, Any]) -> None:
    from datetime import datetime

    complete_modules_at(world["coach"], datetime.now() - timedelta(days=3 * 365 + 40))
    auth.sign_in(world["manager"])
    for status, shown in (("expired", True), ("refresher due", True), ("completed", False), ("overdue", False)):
        page = client.get(f"/manage/?status={status.replace(' ', '+')}").get_data(as_text=True)
        assert ("Cal Coach" in page) is shown, status
    summary = client.get("/manage/").get_data(as_text=True)
    assert "Refresher due" in summary


def test_status_rows_are_made_in_batches(app: Any, make: Any, monkeypatch: Any) -> None:
    from induction.content import catalogue
    from induction.learning.models import LearnerStatus
    from induction.plans import status as learner_status

    monkeypatch.setattr(learner_status, "BATCH", 2)
    organisation = make.organisation()
    people = [make.learner(organisation) for _ in range(5)]
    learner_status.refresh(people, catalogue())
    db.session.commit()
    assert db.session.query(LearnerStatus).count() == 5
