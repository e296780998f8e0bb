"""Steps that several browser journeys take, as a person would take them."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from induction.content.model import Quiz

from .harness import PASSWORD


def heading(page: Page) -> Locator:
    """The page's h1."""
    return page.get_by_role("heading", level=1)


def sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/sign-in")
    submit_sign_in(page, email, password)


def submit_sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Fill in and send the sign-in form on the page, and wait to be signed in."""
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.wait_for_load_state("load")  # the stylesheet too: layout measured before it arrives is the browser's default


def answer_quiz(page: Page, quiz: Quiz, right: bool | list[bool]) -> None:
    """Tick the right (or a wrong) option of each question on the quiz page, then submit."""
    fieldsets = page.locator("fieldset.question")
    expect(fieldsets.first).to_be_visible()
    for index in range(fieldsets.count()):
        fieldset = fieldsets.nth(index)
        question_id = re.sub(r"^question-", "", fieldset.get_attribute("id") or "")
        question = quiz.question(question_id)
        assert question is not None, question_id
        good = right if isinstance(right, bool) else right[index]
        wanted = sorted(question.correct_ids) if good else [next(o.id for o in question.options if not o.correct)]
        for option_id in wanted:
            fieldset.locator(f'input[value="{option_id}"]').check()
    page.get_by_role("button", name="Submit answers").click()
    expect(heading(page)).to_have_text("Your result")


def expect_notice(page: Page, text: str) -> None:
    """A flashed message (role status) saying `text` is on the page."""
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def open_details(page: Page, summary: str) -> Locator:
    """Open the <details> block whose <summary> reads `summary`, as a click on it would; returns the block."""
    details = page.locator("details").filter(has=page.locator("summary", has_text=summary))
    details.locator("summary").click()
    expect(details).to_have_attribute("open", "")
    return details
