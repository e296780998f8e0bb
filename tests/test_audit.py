"""The audit log: who viewed, exported or changed whose record, readable by admins, append-only."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from induction.accounts.models import Role
from induction.extensions import db
from induction.plans.models import InductionItem, Waiver
from induction.privacy import audit
from induction.privacy.models import Action, AuditEntry, AuditLogIsAppendOnly

from .conftest import Factory
from .forms import submit
from .journey import complete_everything


@pytest.fixture
def world(make: Factory) -> dict[str, Any]:
    school = make.organisation("Riverside School")
    return {
        "school": school,
        "learner": make.learner(school, name="Sam Learner", email="sam@example.org"),
        "other": make.learner(school, name="Ola Other", email="ola@example.org"),
        "manager": make.manager(school, name="Mo Manager", email="mo@example.org"),
        "admin": make.user(Role.ADMIN, name="Ada Admin", email="ada@example.org"),
    }


def logged() -> list[tuple[int | None, str, int | None, str]]:
    db.session.expire_all()
    return [
        (e.actor_id, e.action, e.subject_id, e.detail)
        for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    ]


def test_each_manager_action_on_a_record_is_logged_once(client: Any, auth: Any, world: dict[str, Any]) -> None:
    learner, other, manager = world["learner"], world["other"], world["manager"]
    auth.sign_in(learner)
    complete_everything(client)  # a certificate for the ZIP; the learner's own pages log nothing
    auth.sign_out()
    item = InductionItem(organisation_id=world["school"].id, title="Fire drill")
    db.session.add(item)
    db.session.commit()
    assert logged() == []

    auth.sign_in(manager)
    page = f"/manage/learners/{learner.id}"
    client.get(page)
    assert logged() == [(manager.id, Action.VIEWED_LEARNER.value, learner.id, "")]
    assert client.get("/manage/").status_code == 200  # the list of learners is not a view of one record
    assert len(logged()) == 1

    client.get("/manage/export.csv")
    exported = [e for e in logged() if e[1] == Action.EXPORTED_CSV.value]
    assert sorted(e[2] for e in exported) == sorted([learner.id, other.id])  # type: ignore[type-var]
    assert {e[3] for e in exported} == {"2 learners"}
    client.get("/manage/certificates.zip")
    assert [e[2:] for e in logged() if e[1] == Action.EXPORTED_CERTIFICATES.value] == [(learner.id, "1 certificates")]

    before = len(logged())
    assert submit(client, f"{page}/items/{item.id}/sign-off", {"confirm": "yes"}).status_code == 302
    assert submit(client, f"{page}/items/{item.id}/sign-off", {"confirm": "yes"}).status_code == 302  # already done
    waive = {"waive-module": "first-steps", "waive-reason": "Level 3 diploma"}
    assert submit(client, f"{page}/waive", waive, form_url=page).status_code == 302
    assert submit(client, f"{page}/waive", waive, form_url=page).status_code == 400  # already waived: nothing logged
    waiver = db.session.scalar(select(Waiver))
    assert waiver is not None
    assert submit(client, f"{page}/waivers/{waiver.id}/undo", {"confirm": "yes"}, form_url=page).status_code == 302
    changes = [e for e in logged()[before:] if e[1] != Action.VIEWED_LEARNER.value]
    assert changes == [
        (manager.id, Action.SIGNED_OFF.value, learner.id, "Fire drill"),
        (manager.id, Action.WAIVED.value, learner.id, "First steps"),
        (manager.id, Action.UNDID_WAIVER.value, learner.id, "First steps"),
    ]
    assert client.get("/admin/audit").status_code == 403  # managers do not read the log


def test_an_admin_changing_a_role_is_logged_and_saving_without_a_change_is_not(
    client: Any, auth: Any, world: dict[str, Any]
) -> None:
    admin, other = world["admin"], world["other"]
    auth.sign_in(admin)
    page = f"/admin/users/{other.id}"
    fields = {"name": "Ola Other", "email": other.email, "role": "learner", "organisation": world["school"].id,
              "active": "y"}  # fmt: skip
    assert submit(client, page, fields).status_code == 302
    assert logged() == []
    assert submit(client, page, {**fields, "role": "trainer"}).status_code == 302
    assert logged() == [(admin.id, Action.ROLE_CHANGED.value, other.id, "learner to trainer")]


def test_admins_read_the_log_newest_first_paged_and_for_one_person(
    client: Any, auth: Any, world: dict[str, Any]
) -> None:
    learner, other, manager, admin = world["learner"], world["other"], world["manager"], world["admin"]
    auth.sign_in(admin)
    assert "Nothing has been recorded yet." in client.get("/admin/audit").get_data(as_text=True)
    for _ in range(55):
        audit.record(manager, Action.VIEWED_LEARNER, learner)
    audit.record(manager, Action.SIGNED_OFF, other, "Meet the team")
    db.session.commit()
    first = client.get("/admin/audit").get_data(as_text=True)
    assert "56 entries." in first and "Page 1 of 2" in first
    assert first.index("Meet the team") < first.index("Viewed learner page")  # newest first
    assert "Mo Manager" in first and "Ola Other" in first
    second = client.get("/admin/audit?page=2").get_data(as_text=True)
    assert second.count("Viewed learner page") == 6 and "Meet the team" not in second
    theirs = client.get(f"/admin/audit?person={other.id}").get_data(as_text=True)
    assert "1 entry." in theirs and "Meet the team" in theirs and "Sam Learner" not in theirs
    assert client.get("/admin/audit?person=99999").status_code == 404
    assert client.get("/admin/audit?page=x").status_code == 200  # a bad page number: the first page
    assert "Audit log" in client.get("/admin/").get_data(as_text=True)


def test_the_app_never_changes_or_deletes_an_entry(world: dict[str, Any]) -> None:
    entry = audit.record(world["manager"], Action.VIEWED_LEARNER, world["learner"])
    db.session.commit()
    entry.detail = "nothing to see"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    assert logged() == [(world["manager"].id, Action.VIEWED_LEARNER.value, world["learner"].id, "")]
