"""The append-only statements table: the source of truth for every learning event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from induction.accounts.models import utcnow
from induction.extensions import db


class StatementRecord(db.Model):  # type: ignore[name-defined,misc]
    """One xAPI statement as stored; `body` is its full JSON, as the LRS returns it."""

    __tablename__ = "statements"
    __table_args__ = (
        Index("ix_statements_user_stored", "user_id", "stored"),
        Index("ix_statements_verb_object", "verb_id", "object_id"),
    )

    seq: Mapped[int] = mapped_column(primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_key: Mapped[str] = mapped_column(String(600), index=True)
    verb_id: Mapped[str] = mapped_column(String(400))
    object_id: Mapped[str] = mapped_column(String(600))
    registration: Mapped[str | None] = mapped_column(String(36), index=True)
    timestamp: Mapped[datetime]
    stored: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    voided: Mapped[bool] = mapped_column(default=False)
    voids: Mapped[str | None] = mapped_column(String(36))
    body: Mapped[str] = mapped_column(Text)
