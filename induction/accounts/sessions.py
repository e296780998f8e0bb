"""Sign-ins the server can end: one `UserSession` row per sign-in on a device.

Flask-Login keeps the row's random id (not the user's id) in the session cookie and in the
remember-me cookie. Deleting the row ends that sign-in at once, whatever copies of the
cookies exist; each sign-in gets a new id, so remember-me cookies change at every sign-in.
Every request that needs the signed-in person checks the sign-in with one query (`load_user`):
the ORM `User` for most views, or, for views marked `reads_only`, a plain `SignedIn` row.
Plain functions that flush but never commit, apart from `touch_seen`, which runs after
the response is made.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

from flask import current_app, g, request, session
from sqlalchemy import ColumnElement, bindparam, delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import contains_eager

from induction.accounts.models import Organisation, Role, User, UserSession
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


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The signed-in person as a plain row, for the pages that only read who they are (`reads_only`).

    What Flask-Login and those pages' templates use, with no ORM object behind it: nothing here can
    be changed or lazily loaded. A view that writes, or needs the organisation, gets the ORM `User`."""

    id: int
    uuid: str
    name: str
    email: str
    role: Role
    organisation_id: int | None
    session_id: str

    is_authenticated: ClassVar[bool] = True
    is_active: ClassVar[bool] = True  # an account switched off has no live sign-in (`load_user`)
    is_anonymous: ClassVar[bool] = False

    def get_id(self) -> str:
        return self.session_id

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


View = TypeVar("View", bound=Callable[..., Any])


def reads_only(view: View) -> View:
    """Mark a view whose GET (and HEAD) only reads the signed-in person's own columns (`SignedIn`):
    `current_user` is then a plain row from the sign-in check, with no ORM `User` to build."""
    view.reads_only = True  # type: ignore[attr-defined]
    return view


# Built once: what the check needs of the sign-in, its user and their organisation, by the sign-in's id.
_LOAD = (
    select(UserSession.id, UserSession.remember, UserSession.created_at, UserSession.last_seen_at, User)
    .join(User, User.id == UserSession.user_id)
    .outerjoin(Organisation, Organisation.id == User.organisation_id)
    .options(contains_eager(User.organisation))
    .where(UserSession.id == bindparam("session_id"))
)
# The same check for `reads_only` views: plain columns, no ORM objects (run on the session's connection).
_LOAD_ROW = (
    select(
        UserSession.remember,
        UserSession.created_at,
        UserSession.last_seen_at,
        User.active,
        User.id,
        User.uuid,
        User.name,
        User.email,
        User.role,
        User.organisation_id,
    )
    .join(User, User.id == UserSession.user_id)
    .where(UserSession.id == bindparam("session_id"))
)


def _reads_only() -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "reads_only", False))


def load_user(session_id: str) -> User | SignedIn | None:
    """The person of a sign-in that is still live, for Flask-Login; None once it has ended.

    A `SignedIn` row for a `reads_only` view's GET, the ORM `User` (with their organisation) otherwise."""
    if _reads_only():
        row = _reading_connection().execute(_LOAD_ROW, {"session_id": session_id}).first()
        if row is None or not _live(session_id, row.remember, row.created_at, row.last_seen_at, row.active):
            return None
        return SignedIn(row.id, row.uuid, row.name, row.email, row.role, row.organisation_id, session_id)
    # One query for the sign-in, the user and their organisation: the organisation lands in the
    # session's identity map, so `user.organisation` (in statements, on pages) costs no query.
    found = db.session.execute(_LOAD, {"session_id": session_id}).first()
    if found is None:
        return None
    session_id, remember, created_at, last_seen_at, user = found  # no object to build for the sign-in
    if not _live(session_id, remember, created_at, last_seen_at, user.active):
        return None
    user.session_id = session_id
    return user


# A page that only reads runs its queries without a transaction on PostgreSQL: no BEGIN before the
# first query, no ROLLBACK when the connection goes back to the pool (two round trips of four). At
# READ COMMITTED, the default, each statement sees its own snapshot either way. SQLite's driver only
# begins a transaction before a write, so a read there has no BEGIN to save.
_WITHOUT_TRANSACTION = {"isolation_level": "AUTOCOMMIT"}


def _reading_connection() -> Any:
    orm = db.session()  # the request's session: the page's own query runs on the same connection
    if not orm.in_transaction() and orm.get_bind().dialect.name == "postgresql":
        return orm.connection(execution_options=_WITHOUT_TRANSACTION)
    return orm.connection()


def _live(session_id: str, remember: bool, created_at: datetime, last_seen_at: datetime, active: bool) -> bool:
    """Whether the sign-in is still live; if so, and its last use is due to be recorded, note it."""
    now = utcnow()
    over = (now - created_at > _remember_limit()) if remember else (now - last_seen_at > _idle_limit())
    if over or not active:
        return False
    if now - last_seen_at >= TOUCH_EVERY:
        g.touch_session = session_id
        session.modified = True  # the cookie's expiry moves on with the sign-in's
    return True


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


def restored_from_cookie(sender: Any, user: Any = None, **extra: Any) -> None:
    """Mark a session restored from the remember-me cookie as this browser's, as signing in does.

    Flask-Login 0.6 restores the sign-in without the identifier (`_id`: a hash of the address and
    browser) that "strong" session protection compares on every later request, so the restored
    session was dropped, with the remember-me cookie, at the very next request."""
    session["_id"] = current_app.login_manager._session_identifier_generator()  # type: ignore[attr-defined]  # noqa: SLF001
