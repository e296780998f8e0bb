"""Sending e-mail over SMTP, with settings from the environment."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger("induction.mail")


class MailError(RuntimeError):
    """The message could not be handed to the SMTP server."""


def send(to: str, subject: str, body: str) -> None:
    """Send a plain-text e-mail; raises MailError if the server cannot take it."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(current_app.config["SMTP_HOST"], current_app.config["SMTP_PORT"], timeout=10) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("could not send e-mail to %s: %s", to, error)
        raise MailError(str(error)) from error
