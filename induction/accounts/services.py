"""Sign-in and password changes: plain functions that flush but never commit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from induction.accounts import invitations, sessions
from induction.accounts.models import User
from induction.accounts.passwords import hash_password, password_matches
from induction.clock import utcnow
from induction.extensions import db
from induction.mail import MailError


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    problem: str | None


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str, allow_demo: bool) -> SignInResult:
    """The user these credentials sign in, or the reason they do not."""
    user = find_user_by_email(email)
    # One hash check whether the account exists, has a password or not (password_matches).
    if not password_matches(user.password_hash if user else None, password) or user is None:
        return SignInResult(None, "The e-mail address or password is not right.")
    if not user.active:
        return SignInResult(None, "This account is switched off. Ask your manager to restore it.")
    if user.demo and not allow_demo:
        return SignInResult(None, "Demo accounts cannot sign in on this server.")
    user.last_sign_in_at = utcnow()
    db.session.flush()
    return SignInResult(user, None)


def change_password(user: User, new_password: str, keep_session: str | None = None) -> None:
    """Set a new password: every sign-in of the account but `keep_session` ends, and no
    set-password link works any more."""
    user.password_hash = hash_password(new_password)
    user.password_link_id = None
    db.session.flush()
    sessions.end_all(user, keep=keep_session)


def request_password_reset(email: str, allow_demo: bool) -> bool:
    """E-mail a one-hour link to choose a new password, if `email` belongs to an account that may
    sign in; True if an e-mail was sent. The caller answers the same either way, so the page
    never tells whether an address has an account. A link sent earlier stops working."""
    user = find_user_by_email(email)
    if user is None or not user.active or (user.demo and not allow_demo):
        return False
    previous = user.password_link_id
    try:
        invitations.send_reset(user)
    except MailError:
        user.password_link_id = previous  # the earlier link, if any, keeps working
        db.session.flush()
        return False
    return True
