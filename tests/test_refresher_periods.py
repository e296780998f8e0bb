"""Refresher periods per organisation and per sector (issue 17).

The rule decides the period (the organisation's, else its sector's, else the module's own; the
shortest across a learner's organisations); setting or removing one moves every affected learner's
refresher date at once, and the reports, the CSV, reminders and the certificate follow it."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from induction import clock
from induction.accounts.models import Membership, Role, Sector
from induction.accounts.organisations import organisations_of
from induction.completion.models import Certificate
from induction.completion.services import latest_certificate
from induction.content import catalogue
from induction.extensions import db
from induction.learning.models import LearnerStatus, ModuleProgress
from induction.learning.periods import RefresherPeriod
from induction.plans import moves
from induction.privacy.models import Action, AuditEntry
from induction.reminders.services import send_reminders
from induction.rules import (
    Kind,
    LearningEvent,
    LocalPeriods,
    ModuleSpec,
    Status,
    add_months,
    applicable_refresher_months,
    module_state,
    refresher_months,
)

from .concurrency import Visitor, burst, no_server_errors
from .conftest import Factory, QueryCounter
from .forms import submit
from .journey import complete_modules_at
from .mailbox import Mailbox

SAFE = "staying-safe"  # the test content's module with a 36-month refresher
FIRST = "first-steps"  # and one without a refresher
URL = "/manage/refresher-periods"


@pytest.fixture
def app_config(mailbox: Mailbox) -> dict[str, Any]:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": mailbox.port}  # type: ignore[attr-defined]


# The rule ---------------------------------------------------------------------------------------


def test_the_organisations_period_wins_over_the_sectors_which_wins_over_the_modules() -> None:
    assert refresher_months(36) == 36
    assert refresher_months(36, sector=24) == 24
    assert refresher_months(36, sector=24, organisation=12) == 12
    assert refresher_months(36, sector=12, organisation=24) == 24  # the organisation's own, even if longer
    assert refresher_months(36, organisation=6) == 6


def test_a_period_never_lengthens_the_modules_nor_gives_a_module_a_refresher() -> None:
    assert refresher_months(None, sector=12, organisation=6) is None
    assert refresher_months(12, organisation=24) == 12  # e.g. the module's own was shortened since
    assert refresher_months(12, organisation=0) == 1


def test_in_several_organisations_the_shortest_period_applies() -> None:
    assert applicable_refresher_months(36, [LocalPeriods(), LocalPeriods(sector=24)]) == 24
    assert applicable_refresher_months(36, [LocalPeriods(organisation=18), LocalPeriods(sector=12)]) == 12
    assert applicable_refresher_months(36, [LocalPeriods(sector=6, organisation=30), LocalPeriods()]) == 30
    assert applicable_refresher_months(36, []) == 36
    assert applicable_refresher_months(None, [LocalPeriods(organisation=6)]) is None


def test_the_expiry_rule_uses_the_period_that_applies() -> None:
    done = datetime(2026, 1, 31, 9)
    events = [
        LearningEvent(Kind.READ, "safe", done, 2, "a"),
        LearningEvent(Kind.PASSED, "safe", done, 2),
    ]
    spec = ModuleSpec("safe", 2, ("a",), refresher_months=36, local_periods=(LocalPeriods(sector=24, organisation=13),))
    state = module_state(spec, events, done + timedelta(days=1))
    assert state.expires_at == datetime(2027, 2, 28, 9)  # 13 months, on the month's last day
    assert module_state(spec, events, datetime(2027, 2, 28, 9)).status is Status.EXPIRED
    assert module_state(ModuleSpec("safe", 2, ("a",), 36), events, datetime(2027, 2, 28, 9)).status is Status.COMPLETED


# Helpers ----------------------------------------------------------------------------------------


def set_period(client: Any, months: Any, confirm: bool = True, **where: Any) -> Any:
    kind = "sector" if "sector" in where else "organisation"
    data = {"module": SAFE, "months": months, **where}
    if confirm:
        data["confirm"] = "yes"
    return submit(client, f"{URL}/{kind}", data, form_url=URL)


def expiry_of(learner: Any, slug: str = SAFE) -> datetime | None:
    db.session.expire_all()
    row = db.session.get(ModuleProgress, (learner.id, slug))
    return row.expires_at if row else None


def periods() -> list[tuple[Any, Any, str, int]]:
    db.session.expire_all()
    rows = db.session.scalars(select(RefresherPeriod).order_by(RefresherPeriod.id))
    return [(r.organisation_id, r.sector, r.module_slug, r.months) for r in rows]


@pytest.fixture
def completed(make: Factory) -> dict[str, Any]:
    """A learner who completed their whole induction eleven months ago, at a school with a manager."""
    school = make.organisation("Riverside School", "education")
    manager = make.manager(school, email="head@school.example.org")
    learner = make.learner(school, name="Asha Khan", email="asha@example.org")
    done = (clock.utcnow() - timedelta(days=335)).replace(microsecond=0)
    complete_modules_at(learner, done)
    return {"school": school, "manager": manager, "learner": learner, "done": done}


# An organisation's shorter period ---------------------------------------------------------------


def test_an_organisations_shorter_period_shows_in_its_reports_csv_certificate_and_reminders(
    client: Any, auth: Any, completed: dict[str, Any], mailbox: Mailbox
) -> None:
    learner, school, done = completed["learner"], completed["school"], completed["done"]
    first = latest_certificate(learner.id)
    assert first is not None and first.expires_at == add_months(done, 36)
    auth.sign_in(completed["manager"])
    assert "Refresher periods" in client.get("/manage/").get_data(as_text=True)  # in the navigation
    send_reminders(clock.today())
    assert [m["Subject"] for m in mailbox.to("asha@example.org")] == []  # nothing due yet

    asked = set_period(client, "12", confirm=False, organisation=school.id)
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "This changes the refresher date of 1 learner." in text
    assert expiry_of(learner) == add_months(done, 36) and periods() == []  # a confirmation page stores nothing

    answer = set_period(client, "12", organisation=school.id)
    assert answer.status_code == 302
    assert periods() == [(school.id, None, SAFE, 12)]
    new_expiry = add_months(done, 12)
    assert expiry_of(learner) == new_expiry
    assert expiry_of(learner, FIRST) is None  # a module without a refresher is untouched
    assert set(db.session.scalars(select(LearnerStatus.next_expiry).where(LearnerStatus.user_id == learner.id))) == {
        new_expiry
    }

    renewed = latest_certificate(learner.id)
    assert renewed is not None and renewed.id != first.id and renewed.expires_at == new_expiry
    modules = {m["slug"]: m for m in json.loads(renewed.modules)}
    assert modules[SAFE]["expires_at"] == new_expiry.isoformat()
    assert f"{new_expiry:%-d %B %Y}" in client.get(f"/verify/{renewed.code}").get_data(as_text=True)

    report = client.get(f"/manage/?organisation={school.id}&status=refresher+due").get_data(as_text=True)
    assert "Asha Khan" in report
    exported = client.get(f"/manage/export.csv?organisation={school.id}").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    assert [(r["Name"], r["Refresher due"]) for r in rows] == [("Asha Khan", new_expiry.date().isoformat())]

    send_reminders(clock.today())
    reminders = mailbox.to("asha@example.org")
    assert [m["Subject"] for m in reminders] == ["Your safeguarding refresher is due"]
    assert f"{new_expiry:%-d %B %Y}" in Mailbox.body(reminders[0])

    logged = db.session.scalars(select(AuditEntry).where(AuditEntry.action == Action.SET_REFRESHER_PERIOD.value)).all()
    assert {e.subject_id for e in logged} == {None, learner.id}
    assert any("Riverside School" in e.detail and "12 months" in e.detail for e in logged)


def test_removing_the_period_undoes_it(client: Any, auth: Any, completed: dict[str, Any]) -> None:
    learner, school, done = completed["learner"], completed["school"], completed["done"]
    auth.sign_in(completed["manager"])
    set_period(client, "12", organisation=school.id)
    period_id = db.session.scalar(select(RefresherPeriod.id))

    asked = client.get(f"{URL}/{period_id}/remove")
    assert asked.status_code == 200 and "This changes the refresher date of 1 learner." in asked.get_data(as_text=True)
    assert periods() != []  # a GET changes nothing
    answer = submit(client, f"{URL}/{period_id}/remove", {"confirm": "yes"}, form_url=URL)
    assert answer.status_code == 302
    assert periods() == []
    assert expiry_of(learner) == add_months(done, 36)
    latest = latest_certificate(learner.id)
    assert latest is not None and latest.expires_at == add_months(done, 36)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 3  # first, shortened, restored
    removed = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == Action.REMOVED_REFRESHER_PERIOD.value, AuditEntry.subject_id.is_(None))
    ).all()
    assert len(removed) == 1
    assert removed[0].detail.endswith("removed: 36 months (the module's own period) applies (was 12 months); 1 learner's refresher dates changed")
    again = submit(client, f"{URL}/{period_id}/remove", {"confirm": "yes"}, form_url=URL)
    assert again.status_code == 404


def test_a_shorter_period_that_has_already_passed_expires_the_module(
    client: Any, auth: Any, completed: dict[str, Any]
) -> None:
    learner, school = completed["learner"], completed["school"]
    auth.sign_in(completed["manager"])
    set_period(client, "6", organisation=school.id)
    home = client.get(f"/manage/learners/{learner.id}").get_data(as_text=True)
    assert "Expired" in home
    auth.sign_out()
    auth.sign_in(learner)
    assert "Your induction is <strong>expired</strong>" in client.get("/").get_data(as_text=True)


# A sector's period -------------------------------------------------------------------------------


def test_a_sectors_period_applies_unless_the_organisation_sets_its_own(
    client: Any, auth: Any, make: Factory
) -> None:
    done = (clock.utcnow() - timedelta(days=30)).replace(microsecond=0)
    school = make.organisation("Riverside School", "education")
    academy = make.organisation("Hill Academy", "education")
    club = make.organisation("Eastside Boxing Club", "sport and culture")
    people = {o.name: make.learner(o) for o in (school, academy, club)}
    for person in people.values():
        complete_modules_at(person, done)
    auth.sign_in(make.user(Role.ADMIN))

    set_period(client, "20", organisation=academy.id)
    set_period(client, "24", sector="education")
    longer = set_period(client, "30", confirm=False, organisation=academy.id).get_data(as_text=True)
    assert "This is longer than the 24 months set for the education sector" in longer
    period = db.session.scalar(select(RefresherPeriod.id).where(RefresherPeriod.sector == Sector.EDUCATION))
    submit(client, f"{URL}/{period}/remove", {"confirm": "yes"}, form_url=URL)
    asked = set_period(client, "24", confirm=False, sector="education")
    assert "This changes the refresher date of 1 learner." in asked.get_data(as_text=True)  # not the academy's
    assert set_period(client, "24", sector="education").status_code == 302

    assert expiry_of(people["Riverside School"]) == add_months(done, 24)
    assert expiry_of(people["Hill Academy"]) == add_months(done, 20)
    assert expiry_of(people["Eastside Boxing Club"]) == add_months(done, 36)
    page = client.get(URL).get_data(as_text=True)
    assert "Education" in page and "set by the education sector" in page

    # Without its own period, the academy falls back to its sector's: so say the page and the audit log.
    own = db.session.scalar(select(RefresherPeriod.id).where(RefresherPeriod.organisation_id == academy.id))
    removed = submit(client, f"{URL}/{own}/remove", {"confirm": "yes"}, form_url=URL, follow_redirects=True)
    assert "24 months (its sector&#39;s period) again" in removed.get_data(as_text=True)
    assert expiry_of(people["Hill Academy"]) == add_months(done, 24)
    entry = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == Action.REMOVED_REFRESHER_PERIOD.value, AuditEntry.subject_id.is_(None))
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None and "Hill Academy removed: 24 months (its sector's period) applies (was 20 months)" in entry.detail


def test_a_new_learner_of_the_organisation_gets_its_period(client: Any, auth: Any, make: Factory) -> None:
    school = make.organisation("Riverside School", "education")
    auth.sign_in(make.manager(school))
    set_period(client, "12", organisation=school.id)
    learner = make.learner(school)
    done = clock.utcnow().replace(microsecond=0)
    complete_modules_at(learner, done)
    assert expiry_of(learner) == add_months(done, 12)


def test_a_learner_in_two_organisations_gets_the_shorter_period(client: Any, auth: Any, make: Factory) -> None:
    school = make.organisation("Riverside School", "education")
    club = make.organisation("Eastside Boxing Club", "sport and culture")
    learner = make.learner(school)
    db.session.add(Membership(user_id=learner.id, organisation_id=club.id, job_role="Coach"))
    db.session.commit()
    assert sorted(organisations_of(learner)) == sorted([school.id, club.id])
    done = (clock.utcnow() - timedelta(days=30)).replace(microsecond=0)
    complete_modules_at(learner, done)
    auth.sign_in(make.user(Role.ADMIN))

    set_period(client, "24", organisation=school.id)
    assert expiry_of(learner) == add_months(done, 24)
    asked = set_period(client, "12", confirm=False, organisation=club.id)
    assert "This changes the refresher date of 1 learner." in asked.get_data(as_text=True)
    set_period(client, "12", organisation=club.id)
    assert expiry_of(learner) == add_months(done, 12)  # the club's, the shorter
    set_period(client, "6", sector="education")
    assert expiry_of(learner) == add_months(done, 12)  # the school's own 24 comes before its sector's 6
    club_period = db.session.scalar(select(RefresherPeriod.id).where(RefresherPeriod.organisation_id == club.id))
    assert submit(client, f"{URL}/{club_period}/remove", {"confirm": "yes"}, form_url=URL).status_code == 302
    assert expiry_of(learner) == add_months(done, 24)


def test_joining_or_moving_to_an_organisation_with_a_shorter_period_moves_the_refresher_date(make: Factory) -> None:
    school = make.organisation("Riverside School", "education")
    club = make.organisation("Eastside Boxing Club", "sport and culture")
    nursery = make.organisation("Acorn Nursery", "early years")
    db.session.add_all([
        RefresherPeriod(module_slug=SAFE, organisation_id=club.id, months=12),
        RefresherPeriod(module_slug=SAFE, sector=Sector.EARLY_YEARS, months=6),
    ])  # fmt: skip
    db.session.commit()
    learner = make.learner(school)
    done = (clock.utcnow() - timedelta(days=30)).replace(microsecond=0)
    complete_modules_at(learner, done)
    assert expiry_of(learner) == add_months(done, 36)

    moves.add(learner, club, "Coach", clock.today(), catalogue())
    db.session.commit()
    assert expiry_of(learner) == add_months(done, 12)  # the club's period, the shorter
    moves.move(learner, club, nursery, "Nursery assistant", clock.today(), catalogue())
    db.session.commit()
    assert expiry_of(learner) == add_months(done, 6)  # the nursery's sector's
    moves.move(learner, nursery, club, "Coach", clock.today(), catalogue())
    db.session.commit()
    assert expiry_of(learner) == add_months(done, 12)


def test_an_admin_changing_an_organisations_sector_or_a_learners_organisation_moves_the_date(
    client: Any, auth: Any, make: Factory
) -> None:
    school = make.organisation("Riverside School", "education")
    nursery = make.organisation("Acorn Nursery", "early years")
    db.session.add(RefresherPeriod(module_slug=SAFE, sector=Sector.EARLY_YEARS, months=6))
    db.session.commit()
    learner = make.learner(school, email="lee@example.org")
    done = (clock.utcnow() - timedelta(days=30)).replace(microsecond=0)
    complete_modules_at(learner, done)
    auth.sign_in(make.user(Role.ADMIN))

    fields = {"name": "Riverside School", "sector": "early years", "ownership": "statutory", "induction_weeks": "12"}
    assert submit(client, f"/admin/organisations/{school.id}", fields).status_code == 302
    assert expiry_of(learner) == add_months(done, 6)  # now in the early years sector
    fields["sector"] = "education"
    assert submit(client, f"/admin/organisations/{school.id}", fields).status_code == 302
    assert expiry_of(learner) == add_months(done, 36)

    person = {"name": learner.name, "email": "lee@example.org", "role": "learner", "organisation": str(nursery.id),
              "job_role": "Nursery assistant", "active": "y"}  # fmt: skip
    assert submit(client, f"/admin/users/{learner.id}", person).status_code == 302
    assert expiry_of(learner) == add_months(done, 6)  # moved to the nursery


# Who may set what, and bad input ------------------------------------------------------------------


def test_a_manager_cannot_set_a_period_for_another_organisation(client: Any, auth: Any, make: Factory) -> None:
    mine, theirs = make.organisation("Mine"), make.organisation("Theirs")
    auth.sign_in(make.manager(mine))
    answer = set_period(client, "12", organisation=theirs.id)
    assert answer.status_code == 404
    assert set_period(client, "12", sector="education").status_code == 403
    assert periods() == []
    assert "Theirs" not in client.get(URL).get_data(as_text=True)


def test_a_manager_cannot_remove_another_organisations_or_a_sectors_period(
    client: Any, auth: Any, make: Factory
) -> None:
    mine, theirs = make.organisation("Mine"), make.organisation("Theirs")
    db.session.add_all([
        RefresherPeriod(module_slug=SAFE, organisation_id=theirs.id, months=12),
        RefresherPeriod(module_slug=SAFE, sector="education", months=24),
    ])  # fmt: skip
    db.session.commit()
    ids = list(db.session.scalars(select(RefresherPeriod.id).order_by(RefresherPeriod.id)))
    auth.sign_in(make.manager(mine))
    assert submit(client, f"{URL}/{ids[0]}/remove", {"confirm": "yes"}, form_url=URL).status_code == 404
    assert submit(client, f"{URL}/{ids[1]}/remove", {"confirm": "yes"}, form_url=URL).status_code == 403
    assert len(periods()) == 2
    page = client.get(URL).get_data(as_text=True)
    assert "24 months" in page  # the sector's period that reaches their organisation, shown


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"months": "36"}, 400, "shorter than the module&#39;s own of 36 months: from 1 to 35 months"),
        ({"months": "48"}, 400, "from 1 to 35 months"),
        ({"months": "0"}, 400, "at least 1 month"),
        ({"months": "-3"}, 400, "whole number of months"),
        ({"months": "1.5"}, 400, "whole number of months"),
        ({"months": "١٢"}, 400, "whole number of months"),
        ({"months": "9" * 400}, 400, "whole number of months"),
        ({"months": ""}, 400, "Enter the refresher period in months"),
        ({"months": "12", "module": FIRST}, 400, "has no refresher, so it cannot have a refresher period"),
        ({"months": "12", "module": "no-such-module"}, 400, "Choose a module that has a refresher"),
        ({"months": "12", "module": "\x00"}, 400, "contains a NUL character"),
        ({"months": "12", "organisation": "abc"}, 400, "Choose one of your organisations"),
        ({"months": "12", "organisation": "99999999999999999999"}, 400, "Choose one of your organisations"),
        ({"months": "12", "organisation": "999999"}, 404, ""),
        ({"months": "12", "csrf_token": "forged"}, 400, ""),
    ],
)
def test_bad_input_is_refused_with_a_message_and_stores_nothing(
    client: Any, auth: Any, make: Factory, data: dict[str, str], status: int, message: str
) -> None:
    school = make.organisation("Riverside School")
    auth.sign_in(make.manager(school))
    form = {"organisation": str(school.id), "module": SAFE, "confirm": "yes", **data}
    answer = submit(client, f"{URL}/organisation", form, form_url=URL)
    assert answer.status_code == status
    assert message in answer.get_data(as_text=True)
    assert periods() == []


def test_an_admin_is_refused_an_unknown_sector(client: Any, auth: Any, make: Factory) -> None:
    auth.sign_in(make.user(Role.ADMIN))
    answer = set_period(client, "12", sector="space travel")
    assert answer.status_code == 400 and "Choose a sector" in answer.get_data(as_text=True)
    assert periods() == []


def test_learners_and_trainers_have_no_refresher_periods_page(client: Any, auth: Any, make: Factory) -> None:
    auth.sign_in(make.learner())
    assert client.get(URL).status_code == 403
    assert "Refresher periods" not in client.get("/").get_data(as_text=True)
    auth.sign_out()
    auth.sign_in(make.user(Role.TRAINER))
    assert client.get(URL).status_code == 403


def test_empty_states(client: Any, auth: Any, make: Factory) -> None:
    auth.sign_in(make.manager())
    page = client.get(URL).get_data(as_text=True)
    assert "You do not manage any organisation yet" in page
    assert "Set a period for an organisation" not in page
    auth.sign_out()
    auth.sign_in(make.manager(make.organisation("Riverside School")))
    page = client.get(URL).get_data(as_text=True)
    assert "No organisation of yours has set a period of its own" in page
    assert "No sector has a period of its own for your organisations" in page
    assert "Set a period for an organisation" in page


def test_the_admins_page_has_both_forms_with_distinct_ids(client: Any, auth: Any, make: Factory) -> None:
    make.organisation("Riverside School")
    auth.sign_in(make.user(Role.ADMIN))
    page = client.get(URL).get_data(as_text=True)
    assert "Set a period for an organisation" in page and "Set a period for a sector" in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_the_page_makes_as_many_queries_for_many_periods_as_for_one(
    client: Any, auth: Any, make: Factory, count_queries: QueryCounter
) -> None:
    organisations = [make.organisation(f"School {n}") for n in range(6)]
    manager = make.manager(*organisations)
    auth.sign_in(manager)

    def page_queries() -> int:
        count_queries.statements.clear()
        assert client.get(URL).status_code == 200
        return count_queries.count

    db.session.add(RefresherPeriod(module_slug=SAFE, organisation_id=organisations[0].id, months=12, set_by_id=manager.id))
    db.session.commit()
    one = page_queries()
    db.session.add_all([
        RefresherPeriod(module_slug=SAFE, organisation_id=o.id, months=12, set_by_id=manager.id) for o in organisations[1:]
    ])  # fmt: skip
    db.session.add(RefresherPeriod(module_slug=SAFE, sector=Sector.EDUCATION, months=24, set_by_id=manager.id))
    db.session.commit()
    assert page_queries() == one
    assert one <= 10


def test_setting_the_same_period_again_changes_nothing(client: Any, auth: Any, completed: dict[str, Any]) -> None:
    auth.sign_in(completed["manager"])
    set_period(client, "12", organisation=completed["school"].id)
    certificates = db.session.scalar(select(func.count()).select_from(Certificate))
    again = set_period(client, "12", organisation=completed["school"].id)
    assert again.status_code == 302
    assert "already has a refresher period of 12 months" in client.get(URL).get_data(as_text=True)
    assert len(periods()) == 1
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == certificates


# At the same moment -------------------------------------------------------------------------------


def test_setting_the_same_period_together_stores_one_row_and_renews_once(
    completed: dict[str, Any], served: str
) -> None:
    office = Visitor(served)
    office.sign_in(completed["manager"].email)
    token = office.token(URL)
    data = {"csrf_token": token, "organisation": str(completed["school"].id), "module": SAFE, "months": "12",
            "confirm": "yes"}  # fmt: skip
    answers = office.together("POST", f"{URL}/organisation", data=data)
    no_server_errors(answers)
    assert {a.status_code for a in answers} == {302}
    assert periods() == [(completed["school"].id, None, SAFE, 12)]
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 2  # the first, and one renewal
    assert expiry_of(completed["learner"]) == add_months(completed["done"], 12)
    set_entries = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == Action.SET_REFRESHER_PERIOD.value, AuditEntry.subject_id.is_(None)
        )
    )
    assert set_entries == 1


def test_a_learners_event_and_a_new_period_together_both_count(completed: dict[str, Any], served: str) -> None:
    """A period set while the learner reads: whichever goes first, the learner ends with the new period."""
    learner, school = completed["learner"], completed["school"]
    office, reader = Visitor(served), Visitor(served)
    office.sign_in(completed["manager"].email)
    reader.sign_in(learner.email)
    module = catalogue().module(SAFE)
    assert module is not None
    section = module.sections[0].id
    setting = {"csrf_token": office.token(URL), "organisation": str(school.id), "module": SAFE, "months": "12",
               "confirm": "yes"}  # fmt: skip
    reading = {"csrf_token": reader.token(f"/modules/{SAFE}/{section}")}
    answers = burst(
        [
            ("POST", f"{URL}/organisation", {"data": setting, "cookies": office.session.cookies}),
            ("POST", f"/modules/{SAFE}/{section}/read", {"data": reading, "cookies": reader.session.cookies}),
        ],
        served,
    )
    no_server_errors(answers)
    assert expiry_of(learner) == add_months(completed["done"], 12)
