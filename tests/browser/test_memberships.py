"""A manager moves a teaching assistant to another school with the keyboard, after a confirmation that
says what travels with her; each school's manager then sees that school's part only (issue 17)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from induction.accounts.models import Role

from .harness import Audit, LiveServer
from .steps import expect_notice, heading, sign_in
from .test_keyboard import tab_to

pytestmark = pytest.mark.browser


def choose(page: Page, selector: str, value: str) -> None:
    """Reach a control with Tab and set it from the keyboard."""
    tab_to(page, selector)
    page.keyboard.press("Space") if value == "check" else page.locator(selector).select_option(label=value)


def test_a_manager_moves_a_learner_to_another_school_from_the_keyboard(
    test_content_server: LiveServer, audit: Audit
) -> None:
    server = test_content_server
    old = server.organisation("Oakfield Primary")
    new = server.organisation("Elm Street Primary", induction_weeks=8)
    server.item(old, "Tour of Oakfield")
    server.item(new, "Meet the Elm Street reading lead")
    learner = server.person("Priya Moving", organisation_id=old, job_role="Teaching assistant")
    server.complete_modules(learner)
    trust = server.person("Tess Trust", Role.MANAGER, managed=(old, new))
    elm = server.person("Eli Elm", Role.MANAGER, managed=(new,))

    page = audit.new_page()
    sign_in(page, server.url, trust)
    page.get_by_label("Name or e-mail").fill("priya")
    page.locator("form.filters [type=submit]").click()
    page.get_by_role("link", name="Priya Moving").click()
    page.get_by_role("link", name="Move them or add them to another organisation").click()
    expect(heading(page)).to_have_text("Priya Moving's organisations")
    audit.check(page, "A learner's organisations")

    # The form from the keyboard: move (the default), from Oakfield to Elm Street.
    choose(page, "#leaving", "Oakfield Primary")
    choose(page, "#to", "Elm Street Primary")
    tab_to(page, "#job_role")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Reading assistant")
    tab_to(page, "main button[type=submit]")
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Move Priya Moving from Oakfield Primary to Elm Street Primary?")
    expect(page.get_by_text("What travels with them")).to_be_visible()
    expect(page.get_by_text("Meet the Elm Street reading lead")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("1, none of them done yet")
    audit.check(page, "Move, confirmation")
    tab_to(page, "main button[type=submit]")
    page.keyboard.press("Enter")
    expect_notice(page, "Priya Moving has moved from Oakfield Primary to Elm Street Primary.")
    expect(page.locator("main")).to_contain_text("Meet the Elm Street reading lead")
    expect(page.locator(".timeline")).to_contain_text("Left Oakfield Primary")
    audit.check(page, "The learner's page after the move")

    # Elm Street's own manager: the learner, with Elm Street's item only, and the modules that came with her.
    other = audit.new_page()
    sign_in(other, server.url, elm)
    other.get_by_role("link", name="Priya Moving").click()
    expect(other.locator("main")).to_contain_text("Meet the Elm Street reading lead")
    expect(other.locator("main")).not_to_contain_text("Tour of Oakfield")
    expect(other.locator("main")).not_to_contain_text("Oakfield Primary")
    expect(other.locator("main")).to_contain_text("2 of 2")  # the modules travelled
    audit.check(other, "The new school's view of the learner")
    audit.assert_clean()
