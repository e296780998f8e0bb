"""The organisations a learner belongs to: the one place that answers it.

A learner belongs to the organisations where they have a current `Membership` (a sessional youth
worker who also coaches at a club is in two). Rules that depend on a learner's organisations (the
refresher period that applies to them, for one) ask `organisations_of`, so that a learner in several
organisations at once is handled in one place; which people a manager sees is decided from the same
memberships in `scope.py`.

`users.organisation_id` stays as the learner's **main** organisation, one of the current memberships:
the sign-in routing, the certificate, the plan's due date and the organisation named in statements
come from it. The code that adds or edits a learner sets `organisation_id` and `job_role` as it always
did; the listener below keeps the main membership in step, so that every learner in an organisation
has a current membership there:

- a new learner with an organisation gets a current membership there (job role, start date);
- a learner whose main organisation changes (an admin's edit) leaves the old one and joins the new
  one, as a move, unless they were in it already;
- a change of job role changes it in the main membership.

Adding to another organisation and moving between them are `plans/moves.py`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, event, inspect, select
from sqlalchemy.orm import Session, selectinload

from induction.accounts.models import Membership, Role, User
from induction.clock import utcnow
from induction.extensions import db


def organisation_ids(user: User) -> Select[int]:
    """`organisations_of` as a query, main organisation first, for a caller that adds it to its own query."""
    return (
        select(Membership.organisation_id)
        .where(Membership.user_id == user.id, Membership.left_at.is_(None))
        .order_by(case((Membership.organisation_id == user.organisation_id, 0), else_=1), Membership.joined_at)
    )


def organisations_of(user: User) -> list[int]:
    """The ids of the organisations `user` belongs to now, main organisation first; empty for none."""
    return list(db.session.scalars(organisation_ids(user)))


def current_memberships(user: User) -> list[Membership]:
    """The learner's current memberships, main organisation first, with their organisations loaded."""
    found = db.session.scalars(
        select(Membership)
        .where(Membership.user_id == user.id, Membership.left_at.is_(None))
        .options(selectinload(Membership.organisation))
        .order_by(case((Membership.organisation_id == user.organisation_id, 0), else_=1), Membership.joined_at)
    ).all()
    return list(found)


def _current_in_session(session: Session, user: User) -> dict[int, Membership]:
    """The learner's current memberships as this session has them, pending changes included."""
    found: dict[int, Membership] = {}
    if user.id is not None:
        with session.no_autoflush:
            for membership in session.scalars(
                select(Membership).where(Membership.user_id == user.id, Membership.left_at.is_(None))
            ):
                if membership.left_at is None:  # not ended earlier in this transaction
                    found[membership.organisation_id] = membership
    for pending in session.new:
        if not isinstance(pending, Membership) or pending.left_at is not None:
            continue
        if pending.user is user or (user.id is not None and pending.user_id == user.id):
            found[pending.organisation_id or pending.organisation.id] = pending
    return found


@event.listens_for(Session, "before_flush")
def _keep_main_membership(session: Session, _context: Any, _instances: Any) -> None:
    """Keep the main membership in step with users.organisation_id and users.job_role."""
    for user in [o for o in session.new if isinstance(o, User)]:
        if user.role == Role.LEARNER and (user.organisation_id is not None or user.organisation is not None):
            if any(isinstance(p, Membership) and p.user is user for p in session.new):
                continue  # the caller made it
            where: dict[str, Any] = (
                {"organisation": user.organisation}
                if user.organisation is not None
                else {"organisation_id": user.organisation_id}
            )
            session.add(
                Membership(user=user, job_role=user.job_role, started_on=user.start_date, joined_at=utcnow(), **where)
            )
    for user in [o for o in session.dirty if isinstance(o, User)]:
        state: Any = inspect(user)
        changed = {name for name in ("organisation_id", "job_role", "role") if state.attrs[name].history.has_changes()}
        if not changed:
            continue
        current = _current_in_session(session, user)
        if user.role != Role.LEARNER:
            for membership in current.values():  # no longer a learner: their memberships end
                membership.left_at = utcnow()
            continue
        if "organisation_id" in changed:
            before = state.attrs.organisation_id.history.deleted
            old = before[0] if before else None
            if old is not None and old != user.organisation_id and old in current:
                current.pop(old).left_at = utcnow()  # an edit of the main organisation is a move
        if user.organisation_id is None:
            continue
        main = current.get(user.organisation_id)
        if main is None:
            session.add(
                Membership(
                    user_id=user.id,
                    organisation_id=user.organisation_id,
                    job_role=user.job_role,
                    started_on=user.start_date,
                    joined_at=utcnow(),
                )
            )
        elif main.job_role != user.job_role:
            main.job_role = user.job_role
