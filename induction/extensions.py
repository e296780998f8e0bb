"""Extension objects, created once and bound to the app in create_app."""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

READS = frozenset({"GET", "HEAD", "OPTIONS"})


def check_limits_on_writes_only(app: Flask) -> None:
    """Run Flask-Limiter's per-request check only for requests that can write.

    Flask-Limiter works out the limits of every request before its view, which costs a page about as
    much as building its navigation. Every limit here is on a POST (sign-in, "Forgot your password?",
    setting a password: `methods=["POST"]`), so a GET, HEAD or OPTIONS skips the check. With default
    or application-wide limits the check would matter for reads too, so this refuses to start;
    tests/test_page_speed.py checks that every decorated limit names its methods, and no read."""
    if limiter.limit_manager.default_limits or limiter.limit_manager.application_limits:
        raise RuntimeError("limits on every request: the limiter's check cannot skip reads")
    hooks = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit
    place = hooks.index(check)

    def check_writes() -> None:
        if request.method not in READS:
            check()

    hooks[place] = check_writes
