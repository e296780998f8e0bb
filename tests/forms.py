"""Sending a form as a person does: open the page that holds it, then post it with that page's CSRF token."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask.testing import FlaskClient


def csrf_from(html: str) -> str:
    """The CSRF token of the (first) form on a page."""
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def submit(
    client: FlaskClient, url: str, data: Mapping[str, Any] | None = None, *, form_url: str | None = None, **options: Any
) -> Any:
    """GET `form_url` (by default `url` itself), which must answer 200 with a form, take its csrf_token,
    POST `data` with it to `url` and return the answer. `options` go to the POST (follow_redirects, headers, ...)."""
    form = form_url or url
    page = client.get(form)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="csrf_token"' in html, f"GET {form} answered {page.status}, not a form"
    return client.post(url, data={"csrf_token": csrf_from(html), **(data or {})}, **options)
