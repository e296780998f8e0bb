"""Writing and reading the audit log."""

from __future__ import annotations

from sqlalchemy import func, insert, select
from sqlalchemy.orm import joinedload

from induction.accounts.models import User
from induction.clock import utcnow
from induction.extensions import db
from induction.privacy.models import Action, AuditEntry

PAGE_SIZE = 50


def record(actor: User | None, action: Action, subject: User | None = None, detail: str = "") -> AuditEntry:
    """Add an entry to the caller's transaction: it lands with the change it records, or not at all."""
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        action=action.value,
        subject_id=subject.id if subject is not None else None,
        detail=detail[:500],
    )
    db.session.add(entry)
    return entry


def page_of(page: int, subject_id: int | None = None) -> tuple[list[AuditEntry], int, int, int]:
    """One page of entries, newest first: (entries, page, pages, total)."""
    query = select(AuditEntry)
    if subject_id is not None:
        query = query.where(AuditEntry.subject_id == subject_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    entries = db.session.scalars(
        query.options(joinedload(AuditEntry.actor), joinedload(AuditEntry.subject))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return list(entries), page, pages, total


def record_many(actor: User, action: Action, subject_ids: list[int], detail: str = "") -> None:
    """One entry per person, in one statement: an export says whose records it held."""
    if not subject_ids:
        return
    at = utcnow()
    db.session.execute(
        insert(AuditEntry),
        [
            {"at": at, "actor_id": actor.id, "action": action.value, "subject_id": i, "detail": detail[:500]}
            for i in subject_ids
        ],
    )
