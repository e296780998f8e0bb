"""The session cookie, opened once per value: a browser sends the same cookie until it changes.

Flask checks the cookie's signature (an HMAC over base64 and JSON) on every request. This interface
keeps what each verified value holds, per app and process, and on the next request with the very
same value checks only its age, as Flask would (too old, or signed in the future: an empty
session). Each request gets its own copy, so nothing one request changes reaches another. The
store is bounded: past `KEPT` values it starts again.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
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
