"""The session cookie, opened once per value: a browser sends the same cookie until it changes;
and the form's CSRF token, signed once per session token.

Flask checks the cookie's signature (an HMAC over base64 and JSON) on every request. This interface
keeps what each verified value holds, per app and process, and on the next request with the very
same value checks only its age, as Flask would (too old, or signed in the future: an empty
session). Each request gets its own copy, so nothing one request changes reaches another. The
store is bounded: past `KEPT` values it starts again.

`csrf_token`, the templates' CSRF token: Flask-WTF signs the session's token afresh on each request
(`generate_csrf`). Its signed tokens never expire here (`WTF_CSRF_TIME_LIMIT` is None: the sign-in's
own timeout ends them), so one signed token per session token serves every page of that sign-in.
With a time limit set, every request gets a fresh one as before.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from flask import Flask, Request, current_app, g, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature

KEPT = 4096


class KeptSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        # (secret key, cookie value): (when it was signed, what it holds)
        self.kept: dict[tuple[Any, str], tuple[int, dict[str, Any]]] = {}

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        value = request.cookies.get(self.get_cookie_name(app))
        if not value or not app.secret_key:
            return super().open_session(app, request)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (app.secret_key, value)
        found = self.kept.get(key)
        if found is not None:
            signed, contents = found
            if 0 <= int(time.time()) - signed <= max_age:  # the age check of itsdangerous's TimestampSigner
                return self.session_class(copy.deepcopy(contents))
            self.kept.pop(key, None)
            return self.session_class()
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        try:
            contents, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:  # a bad or expired signature: a new, empty session, as Flask does
            return self.session_class()
        if len(self.kept) >= KEPT:
            self.kept.clear()
        self.kept[key] = (int(signed_at.timestamp()), copy.deepcopy(contents))
        return self.session_class(contents)


def csrf_token() -> str:
    """The CSRF token for this request's forms: `generate_csrf`'s, kept per session token."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    raw = session.get(field)
    if field in g or config.get("WTF_CSRF_TIME_LIMIT") is not None or not isinstance(raw, str) or not secret:
        return str(generate_csrf())
    signed: dict[tuple[Any, str], str] = current_app.extensions["csrf_tokens"]
    key = (secret, raw)
    token = signed.get(key)
    if token is None:
        token = str(generate_csrf())  # signs it, and keeps it in `g` for the request as it always does
        if len(signed) >= KEPT:
            signed.clear()
        signed[key] = token
    else:
        setattr(g, field, token)  # what `generate_csrf` (and FlaskForm) answer for the rest of the request
    return token


def init_app(app: Flask) -> None:
    app.session_interface = KeptSessionInterface()  # the session cookie's signature checked once per value
    app.extensions["csrf_tokens"] = {}
    app.jinja_env.globals["csrf_token"] = csrf_token
    # Flask-WTF also hands its own `csrf_token` to every template through a context processor, which
    # would hide this one: the globals (`csrf_token`, and its `csrf_meta_tag`) serve instead.
    processors = app.template_context_processors[None]
    processors[:] = [p for p in processors if not p.__qualname__.startswith("CSRFProtect.init_app")]
