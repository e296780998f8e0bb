"""A manager sets up induction: imports learners from CSV, adds an item, and works on a learner's page.

Then, in a second journey, filters the report, downloads the filtered CSV export and reads
the equality monitoring report.
"""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from induction.accounts.models import Role, User
from induction.extensions import db

from .harness import Audit, LiveServer
from .steps import expect_notice, heading, open_details, sign_in

pytestmark = pytest.mark.browser

TODAY = date.today().isoformat()
HEADING = "name,email,job role,role group,start date"
BAD_ROWS = f"""{HEADING}
Ada Import,ada.import@brookside.example.org,Teaching assistant,2,{TODAY}
Bo Noaddress,bo.noaddress,Cook,1,{TODAY}
Cy Group,cy.group@brookside.example.org,Cook,9,{TODAY}
Di Date,di.date@brookside.example.org,Cook,1,1 September 2026
Ada Twice,ada.import@brookside.example.org,Cook,1,{TODAY}
"""
GOOD_ROWS = f"""{HEADING}
Ada Import,ada.import@brookside.example.org,Teaching assistant,2,{TODAY}
Ben Import,ben.import@brookside.example.org,Teaching assistant,3,{TODAY}
Cal Import,cal.import@brookside.example.org,Cook,1,{TODAY}
"""
EXPORT_HEADER = [
    "Name", "E-mail", "Organisation", "Sector", "Job role", "Role group", "Status", "Modules done",
    "Items signed off", "Due", "Overdue", "Refresher due", "Last activity",
]  # fmt: skip


def accounts_with(server: LiveServer, emails: list[str]) -> list[str]:
    """Which of these e-mail addresses have an account."""
    with server.app.app_context():
        return list(db.session.scalars(select(User.email).where(User.email.in_(emails))))


def learner_count(page: Page) -> int:
    """The count in 'N learners match.' above the report's list."""
    text = page.locator("main p").filter(has_text=re.compile(r"^\s*\d+ learners? match")).inner_text()
    found = re.match(r"\s*(\d+)", text)
    assert found is not None, text
    return int(found.group(1))


def table_with(page: Page, column: str) -> Locator:
    """The table on the page that has a column headed `column`."""
    return page.locator("main table").filter(has=page.get_by_role("columnheader", name=column, exact=True))


def upload(page: Page, organisation: str, path: Path) -> None:
    """Choose the organisation and the file on the import page and send them."""
    page.get_by_label("Organisation").select_option(label=organisation)
    page.get_by_label("CSV file").set_input_files(path)
    page.get_by_role("button", name="Check the file").click()


def test_a_manager_imports_learners_adds_an_item_and_works_on_a_learner(
    test_content_server: LiveServer, audit: Audit, tmp_path: Path
) -> None:
    server = test_content_server
    school = server.organisation("Brookside Academy")
    manager = server.person("Mina Manager", Role.MANAGER, managed=(school,))
    bad_file, good_file = tmp_path / "learners-with-problems.csv", tmp_path / "learners.csv"
    bad_file.write_text(BAD_ROWS, encoding="utf-8")
    good_file.write_text(GOOD_ROWS, encoding="utf-8")
    page = audit.new_page()
    sign_in(page, server.url, manager)
    expect(heading(page)).to_have_text("Induction reports")

    # Import: a file with faults is refused whole, with every faulty line listed.
    page.get_by_role("link", name="Import learners from CSV").click()
    expect(heading(page)).to_have_text("Import learners from a CSV file")
    audit.check(page, "Import")
    upload(page, "Brookside Academy", bad_file)
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("heading")).to_have_text("4 rows of learners-with-problems.csv need fixing")
    expect(summary.locator("li")).to_have_text(
        [
            re.compile(r"^Line 3: .*bo\.noaddress.*e-mail address"),
            re.compile(r"^Line 4: .*role group.*'9'"),
            re.compile(r"^Line 5: .*start date.*'1 September 2026'"),
            re.compile(r"^Line 6: .*ada\.import@brookside\.example\.org.*line 2"),
        ]
    )
    expect(heading(page)).to_have_text("Import 1 learner into Brookside Academy?")
    expect(page.get_by_role("button", name="Import only this learner")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    audit.check(page, "Import, rows with problems")
    in_the_bad_file = [
        "ada.import@brookside.example.org",
        "cy.group@brookside.example.org",
        "di.date@brookside.example.org",
    ]
    assert accounts_with(server, in_the_bad_file) == []  # nothing until the manager confirms

    page.get_by_role("link", name="No, I will fix the file and upload it again").click()
    upload(page, "Brookside Academy", good_file)
    expect(heading(page)).to_have_text("Import 3 learners into Brookside Academy?")
    expect(page.locator("main tbody tr")).to_have_count(3)
    audit.check(page, "Import, checked")
    page.get_by_role("button", name="Yes, import these 3 learners").click()
    expect_notice(page, "Imported 3 learners into Brookside Academy.")
    expect(heading(page)).to_have_text("3 learners added to Brookside Academy")
    expect(page.locator("main tbody tr td:first-child a")).to_have_text(["Ada Import", "Ben Import", "Cal Import"])
    audit.check(page, "Import, who was added")
    imported = [
        "ada.import@brookside.example.org",
        "ben.import@brookside.example.org",
        "cal.import@brookside.example.org",
    ]
    assert sorted(accounts_with(server, imported)) == imported
    assert all(len(server.mailbox.to(email)) == 1 for email in imported)  # each got a sign-in link
    page.get_by_role("link", name="See Brookside Academy's learners").click()
    assert learner_count(page) == 3
    audit.check(page, "Reports after the import")

    # An organisation item, which every learner of the school then has.
    page.get_by_role("link", name="Organisation and role items for Brookside Academy").click()
    expect(heading(page)).to_have_text("Organisation and role items: Brookside Academy")
    assert page.url == f"{server.url}/manage/organisations/{school}/items"
    audit.check(page, "Items, none yet")
    page.get_by_label("What the learner does").fill("Fire safety walk-round")
    page.get_by_label("More detail (optional)").fill("Walk the escape routes with the site manager.")
    page.get_by_role("button", name="Add the item").click()
    expect_notice(page, "Added: Fire safety walk-round.")
    expect(page.locator("main tbody tr")).to_have_count(1)
    expect(page.locator("main tbody tr")).to_contain_text("Everyone (setting)")
    audit.check(page, "Items, one added")

    # A learner's page, opened from the report.
    page.get_by_role("link", name="Reports").first.click()
    page.get_by_role("link", name="Ada Import").click()
    expect(heading(page)).to_have_text("Ada Import")
    audit.check(page, "Learner")

    page.get_by_role("link", name="Sign off Fire safety walk-round").click()
    expect(heading(page)).to_have_text("Sign off this item for Ada Import?")
    audit.check(page, "Sign off, confirm")
    page.get_by_role("button", name="Yes, sign it off").click()
    expect_notice(page, "Signed off: Fire safety walk-round.")
    items = table_with(page, "Sign-off")
    expect(items.locator("tbody tr").filter(has_text="Fire safety walk-round")).to_contain_text("Signed off")
    expect(page.get_by_role("link", name="Sign off Fire safety walk-round")).to_have_count(0)

    waiver = open_details(page, "Waive a module for prior learning")
    audit.check(page, "Learner, waiver form open")
    waiver.get_by_role("button", name="Waive the module").click()
    waiver = page.locator("details[open]").filter(has_text="Waive a module for prior learning")
    expect(page.locator(".error-summary")).to_contain_text("Choose the module to waive.")
    expect(page).to_have_title(re.compile(r"^Error: Ada Import"))
    expect(waiver.get_by_label("Module")).to_have_attribute("aria-invalid", "true")
    audit.check(page, "Learner, waiver with nothing chosen")
    waiver.get_by_label("Module").select_option(label="First steps")
    waiver.get_by_label("Reason").fill("Level 3 Diploma for the Children's Workforce, 2024")
    waiver.get_by_role("button", name="Waive the module").click()
    expect_notice(page, "First steps is waived for Ada Import.")
    first_steps = table_with(page, "Sections read").locator("tbody tr").filter(has_text="First steps")
    expect(first_steps).to_contain_text("Waived: Level 3 Diploma for the Children's Workforce, 2024")
    audit.check(page, "Learner, module waived")

    first_steps.get_by_role("link", name="Undo the waiver of First steps").click()
    expect(heading(page)).to_have_text("Undo the waiver of First steps?")
    audit.check(page, "Undo the waiver")
    page.get_by_role("button", name="Yes, undo the waiver").click()
    expect_notice(page, "The waiver is undone.")
    expect(first_steps).not_to_contain_text("Waived:")
    expect(page.get_by_role("link", name="Undo the waiver of First steps")).to_have_count(0)

    due = date.today() + timedelta(weeks=20)
    change = open_details(page, "Change the due date")
    change.get_by_label("New due date").fill(due.isoformat())
    change.get_by_label("Reason").fill("Works three days a week")
    change.get_by_role("button", name="Change the due date").click()
    expect_notice(page, f"The due date is now {due.day} {due:%B %Y}.")
    plan = page.locator("dl.facts").nth(1)
    expect(plan).to_contain_text("(Works three days a week)")
    expect(plan).to_contain_text("Not yet agreed")
    audit.check(page, "Learner, due date changed")

    page.get_by_role("link", name="Agree this plan").click()
    expect(heading(page)).to_have_text("Agree Ada Import's plan?")
    audit.check(page, "Agree the plan, confirm")
    page.get_by_role("button", name="Yes, agree the plan").click()
    expect_notice(page, "You have agreed Ada Import's plan.")
    expect(plan).to_contain_text("by Mina Manager")
    expect(page.get_by_role("link", name="Agree this plan")).to_have_count(0)
    audit.check(page, "Learner, plan agreed")
    audit.assert_clean()


def test_a_manager_filters_the_report_exports_it_and_reads_the_equality_report(
    test_content_server: LiveServer, audit: Audit
) -> None:
    server = test_content_server
    centre = server.organisation("Eastgate Family Centre", "social care and family support", ownership="voluntary")
    club = server.organisation("Eastgate Youth Club", "youth", ownership="voluntary")
    for name, organisation, job_role in [
        ("Ezra Family", centre, "Family support worker"),
        ("Esme Family", centre, "Family support worker"),
        ("Eli Cook", centre, "Cook"),
        ("Eve Youth", club, "Family support worker"),
    ]:
        server.person(name, organisation_id=organisation, job_role=job_role)
    manager = server.person("Mo Exporter", Role.MANAGER, managed=(centre, club))
    page = audit.new_page()
    sign_in(page, server.url, manager)
    assert learner_count(page) == 4

    filters = page.locator("form.filters")
    filters.get_by_label("Organisation").select_option(label="Eastgate Family Centre")
    filters.get_by_label("Job role").select_option(label="Family support worker")
    filters.get_by_role("button", name="Show").click()
    expect(page.get_by_label("Job role")).to_have_value("Family support worker")
    assert learner_count(page) == 2
    listed = table_with(page, "Last activity").locator("tbody tr td:nth-child(2) > a")
    expect(listed).to_have_text(["Esme Family", "Ezra Family"])
    audit.check(page, "Reports, filtered")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these as CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"induction-{date.today().isoformat()}.csv"
    with download.path().open(encoding="utf-8-sig", newline="") as exported:
        rows = list(csv.reader(exported))
    assert rows[0] == EXPORT_HEADER
    assert sorted(row[0] for row in rows[1:]) == ["Esme Family", "Ezra Family"]
    for row in rows[1:]:
        assert row[2] == "Eastgate Family Centre" and row[4] == "Family support worker", row

    page.get_by_role("link", name="Equality monitoring").click()
    expect(heading(page)).to_have_text("Equality monitoring")
    expect(page.locator("main table caption")).to_have_text(["Age", "Sex", "Ethnic group", "Disability"])
    audit.check(page, "Equality monitoring")
    audit.assert_clean()


def test_a_manager_finds_people_reminds_them_and_signs_off_their_items_in_bulk(
    test_content_server: LiveServer, audit: Audit
) -> None:
    server = test_content_server
    school = server.organisation("Hillside Primary")
    club = server.organisation("Hillside Boxing Club", "sport and culture", ownership="voluntary")
    in_school = server.person("Jo Hillside", organisation_id=school, job_role="Teaching assistant")
    in_club = server.person("Jo Hillside", organisation_id=club, job_role="Coach")
    server.person("Kim Other", organisation_id=club, job_role="Coach")
    fire = server.item(school, "Fire drill with the site team")
    policy = server.item(school, "Read the behaviour policy")
    manager = server.person("Hana Manager", Role.MANAGER, managed=(school, club))
    page = audit.new_page()
    sign_in(page, server.url, manager)

    # Search: two people with one name, told apart by their address and organisation.
    page.get_by_label("Name or e-mail").fill("jo hill")
    page.locator("form.filters [type=submit]").click()
    expect(page.get_by_label("Name or e-mail")).to_have_value("jo hill")
    assert learner_count(page) == 2
    rows = table_with(page, "Last activity").locator("tbody tr")
    expect(rows.filter(has_text=in_school)).to_contain_text("Hillside Primary")
    expect(rows.filter(has_text=in_club)).to_contain_text("Hillside Boxing Club")
    expect(rows.filter(has_text="Kim Other")).to_have_count(0)
    audit.check(page, "Reports, searched by name")

    # A reminder now, to both, from the list: preview, confirm, sent once.
    page.get_by_label(f"Choose Jo Hillside, {in_school}").check()
    page.get_by_label(f"Choose Jo Hillside, {in_club}").check()
    page.get_by_role("button", name="Send a reminder now").click()
    expect(heading(page)).to_have_text("Send this reminder to 2 learners?")
    expect(page.locator(".mail-preview")).to_contain_text("Hana Manager has sent you a reminder")
    audit.check(page, "Reminder, preview")
    assert server.mailbox.to(in_school) == []
    page.get_by_role("button", name="Yes, send them now").click()
    expect_notice(page, "Reminder sent to Jo Hillside, Jo Hillside.")
    assert len(server.mailbox.to(in_school)) == 1 and len(server.mailbox.to(in_club)) == 1
    audit.check(page, "Reports, reminders sent")

    # The learner's page says so, and offers no second reminder today.
    table_with(page, "Last activity").locator("tbody tr").filter(has_text=in_school).get_by_role(
        "link", name="Jo Hillside"
    ).click()
    expect(page.get_by_text("Reminded today at")).to_be_visible()
    expect(page.get_by_role("link", name="Send a reminder now")).to_have_count(0)

    # Bulk sign-off: tick both items, confirm, both signed off.
    page.get_by_label("Choose Fire drill with the site team").check()
    page.get_by_label("Choose Read the behaviour policy").check()
    page.get_by_role("button", name="Sign off the ticked items").click()
    expect(heading(page)).to_have_text("Sign off 2 items for Jo Hillside?")
    audit.check(page, "Bulk sign-off, confirm")
    page.get_by_role("button", name="Yes, sign them off").click()
    expect_notice(page, "Signed off: Fire drill with the site team; Read the behaviour policy.")
    items = table_with(page, "Sign-off").locator("tbody tr")
    expect(items.filter(has_text="Signed off")).to_have_count(2)
    assert fire and policy

    # The learner page's errors: a summary at the top, the message by the field, "Error:" in the title.
    change = open_details(page, "Change the due date")
    change.get_by_label("New due date").fill((date.today() + timedelta(weeks=4)).isoformat())
    change.get_by_role("button", name="Change the due date").click()
    expect(page).to_have_title(re.compile(r"^Error: Jo Hillside"))
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Give a reason for the change.")
    assert summary.bounding_box()["y"] < heading(page).bounding_box()["y"]  # type: ignore[index]
    expect(page.locator("#due-reason-error")).to_contain_text("Give a reason for the change.")
    summary.get_by_role("link", name="Give a reason for the change.").click()
    expect(page.locator("#due-reason")).to_be_focused()
    audit.check(page, "Learner, due date without a reason")
    audit.assert_clean()
