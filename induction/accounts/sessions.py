"""Sign-ins the server can end: one `UserSession` row per sign-in on a device.

Flask-Login keeps the row's random id (not the user's id) in the session cookie and in the
remember-me cookie. Deleting the row ends that sign-in at once, whatever copies of the
cookies exist; each sign-in gets a new id, so remember-me cookies change at every sign-in.
Plain functions that flush but never commit, apart from `touch_seen`, which runs after
the response is made.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from flask import current_app, g, session
from sqlalchemy import ColumnElement, bindparam, delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import contains_eager

from induction.accounts.models import Organisation, User, UserSession
from induction.clock import utcnow
from induction.extensions import db

log = logging.getLogger("induction")

# `last_seen_at` is written at most this often, so a busy user does not cost a write per request.
TOUCH_EVERY = timedelta(minutes=1)


def start(user: User, remember: bool, user_agent: str | None = None) -> UserSession:
    """A new sign-in for `user`; `user.get_id()` now answers its id, for `login_user`."""
    row = UserSession(
        id=secrets.token_urlsafe(32), user_id=user.id, remember=remember, user_agent=(user_agent or "")[:200] or None
    )
    db.session.add(row)
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id, _expired()))
    db.session.flush()
    user.session_id = row.id
    return row


def _idle_limit() -> timedelta:
    return timedelta(seconds=current_app.config["PERMANENT_SESSION_LIFETIME"]) + TOUCH_EVERY


def _remember_limit() -> timedelta:
    duration = current_app.config["REMEMBER_COOKIE_DURATION"]
    return duration if isinstance(duration, timedelta) else timedelta(seconds=duration)


def _expired() -> ColumnElement[bool]:
    """A condition true for sign-ins past their idle timeout (or, with remember-me, their duration)."""
    now = utcnow()
    return (UserSession.remember.is_(False) & (UserSession.last_seen_at < now - _idle_limit())) | (
        UserSession.remember.is_(True) & (UserSession.created_at < now - _remember_limit())
    )


# Built once: what the check needs of the sign-in, its user and their organisation, by the sign-in's id.
_LOAD = (
    select(UserSession.id, UserSession.remember, UserSession.created_at, UserSession.last_seen_at, User)
    .join(User, User.id == UserSession.user_id)
    .outerjoin(Organisation, Organisation.id == User.organisation_id)
    .options(contains_eager(User.organisation))
    .where(UserSession.id == bindparam("session_id"))
)


def load_user(session_id: str) -> User | None:
    """The user of a sign-in that is still live, for Flask-Login; None once it has ended."""
    # One query for the sign-in, the user and their organisation: the organisation lands in the
    # session's identity map, so `user.organisation` (in statements, on pages) costs no query.
    found = db.session.execute(_LOAD, {"session_id": session_id}).first()
    if found is None:
        return None
    session_id, remember, created_at, last_seen_at, user = found  # no object to build for the sign-in
    now = utcnow()
    over = (now - created_at > _remember_limit()) if remember else (now - last_seen_at > _idle_limit())
    if over or not user.active:
        return None
    if now - last_seen_at >= TOUCH_EVERY:
        g.touch_session = session_id
        session.modified = True  # the cookie's expiry moves on with the sign-in's
    user.session_id = session_id
    return user


def touch_seen() -> None:
    """Record that the sign-in loaded in this request was used, if it is due (see `load_user`).

    Runs after the view: anything the view left uncommitted is discarded first, as the end of
    the request would discard it. A failure here is logged, never shown."""
    session_id = g.pop("touch_session", None)
    if session_id is None:
        return
    try:
        db.session.rollback()
        db.session.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=utcnow()))
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("could not record a session's last use: %s", error)


def end(session_id: str | None) -> None:
    """End one sign-in."""
    if session_id:
        db.session.execute(delete(UserSession).where(UserSession.id == session_id))
        db.session.flush()


def end_all(user: User, keep: str | None = None) -> int:
    """End every sign-in of `user` on every device, except `keep`; how many were ended."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        query = query.where(UserSession.id != keep)
    result = db.session.execute(query)
    db.session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def live_count(user: User) -> int:
    """How many sign-ins of `user` may still be in use (expired ones are not counted)."""
    query = select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id, ~_expired())
    return db.session.scalar(query) or 0
