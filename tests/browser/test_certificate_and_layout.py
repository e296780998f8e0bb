"""The certificate in the browser and in print, and the layout at 360 px: spacing, cards, readable text."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from induction.accounts.models import Role

from .harness import NARROW, Audit, LiveServer
from .steps import heading, sign_in

pytestmark = pytest.mark.browser

# Every piece of visible text: its rendered size in CSS px (SVG text scaled as drawn), and whether it
# reaches past the right edge of the screen without a box that scrolls it.
_SMALL_TEXT = """
minimum => {
  const small = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || seen.has(el)) continue;
    seen.add(el);
    if (el.closest('title, desc, script, style, .visually-hidden, .skip-link')) continue;
    const rect = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (rect.width <= 1 || rect.height <= 1 || style.visibility === 'hidden') continue;
    let size = parseFloat(style.fontSize);
    if (el instanceof SVGElement && el.getScreenCTM()) {
      const m = el.getScreenCTM();
      size *= Math.hypot(m.a, m.b);
    }
    if (size < minimum - 0.01) {
      small.push(el.tagName.toLowerCase() + ' "' + node.textContent.trim().slice(0, 40) + '" ' + size.toFixed(1) + ' px');
    }
  }
  return small;
}
"""


def small_text(page: Page) -> list[str]:
    found: list[str] = page.evaluate(_SMALL_TEXT, 12)
    return found


def check_narrow(page: Page, audit: Audit, label: str) -> None:
    """At 360 px: axe clean and no sideways scrolling (the audit), and no text under 12 px."""
    audit.check(page, label)
    before = page.viewport_size
    page.set_viewport_size(NARROW)
    assert small_text(page) == [], f"{label}: text under 12 px at 360 px"
    if before:
        page.set_viewport_size(before)


def padding(page: Page, selector: str) -> dict[str, float]:
    found: dict[str, float] = page.eval_on_selector(
        selector,
        "el => { const s = getComputedStyle(el); return {top: parseFloat(s.paddingTop), "
        "bottom: parseFloat(s.paddingBottom), left: parseFloat(s.paddingLeft)}; }",
    )
    return found


def test_the_certificate_page_prints_as_the_certificate_alone_and_verify_forgives_typing(
    test_content_server: LiveServer, audit: Audit
) -> None:
    server = test_content_server
    centre = server.organisation("St Bartholomew's Church of England Voluntary Aided Primary School and Nursery")
    learner = server.person("Anastasia Featherstonehaugh-Montgomery-Cholmondeley", organisation_id=centre)
    server.complete_modules(learner)
    page = audit.new_page(NARROW)
    sign_in(page, server.url, learner)

    page.get_by_role("link", name="View your certificate").click()
    expect(heading(page)).to_have_text("Certificate of completion")
    certificate = page.locator("article.certificate")
    for module in server.catalogue.modules:
        expect(certificate).to_contain_text(module.title)
    expect(certificate).to_contain_text("Learning time")
    expect(certificate).to_contain_text("Issued by")
    code = (page.locator(".cert-code strong").text_content() or "").strip()
    assert re.fullmatch(r"[0-9A-F]{4}(-[0-9A-F]{4}){3}", code)
    qr, code_box = page.locator("img.cert-qr").bounding_box(), page.locator(".cert-code").bounding_box()
    assert qr and code_box and code_box["y"] >= qr["y"] + qr["height"] - 1  # the code is under the QR code
    check_narrow(page, audit, "Certificate")

    page.emulate_media(media="print")
    expect(page.locator(".site-header nav")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.get_by_role("link", name="Download the certificate (PDF)")).to_be_hidden()
    expect(certificate).to_be_visible()
    page.emulate_media(media="screen")

    stranger = audit.new_page(NARROW)
    stranger.goto(f"{server.url}/verify")
    stranger.get_by_label("Verification code").fill(" " + code.lower().replace("-", " ") + " ")
    stranger.get_by_role("button", name="Check").click()
    expect(stranger.locator(".verdict")).to_have_text("This certificate is valid.")
    assert stranger.url.endswith("/verify/" + code.replace("-", ""))
    check_narrow(stranger, audit, "Verify, a code typed in lower case with spaces")

    stranger.get_by_label("Verification code").fill("not a code")
    stranger.get_by_role("button", name="Check").click()
    expect(stranger).to_have_title(re.compile(r"^Error: "))
    expect(stranger.get_by_role("alert")).to_contain_text("A verification code has 16 letters and numbers")
    check_narrow(stranger, audit, "Verify, not a code")
    audit.assert_clean()


def test_pages_keep_their_spacing_and_readable_text_at_360_px(test_content_server: LiveServer, audit: Audit) -> None:
    server = test_content_server
    school = server.organisation("Riverside Primary School for layout")
    server.item(school, "Read the whistleblowing policy")
    server.item(school, "Meet the designated safeguarding lead")
    learner = server.person("Lola Layout", organisation_id=school, job_role="Teaching assistant")
    page = audit.new_page(NARROW)
    sign_in(page, server.url, learner)

    main = padding(page, "main")
    assert main["top"] >= 16 and main["bottom"] >= 32 and main["left"] >= 16  # .wrap keeps main's padding
    check_narrow(page, audit, "Home")

    page.get_by_role("link", name="Your plan", exact=True).click()
    cards = page.locator(".item-list > li")
    expect(cards).to_have_count(2)
    assert cards.first.evaluate("li => getComputedStyle(li).listStyleType") == "none"  # no stray bullets
    due = page.locator(".facts dd").first
    box = due.bounding_box()
    assert box and box["width"] > 200  # the date has room; it never breaks in the middle of a word
    check_narrow(page, audit, "Plan")

    module = server.catalogue.modules[0]
    page.goto(f"{server.url}/modules/{module.slug}")
    check_narrow(page, audit, "Module")
    audit.assert_clean()


def test_the_report_shows_status_and_due_on_a_phone_and_charts_stay_readable(
    test_content_server: LiveServer, audit: Audit
) -> None:
    server = test_content_server
    school = server.organisation("Riverside Primary School for narrow reports")
    for index in range(4):
        email = server.person(f"Narrow Learner {index}", organisation_id=school, job_role="Teaching assistant")
        if index == 0:
            server.complete_modules(email)
    manager = server.person("Nina Narrow", Role.MANAGER, managed=(school,))
    page = audit.new_page(NARROW)
    sign_in(page, server.url, manager)

    row = page.locator("main tbody tr").filter(has_text="Narrow Learner 1")
    for column in ("Status", "Due"):
        cell = row.locator(f'[data-label="{column}"]')
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= NARROW["width"], column  # on screen, no scrolling
    charts = page.locator("svg.chart")
    assert charts.count() >= 1
    check_narrow(page, audit, "Reports")

    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.locator("main thead").first).to_be_visible()  # a table again on a wide screen
    audit.assert_clean()


def test_the_welcome_diagram_keeps_its_text_readable_at_360_px(real_content_server: LiveServer, audit: Audit) -> None:
    server = real_content_server
    setting = server.organisation("Diagram Day Nursery", "early years", ownership="private")
    learner = server.person("Dara Diagram", organisation_id=setting)
    page = audit.new_page(NARROW)
    sign_in(page, server.url, learner)
    page.goto(f"{server.url}/welcome")
    diagram = page.locator('.prose img[src$=".svg"]').first
    expect(diagram).to_be_visible()
    # The diagram's smallest text is 18 units in a width of 760: shown 507 px wide or more, it is 12 px or more.
    width: Any = diagram.evaluate("img => img.getBoundingClientRect().width")
    assert width >= 507
    expect(page.locator(".prose .scroll-x").filter(has=page.locator('img[src$=".svg"]')).first).to_have_attribute(
        "tabindex", "0"
    )  # it scrolls sideways, and so it can be reached from the keyboard
    check_narrow(page, audit, "Welcome, with the diagram")
    audit.assert_clean()
