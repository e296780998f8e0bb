"""Sign-in links that let a new learner set their password; each works once, for 7 days."""

from __future__ import annotations

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from induction.accounts.models import User
from induction.extensions import db
from induction.mail import MailError, send

MAX_AGE = 7 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="set-password")


def _fingerprint(user: User) -> str:
    # Changes when the password is set, so a used link stops working.
    return (user.password_hash or "unset")[-16:]


def link_for(user: User) -> str:
    token = _serializer().dumps({"u": user.uuid, "p": _fingerprint(user)})
    return current_app.config["BASE_URL"] + url_for("accounts.set_password", token=token)


def user_for(token: str) -> tuple[User | None, str | None]:
    """The user a link is for, or why it cannot be used."""
    try:
        data = _serializer().loads(token, max_age=MAX_AGE)
    except SignatureExpired:
        return None, "This link has expired. Ask your manager to send a new one."
    except BadSignature:
        return None, "This link is not valid. Check you copied all of it."
    user = db.session.scalar(select(User).where(User.uuid == data.get("u")))
    if user is None or data.get("p") != _fingerprint(user):
        return None, "This link has already been used. Sign in with your password."
    return user, None


def send_invitation(user: User) -> None:
    """E-mail the learner their link; raises MailError if it cannot be sent."""
    organisation = user.organisation.name if user.organisation else "your organisation"
    send(
        user.email,
        "Set up your induction account",
        f"Hello {user.name},\n\n{organisation} has added you to the induction platform.\n"
        f"Choose your password here (the link works for 7 days):\n\n{link_for(user)}\n\n"
        "If you did not expect this e-mail, you can ignore it.\n",
    )


def invite_or_link(user: User) -> str | None:
    """E-mail the learner their link; if that fails, return the link to hand over instead."""
    try:
        send_invitation(user)
    except MailError:
        return link_for(user)
    return None
