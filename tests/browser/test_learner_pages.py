"""A learner's own pages: the plan with its items, equality monitoring, and the evaluation at the end."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from induction.accounts.models import Role

from .harness import PASSWORD, Audit, LiveServer
from .steps import expect_notice, heading, sign_in, submit_sign_in

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


def test_a_section_counts_as_read_only_when_the_learner_presses_next(
    test_content_server: LiveServer, audit: Audit
) -> None:
    server = test_content_server
    learner = server.person("Rhys Reader", organisation_id=server.organisation("Harbour Youth Club", "youth"))
    page = audit.new_page()
    sign_in(page, server.url, learner)

    page.goto(f"{server.url}/modules/first-steps/hello")
    page.goto(f"{server.url}/modules/first-steps/next")
    expect(page.get_by_text("This section counts as read when you choose “Mark as read”.")).to_be_visible()
    audit.check(page, "Section, looked at but not read")
    assert server.statements_of(learner) == 0  # GETs record nothing
    page.get_by_role("link", name="Modules", exact=True).click()
    expect(page.locator(".card").first.locator("progress")).to_have_attribute("value", "0")

    page.goto(f"{server.url}/modules/first-steps/hello")
    page.get_by_role("button", name="Next: Next steps").click()
    expect(heading(page)).to_have_text("Next steps")
    assert server.statements_of(learner) == 1
    page.get_by_role("button", name="Mark as read and take the quiz").click()
    expect(heading(page)).to_have_text("Quiz: First steps")
    assert server.statements_of(learner) == 2
    page.get_by_role("link", name="Modules", exact=True).click()
    expect(page.locator(".panel").filter(has_text="Continue where you left off")).to_contain_text("Take the quiz")
    audit.check(page, "Home, module read, quiz next")
    audit.assert_clean()


def test_a_quiz_answered_after_the_sign_in_timed_out_is_kept_and_counted_once(
    test_content_server: LiveServer, audit: Audit
) -> None:
    server = test_content_server
    learner = server.person("Tess Timeout", organisation_id=server.organisation("Willow Nursery", "early years"))
    quiz = server.catalogue.quizzes["first-steps"]
    page = audit.new_page()
    page.clock.install()
    sign_in(page, server.url, learner)
    page.goto(f"{server.url}/quizzes/first-steps")
    expect(heading(page)).to_have_text("Quiz: First steps")
    idle = int(page.locator("form.quiz").get_attribute("data-idle-seconds") or "0")

    page.clock.run_for((idle - 100) * 1000)  # the warning comes before the timeout
    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("You will be signed out in 2 minutes")
    audit.check(page, "Quiz, idle warning")
    warning.get_by_role("button", name="Stay signed in").click()
    expect(page.locator("#idle-warning")).to_be_hidden()

    fieldsets = page.locator("fieldset.question")
    chosen: list[tuple[str, str]] = []
    for index in range(fieldsets.count()):
        fieldset = fieldsets.nth(index)
        question = quiz.question((fieldset.get_attribute("id") or "").removeprefix("question-"))
        assert question is not None
        for option_id in sorted(question.correct_ids):
            fieldset.locator(f'input[value="{option_id}"]').check()
            chosen.append((question.id, option_id))
    server.end_sign_ins(learner)  # the idle timeout passes while the learner thinks
    page.clock.run_for(idle * 1000)
    expect(page.get_by_role("alert")).to_contain_text("You have been signed out")
    page.get_by_role("button", name="Submit answers").click()

    expect(heading(page)).to_have_text("Sign in")
    expect_notice(page, "Your answers are kept: sign in to carry on.")
    audit.check(page, "Sign in, quiz answers kept")
    assert server.statements_of(learner) == 0
    page.get_by_label("E-mail address").fill(learner)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(heading(page)).to_have_text("Quiz: First steps")
    expect_notice(page, "Your answers were kept while you signed in again.")
    for question_id, option_id in chosen:
        expect(page.locator(f'input[name="q-{question_id}"][value="{option_id}"]')).to_be_checked()
    audit.check(page, "Quiz, answers back after sign-in")
    page.get_by_role("button", name="Submit answers").click()
    expect(heading(page)).to_have_text("Your result")
    expect(page.get_by_text("You passed. Well done.")).to_be_visible()
    questions = quiz_questions(page)
    page.goto(f"{server.url}/quizzes/first-steps")  # passed: no new attempt, the answers instead
    expect_notice(page, "You have passed this quiz, so it does not open again.")
    audit.check(page, "Result, passed quiz reopened")
    assert server.statements_of(learner) == len(questions) + 1  # one answered each, one passed
    audit.assert_clean()


def quiz_questions(page: Page) -> list[str]:
    """The questions listed on a result page."""
    return page.locator(".feedback-list > li h3").all_inner_texts()


def test_a_learner_who_forgot_their_password_sets_a_new_one_by_email(
    test_content_server: LiveServer, audit: Audit
) -> None:
    server = test_content_server
    learner = server.person(
        "Fern Forgetful", organisation_id=server.organisation("Brook Sports Club", "sport and culture")
    )
    page = audit.new_page()
    page.goto(f"{server.url}/sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(heading(page)).to_have_text("Forgot your password?")
    audit.check(page, "Forgot your password")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter your e-mail address.")
    audit.check(page, "Forgot your password, no address")

    page.get_by_label("E-mail address").fill("nobody.here@example.org")
    page.get_by_role("button", name="Send me a link").click()
    expect(heading(page)).to_have_text("Check your e-mail")
    unknown_text = page.locator("main").inner_text().replace("nobody.here@example.org", "X")
    page.get_by_role("link", name="ask for another link").click()
    page.get_by_label("E-mail address").fill(learner)
    page.get_by_role("button", name="Send me a link").click()
    expect(heading(page)).to_have_text("Check your e-mail")
    assert page.locator("main").inner_text().replace(learner, "X") == unknown_text  # the same answer
    audit.check(page, "Check your e-mail")

    messages = server.mailbox.to(learner)
    assert len(messages) == 1 and not server.mailbox.to("nobody.here@example.org")
    link = re.search(r"(http://\S+/set-password/\S+)", server.mailbox.body(messages[0]))
    assert link
    page.goto(link.group(1))
    expect(heading(page)).to_have_text("Set your password")
    audit.check(page, "Set a new password")
    page.get_by_label("Choose a password").fill("lantern meadow violin")
    page.get_by_label("The same password again").fill("lantern meadow violin")
    page.get_by_role("button", name="Set my password").click()
    expect(heading(page)).to_have_text("Sign in")
    submit_sign_in(page, learner, "lantern meadow violin")
    expect(heading(page)).to_have_text("Your induction")
    page.goto(link.group(1))
    expect(page.get_by_text("This link has already been used")).to_be_visible()
    audit.check(page, "Reset link used twice")
    audit.assert_clean()
