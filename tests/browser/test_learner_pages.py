"""A learner's own pages: the plan with its items, equality monitoring, and the evaluation at the end."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from induction.accounts.models import Role

from .harness import Audit, LiveServer
from .steps import expect_notice, heading, sign_in

pytestmark = pytest.mark.browser


def test_a_learner_marks_items_done_answers_monitoring_and_evaluates_the_induction(
    test_content_server: LiveServer, audit: Audit
) -> None:
    server = test_content_server
    centre = server.organisation("Meadow Children's Centre", "early years", ownership="private")
    setting_item = server.item(centre, "Read the safeguarding policy")
    role_item = server.item(centre, "Shadow a home visit", job_role="Family support worker")
    server.item(centre, "Plan a menu", job_role="Cook")  # another role's item, not shown
    manager = server.person("Maud Meadow", Role.MANAGER, managed=(centre,))
    learner = server.person("Priya Plan", organisation_id=centre, job_role="Family support worker")
    modules = server.catalogue.modules
    page = audit.new_page()
    sign_in(page, server.url, learner)

    page.get_by_role("link", name="Your plan", exact=True).click()
    expect(heading(page)).to_have_text("Your induction plan")
    cards = page.locator(".item-list > li")
    expect(cards.get_by_role("heading")).to_have_text(["Read the safeguarding policy", "Shadow a home visit"])
    audit.check(page, "Plan, nothing done")

    cards.first.get_by_role("button", name="I have done this").click()
    expect_notice(page, "Marked done: Read the safeguarding policy.")
    expect(cards.first).to_contain_text("Waiting for sign-off")
    expect(cards.first.get_by_role("button")).to_have_count(0)
    audit.check(page, "Plan, one item done")
    cards.nth(1).get_by_role("button", name="I have done this").click()
    expect(cards.nth(1)).to_contain_text("Waiting for sign-off")

    page.get_by_role("link", name="Equality monitoring (optional)").click()
    expect(heading(page)).to_have_text("Equality monitoring")
    expect(page.get_by_label("Age")).to_have_value("prefer not to say")
    audit.check(page, "About you")
    answers = {
        "Age": "25 to 34",
        "Sex": "female",
        "Ethnic group": "Asian or Asian British",
        "Do you consider yourself to have a disability?": "no",
    }
    for label, value in answers.items():
        page.get_by_label(label).select_option(value)
    page.get_by_role("button", name="Save").click()
    expect(heading(page)).to_have_text("Your induction")
    expect_notice(page, "Thank you. Your answers are only ever reported in groups of 5 or more.")
    page.goto(f"{server.url}/about-you")
    for label, value in answers.items():
        expect(page.get_by_label(label)).to_have_value(value)

    page.goto(f"{server.url}/evaluation")
    expect(heading(page)).to_have_text("Your induction")
    expect_notice(page, "The evaluation opens when you have completed your induction.")
    audit.check(page, "Home, evaluation not open yet")

    for item in (setting_item, role_item):
        server.sign_off(manager, learner, item)
    server.complete_modules(learner)
    page.get_by_role("link", name="Your plan", exact=True).click()
    expect(cards.locator(".badge")).to_have_text([re.compile(r"^Signed off \d")] * 2)
    page.get_by_role("link", name="Modules", exact=True).click()
    expect(page.get_by_role("heading", name="Your certificate")).to_be_visible()
    page.get_by_role("link", name="Tell us what you thought of your induction").click()
    expect(heading(page)).to_have_text("Evaluate your induction")
    ratings = page.locator("form fieldset")
    expect(ratings.locator("legend")).to_have_text([f"How useful was “{m.title}”?" for m in modules])
    for index in range(len(modules)):
        expect(ratings.nth(index).get_by_role("radio")).to_have_count(5)
    audit.check(page, "Evaluation")

    page.get_by_role("button", name="Send").click()
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("link")).to_have_text([f"Rate “{m.title}”." for m in modules])
    audit.check(page, "Evaluation, nothing rated")
    summary.get_by_role("link").first.click()
    expect(page).to_have_url(f"{server.url}/evaluation#{ratings.first.get_attribute('id')}")

    for index in range(len(modules)):
        ratings.nth(index).get_by_label("Useful", exact=True).check()
    page.get_by_label("What would you change about the induction?").fill("More examples from youth work.")
    page.get_by_role("button", name="Send").click()
    expect(heading(page)).to_have_text("Your induction")
    expect_notice(page, "Thank you. Your feedback helps trainers improve the induction.")
    audit.check(page, "Home, evaluation sent")
    audit.assert_clean()
