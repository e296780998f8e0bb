"""Erasing a person, and the retention policy that erases people some years after they left.

Erasure keeps the `users` row and its uuid, the pseudonymous id every statement carries (and no
statement carries a name), so the log, the projections rebuilt from it and the aggregate reports
stay as they were. What identifies the person, or is free text about them, goes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from induction.accounts import sessions
from induction.accounts.models import EqualityMonitoring, IdentityLink, SignInAttempt, User
from induction.completion.models import Certificate
from induction.database import lock_learner
from induction.extensions import db
from induction.learning.models import Evaluation
from induction.plans.models import InductionPlan, Waiver
from induction.privacy import audit
from induction.privacy.models import Action
from induction.xapi.models import XapiDocument
from induction.xapi.statements import actor_key_for_uuid

ERASED_NAME = "Erased person"
ERASED_WAIVER_REASON = "Removed when the person's record was erased."
REASON_LIMIT = 500


class ErasureError(ValueError):
    """Why a person cannot be erased, in words for the admin."""


def placeholder_email(person: User) -> str:
    """A unique address that reaches no one (`.invalid` is reserved for that)."""
    return f"erased-{person.uuid}@erased.invalid"


def erase(person: User, by: User | None, reason: str, now: datetime) -> None:
    """Remove the person's personal data (flushed, not committed) and record who did it and why.

    `by` is None for the retention command. Raises ErasureError for an empty reason, one's own
    account, or a person already erased (a second request of a race finds the first one's work)."""
    reason = reason.strip()
    if not reason:
        raise ErasureError("Give the reason for the erasure, e.g. the person's request and its date.")
    if len(reason) > REASON_LIMIT:
        raise ErasureError(f"Keep the reason to {REASON_LIMIT} characters or fewer.")
    if by is not None and by.id == person.id:
        raise ErasureError("You cannot erase your own account: ask another admin.")
    lock_learner(person.id)
    if person.erased_at is not None:
        raise ErasureError(f"This person's record was already erased on {person.erased_at:%d %B %Y}.")
    old_email = person.email
    person.name = ERASED_NAME
    person.email = placeholder_email(person)
    person.password_hash = None
    person.password_link_id = None
    person.last_sign_in_at = None
    person.active = False
    person.left_at = person.left_at or now
    person.erased_at = now
    person.erased_reason = reason
    sessions.end_all(person)
    db.session.execute(delete(SignInAttempt).where(SignInAttempt.email == old_email.lower()))
    db.session.execute(delete(EqualityMonitoring).where(EqualityMonitoring.user_id == person.id))
    # The provider's subject identifies the person at their organisation's identity provider.
    db.session.execute(delete(IdentityLink).where(IdentityLink.user_id == person.id))
    # Ratings stay for the trainers' aggregate figures; what the person wrote goes.
    db.session.execute(update(Evaluation).where(Evaluation.user_id == person.id).values(change="", comments=""))
    db.session.execute(update(Waiver).where(Waiver.user_id == person.id).values(reason=ERASED_WAIVER_REASON))
    db.session.execute(update(InductionPlan).where(InductionPlan.user_id == person.id).values(due_reason=""))
    db.session.execute(update(Certificate).where(Certificate.user_id == person.id).values(learner_name=ERASED_NAME))
    # State and agent profile documents other systems kept about the person may hold anything.
    db.session.execute(delete(XapiDocument).where(XapiDocument.agent_key == actor_key_for_uuid(person.uuid)))
    audit.record(by, Action.ERASED, person, reason)
    db.session.flush()


@dataclass(frozen=True)
class Due:
    """A person the retention policy erases: switched off at `left_at`, more than the period ago."""

    user_id: int
    uuid: str
    role: str
    left_at: datetime


def cutoff(now: datetime, years: int) -> datetime:
    """The moment `years` years before `now` (29 February falls back to 28 February)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def due_for_erasure(now: datetime, years: int) -> list[Due]:
    """Accounts switched off at or before the cutoff and not yet erased, oldest first."""
    rows = db.session.execute(
        select(User.id, User.uuid, User.role, User.left_at)
        .where(
            User.active.is_(False),
            User.erased_at.is_(None),
            User.left_at.is_not(None),
            User.left_at <= cutoff(now, years),
        )
        .order_by(User.left_at, User.id)
    ).all()
    return [Due(r.id, r.uuid, r.role, r.left_at) for r in rows]


def apply_retention(due: list[Due], years: int, now: datetime) -> int:
    """Erase each person in `due`, committing one at a time; how many this run erased.

    A person erased meanwhile (another run, an admin) or switched back on is left alone."""
    done = 0
    for item in due:
        person = db.session.get(User, item.user_id)
        if person is None:
            continue
        lock_learner(person.id)
        if person.erased_at is not None or person.active:
            db.session.rollback()
            continue
        erase(person, None, f"Retention policy: {years} years after the account was switched off.", now)
        db.session.commit()
        done += 1
    return done
