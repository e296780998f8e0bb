"""The learner_status projection: each learner's induction in one row per organisation they are
in, kept up to date by every change that can alter it (learning events, item sign-offs, plans, new
items, joining or leaving an organisation). The modules are the person's own, the same in every row;
the items, and so the status, are each organisation's."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import select

from induction.accounts.models import Membership, Organisation, Role, User
from induction.accounts.scope import learners_of
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


BATCH = 1000  # keeps each IN (...) well under the database's limit on bound parameters


def refresh(users: Iterable[User], catalogue: Catalogue) -> None:
    """Recompute the rows of these learners: a few queries per thousand of them."""
    learners = [u for u in users if u.role == Role.LEARNER]
    for start in range(0, len(learners), BATCH):
        _refresh_batch(learners[start : start + BATCH], catalogue)
    db.session.flush()


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
