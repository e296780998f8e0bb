"""Adding a learner to another organisation, and moving them from one to another.

What travels and what starts afresh follows from where things are kept: the learner's Common Core
module completions and refresher dates are their own statements (`module_progress`), the same in
every organisation; organisation and role items belong to an organisation, so the new one's items
are not done; the old memberships stay, with the day they ended. Each change takes the learner's
lock first, then reads their memberships, so two identical requests at once change them once (the
partial unique index on current memberships is the last word).

A confirmation is single-use: the confirmation page carries the state of the learner's memberships it
was shown against (`state_of`), and a change sent with it is refused (`ChangedSince`) once that state
has changed, by this very change (a second click, a replay) or by any other since (a move back).
"""

from __future__ import annotations

import hashlib
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


class ChangedSince(MoveError):
    """The learner's organisations are not what the confirmation was made against."""

    def __init__(self) -> None:
        super().__init__(
            "This change was already made or the learner's organisations changed since you confirmed; "
            "check the learner's page."
        )


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


def _memberships(learner: User) -> list[Membership]:
    return list(db.session.scalars(select(Membership).where(Membership.user_id == learner.id)))


def _state(memberships: list[Membership]) -> str:
    # Every change adds a membership or ends one, so the rows (ended or not) are a version that
    # never comes back: a move there and back again leaves two more rows than before.
    parts = sorted(f"{m.id}{'' if m.left_at is None else '-'}" for m in memberships)
    return hashlib.sha256(",".join(parts).encode()).hexdigest()[:16]


def state_of(learner: User) -> str:
    """The state of the learner's memberships, for a confirmation page to carry (`add`, `move`)."""
    return _state(_memberships(learner))


def _current(learner: User, confirmed: str | None) -> dict[int, Membership]:
    """The learner's current memberships, by organisation; raises ChangedSince unless they are in the
    state `confirmed` (when given). Call it after taking the learner's lock."""
    memberships = _memberships(learner)
    if confirmed is not None and confirmed != _state(memberships):
        raise ChangedSince()
    return {m.organisation_id: m for m in memberships if m.left_at is None}


def add(
    learner: User,
    to: Organisation,
    job_role: str,
    started_on: date | None,
    catalogue: Catalogue,
    *,
    confirmed: str | None = None,
) -> Outcome:
    """Make `learner` a member of `to` as well, from `started_on`, in `job_role` there. With `confirmed`
    (the `state_of` the confirmation was shown against), ChangedSince if their memberships have changed since."""
    role, start = check(job_role, started_on)
    lock_learner(learner.id)
    current = _current(learner, confirmed)
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
    *,
    confirmed: str | None = None,
) -> Outcome:
    """End `learner`'s membership of `leaving` and make them a member of `to` (with `confirmed`, as `add`).

    If `leaving` was their main organisation, `to` becomes it: their job role and start day are the
    new ones, and the plan agreed with the old organisation (its due date) is dropped, so the due date
    starts afresh from the new organisation's time allowed."""
    role, start = check(job_role, started_on)
    if leaving.id == to.id:
        raise MoveError("Choose an organisation other than the one they are leaving.")
    lock_learner(learner.id)
    current = _current(learner, confirmed)
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
