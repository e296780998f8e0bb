"""The templates' `url_for`, remembered: a page builds the same few dozen addresses on every request.

An address depends only on the app, the endpoint, its arguments and where the app is mounted (the
script root), so each is built once per app and process, then looked up. Anything else (an endpoint
relative to the current blueprint, `_external` and the other options, arguments that are not plain
strings or numbers, no request) goes to Flask's `url_for` as before. The cache is bounded, so
addresses built from values that vary without end (page numbers, searches) cannot make it grow
without limit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flask import Flask, current_app, has_request_context, request, url_for

Remembered = Callable[[str, str, tuple[tuple[str, Any], ...]], str]


def _remembering() -> Remembered:
    @lru_cache(maxsize=4096)
    def remembered(script_root: str, endpoint: str, values: tuple[tuple[str, Any], ...]) -> str:
        arguments: dict[str, Any] = dict(values)
        return url_for(endpoint, **arguments)

    return remembered


def template_url_for(endpoint: str, **values: Any) -> str:
    if (
        not has_request_context()
        or endpoint.startswith(".")
        or any(k.startswith("_") or type(v) not in (str, int) for k, v in values.items())
    ):
        return url_for(endpoint, **values)
    remembered: Remembered = current_app.extensions["remembered_urls"]
    return remembered(request.script_root, endpoint, tuple(sorted(values.items())))


def init_app(app: Flask) -> None:
    app.extensions["remembered_urls"] = _remembering()  # one cache per app: each has its own URL map
    app.jinja_env.globals["url_for"] = template_url_for
