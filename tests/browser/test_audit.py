"""The audit itself: it must report what it looks for when it is there."""

from __future__ import annotations

import pytest
from playwright.sync_api import Route

from .harness import Audit

pytestmark = pytest.mark.browser

GIF = "data:image/gif;base64,R0lGODlhAQABAAAAACw="
BAD_PAGE = f"""<!doctype html><html lang="en"><head><title>Bad</title></head><body><main>
<h1>Bad</h1><img src="{GIF}"><img class="wide" alt="" width="500" height="10" src="{GIF}">
<p style="color: red">An inline style, which the site's CSP refuses.</p></main></body></html>"""


def test_the_audit_reports_violations_sideways_scrolling_and_csp_errors(audit: Audit) -> None:
    def bad_page(route: Route) -> None:
        route.fulfill(body=BAD_PAGE, content_type="text/html", headers={"Content-Security-Policy": "style-src 'self'"})

    page = audit.new_page()
    page.route("http://audit.test/", bad_page)
    page.goto("http://audit.test/")
    audit.check(page, "A page with faults")
    found = "\n".join(audit.problems)
    audit.problems.clear()
    assert "image-alt (critical)" in found and "target img" in found
    assert "the page scrolls sideways (scrollWidth 5" in found and "img.wide (right edge" in found
    assert "Content Security Policy" in found
