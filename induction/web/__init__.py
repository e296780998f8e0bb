"""Cross-cutting web behaviour: security headers, error pages and the health check."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Blueprint, Flask, abort, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from induction.database import MAX_ID
from induction.extensions import READS, db
from induction.web import cookies

log = logging.getLogger("induction")
bp = Blueprint("web", __name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

MESSAGES = {
    400: ("Something in that request was not right", "The page could not use what was sent. Go back and try again."),
    401: ("Please sign in", "You need to sign in to see this page."),
    403: ("You cannot see this page", "Your account does not give you access to this page."),
    404: ("Page not found", "There is no page at this address. Check it, or start from your home page."),
    405: ("That action is not allowed here", "This address does not accept that kind of request."),
    413: ("The file is too large", "Files up to 5 MB can be uploaded."),
    429: ("Too many attempts", "You have tried too many times. Wait a few minutes, then try again."),
    500: ("Something went wrong on our side", "The error has been logged. Please try again in a few minutes."),
}


@bp.get("/healthz")
def healthz() -> Any:
    """ok only when the database answers and accepts writes: the probe writes a row's value back
    to itself and rolls back, so nothing is changed, but a read-only database fails it."""
    try:
        db.session.execute(text("UPDATE alembic_version SET version_num = version_num"))
    except Exception:  # any database failure means "not healthy"
        log.exception("health check failed")
        return jsonify(status="unavailable", database="cannot be written"), 503
    finally:
        _rollback()
    return jsonify(status="ok")


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the database is gone: the pool will open a fresh connection later
        log.warning("rollback failed", exc_info=True)


def _wants_json() -> bool:
    return request.path.startswith("/xapi/") or request.path == "/healthz"


def _error_page(code: int, detail: str | None = None) -> Any:
    title, message = MESSAGES.get(code, MESSAGES[500])
    if _wants_json():
        return jsonify(error=title, detail=detail or message), code
    try:
        return render_template("error.html", code=code, title=title, message=detail or message), code
    except Exception:  # e.g. the database is down, so the page header cannot load the signed-in user
        log.exception("the error page could not be shown in full, request id %s", g.get("request_id"))
        # Rendered straight from the template, without the context processors that load the user.
        page = current_app.jinja_env.get_template("error_plain.html").render(
            code=code, title=title, message=detail or message, request_id=g.get("request_id", "")
        )
        return page, code


class BoundedInt(IntegerConverter):
    """`<int:…>` in every URL: an id beyond what the database can hold is simply not found
    (a 404), instead of an "integer out of range" error from the database."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


OUT_OF_RANGE = (
    "A number, date or piece of text in what was sent is out of range or too long. "
    "Check what you entered and try again."
)


def init_app(app: Flask) -> None:
    cookies.init_app(app)  # the session cookie opened, and the CSRF token signed, once per value
    app.url_map.converters["int"] = BoundedInt
    app.register_blueprint(bp)

    @app.before_request
    def _request_id() -> None:
        g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex

    @app.before_request
    def _no_nul_characters() -> None:
        # PostgreSQL text cannot hold NUL: an address or search with one is refused before any query sees it.
        if "\x00" in request.path or any("\x00" in k + v for k, v in request.args.items(multi=True)):
            abort(400, "The address contains a NUL character (%00), which no page here accepts.")
        # (The LRS reads its own bodies, the alternate syntax's form included, and checks them itself.)
        if (
            request.method not in READS  # a read's body is never used: no form to parse
            and not request.path.startswith("/xapi/")
            and any("\x00" in k + v for k, v in request.form.items(multi=True))
        ):
            abort(400, "What was sent contains a NUL character, which no form here accepts. Remove it and try again.")

    @app.after_request
    def _headers(response: Any) -> Any:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Request-Id"] = g.get("request_id", "")
        if request.endpoint not in ("static", "learning.media"):  # the content's images are not personal
            # Pages show people's records; none may be kept by a browser or a shared cache.
            response.headers["Cache-Control"] = "no-store"
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Any:
        return _error_page(
            400, "The form had expired or was not sent from this site. Go back, reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        code = error.code or 500
        detail = error.description if code == 400 and error.description != MESSAGES[400][1] else None
        if code == 400 and detail and detail.startswith("The browser (or proxy) sent a request"):
            detail = None
        return _error_page(code, detail)

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _out_of_range(error: Exception) -> Any:
        # The database (or date arithmetic) refused a value the forms let through: still the
        # sender's input, so a 400 that says so, and nothing stored.
        _rollback()
        log.info("refused an out-of-range value: %s", error)
        return _error_page(400, OUT_OF_RANGE)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        _rollback()
        log.exception("unhandled error, request id %s", g.get("request_id"))
        return _error_page(500)
