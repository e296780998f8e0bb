"""A learner signs in and takes a quiz with the keyboard alone: Tab, Space, arrow keys and Enter."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from induction.content.model import Quiz

from .harness import PASSWORD, Audit, LiveServer
from .steps import heading

pytestmark = pytest.mark.browser

_FOCUSED = """
() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(), id: el.id, text: (el.textContent || '').trim().slice(0, 40),
    outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth) || 0,
  };
}
"""


def focused(page: Page) -> dict[str, str | float]:
    found: dict[str, str | float] = page.evaluate(_FOCUSED)
    return found


def assert_focus_visible(page: Page) -> None:
    """The focused control shows an outline (site.css draws it with :focus-visible)."""
    now = focused(page)
    assert now["outlineStyle"] != "none" and float(now["outlineWidth"]) > 0, f"no visible focus on {now}"


def tab_to(page: Page, selector: str, limit: int = 30) -> None:
    """Press Tab until the focused element matches `selector`, checking focus is visible at every stop."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            assert_focus_visible(page)
            return
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement !== document.body"):
            assert_focus_visible(page)
    raise AssertionError(f"{limit} presses of Tab did not reach {selector}; focus is on {focused(page)}")


def use_skip_link(page: Page) -> None:
    """The first Tab reaches the skip link, which shows on screen; Enter moves focus to the main content."""
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.matches('a.skip-link')"), focused(page)
    assert_focus_visible(page)
    box = page.locator("a.skip-link").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, f"the focused skip link is off screen: {box}"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('main') !== null"), focused(page)


def answer_by_keyboard(page: Page, quiz: Quiz) -> None:
    """Answer every question rightly: arrow keys in a radio group, Space on each wanted checkbox."""
    for question_id in page.locator("fieldset.question").evaluate_all("sets => sets.map(s => s.id.slice(9))"):
        question = quiz.question(question_id)
        assert question is not None
        inputs = page.locator(f"#question-{question_id} input")
        values = inputs.evaluate_all("els => els.map(e => e.value)")
        kind = inputs.first.get_attribute("type")
        tab_to(page, f"#question-{question_id} input")
        if kind == "radio":
            wanted = values.index(next(iter(question.correct_ids)))
            assert page.evaluate("() => document.activeElement.value") == values[0]
            if wanted == 0:
                page.keyboard.press("Space")
            for _ in range(wanted):
                page.keyboard.press("ArrowDown")
                assert_focus_visible(page)
        else:
            for index, value in enumerate(values):
                if value in question.correct_ids:
                    page.keyboard.press("Space")
                if index + 1 < len(values):
                    page.keyboard.press("Tab")
        chosen = inputs.evaluate_all("els => els.filter(e => e.checked).map(e => e.value)")
        assert sorted(chosen) == sorted(question.correct_ids), question_id


def test_a_quiz_taken_with_the_keyboard_alone(test_content_server: LiveServer, audit: Audit) -> None:
    server = test_content_server
    quiz = server.catalogue.quizzes["first-steps"]
    email = server.person("Kim Keys", organisation_id=server.organisation("Keyboard Nursery", "early years"))
    page = audit.new_page()

    page.goto(f"{server.url}/sign-in")
    use_skip_link(page)
    assert page.evaluate("() => document.activeElement.id") == "email"
    page.keyboard.type(email)
    tab_to(page, "#password")
    page.keyboard.type(PASSWORD)
    tab_to(page, "#remember")
    page.keyboard.press("Space")
    tab_to(page, "main button[type=submit]")
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Your induction")

    tab_to(page, "a[href='/modules/first-steps']")
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("First steps")
    tab_to(page, "a[href='/quizzes/first-steps']")
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Quiz: First steps")

    use_skip_link(page)
    tab_to(page, "form.quiz button[type=submit]")
    page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Answer question 1")
    audit.check(page, "Quiz, nothing answered")

    use_skip_link(page)
    tab_to(page, ".error-summary a")
    page.keyboard.press("Enter")
    first_input = page.locator("fieldset.question input").first
    expect(first_input).to_be_focused()
    answer_by_keyboard(page, quiz)
    tab_to(page, "form.quiz button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_text("You passed. Well done.")).to_be_visible()
    audit.check(page, "Result, passed by keyboard")

    tab_to(page, "main .panel a[href='/']")  # "Back to your induction"; the button offers the next module
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Your induction")
    expect(page.locator(".card").first).to_contain_text("In progress")
    audit.assert_clean()
