"""Certificates: issued in the request that completes the induction, checked at /verify/<code>."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from induction.accounts.models import User, utcnow
from induction.extensions import db


class Certificate(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    learner_name: Mapped[str] = mapped_column(String(200))
    organisation_name: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    modules: Mapped[str] = mapped_column(Text)
    statement_id: Mapped[str] = mapped_column(String(36), unique=True)
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "valid"
