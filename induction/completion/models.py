"""Certificates: issued in the request that completes the induction, checked at /verify/<code>."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from induction.accounts.models import User
from induction.clock import utcnow
from induction.extensions import db
from induction.rules import expired


class Certificate(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "certificates"
    # One certificate per completion of the induction: the n-th for a learner is cycle n.
    __table_args__ = (UniqueConstraint("user_id", "cycle", name="uq_certificates_user_id_cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cycle: Mapped[int] = mapped_column(default=1)
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
        if expired(self.expires_at, now):
            return "expired"
        return "valid"
