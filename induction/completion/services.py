"""Certificates: issuing one for a completed induction (`plans.settling.settle` decides when), finding and
revoking them, and the induction's expiry."""

from __future__ import annotations

import json
import secrets
from datetime import datetime

from sqlalchemy import func, select

from induction.accounts.models import User
from induction.clock import utcnow
from induction.completion.models import Certificate
from induction.content.model import Catalogue
from induction.database import lock_learner
from induction.extensions import db
from induction.rules import DONE, ModuleState, Status
from induction.xapi import statements as xs


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
