"""Sign-in and password changes: plain functions that flush but never commit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from induction.accounts.models import User, utcnow
from induction.accounts.passwords import hash_password, password_matches
from induction.extensions import db

# Compared against when the account is unknown, so that timing does not tell
# whether an address has an account.
_DUMMY_HASH = hash_password("not-a-real-password-at-all")


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    problem: str | None


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str, allow_demo: bool) -> SignInResult:
    """The user these credentials sign in, or the reason they do not."""
    user = find_user_by_email(email)
    if user is None or not password_matches(user.password_hash, password):
        if user is None:
            password_matches(_DUMMY_HASH, password)
        return SignInResult(None, "The e-mail address or password is not right.")
    if not user.active:
        return SignInResult(None, "This account is switched off. Ask your manager to restore it.")
    if user.demo and not allow_demo:
        return SignInResult(None, "Demo accounts cannot sign in on this server.")
    user.last_sign_in_at = utcnow()
    db.session.flush()
    return SignInResult(user, None)


def change_password(user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    db.session.flush()
