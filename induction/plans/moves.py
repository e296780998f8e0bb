"""Adding a learner to another organisation, and moving them from one to another.

What travels and what starts afresh follows from where things are kept: the learner's Common Core
module completions and refresher dates are their own statements (`module_progress`), the same in
every organisation; organisation and role items belong to an organisation, so the new one's items
are not done; the old memberships stay, with the day they ended. Each change takes the learner's
lock first, then reads their memberships, so two identical requests at once change them once (the
partial unique index on current memberships is the last word).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from induction.accounts.models import Membership, Organisation, User
from induction.clock import utcnow
from induction.content.model import Catalogue
from induction.database import lock_learner
from induction.extensions import db
from induction.plans.models import InductionPlan
from induction.plans.settling import settle

JOB_ROLE_LENGTH = 120


class MoveError(ValueError):
    """A change that cannot be made; the message is for the user."""


@dataclass(frozen=True)
class Outcome:
    """What a request did: `changed` is False when an identical request had done it already."""

    membership: Membership
    changed: bool
    left: Membership | None = None


def check(job_role: str, started_on: date | None) -> tuple[str, date]:
    """The job role and start day as given, or a MoveError saying what is wrong."""
    role = job_role.strip()
    if not role:
        raise MoveError("Enter their job role in the new organisation.")
    if len(role) > JOB_ROLE_LENGTH:
        raise MoveError(f"Enter a job role of at most {JOB_ROLE_LENGTH} characters.")
    if started_on is None:
        raise MoveError("Enter the day they start in the new organisation, e.g. 7 3 2027.")
    return role, started_on


def _current(learner: User) -> dict[int, Membership]:
    return {
        m.organisation_id: m
        for m in db.session.scalars(
            select(Membership).where(Membership.user_id == learner.id, Membership.left_at.is_(None))
        )
    }


def add(learner: User, to: Organisation, job_role: str, started_on: date | None, catalogue: Catalogue) -> Outcome:
    """Make `learner` a member of `to` as well, from `started_on`, in `job_role` there."""
    role, start = check(job_role, started_on)
    lock_learner(learner.id)
    current = _current(learner)
    if to.id in current:
        return Outcome(current[to.id], changed=False)
    joined = Membership(user_id=learner.id, organisation_id=to.id, job_role=role, started_on=start, joined_at=utcnow())
    db.session.add(joined)
    if learner.organisation_id is None or learner.organisation_id not in current:
        learner.organisation_id, learner.job_role, learner.start_date = to.id, role, start
    db.session.flush()
    settle(learner, catalogue)  # the refresher periods that apply depend on their organisations
    return Outcome(joined, changed=True)


def move(
    learner: User,
    leaving: Organisation,
    to: Organisation,
    job_role: str,
    started_on: date | None,
    catalogue: Catalogue,
) -> Outcome:
    """End `learner`'s membership of `leaving` and make them a member of `to`.

    If `leaving` was their main organisation, `to` becomes it: their job role and start day are the
    new ones, and the plan agreed with the old organisation (its due date) is dropped, so the due date
    starts afresh from the new organisation's time allowed."""
    role, start = check(job_role, started_on)
    if leaving.id == to.id:
        raise MoveError("Choose an organisation other than the one they are leaving.")
    lock_learner(learner.id)
    current = _current(learner)
    if leaving.id not in current:
        if to.id in current:  # the same move, done a moment ago
            return Outcome(current[to.id], changed=False)
        raise MoveError(f"{learner.name} is not in {leaving.name} any more, so cannot be moved from it.")
    if to.id in current:
        raise MoveError(f"{learner.name} is already in {to.name}: choose another organisation to move them to.")
    now = utcnow()
    ended = current[leaving.id]
    ended.left_at = now
    joined = Membership(user_id=learner.id, organisation_id=to.id, job_role=role, started_on=start, joined_at=now)
    db.session.add(joined)
    if learner.organisation_id in (leaving.id, None):
        learner.organisation_id, learner.job_role, learner.start_date = to.id, role, start
        drop_plan(learner)
    db.session.flush()
    settle(learner, catalogue)  # the refresher periods that apply depend on their organisations
    return Outcome(joined, changed=True, left=ended)


def drop_plan(learner: User) -> None:
    """A new main organisation starts the plan afresh: the due date and agreement made with the old one
    are dropped, so the due date follows from the new organisation's time allowed."""
    plan = db.session.scalar(select(InductionPlan).where(InductionPlan.user_id == learner.id))
    if plan is not None:
        db.session.delete(plan)


def history(learner: User) -> list[Membership]:
    """Every membership the learner has had, current and ended, oldest first, organisations loaded."""
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.user_id == learner.id)
            .options(selectinload(Membership.organisation))
            .order_by(Membership.joined_at, Membership.id)
        )
    )
