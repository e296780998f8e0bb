"""The sign-in page, a failed sign-in with its error summary, and the error pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from induction.accounts.models import Role

from .harness import Audit, LiveServer
from .steps import answer_quiz, heading, sign_in

pytestmark = pytest.mark.browser


def test_sign_in_failures_show_an_error_summary(test_content_server: LiveServer, audit: Audit) -> None:
    server = test_content_server
    email = server.person("Wren Wrongpass")
    page = audit.new_page()

    page.goto(f"{server.url}/sign-in")
    expect(heading(page)).to_have_text("Sign in")
    audit.check(page, "Sign in")

    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link", name="Enter your e-mail address.")).to_be_visible()
    expect(page.get_by_label("E-mail address")).to_have_attribute("aria-invalid", "true")
    audit.check(page, "Sign in, nothing entered")
    summary.get_by_role("link", name="Enter your e-mail address.").click()
    expect(page.get_by_label("E-mail address")).to_be_focused()

    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    audit.check(page, "Sign in, wrong password")
    audit.assert_clean()


def test_error_pages(test_content_server: LiveServer, audit: Audit) -> None:
    server = test_content_server
    page = audit.new_page()

    response = page.goto(f"{server.url}/no-such-page")
    assert response is not None and response.status == 404
    expect(heading(page)).to_have_text("Page not found")
    audit.check(page, "404, signed out")

    response = page.goto(f"{server.url}/manage/")
    expect(heading(page)).to_have_text("Sign in")
    expect(page.get_by_role("status")).to_have_text("Please sign in to see that page.")
    audit.check(page, "Sign in, asked to sign in first")

    sign_in(page, server.url, server.person("Lou Learner", Role.LEARNER))
    response = page.goto(f"{server.url}/modules/no-such-module")
    assert response is not None and response.status == 404
    expect(heading(page)).to_have_text("Page not found")
    audit.check(page, "404, signed in")

    response = page.goto(f"{server.url}/manage/")
    assert response is not None and response.status == 403
    expect(heading(page)).to_have_text("You cannot see this page")
    audit.check(page, "403, a learner on the reports")
    audit.assert_clean()


def test_change_password_errors(test_content_server: LiveServer, audit: Audit) -> None:
    server = test_content_server
    page = audit.new_page()
    sign_in(page, server.url, server.person("Cass Changer"))
    page.get_by_role("link", name="Password").click()
    expect(heading(page)).to_have_text("Change your password")
    audit.check(page, "Change password")

    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("New password again").fill("different")
    page.get_by_role("button", name="Change password").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(page.get_by_label("New password", exact=True)).to_have_attribute("aria-invalid", "true")
    audit.check(page, "Change password, errors")
    audit.assert_clean()


def test_no_attempts_left(test_content_server: LiveServer, audit: Audit) -> None:
    server = test_content_server
    quiz = server.catalogue.quizzes["first-steps"]
    page = audit.new_page()
    sign_in(page, server.url, server.person("Uma Unlucky"))
    for _ in range(quiz.max_attempts):
        page.goto(f"{server.url}/quizzes/first-steps")
        answer_quiz(page, quiz, right=False)
    expect(page.get_by_text("You have used all your attempts.")).to_be_visible()
    audit.check(page, "Result, no attempts left")

    response = page.goto(f"{server.url}/quizzes/first-steps")
    assert response is not None and response.status == 403
    expect(heading(page)).to_have_text("No attempts left")
    audit.check(page, "No attempts left")
    audit.assert_clean()
