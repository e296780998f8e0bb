"""Subject access: everything the platform holds about one person, as plain JSON-ready data."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from induction.accounts.models import EqualityMonitoring, Membership, User, UserSession
from induction.completion.models import Certificate
from induction.extensions import db
from induction.learning.models import Evaluation, ModuleProgress, QuizAttempt
from induction.plans.items import items_with_progress
from induction.plans.models import InductionPlan, Waiver
from induction.training.models import Booking
from induction.xapi.models import StatementRecord

# The sections of the download, in the order the HTML summary shows them.
SECTIONS = (
    "account", "plan", "modules", "items", "waivers", "quiz_attempts", "certificates", "evaluations",
    "equality_monitoring", "training_bookings", "sign_ins", "statements",
)  # fmt: skip


def _when(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _name(user: User | None) -> str | None:
    return user.name if user is not None else None


def subject_data(person: User) -> dict[str, Any]:
    """The person's data: their account, plan, progress, items, waivers, quiz attempts, certificates,
    evaluations, equality answers, training bookings, sign-ins and every xAPI statement about them."""
    organisation = person.organisation
    plan = db.session.scalar(select(InductionPlan).where(InductionPlan.user_id == person.id))
    equality = db.session.get(EqualityMonitoring, person.id)
    return {
        "account": {
            "id": person.uuid,
            "name": person.name,
            "email": person.email,
            "role": person.role,
            "organisation": organisation.name if organisation else None,
            "job_role": person.job_role,
            "role_group": person.role_group,
            "start_date": _when(person.start_date),
            "created_at": _when(person.created_at),
            "last_sign_in_at": _when(person.last_sign_in_at),
            "active": person.active,
            "left_at": _when(person.left_at),
            "erased_at": _when(person.erased_at),
        },
        "organisations": [
            {
                "organisation": m.organisation.name,
                "job_role": m.job_role,
                "started_on": _when(m.started_on),
                "joined_at": _when(m.joined_at),
                "left_at": _when(m.left_at),
            }
            for m in db.session.scalars(
                select(Membership).where(Membership.user_id == person.id).order_by(Membership.joined_at, Membership.id)
            )
        ],
        "plan": None
        if plan is None
        else {
            "due_date": _when(plan.due_date),
            "due_reason": plan.due_reason,
            "agreed_at": _when(plan.agreed_at),
            "agreed_by": _name(plan.agreed_by),
        },
        "modules": [
            {
                "module": p.module_slug,
                "state": p.state,
                "sections_read": json.loads(p.read_sections),
                "quiz_passed": p.passed,
                "completed_at": _when(p.completed_at),
                "expires_at": _when(p.expires_at),
                "last_activity_at": _when(p.last_activity_at),
            }
            for p in db.session.scalars(
                select(ModuleProgress).where(ModuleProgress.user_id == person.id).order_by(ModuleProgress.module_slug)
            )
        ],
        "items": [
            {
                "title": item.title,
                "marked_done_at": _when(row.marked_done_at if row else None),
                "signed_off_at": _when(row.signed_off_at if row else None),
            }
            for item, row in items_with_progress(person)
        ],
        "waivers": [
            {
                "module": w.module_slug,
                "reason": w.reason,
                "waived_at": _when(w.waived_at),
                "waived_by": _name(w.waived_by),
                "undone_at": _when(w.undone_at),
            }
            for w in db.session.scalars(select(Waiver).where(Waiver.user_id == person.id).order_by(Waiver.waived_at))
        ],
        "quiz_attempts": [
            {
                "quiz": a.quiz_slug,
                "module_revision": a.module_revision,
                "started_at": _when(a.started_at),
                "submitted_at": _when(a.submitted_at),
                "responses": json.loads(a.responses) if a.responses else None,
                "score": a.score_raw,
                "out_of": a.score_max,
                "passed": a.passed,
            }
            for a in db.session.scalars(
                select(QuizAttempt).where(QuizAttempt.user_id == person.id).order_by(QuizAttempt.started_at)
            )
        ],
        "certificates": [
            {
                "code": c.code,
                "name_on_certificate": c.learner_name,
                "organisation": c.organisation_name,
                "issued_at": _when(c.issued_at),
                "expires_at": _when(c.expires_at),
                "revoked_at": _when(c.revoked_at),
                "modules": json.loads(c.modules),
            }
            for c in db.session.scalars(
                select(Certificate).where(Certificate.user_id == person.id).order_by(Certificate.issued_at)
            )
        ],
        "evaluations": [
            {
                "submitted_at": _when(e.submitted_at),
                "ratings": json.loads(e.ratings),
                "what_would_you_change": e.change,
                "comments": e.comments,
            }
            for e in db.session.scalars(
                select(Evaluation).where(Evaluation.user_id == person.id).order_by(Evaluation.submitted_at)
            )
        ],
        "equality_monitoring": None
        if equality is None
        else {
            "age_band": equality.age_band,
            "sex": equality.sex,
            "ethnicity": equality.ethnicity,
            "disability": equality.disability,
            "updated_at": _when(equality.updated_at),
        },
        "training_bookings": [
            {
                "session": b.session.title,
                "starts_at": _when(b.session.starts_at),
                "status": b.status,
                "attended": b.attended,
                "requested_at": _when(b.requested_at),
            }
            for b in db.session.scalars(select(Booking).where(Booking.user_id == person.id).order_by(Booking.id))
        ],
        "sign_ins": [
            {"started_at": _when(s.created_at), "last_seen_at": _when(s.last_seen_at), "device": s.user_agent}
            for s in db.session.scalars(
                select(UserSession).where(UserSession.user_id == person.id).order_by(UserSession.created_at)
            )
        ],
        "statements": [
            json.loads(body)
            for body in db.session.scalars(
                select(StatementRecord.body).where(StatementRecord.user_id == person.id).order_by(StatementRecord.seq)
            )
        ],
    }
