"""Set-password links: each works once, for 7 days, and only while it is the newest one.

The link carries a random id that is also stored on the account; sending a new link
replaces the id (the old link dies), and setting the password clears it. A link is shown
on screen only for an account that has never had a password, and only when the e-mail
could not be sent; for anyone with a password it goes to their own inbox or nowhere.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from induction.accounts.models import User
from induction.clock import utcnow
from induction.extensions import db
from induction.mail import MailError, send

MAX_AGE = 7 * 24 * 3600
RESET_MAX_AGE = 3600  # a link asked for with "Forgot your password?" works for an hour


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="set-password")


def link_for(user: User, reset: bool = False) -> str:
    """A new link for `user`, which replaces any earlier one (flushed; the caller commits).

    A `reset` link (asked for by the person, not sent by a manager) works for an hour only."""
    user.password_link_id = secrets.token_urlsafe(16)
    db.session.flush()
    data = {"u": user.uuid, "l": user.password_link_id} | ({"r": 1} if reset else {})
    token = _serializer().dumps(data)
    return current_app.config["BASE_URL"] + url_for("accounts.set_password", token=token)


def user_for(token: str) -> tuple[User | None, str | None]:
    """The user a link is for, or why it cannot be used."""
    try:
        data, signed_at = _serializer().loads(token, max_age=MAX_AGE, return_timestamp=True)
    except SignatureExpired:
        return None, "This link has expired. Ask your manager to send a new one."
    except BadSignature:
        return None, "This link is not valid. Check you copied all of it."
    if data.get("r") and (utcnow() - signed_at.replace(tzinfo=None)).total_seconds() > RESET_MAX_AGE:
        return None, "This link has expired: it worked for an hour. Ask for a new one with “Forgot your password?”."
    user = db.session.scalar(select(User).where(User.uuid == data.get("u")))
    if user is None or not user.password_link_id or data.get("l") != user.password_link_id:
        return None, (
            "This link has already been used, or a newer one has been sent. "
            "Sign in with your password, or use the newest link."
        )
    return user, None


def send_invitation(user: User) -> None:
    """E-mail the person a new link; raises MailError if it cannot be sent."""
    organisation = user.organisation.name if user.organisation else "your organisation"
    if user.password_hash:
        subject = "Set a new password for your induction account"
        opening = "You can choose a new password for the induction platform here"
    else:
        subject = "Set up your induction account"
        opening = f"{organisation} has added you to the induction platform.\nChoose your password here"
    send(
        user.email,
        subject,
        f"Hello {user.name},\n\n{opening} (the link works for 7 days):\n\n{link_for(user)}\n\n"
        "If you did not expect this e-mail, you can ignore it.\n",
    )


def send_reset(user: User) -> None:
    """E-mail the person who asked "Forgot your password?" a link for an hour; raises MailError."""
    send(
        user.email,
        "Choose a new password for your induction account",
        f"Hello {user.name},\n\nSomeone, probably you, asked to choose a new password for the induction "
        f"platform. Choose it here (the link works once, for an hour):\n\n{link_for(user, reset=True)}\n\n"
        "If you did not ask, you can ignore this e-mail: your password stays as it is.\n",
    )


@dataclass(frozen=True)
class Invitation:
    """What happened when a link was sent, and what to tell the person who asked."""

    sent: bool
    name: str
    email: str
    link: str | None = None  # only for an account without a password, when the e-mail failed

    @property
    def notice(self) -> tuple[str, str]:
        """A message for `flash`, and its category."""
        if self.sent:
            return f"{self.name} has been e-mailed a link to set their password.", "success"
        if self.link:
            return f"The e-mail could not be sent. Give {self.name} this link: {self.link}", "info"
        return (
            f"The e-mail to {self.email} could not be sent. Nothing else was changed; try again later.",
            "info",
        )


def invite(user: User) -> Invitation:
    """E-mail `user` a new link (flushed; the caller commits).

    If the e-mail fails, an account that has never had a password gets the link back, to be
    handed over once; for an account with a password the link is never shown and the link
    it already had stays the one that works."""
    previous = user.password_link_id
    try:
        send_invitation(user)
    except MailError:
        if user.password_hash is None:
            return Invitation(False, user.name, user.email, link_for(user))
        user.password_link_id = previous
        db.session.flush()
        return Invitation(False, user.name, user.email)
    return Invitation(True, user.name, user.email)
