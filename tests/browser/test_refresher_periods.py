"""A manager sets a shorter refresher period for their organisation, confirms it, sees it in effect,
and removes it again with the keyboard alone; every page checked with axe at 360 px and 1280 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from induction.accounts.models import Role

from .harness import Audit, LiveServer
from .steps import expect_notice, heading, sign_in
from .test_keyboard import tab_to

pytestmark = pytest.mark.browser


def test_a_manager_sets_and_removes_a_refresher_period(test_content_server: LiveServer, audit: Audit) -> None:
    server = test_content_server
    school = server.organisation("Meadow Primary Refreshers")
    manager = server.person("Rhea Refresh", Role.MANAGER, managed=(school,))
    learner = server.person("Lee Learner", organisation_id=school)
    server.complete_modules(learner)

    page = audit.new_page()
    sign_in(page, server.url, manager)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Refresher periods").click()
    expect(heading(page)).to_have_text("Refresher periods")
    expect(page.locator("main")).to_contain_text("No organisation of yours has set a period of its own")
    audit.check(page, "Refresher periods, none set")

    form = page.locator("form").filter(has=page.get_by_role("button", name="Continue"))
    form.get_by_label("Module").select_option(label="Staying safe (every 36 months)")
    form.get_by_label("Refresher period in months").fill("36")
    form.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(re.compile(r"^Error: Refresher periods"))
    expect(page.locator(".error-summary")).to_contain_text("from 1 to 35 months")
    expect(page.get_by_label("Refresher period in months")).to_have_attribute("aria-invalid", "true")
    audit.check(page, "Refresher periods, a period too long")

    page.get_by_label("Refresher period in months").fill("12")
    page.get_by_role("button", name="Continue").click()
    expect(heading(page)).to_have_text("Refresh “Staying safe” every 12 months for Meadow Primary Refreshers?")
    expect(page.locator("main")).to_contain_text("This changes the refresher date of 1 learner.")
    audit.check(page, "Refresher period, confirm")
    page.get_by_role("button", name="Yes, set the period").click()
    expect_notice(page, "Staying safe is now refreshed every 12 months for Meadow Primary Refreshers.")
    expect(page.locator("main")).to_contain_text("every 12 months (set by the organisation)")
    audit.check(page, "Refresher periods, one set")

    # Undo with the keyboard: Tab to the row's Remove link, Enter, then Enter on the confirmation's button.
    tab_to(page, "a[href$='/remove']", limit=60)
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text(re.compile(r"^Remove the 12-month period for “Staying safe”"))
    expect(page.locator("main")).to_contain_text("This changes the refresher date of 1 learner.")
    audit.check(page, "Refresher period, confirm removal")
    tab_to(page, "button.button-danger")
    page.keyboard.press("Enter")
    expect_notice(page, "is refreshed every 36 months (the module's own period) again")
    expect(page.locator("main")).to_contain_text("No organisation of yours has set a period of its own")
    audit.assert_clean()


def test_an_admin_sets_a_sectors_period(test_content_server: LiveServer, audit: Audit) -> None:
    server = test_content_server
    server.organisation("Little Acorns Refreshers", sector="early years")
    admin = server.person("Ada Admin", Role.ADMIN)

    page = audit.new_page()
    sign_in(page, server.url, admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Refresher periods").click()
    expect(heading(page)).to_have_text("Refresher periods")
    audit.check(page, "Refresher periods, as an admin")

    form = page.locator("form[action$='/refresher-periods/sector']")
    form.get_by_label("Sector").select_option(label="Early years")
    form.get_by_label("Module").select_option(label="Staying safe (every 36 months)")
    form.get_by_label("Refresher period in months").fill("24")
    form.get_by_role("button", name="Continue").click()
    expect(heading(page)).to_have_text("Refresh “Staying safe” every 24 months for every early years organisation?")
    audit.check(page, "Sector period, confirm")
    page.get_by_role("button", name="Yes, set the period").click()
    expect_notice(page, "Staying safe is now refreshed every 24 months for every early years organisation.")
    sectors = page.locator("main table").filter(has=page.get_by_role("columnheader", name="Sector", exact=True))
    expect(sectors.locator("tbody tr")).to_contain_text(["Early years"])
    audit.check(page, "Refresher periods, a sector's set")

    sectors.get_by_role("link", name=re.compile("^Remove")).click()
    page.get_by_role("button", name="Yes, remove it").click()
    expect_notice(page, "is refreshed every 36 months (the module's own period) again")
    audit.assert_clean()
