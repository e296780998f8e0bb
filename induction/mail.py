"""Sending e-mail over SMTP, with settings from the environment."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger("induction.mail")


class MailError(RuntimeError):
    """The message could not be handed to the SMTP server."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    mimetype: str  # e.g. "text/calendar"
    data: bytes
    params: tuple[tuple[str, str], ...] = ()  # Content-Type parameters, e.g. (("method", "REQUEST"),)


def send(to: str, subject: str, body: str, attachments: Sequence[Attachment] = ()) -> None:
    """Send a plain-text e-mail, with any attachments; raises MailError if the server cannot take it."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    for attachment in attachments:
        maintype, subtype = attachment.mimetype.split("/", 1)
        message.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=dict(attachment.params),
        )
    try:
        with smtplib.SMTP(current_app.config["SMTP_HOST"], current_app.config["SMTP_PORT"], timeout=10) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("could not send e-mail to %s: %s", to, error)
        raise MailError(str(error)) from error
