"""Projections of the statements that the learner's pages read, and quiz attempts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from induction.clock import utcnow
from induction.database import enum_type
from induction.extensions import db
from induction.rules import Status


class ModuleProgress(db.Model):  # type: ignore[name-defined,misc]
    """Where a learner stands on one module, as the completion rules read the statements."""

    __tablename__ = "module_progress"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    module_slug: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[Status] = mapped_column(enum_type(Status, 20), index=True)
    read_sections: Mapped[str] = mapped_column(Text, default="[]")
    read_count: Mapped[int] = mapped_column(default=0)
    passed: Mapped[bool] = mapped_column(default=False)
    completed_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    last_activity_at: Mapped[datetime | None]
    outdated: Mapped[bool] = mapped_column(default=False)
    registration: Mapped[str | None] = mapped_column(String(36))


class QuizAttempt(db.Model):  # type: ignore[name-defined,misc]
    """One attempt at a quiz: the questions drawn and their option order stay on the server."""

    __tablename__ = "quiz_attempts"
    # At most one open (unsubmitted) attempt per learner and quiz, whatever arrives together.
    __table_args__ = (
        Index(
            "uq_quiz_attempts_open",
            "user_id",
            "quiz_slug",
            unique=True,
            sqlite_where=text("submitted_at IS NULL"),
            postgresql_where=text("submitted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_slug: Mapped[str] = mapped_column(String(100))
    module_revision: Mapped[str] = mapped_column(String(60))
    registration: Mapped[str] = mapped_column(String(36))
    draw: Mapped[str] = mapped_column(Text)
    responses: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    score_raw: Mapped[int | None]
    score_max: Mapped[int | None]
    passed: Mapped[bool | None]


class AttemptAllowance(db.Model):  # type: ignore[name-defined,misc]
    """Extra quiz attempts a manager has allowed a learner beyond the quiz's max_attempts."""

    __tablename__ = "attempt_allowances"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    quiz_slug: Mapped[str] = mapped_column(String(100), primary_key=True)
    extra: Mapped[int] = mapped_column(default=0)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Evaluation(db.Model):  # type: ignore[name-defined,misc]
    """A learner's evaluation of the induction; trainers read it without names."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    ratings: Mapped[str] = mapped_column(Text, default="{}")
    change: Mapped[str] = mapped_column(Text, default="")
    comments: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)


class LearnerStatus(db.Model):  # type: ignore[name-defined,misc]
    """One row per learner and organisation they are currently in, summing up their induction as that
    organisation sees it (the modules, which travel with the person, and that organisation's items),
    so reports filter, sort and count in SQL.

    Like module_progress it holds nothing that depends on the clock: "expired",
    "overdue" and "refresher due" are read from next_expiry and due_date at query time.
    """

    __tablename__ = "learner_status"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[Status] = mapped_column(enum_type(Status, 20), index=True)
    modules_done: Mapped[int] = mapped_column(default=0)
    items_done: Mapped[int] = mapped_column(default=0)
    items_total: Mapped[int] = mapped_column(default=0)
    next_expiry: Mapped[datetime | None] = mapped_column(index=True)
    last_activity_at: Mapped[datetime | None]
    due_date: Mapped[date | None] = mapped_column(index=True)
    # The slugs of the modules done (completed or waived), each between bars ("|a|b|"), so the report
    # counts each module's completions from this table alone (plans.status.done_slugs).
    done_modules: Mapped[str] = mapped_column(Text, default="", server_default="")
