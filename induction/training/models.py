"""Training sessions, the places booked on them, and the plan items they sign off."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from induction.accounts.models import User
from induction.clock import utcnow
from induction.database import enum_type
from induction.extensions import db


class BookingStatus(enum.StrEnum):
    BOOKED = "booked"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class TrainingSession(db.Model):  # type: ignore[name-defined,misc]
    """One session of face-to-face or online training, for a module or a topic."""

    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200), index=True)  # sessions of one topic count alike for plans
    module_slug: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)  # naive UTC, as every time the database keeps
    ends_at: Mapped[datetime]
    venue: Mapped[str] = mapped_column(String(300), default="")  # in person
    online_link: Mapped[str] = mapped_column(String(500), default="")  # online
    capacity: Mapped[int]
    max_sector_share: Mapped[int] = mapped_column(default=34)  # per cent of places one sector should fill at most
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    trainer: Mapped[User] = relationship()
    bookings: Mapped[list[Booking]] = relationship(back_populates="session", order_by="Booking.id")

    @property
    def online(self) -> bool:
        return bool(self.online_link)


class Booking(db.Model):  # type: ignore[name-defined,misc]
    """A learner's place on a session, or their place in its waiting list: one row per learner and
    session, whatever happens to it, so the calendar invitation keeps one UID and a rising sequence."""

    __tablename__ = "training_bookings"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[BookingStatus] = mapped_column(enum_type(BookingStatus, 20))
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)  # the waiting list's order
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    sequence: Mapped[int] = mapped_column(default=0)  # the invitation's SEQUENCE, raised by every change
    attended: Mapped[bool | None]  # None until the register is taken; False is a no-show
    register_taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    statement_id: Mapped[str | None] = mapped_column(String(36))

    session: Mapped[TrainingSession] = relationship(back_populates="bookings")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class TrainingItem(db.Model):  # type: ignore[name-defined,misc]
    """An organisation's induction item that attending a session of `topic` signs off."""

    __tablename__ = "training_items"

    item_id: Mapped[int] = mapped_column(ForeignKey("induction_items.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(200), index=True)
