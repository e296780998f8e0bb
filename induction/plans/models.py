"""Elements 1 and 2 of induction (organisation and role items) and each learner's plan."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from induction.accounts.models import Organisation, User
from induction.clock import utcnow
from induction.extensions import db


class InductionItem(db.Model):  # type: ignore[name-defined,misc]
    """Something a learner does to be inducted into the setting (no job role) or their role."""

    __tablename__ = "induction_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    job_role: Mapped[str | None] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()

    @property
    def element(self) -> int:
        return 2 if self.job_role else 1


class ItemProgress(db.Model):  # type: ignore[name-defined,misc]
    """A learner's progress on an item: marked done by them, signed off by a manager."""

    __tablename__ = "item_progress"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("induction_items.id", ondelete="CASCADE"), primary_key=True)
    marked_done_at: Mapped[datetime | None]
    signed_off_at: Mapped[datetime | None]
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    statement_id: Mapped[str | None] = mapped_column(String(36))


class InductionPlan(db.Model):  # type: ignore[name-defined,misc]
    """The learner's plan: when they started, when induction is due, and who agreed it."""

    __tablename__ = "induction_plans"
    __table_args__ = (UniqueConstraint("user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    due_date: Mapped[date]
    due_reason: Mapped[str] = mapped_column(Text, default="")
    agreed_at: Mapped[datetime | None]
    agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    agreed_by: Mapped[User | None] = relationship(foreign_keys=[agreed_by_id])


class Waiver(db.Model):  # type: ignore[name-defined,misc]
    """A module waived for prior learning: the `waived` statement and, once undone, its void."""

    __tablename__ = "waivers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    module_slug: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    statement_id: Mapped[str] = mapped_column(String(36))
    waived_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    waived_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    waived_by: Mapped[User] = relationship(foreign_keys=[waived_by_id])
