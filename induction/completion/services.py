"""Turning a change of progress into `completed`, `satisfied` and a certificate, in the same transaction."""

from __future__ import annotations

import json
import secrets
from datetime import datetime

from sqlalchemy import func, select

from induction.accounts.models import User, utcnow
from induction.completion.models import Certificate
from induction.content.model import Catalogue
from induction.database import lock_learner
from induction.extensions import db
from induction.learning import progress
from induction.plans import status as learner_status
from induction.plans.items import items_done
from induction.rules import DONE, ModuleState, Status, induction_status
from induction.xapi import statements as xs


def settle(
    user: User,
    catalogue: Catalogue,
    before: dict[str, ModuleState],
    now: datetime | None = None,
    items_before: bool | None = None,
) -> Certificate | None:
    """Recompute the learner's progress after an event; record what it completes.

    `items_before` says whether the organisation and role items were all signed off
    before the event (by default: as they are now). Returns the certificate if this
    event completed the whole induction, or changed when a completed induction expires
    (a refresher done early, a module waived after it was completed): the certificate
    always states the expiry the rules give.
    """
    moment = now or utcnow()
    items_after = items_done(user)
    items_before = items_after if items_before is None else items_before
    after = progress.refresh(user.id, catalogue, moment)
    for module in catalogue.modules:
        old, new = before.get(module.slug), after[module.slug]
        if new.status is Status.COMPLETED and (old is None or old.completed_at != new.completed_at):
            xs.record(
                user,
                xs.Event(
                    xs.COMPLETED,
                    f"modules/{module.slug}",
                    module.title,
                    registration=new.registration,
                    revision=module.revision,
                    success=True,
                ),
                moment,
            )
    learner_status.refresh([user], catalogue)
    if induction_status(after.values(), items_after) is not Status.COMPLETED:
        return None
    was_done = induction_status(before.values(), items_before) is Status.COMPLETED
    latest = latest_certificate(user.id) if was_done else None
    renewed = latest is not None and latest.revoked_at is None and latest.expires_at != induction_expiry(after)
    if not was_done or renewed:
        return issue_certificate(user, catalogue, after, moment)
    return None


def induction_expiry(states: dict[str, ModuleState]) -> datetime | None:
    """When a completed induction expires: its earliest module completion that expires (a waived
    module does not), as the managers' reports read it from learner_status.next_expiry."""
    expiries = [s.expires_at for s in states.values() if s.status is Status.COMPLETED and s.expires_at is not None]
    return min(expiries) if expiries else None


def issue_certificate(user: User, catalogue: Catalogue, states: dict[str, ModuleState], now: datetime) -> Certificate:
    statement = xs.record(user, xs.Event(xs.SATISFIED, "induction", "Induction"), now)
    modules = [
        {
            "slug": m.slug,
            "title": m.title,
            "version": m.version,
            "minutes": m.minutes,
            "status": states[m.slug].status.value,
            "completed_at": _iso(states[m.slug].completed_at),
            "expires_at": _iso(states[m.slug].expires_at),
        }
        for m in catalogue.modules
        if states[m.slug].status in DONE
    ]
    earlier = db.session.scalar(select(func.count()).select_from(Certificate).where(Certificate.user_id == user.id))
    certificate = Certificate(
        code=secrets.token_hex(8).upper(),
        user_id=user.id,
        cycle=(earlier or 0) + 1,
        learner_name=user.name,
        organisation_name=user.organisation.name if user.organisation else "",
        issued_at=now,
        expires_at=induction_expiry(states),
        modules=json.dumps(modules),
        statement_id=statement.id,
    )
    db.session.add(certificate)
    db.session.flush()
    return certificate


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def latest_certificate(user_id: int) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(Certificate.user_id == user_id).order_by(Certificate.issued_at.desc()).limit(1)
    )


def certificate_by_code(code: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.code == code.strip().upper()))


def revoke(certificate: Certificate, by: User, now: datetime | None = None) -> None:
    """Revoke the certificate by voiding the `satisfied` statement it was issued for."""
    lock_learner(certificate.user_id)
    if certificate.revoked_at is not None:
        return
    moment = now or utcnow()
    xs.record(by, xs.Event(xs.VOIDED, "", "", statement_ref=certificate.statement_id), moment)
    xs.mark_voided(certificate.statement_id)
    certificate.revoked_at = moment
    db.session.flush()
