"""Sending a form as a person does: open the page that holds it, then post it with that page's CSRF token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask.testing import FlaskClient

from .conftest import csrf_from


def submit(
    client: FlaskClient, url: str, data: Mapping[str, Any] | None = None, *, form_url: str | None = None, **options: Any
) -> Any:
    """GET `form_url` (by default `url` itself), take the csrf_token of its form, POST `data` with it
    to `url` and return the answer. `options` go to the POST (follow_redirects, headers, ...)."""
    page = client.get(form_url or url)
    html = page.get_data(as_text=True)
    assert 'name="csrf_token"' in html, f"GET {form_url or url} answered {page.status} without a form to send"
    return client.post(url, data={"csrf_token": csrf_from(html), **(data or {})}, **options)
