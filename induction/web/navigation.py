"""The main navigation, rendered once per role and page: the same links on every request.

`templates/_navigation.html` depends only on the signed-in person's role, the page's endpoint and
blueprint, and where the app is mounted, so its HTML is rendered once per combination, per app, and
then reused (a bounded cache: the combinations are few). base.html adds the sign-out form, which
carries the request's CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from flask import Flask, current_app, request
from markupsafe import Markup

Rendered = Callable[[str, str, str | None, str | None], Markup]


def _rendering(app: Flask) -> Rendered:
    @lru_cache(maxsize=512)
    def rendered(script_root: str, role: str, endpoint: str | None, blueprint: str | None) -> Markup:
        template = app.jinja_env.get_template("_navigation.html")
        # The template is autoescaped (.html), so what it renders is safe HTML already.
        return Markup(template.render(role=role, endpoint=endpoint, blueprint=blueprint))  # noqa: S704 - autoescaped template

    return rendered


def navigation(role: object) -> Markup:
    """The navigation's links (`<li>` items) for `role` on this request's page."""
    rendered: Rendered = current_app.extensions["navigation"]
    return rendered(request.script_root, str(role), request.endpoint, request.blueprint)


def init_app(app: Flask) -> None:
    app.extensions["navigation"] = _rendering(app)
    app.jinja_env.globals["navigation"] = navigation
