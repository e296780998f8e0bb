"""UK GDPR rights with an honest record: statements name no one, a person's data on request,
erasure that leaves reports and the statement log consistent, and the retention policy."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from induction import clock
from induction.accounts.models import EqualityMonitoring, IdentityLink, Role, User, UserSession
from induction.completion.models import Certificate
from induction.content import catalogue
from induction.extensions import db
from induction.learning.models import Evaluation, LearnerStatus, ModuleProgress
from induction.plans import status as learner_status
from induction.plans.models import InductionItem, Waiver
from induction.privacy.models import Action, AuditEntry
from induction.xapi.models import StatementRecord

from .conftest import Factory
from .forms import submit
from .journey import complete_everything

MIGRATION = Path(__file__).resolve().parents[1] / "migrations" / "versions" / "f2a4c6e8b0d1_privacy.py"
WAIVER_REASON = "Level 3 diploma with Jane Marlowe, 2024"


@pytest.fixture
def world(make: Factory) -> dict[str, Any]:
    school = make.organisation("Riverside School")
    return {
        "school": school,
        "learner": make.learner(school, name="Sam Learner", email="sam@example.org", job_role="TA"),
        "other": make.learner(school, name="Ola Other", email="ola@example.org"),
        "manager": make.manager(school, name="Mo Manager", email="mo@example.org"),
        "admin": make.user(Role.ADMIN, name="Ada Admin", email="ada@example.org"),
    }


def finish_with_item_and_waiver(client: Any, auth: Any, world: dict[str, Any]) -> None:
    """The learner does every module but one (waived by the manager) and the manager signs off an item."""
    learner, manager = world["learner"], world["manager"]
    item = InductionItem(organisation_id=world["school"].id, title="Fire drill")
    db.session.add(item)
    learner_status.refresh_organisation(world["school"].id, catalogue())  # as the items page does
    db.session.commit()
    auth.sign_in(learner)
    complete_everything(client)
    auth.sign_out()
    auth.sign_in(manager)
    page = f"/manage/learners/{learner.id}"
    assert submit(client, f"{page}/items/{item.id}/sign-off", {"confirm": "yes"}).status_code == 302
    waiver = {"waive-module": "first-steps", "waive-reason": WAIVER_REASON}
    waived = submit(client, f"{page}/waive", waiver, form_url=page)
    assert waived.status_code == 302
    auth.sign_out()


# Statements carry no names


def test_no_statement_names_anyone_after_a_full_journey_sign_offs_a_waiver_and_the_demo(
    client: Any, auth: Any, runner: Any
) -> None:
    assert runner.invoke(args=["demo"]).exit_code == 0
    make = Factory()
    school = make.organisation("Hillside School")
    world = {
        "school": school,
        "learner": make.learner(school, name="Sam Learner", email="sam@example.org"),
        "manager": make.manager(school, name="Mo Manager", email="mo@example.org"),
    }
    finish_with_item_and_waiver(client, auth, world)
    people = db.session.execute(select(User.name, User.email)).all()
    bodies = db.session.scalars(select(StatementRecord.body)).all()
    assert len(bodies) > 100 and len(people) > 40
    for body in bodies:
        for name, email in people:
            assert name not in body and email not in body, (name, body)
        assert WAIVER_REASON not in body and "extensions/reason" not in body
        statement = json.loads(body)
        assert set(statement["actor"]) == {"objectType", "account"}
        instructor = (statement.get("context") or {}).get("instructor")
        assert instructor is None or set(instructor) == {"objectType", "account"}
    # The reason is kept where the manager reads it, and pages still show names from the accounts table.
    assert db.session.scalar(select(Waiver.reason)) == WAIVER_REASON
    auth.sign_in(world["manager"])
    page = client.get(f"/manage/learners/{world['learner'].id}").get_data(as_text=True)
    assert "Sam Learner" in page and f"Waived: {WAIVER_REASON}" in page


def load_migration() -> Any:
    spec = importlib.util.spec_from_file_location("privacy_migration", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def old_statement(n: int, authority: dict[str, Any]) -> dict[str, Any]:
    """A statement as the platform stored them before names were left out."""
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "actor": {"objectType": "Agent", "name": "Sam Learner", "account": {"homePage": "http://x", "name": "u1"}},
        "verb": {"id": "https://w3id.org/xapi/adl/verbs/waived", "display": {"en-GB": "waived"}},
        "object": {"id": "http://x/xapi/activities/modules/first-steps", "objectType": "Activity"},
        "context": {
            "instructor": {
                "objectType": "Agent",
                "name": "Mo Manager",
                "account": {"homePage": "http://x", "name": "u2"},
            },
            "platform": "Induction platform",
        },
        "result": {"extensions": {"https://w3id.org/xapi/cmi5/result/extensions/reason": "Course with Sam Learner"}},
        "authority": authority,
        "timestamp": "2026-01-01T09:00:00.000Z",
        "stored": "2026-01-01T09:00:00.000Z",
        "version": "1.0.0",
    }


def test_the_migration_takes_names_and_reasons_out_of_the_platforms_statements_in_batches(app: Any) -> None:
    platform = {
        "objectType": "Agent",
        "name": "Induction platform",
        "account": {"homePage": "http://x", "name": "platform"},
    }
    client = {"objectType": "Agent", "name": "HR system", "account": {"homePage": "http://x", "name": "key1"}}
    for n in range(5):
        body = old_statement(n, platform if n < 4 else client)
        db.session.add(
            StatementRecord(
                id=body["id"], actor_key="account|http://x|u1", verb_id=body["verb"]["id"],
                object_id=body["object"]["id"], timestamp=datetime(2026, 1, 1, 9), body=json.dumps(body),
            )
        )  # fmt: skip
    db.session.commit()
    changed = load_migration().rewrite_statements(db.session.connection(), batch=2)
    db.session.commit()
    assert changed == 4
    rows = db.session.scalars(select(StatementRecord).order_by(StatementRecord.seq)).all()
    assert [r.id for r in rows] == [f"00000000-0000-4000-8000-{n:012d}" for n in range(5)]  # ids kept
    for row in rows[:4]:
        assert "Sam Learner" not in row.body and "Mo Manager" not in row.body and "result" not in json.loads(row.body)
        body = json.loads(row.body)
        assert body["actor"] == {"objectType": "Agent", "account": {"homePage": "http://x", "name": "u1"}}
        assert body["context"]["instructor"]["account"]["name"] == "u2" and body["context"]["platform"]
        assert body["authority"] == platform and body["id"] == row.id
    assert json.loads(rows[4].body) == old_statement(4, client)  # what another system posted stays as sent
    assert load_migration().rewrite_statements(db.session.connection()) == 0  # and a second run changes nothing


# Subject access


def test_a_learner_sees_and_downloads_all_their_data(client: Any, auth: Any, world: dict[str, Any]) -> None:
    learner = world["learner"]
    assert client.get("/account/data").status_code == 302  # signed out: to the sign-in page
    db.session.add(EqualityMonitoring(user_id=learner.id, age_band="25 to 34", sex="female"))
    db.session.add(Evaluation(user_id=learner.id, ratings='{"clear": 5}', change="More videos", comments="Good"))
    db.session.commit()
    finish_with_item_and_waiver(client, auth, world)
    auth.sign_in(learner)
    assert "Download your data" in client.get("/account/password").get_data(as_text=True)
    page = client.get("/account/data")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for text in ("Sam Learner", "sam@example.org", learner.uuid, "Fire drill: signed off", WAIVER_REASON, "25 to 34",
                 "More videos", "Quiz attempts", "Riverside School"):  # fmt: skip
        assert text in html, text
    download = client.get("/account/data.json")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert "attachment" in download.headers["Content-Disposition"]
    data = download.get_json()
    assert data["account"]["email"] == "sam@example.org" and data["account"]["id"] == learner.uuid
    mine = db.session.scalar(
        select(func.count()).select_from(StatementRecord).where(StatementRecord.user_id == learner.id)
    )
    assert len(data["statements"]) == mine > 0
    assert {s["actor"]["account"]["name"] for s in data["statements"]} == {learner.uuid}
    assert data["quiz_attempts"] and all(a["submitted_at"] for a in data["quiz_attempts"])
    assert data["certificates"][0]["name_on_certificate"] == "Sam Learner"
    assert data["items"] == [
        {"title": "Fire drill", "marked_done_at": data["items"][0]["marked_done_at"],
         "signed_off_at": data["items"][0]["signed_off_at"]}
    ]  # fmt: skip
    assert data["waivers"][0]["reason"] == WAIVER_REASON and data["evaluations"][0]["comments"] == "Good"
    assert data["equality_monitoring"]["age_band"] == "25 to 34" and data["modules"]
    assert data["sign_ins"]  # this one
    assert "Ola Other" not in download.get_data(as_text=True)  # nobody else's data
    assert client.get(f"/admin/users/{world['other'].id}/data").status_code == 403


def test_an_admin_produces_the_same_data_for_anyone_and_it_is_audited(
    client: Any, auth: Any, world: dict[str, Any]
) -> None:
    learner, admin = world["learner"], world["admin"]
    auth.sign_in(learner)
    own = client.get("/account/data.json").get_json()
    auth.sign_out()
    auth.sign_in(admin)
    assert f"/admin/users/{learner.id}/data" in client.get(f"/admin/users/{learner.id}").get_data(as_text=True)
    page = client.get(f"/admin/users/{learner.id}/data").get_data(as_text=True)
    assert "Data held about Sam Learner" in page and "sam@example.org" in page
    theirs = client.get(f"/admin/users/{learner.id}/data.json").get_json()
    own["sign_ins"] = theirs["sign_ins"] = []  # the learner's sign-in ended when they signed out
    assert theirs == own
    assert client.get("/admin/users/99999/data").status_code == 404
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.actor_id, e.action, e.subject_id) for e in entries] == [
        (admin.id, Action.EXPORTED_DATA.value, learner.id),
        (admin.id, Action.EXPORTED_DATA.value, learner.id),
    ]


# Erasure


def report_rows(client: Any) -> list[list[str]]:
    """The managers' CSV export without the columns that name people."""
    text = client.get("/manage/export.csv").get_data(as_text=True).lstrip("\ufeff")
    return sorted(row[2:] for row in csv.reader(io.StringIO(text)))


def counts(html: str) -> str:
    """The overview above the list of learners: figures and charts, without the form tokens."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html[: html.index('id="learners"')])


def projections() -> set[tuple[Any, ...]]:
    progress = {(r.user_id, r.module_slug, r.state, r.read_sections, r.passed, r.completed_at, r.expires_at,
                 r.registration) for r in db.session.scalars(select(ModuleProgress))}  # fmt: skip
    status = {(s.user_id, s.status, s.modules_done, s.items_done, s.items_total, s.next_expiry, s.due_date)
              for s in db.session.scalars(select(LearnerStatus))}  # fmt: skip
    return progress | status


def test_erasure_removes_the_person_and_reports_and_a_rebuild_still_agree(
    client: Any, auth: Any, world: dict[str, Any], runner: Any
) -> None:
    learner, admin, manager = world["learner"], world["admin"], world["manager"]
    db.session.add(EqualityMonitoring(user_id=learner.id, age_band="25 to 34"))
    db.session.add(IdentityLink(user_id=learner.id, issuer="https://id.example.org", subject="sam-0001"))
    db.session.add(Evaluation(user_id=learner.id, ratings='{"clear": 4}', change="Shorter", comments="Sam here"))
    db.session.commit()
    finish_with_item_and_waiver(client, auth, world)
    code = db.session.scalar(select(Certificate.code))
    statements_before = db.session.execute(select(StatementRecord.id, StatementRecord.body)).all()
    auth.sign_in(manager)
    overview_before, report_before = client.get("/manage/").get_data(as_text=True), report_rows(client)
    auth.sign_out()
    progress_before = projections()

    auth.sign_in(admin)
    erase = f"/admin/users/{learner.id}/erase"
    form = client.get(erase).get_data(as_text=True)
    assert "Erase Sam Learner?" in form and "cannot be undone" in form
    missing = submit(client, erase, {"reason": "", "confirm": "y"})
    assert missing.status_code == 400 and "Give the reason for the erasure." in missing.get_data(as_text=True)
    unticked = submit(client, erase, {"reason": "Asked on 1 December"})
    assert unticked.status_code == 400 and "Tick the box" in unticked.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, learner.id).erased_at is None  # type: ignore[union-attr]
    done = submit(client, erase, {"reason": "The person asked on 1 December (ticket 12)", "confirm": "y"})
    assert done.status_code == 302
    assert "has been erased" in client.get(done.headers["Location"]).get_data(as_text=True)
    again = submit(client, erase, {"reason": "Twice", "confirm": "y"}, form_url=f"/admin/users/{learner.id}")
    assert again.status_code == 409 and "already erased" in again.get_data(as_text=True)
    assert submit(client, f"/admin/users/{admin.id}/erase", {"reason": "x", "confirm": "y"}).status_code == 409

    db.session.expire_all()
    person = db.session.get(User, learner.id)
    assert person is not None and person.uuid == learner.uuid
    assert person.name == "Erased person" and person.email == f"erased-{learner.uuid}@erased.invalid"
    assert person.password_hash is None and not person.active and person.erased_reason.startswith("The person asked")  # type: ignore[union-attr]
    assert db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == person.id)) == 0
    assert db.session.get(EqualityMonitoring, person.id) is None
    assert db.session.scalar(select(func.count()).select_from(IdentityLink)) == 0
    evaluation = db.session.scalar(select(Evaluation))
    assert evaluation is not None and (evaluation.change, evaluation.comments, evaluation.ratings) == (
        "",
        "",
        '{"clear": 4}',
    )
    assert WAIVER_REASON not in db.session.scalar(select(Waiver.reason))  # type: ignore[operator]
    # The statement log is untouched: it never named the person.
    assert db.session.execute(select(StatementRecord.id, StatementRecord.body)).all() == statements_before
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == Action.ERASED.value))
    assert entry is not None and (entry.actor_id, entry.subject_id) == (admin.id, learner.id)
    assert entry.detail == "The person asked on 1 December (ticket 12)"
    admin_page = client.get(f"/admin/users/{learner.id}").get_data(as_text=True)
    assert "was erased on" in admin_page and 'name="email"' not in admin_page
    assert submit(client, f"/admin/users/{learner.id}", {"name": "Back", "email": "b@example.org"},
                form_url=f"/admin/users/{learner.id}").status_code == 409  # fmt: skip
    auth.sign_out()

    verify = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "Erased person" in verify and "Sam Learner" not in verify and "record has been erased" in verify
    assert auth.sign_in("sam@example.org").status_code >= 400  # the old address signs no one in

    auth.sign_in(manager)
    overview_after = client.get("/manage/").get_data(as_text=True)
    assert report_rows(client) == report_before
    assert counts(overview_before) == counts(overview_after)  # the figures, the charts
    assert "Erased person" in client.get(f"/manage/learners/{learner.id}").get_data(as_text=True)
    assert projections() == progress_before
    result = runner.invoke(args=["progress", "rebuild"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert projections() == progress_before
    assert report_rows(client) == report_before


# Retention


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RETENTION_YEARS": 2}


def test_retention_reports_on_a_dry_run_and_erases_on_apply_once(
    client: Any, auth: Any, make: Factory, runner: Any
) -> None:
    now = clock.utcnow()
    school = make.organisation()
    long_gone = make.learner(school, name="Long Gone", active=False, left_at=now - timedelta(days=3 * 366))
    recent = make.learner(school, name="Just Left", active=False, left_at=now - timedelta(days=365))
    staying = make.learner(school, name="Still Here")
    admin = make.user(Role.ADMIN, name="Ada Admin")

    dry = runner.invoke(args=["retention", "apply"])
    assert dry.exit_code == 0, dry.output
    assert f"account {long_gone.id} " in dry.output and f"account {recent.id} " not in dry.output
    assert "Dry run: 1 account(s) would be erased" in dry.output and "Long Gone" not in dry.output
    db.session.expire_all()
    assert db.session.get(User, long_gone.id).erased_at is None  # type: ignore[union-attr]

    applied = runner.invoke(args=["retention", "apply", "--apply"])
    assert applied.exit_code == 0 and "Erased 1 account(s)." in applied.output
    db.session.expire_all()
    gone = db.session.get(User, long_gone.id)
    assert gone is not None and gone.name == "Erased person" and gone.erased_reason.startswith("Retention policy: 2")  # type: ignore[union-attr]
    assert {u.name for u in db.session.scalars(select(User).where(User.erased_at.is_(None)))} == {
        "Just Left", "Still Here", "Ada Admin",
    }  # fmt: skip
    entry = db.session.scalar(select(AuditEntry))
    assert entry is not None and entry.actor_id is None and entry.subject_id == long_gone.id
    assert runner.invoke(args=["retention", "apply", "--apply"]).output.endswith("No one is due for erasure.\n")
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 1  # idempotent

    # Switching an account off on the admin page starts its retention period; switching it on stops it.
    auth.sign_in(admin)
    page = f"/admin/users/{staying.id}"
    fields = {"name": "Still Here", "email": staying.email, "role": "learner", "organisation": school.id}
    assert submit(client, page, fields).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, staying.id).left_at is not None  # type: ignore[union-attr]
    assert submit(client, page, {**fields, "active": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, staying.id).left_at is None  # type: ignore[union-attr]


def test_a_retention_period_that_is_not_a_whole_number_of_years_is_refused(app: Any, runner: Any) -> None:
    app.config["RETENTION_YEARS"] = "six"
    result = runner.invoke(args=["retention", "apply"])
    assert result.exit_code != 0 and "RETENTION_YEARS must be a whole number of years, not 'six'" in result.output
    app.config["RETENTION_YEARS"] = 0
    result = runner.invoke(args=["retention", "apply", "--apply"])
    assert result.exit_code != 0 and "RETENTION_YEARS must be at least 1, not 0" in result.output


def test_ten_erasures_of_one_person_at_once_erase_them_once(make: Factory, served: str) -> None:
    from .concurrency import Visitor, codes, no_server_errors

    learner = make.learner(name="Sam Learner")
    admin = make.user(Role.ADMIN)
    office = Visitor(served)
    office.sign_in(admin.email)
    form = {"csrf_token": office.token(f"/admin/users/{learner.id}/erase"), "reason": "Asked", "confirm": "y"}
    answers = office.together("POST", f"/admin/users/{learner.id}/erase", data=form)
    no_server_errors(answers)
    assert sorted(codes(answers)) == [302] + [409] * (len(answers) - 1)
    db.session.expire_all()
    erased = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == Action.ERASED.value)
    assert db.session.scalar(erased) == 1
    assert db.session.get(User, learner.id).name == "Erased person"  # type: ignore[union-attr]
