"""A trainer reads the question statistics, which name nobody; an admin goes through the admin pages."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from induction.accounts.models import Role, User
from induction.extensions import db
from induction.learning.models import Evaluation

from .harness import Audit, LiveServer
from .steps import expect_notice, heading, sign_in

pytestmark = pytest.mark.browser


def evaluate(server: LiveServer, email: str, change: str) -> None:
    """The learner sends an evaluation rating every module 4 out of 5."""
    with server.app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        ratings = {m.slug: 4 for m in server.catalogue.modules}
        db.session.add(Evaluation(user_id=user.id, ratings=json.dumps(ratings), change=change, comments=""))
        db.session.commit()


def learners(server: LiveServer) -> list[tuple[str, str]]:
    """The name and e-mail address of every learner on the server."""
    with server.app.app_context():
        rows = db.session.execute(select(User.name, User.email).where(User.role == Role.LEARNER.value)).all()
        return [(name, email) for name, email in rows]


def test_a_trainer_reads_the_statistics_which_name_no_learner(test_content_server: LiveServer, audit: Audit) -> None:
    server = test_content_server
    organisation = server.organisation("Hilltop Sports Club", "sport and culture", ownership="voluntary")
    for name in ("Tamsin Quizwell", "Theo Quizwell"):
        email = server.person(name, organisation_id=organisation, job_role="Coach")
        server.complete_modules(email)
    evaluate(server, email, "Shorter sections for reading on the bus.")
    trainer = server.person("Trudy Trainer", Role.TRAINER)
    page = audit.new_page()
    sign_in(page, server.url, trainer)

    page.get_by_role("link", name="Statistics").click()
    expect(heading(page)).to_have_text("Question and module statistics")
    assert page.url == f"{server.url}/trainer/"
    modules = page.locator("main table").first.locator("tbody tr")
    expect(modules.locator("th")).to_have_text([m.title for m in server.catalogue.modules])
    for index in range(len(server.catalogue.modules)):
        assert int(modules.nth(index).locator("td").first.inner_text()) >= 2  # at least our two learners' attempts
    expect(page.locator(".comments")).to_contain_text("Shorter sections for reading on the bus.")
    audit.check(page, "Trainer statistics")

    html, text = page.content(), page.locator("body").inner_text()
    everyone = learners(server)
    assert {"Tamsin Quizwell", "Theo Quizwell"} <= {name for name, _ in everyone}
    named = [name for name, email in everyone if name in text or name in html or email in html]
    assert named == [], f"the statistics page names learners: {named}"
    audit.assert_clean()


def test_an_admin_goes_through_organisations_people_and_the_lrs_pages(
    test_content_server: LiveServer, audit: Audit
) -> None:
    server = test_content_server
    organisation = server.organisation("Lakeside Youth Justice Team", "justice")
    server.person("Lena Lookup", organisation_id=organisation, job_role="Case worker")
    admin = server.person("Ari Admin", Role.ADMIN)
    page = audit.new_page()
    sign_in(page, server.url, admin)

    page.get_by_role("link", name="Admin").click()
    expect(heading(page)).to_have_text("Organisations")
    assert page.url == f"{server.url}/admin/"
    expect(page.get_by_role("link", name="Lakeside Youth Justice Team")).to_be_visible()
    audit.check(page, "Admin, organisations")

    page.get_by_role("link", name="People and roles").click()
    expect(heading(page)).to_have_text("People and roles")
    audit.check(page, "Admin, people")
    page.get_by_label("Name or e-mail").fill("Lena Lookup")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_text("1 person.")).to_be_visible()
    page.get_by_role("link", name="Lena Lookup").click()
    expect(heading(page)).to_have_text("Lena Lookup")
    assert page.url.startswith(f"{server.url}/admin/users/")
    expect(page.get_by_label("Full name")).to_have_value("Lena Lookup")
    expect(page.get_by_label("Role", exact=True)).to_have_value("learner")
    expect(page.get_by_label("Organisation (learners)")).to_have_value(str(organisation))
    expect(page.get_by_label("Account switched on")).to_be_checked()
    audit.check(page, "Admin, a person")

    page.get_by_role("link", name="People and roles").click()
    page.locator(".breadcrumb").get_by_role("link", name="Organisations").click()
    page.get_by_role("link", name="Add an organisation").click()
    expect(heading(page)).to_have_text("Add an organisation")
    assert page.url == f"{server.url}/admin/organisations/new"
    audit.check(page, "Admin, add an organisation")
    page.get_by_role("button", name="Save").click()
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("link")).to_have_text(["Enter the organisation's name."])
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    audit.check(page, "Admin, add an organisation, nothing entered")
    summary.get_by_role("link").click()
    expect(page.get_by_label("Name")).to_be_focused()
    page.get_by_label("Name").fill("Harbour Health Visiting Team")
    page.get_by_label("Sector").select_option(label="Health")
    page.get_by_role("button", name="Save").click()
    expect_notice(page, "Saved Harbour Health Visiting Team.")
    expect(page.get_by_role("row", name="Harbour Health Visiting Team")).to_contain_text("Health")

    page.get_by_role("link", name="LRS clients").click()
    expect(heading(page)).to_have_text("LRS clients")
    assert page.url == f"{server.url}/admin/xapi/clients"
    expect(page.get_by_text(f"{server.url}/xapi/")).to_be_visible()
    audit.check(page, "Admin, LRS clients")

    page.get_by_role("link", name="See the forwarding queue").click()
    expect(heading(page)).to_have_text("Forwarding to the external LRS")
    assert page.url == f"{server.url}/admin/xapi/forwarding"
    expect(page.get_by_text("No statements are parked.")).to_be_visible()
    audit.check(page, "Admin, forwarding")
    audit.assert_clean()
