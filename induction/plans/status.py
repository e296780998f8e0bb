"""The learner_status projection: each learner's induction in one row per organisation they are
in, kept up to date by every change that can alter it (learning events, item sign-offs, plans, new
items, joining or leaving an organisation). The modules are the person's own, the same in every row;
the items, and so the status, are each organisation's."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from induction.accounts.models import Membership, Organisation, Role, User
from induction.accounts.scope import learners_of
from induction.content import catalogue as current_catalogue
from induction.content.model import Catalogue
from induction.extensions import db
from induction.learning.models import LearnerStatus, ModuleProgress
from induction.plans.items import items_done_by_membership
from induction.plans.models import InductionPlan
from induction.rules import DONE, ModuleState, Status, induction_status


def default_due_date(user: User) -> date | None:
    if user.start_date is None or user.organisation is None:
        return None
    return user.start_date + timedelta(weeks=user.organisation.induction_weeks)


def done_slugs(rows: Iterable[ModuleProgress]) -> str:
    """learner_status.done_modules for these progress rows: "|a|b|" for the modules completed or
    waived (expired or not: the report reads expiry from the dates), "" for none."""
    slugs = sorted(r.module_slug for r in rows if Status(r.state) in DONE)
    return f"|{'|'.join(slugs)}|" if slugs else ""


BATCH = 1000  # keeps each IN (...) well under the database's limit on bound parameters


def refresh(users: Iterable[User], catalogue: Catalogue) -> None:
    """Recompute the rows of these learners: a few queries per thousand of them."""
    users = list(users)
    learners = [u for u in users if u.role == Role.LEARNER]
    for start in range(0, len(learners), BATCH):
        _refresh_batch(learners[start : start + BATCH], catalogue)
    others = [u.id for u in users if u.role != Role.LEARNER and u.id is not None]
    for start in range(0, len(others), BATCH):  # no longer a learner (their memberships ended): no rows
        db.session.execute(delete(LearnerStatus).where(LearnerStatus.user_id.in_(others[start : start + BATCH])))
    db.session.flush()
    db.session.info.get(UNREFRESHED, set()).difference_update(u.id for u in users)


# Learners whose memberships changed in this transaction and who have not been refreshed since.
# Whatever path changed them (a move, an addition, a sign-in that creates the learner), their rows
# are made before the commit, so the report finds a row for every current membership and never has
# to write on a GET.
UNREFRESHED = "learner_status_unrefreshed"


@event.listens_for(Session, "after_flush")
def _note_membership_changes(session: Session, _context: Any) -> None:
    changed = {
        m.user_id
        for m in [*session.new, *session.dirty, *session.deleted]
        if isinstance(m, Membership) and m.user_id is not None
    }
    if changed:
        session.info.setdefault(UNREFRESHED, set()).update(changed)


@event.listens_for(Session, "after_soft_rollback")
def _forget_unrefreshed(session: Session, _previous: Any) -> None:
    session.info.pop(UNREFRESHED, None)


@event.listens_for(Session, "before_commit")
def _refresh_unrefreshed(session: Session) -> None:
    session.flush()  # the commit flushes after this event: the changes it would flush are noted first
    waiting = session.info.pop(UNREFRESHED, None)
    if waiting:
        refresh(session.scalars(select(User).where(User.id.in_(sorted(waiting)))).all(), current_catalogue())


def _refresh_batch(learners: list[User], catalogue: Catalogue) -> None:
    ids = [u.id for u in learners]
    by_id = {u.id: u for u in learners}
    slugs = {m.slug for m in catalogue.modules}
    progress: dict[int, list[ModuleProgress]] = {}
    for found in db.session.scalars(select(ModuleProgress).where(ModuleProgress.user_id.in_(ids))):
        if found.module_slug in slugs:
            progress.setdefault(found.user_id, []).append(found)
    plans = {
        p.user_id: p.due_date for p in db.session.scalars(select(InductionPlan).where(InductionPlan.user_id.in_(ids)))
    }
    memberships = db.session.execute(
        select(Membership, Organisation.induction_weeks)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Membership.user_id.in_(ids), Membership.left_at.is_(None))
    ).all()
    items = items_done_by_membership(m for m, _ in memberships)
    existing = {
        (s.user_id, s.organisation_id): s
        for s in db.session.scalars(select(LearnerStatus).where(LearnerStatus.user_id.in_(ids)))
    }
    for membership, weeks in memberships:
        user = by_id[membership.user_id]
        key = (user.id, membership.organisation_id)
        rows = progress.get(user.id, [])
        row = existing.pop(key, None)
        if row is None:
            row = LearnerStatus(user_id=user.id, organisation_id=membership.organisation_id)
            db.session.add(row)
        done = sum(1 for r in rows if Status(r.state) in DONE)
        signed, total = items.get(key, (0, 0))
        # The stored states never say "expired" (that depends on the clock), so this is the
        # status before expiry; reports read "expired" from next_expiry at query time.
        stored = {r.module_slug: ModuleState(Status(r.state), outdated=r.outdated) for r in rows}
        states = [stored.get(m.slug, ModuleState(Status.NOT_STARTED)) for m in catalogue.modules]
        status = induction_status(states, items_done=signed == total, items_started=signed > 0)
        expiries = [r.expires_at for r in rows if r.expires_at is not None and r.state == Status.COMPLETED]
        activity = [r.last_activity_at for r in rows if r.last_activity_at is not None]
        row.status = status
        row.modules_done = done
        row.done_modules = done_slugs(rows)
        row.items_done, row.items_total = signed, total
        row.next_expiry = min(expiries) if expiries else None
        row.last_activity_at = max(activity) if activity else None
        if membership.organisation_id == user.organisation_id:  # the plan is the main organisation's
            started = user.start_date
            row.due_date = plans.get(user.id) or (started + timedelta(weeks=weeks) if started else None)
        else:
            started = membership.started_on
            row.due_date = started + timedelta(weeks=weeks) if started else None
    for left in existing.values():  # memberships that have ended: their organisation no longer reports them
        db.session.delete(left)


def refresh_organisation(organisation_id: int, catalogue: Catalogue) -> None:
    """Recompute every learner of an organisation, e.g. after its items or its default time change."""
    refresh(db.session.scalars(learners_of([organisation_id])).all(), catalogue)
