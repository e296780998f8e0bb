"""Every page of the real modules: welcome, module, each section, the quiz and a result, read by a learner."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .harness import REAL_CONTENT, Audit, LiveServer
from .steps import answer_quiz, heading, sign_in

pytestmark = pytest.mark.browser

MODULE_FOLDERS = sorted(p.name for p in (REAL_CONTENT / "modules").iterdir() if p.is_dir())


def test_welcome_and_home(real_content_server: LiveServer, audit: Audit) -> None:
    server = real_content_server
    page = audit.new_page()
    sign_in(page, server.url, server.person("Wel Come"))
    audit.check(page, "Home")
    welcome = server.catalogue.welcome
    assert welcome is not None
    page.get_by_role("link", name=welcome.title).first.click()
    expect(heading(page)).to_have_text(welcome.title)
    audit.check(page, "Welcome")
    audit.assert_clean()


@pytest.mark.parametrize("folder", MODULE_FOLDERS)
def test_every_page_of_a_module(real_content_server: LiveServer, audit: Audit, folder: str) -> None:
    server = real_content_server
    module = next(m for m in server.catalogue.modules if m.folder == folder)
    quiz = server.catalogue.quiz_for(module)
    page = audit.new_page()
    sign_in(page, server.url, server.person(f"Reader {folder}"))

    page.goto(f"{server.url}/modules/{module.slug}")
    expect(heading(page)).to_have_text(module.title)
    audit.check(page, f"Module {module.title}")
    page.get_by_role("link", name="Start reading").click()
    for number, section in enumerate(module.sections, start=1):
        expect(heading(page)).to_have_text(section.title)
        expect(page.get_by_text(f"Section {number} of {len(module.sections)}")).to_be_visible()
        audit.check(page, f"Section {number} {section.title}")
        if number < len(module.sections):
            page.locator(".pager button").click()  # "Next: …", which records the section as read
    page.get_by_role("button", name="Mark as read and take the quiz").click()
    expect(heading(page)).to_have_text(f"Quiz: {module.title}")
    audit.check(page, f"Quiz {module.title}")

    answers = [False] + [True] * (quiz.questions_per_attempt - 1)  # feedback on a wrong answer and right ones
    answer_quiz(page, quiz, answers)
    audit.check(page, f"Result {module.title}")
    audit.assert_clean()
