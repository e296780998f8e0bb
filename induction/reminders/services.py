"""Reminder e-mails: learners due soon, overdue or due a refresher; managers' weekly summary.

Each reminder is recorded in `reminders_sent` with the condition it is about, so a re-run
sends nothing twice; a message the SMTP server refuses is not recorded, and goes next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from induction import clock
from induction.accounts.models import Role, User
from induction.content import catalogue
from induction.extensions import db
from induction.mail import MailError, send
from induction.reminders.models import ReminderSent
from induction.reporting.services import LearnerRow, all_learner_rows, ensure_rows
from induction.rules import Status

DUE_SOON = timedelta(days=7)


@dataclass
class Outcome:
    sent: int = 0
    skipped: int = 0
    failed: int = 0


def _already(user_id: int, kind: str, condition: str) -> bool:
    return (
        db.session.scalar(
            select(ReminderSent.id).where(
                ReminderSent.user_id == user_id, ReminderSent.kind == kind, ReminderSent.condition == condition
            )
        )
        is not None
    )


def _send_once(user: User, kind: str, condition: str, subject: str, body: str, outcome: Outcome) -> None:
    if _already(user.id, kind, condition):
        outcome.skipped += 1
        return
    try:
        send(user.email, subject, body)
    except MailError:
        outcome.failed += 1
        return
    db.session.add(ReminderSent(user_id=user.id, kind=kind, condition=condition))
    db.session.commit()
    outcome.sent += 1


def learner_reminders(row: LearnerRow, today: date) -> list[tuple[str, str, str, str]]:
    """(kind, condition, subject, body) for each reminder this learner is owed today."""
    found = []
    link = current_app.config["BASE_URL"] + "/"
    if row.status is not Status.COMPLETED and row.due is not None:
        if row.due < today:
            found.append((
                "overdue", row.due.isoformat(), "Your induction is overdue",
                f"Hello {row.user.name},\n\nYour induction was due on {row.due:%-d %B %Y}. "
                f"Please carry on where you left off: {link}\n\nIf something is in the way, talk to your manager.\n",
            ))  # fmt: skip
        elif row.due <= today + DUE_SOON:
            found.append((
                "due-soon", row.due.isoformat(), "Your induction is due soon",
                f"Hello {row.user.name},\n\nYour induction is due on {row.due:%-d %B %Y}. "
                f"You have done {row.done} of {row.total} modules. Carry on here: {link}\n",
            ))  # fmt: skip
    if row.refresher_due is not None:
        found.append((
            "refresher", row.refresher_due.date().isoformat(), "Your safeguarding refresher is due",
            f"Hello {row.user.name},\n\nA module you completed needs refreshing by "
            f"{row.refresher_due:%-d %B %Y}. Sign in to take it again: {link}\n",
        ))  # fmt: skip
    return found


def send_reminders(today: date | None = None) -> Outcome:
    """Send every reminder owed today, once each."""
    day = today or clock.today()
    modules = len(catalogue().modules)
    outcome = Outcome()
    everyone = User(role=Role.ADMIN)  # the scope of the whole platform
    ensure_rows(everyone)
    for row in list(all_learner_rows(everyone, modules, day)):
        if not row.user.active:
            continue
        for kind, condition, subject, body in learner_reminders(row, day):
            _send_once(row.user, kind, condition, subject, body, outcome)
    week = f"{day.isocalendar().year}-W{day.isocalendar().week:02d}"
    managers = db.session.scalars(select(User).where(User.role == Role.MANAGER, User.active.is_(True))).all()
    for manager in managers:
        rows = list(all_learner_rows(manager, modules, day))
        if not rows:
            continue
        _send_once(
            manager, "weekly-summary", week, f"Induction summary for week {week}", _summary(manager, rows), outcome
        )
    return outcome


def _summary(manager: User, rows: list[LearnerRow]) -> str:
    lines = [f"Hello {manager.name},", "", "Where your learners stand this week:", ""]
    names = sorted({r.organisation.name for r in rows})
    for name in names:
        mine = [r for r in rows if r.organisation.name == name]
        lines.append(
            f"{name}: {len(mine)} learners, {sum(r.status is Status.COMPLETED for r in mine)} completed, "
            f"{sum(r.overdue for r in mine)} overdue, "
            f"{sum(r.refresher_due is not None for r in mine)} refresher due soon"
        )
    overdue = [r for r in rows if r.overdue]
    if overdue:
        lines += ["", "Overdue:"] + [f"- {r.user.name}, due {r.due:%-d %B %Y}" for r in overdue[:50]]
    lines += ["", f"See the full report: {current_app.config['BASE_URL']}/manage/", ""]
    return "\n".join(lines)
