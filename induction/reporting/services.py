"""Completion figures per organisation, always from the scoped queries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from induction.accounts.models import Organisation, User
from induction.accounts.scope import visible_learners, visible_organisations
from induction.completion.rules import DONE, Status
from induction.extensions import db
from induction.learning import progress
from induction.learning.models import ModuleProgress

REFRESHER_WINDOW = timedelta(days=60)


@dataclass(frozen=True)
class LearnerRow:
    user: User
    status: Status
    done: int
    total: int
    due: date | None
    overdue: bool
    refresher_due: datetime | None
    last_activity: datetime | None


def due_date(user: User) -> date | None:
    if user.start_date is None or user.organisation is None:
        return None
    return user.start_date + timedelta(weeks=user.organisation.induction_weeks)


def learner_rows(viewer: User, module_count: int, today: date, organisation_id: int | None = None) -> list[LearnerRow]:
    """Every learner `viewer` may see, with their induction status, by name."""
    query = visible_learners(viewer).order_by(User.name, User.id)
    if organisation_id is not None:
        query = query.where(User.organisation_id == organisation_id)
    learners = db.session.scalars(query).all()
    ids = [u.id for u in learners]
    by_user: dict[int, list[ModuleProgress]] = {}
    if ids:
        for row in db.session.scalars(select(ModuleProgress).where(ModuleProgress.user_id.in_(ids))):
            by_user.setdefault(row.user_id, []).append(row)
    now = datetime.combine(today, datetime.min.time())
    return [_row(u, by_user.get(u.id, []), module_count, today, now) for u in learners]


def _row(user: User, rows: list[ModuleProgress], total: int, today: date, now: datetime) -> LearnerRow:
    statuses = [progress.status_of(r, now) for r in rows]
    done = sum(1 for s in statuses if s in DONE)
    if total and done == total:
        status = Status.COMPLETED
    elif Status.EXPIRED in statuses:
        status = Status.EXPIRED
    elif any(s is not Status.NOT_STARTED for s in statuses):
        status = Status.IN_PROGRESS
    else:
        status = Status.NOT_STARTED
    expiries = [r.expires_at for r in rows if r.expires_at is not None]
    soonest = min(expiries) if expiries else None
    due = due_date(user)
    activity = [r.last_activity_at for r in rows if r.last_activity_at]
    return LearnerRow(
        user=user,
        status=status,
        done=done,
        total=total,
        due=due,
        overdue=status not in (Status.COMPLETED,) and due is not None and due < today,
        refresher_due=soonest if soonest is not None and soonest <= now + REFRESHER_WINDOW else None,
        last_activity=max(activity) if activity else None,
    )


@dataclass(frozen=True)
class OrganisationSummary:
    organisation: Organisation
    counts: Counter[str]
    learners: int


def summaries(viewer: User, rows: list[LearnerRow]) -> list[OrganisationSummary]:
    """Counts of learners by status, overdue and refresher due, for each organisation in scope."""
    result = []
    for organisation in db.session.scalars(visible_organisations(viewer)):
        mine = [r for r in rows if r.user.organisation_id == organisation.id]
        counts: Counter[str] = Counter(r.status.value for r in mine)
        counts["overdue"] = sum(r.overdue for r in mine)
        counts["refresher due"] = sum(r.refresher_due is not None for r in mine)
        result.append(OrganisationSummary(organisation, counts, len(mine)))
    return result
