"""A reminder a manager sends now, from the report or a learner's page.

Each is recorded in `reminders_sent` as kind "sent now" with the day as its condition; the
table's unique key (learner, kind, condition) lets the database, not a read beforehand,
decide that a learner gets at most one such reminder a day, however many requests race.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from induction.accounts.models import User
from induction.extensions import db
from induction.mail import MailError, send
from induction.reminders.models import ReminderSent

KIND = "sent now"


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str


def message(learner: User, manager: User, due: date | None, done: int, total: int) -> Message:
    """The e-mail a learner gets: where they stand, and the link to carry on."""
    link = current_app.config["BASE_URL"] + "/"
    due_line = f"Your induction is due on {due:%-d %B %Y}. " if due else ""
    body = (
        f"Hello {learner.name},\n\n"
        f"{manager.name} has sent you a reminder about your induction. {due_line}"
        f"You have done {done} of {total} modules.\n\n"
        f"Carry on where you left off: {link}\n\n"
        f"If something is in the way, talk to {manager.name}.\n"
    )
    return Message(learner.email, "A reminder about your induction", body)


def sent_on(learner_ids: list[int], day: date) -> dict[int, datetime]:
    """When each of these learners was sent a reminder now on `day`, if they were."""
    rows = db.session.execute(
        select(ReminderSent.user_id, ReminderSent.sent_at).where(
            ReminderSent.user_id.in_(learner_ids), ReminderSent.kind == KIND, ReminderSent.condition == day.isoformat()
        )
    ).all()
    return {row.user_id: row.sent_at for row in rows}


@dataclass
class Outcome:
    sent: list[User] = field(default_factory=list)
    already: list[User] = field(default_factory=list)
    failed: list[User] = field(default_factory=list)


def send_now(learner: User, mail: Message, day: date, outcome: Outcome) -> None:
    """Claim today's reminder for this learner, send it, and commit; a claim another request
    already holds, or a message the server refuses, leaves nothing recorded."""
    db.session.add(ReminderSent(user_id=learner.id, kind=KIND, condition=day.isoformat()))
    try:
        db.session.flush()  # the unique key: a second claim for today waits, then fails here
    except IntegrityError:
        db.session.rollback()
        outcome.already.append(learner)
        return
    try:
        send(mail.to, mail.subject, mail.body)
    except MailError:
        db.session.rollback()
        outcome.failed.append(learner)
        return
    db.session.commit()
    outcome.sent.append(learner)
