"""The audit log: who viewed, exported or changed whose record. Rows are added, never changed."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from induction.accounts.models import User
from induction.clock import utcnow
from induction.extensions import db


class Action(enum.StrEnum):
    VIEWED_LEARNER = "viewed learner page"
    EXPORTED_CSV = "exported learners (CSV)"
    EXPORTED_CERTIFICATES = "exported certificates (ZIP)"
    EXPORTED_DATA = "downloaded personal data"
    SIGNED_OFF = "signed off an item"
    WAIVED = "waived a module"
    UNDID_WAIVER = "undid a waiver"
    ERASED = "erased a person"
    ROLE_CHANGED = "changed a role"
    ADDED_TO_ORGANISATION = "added to an organisation"
    MOVED_ORGANISATION = "moved between organisations"
    SET_REFRESHER_PERIOD = "set a refresher period"
    REMOVED_REFRESHER_PERIOD = "removed a refresher period"


class AuditEntry(db.Model):  # type: ignore[name-defined,misc]
    """One thing someone did with a person's record. `actor_id` is empty for the retention command;
    `subject_id` is empty for an export of many learners (the detail says how many)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    detail: Mapped[str] = mapped_column(String(500), default="")

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id])


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _append_only(session: Session, _context: Any, _instances: Any) -> None:
    """The app adds audit rows and nothing else: a change or deletion of one is a bug, refused here."""
    for row in (*session.dirty, *session.deleted):
        if isinstance(row, AuditEntry) and (row in session.deleted or session.is_modified(row)):
            raise AuditLogIsAppendOnly("The audit log is append-only: its rows are never changed or deleted.")
