"""Completion figures per organisation, always from the scoped queries.

The number of queries is fixed, whatever the number of learners: every lookup
below loads all the rows it needs for the listed learners at once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from induction.accounts.models import Organisation, User
from induction.accounts.scope import visible_learners, visible_organisations
from induction.completion.rules import DONE, Status
from induction.extensions import db
from induction.learning import progress
from induction.learning.models import ModuleProgress
from induction.plans.items import items_done_for
from induction.plans.models import InductionPlan

REFRESHER_WINDOW = timedelta(days=60)
SORTS = {
    "name": lambda r: (r.user.name.lower(), r.user.id),
    "organisation": lambda r: (r.user.organisation.name.lower() if r.user.organisation else "", r.user.name.lower()),
    "status": lambda r: (r.status.value, r.user.name.lower()),
    "due": lambda r: (r.due or date.max, r.user.name.lower()),
    "activity": lambda r: (r.last_activity or datetime.min, r.user.name.lower()),
}
STATUS_FILTERS = ("not started", "in progress", "completed", "expired", "overdue", "refresher due")


@dataclass(frozen=True)
class Filters:
    """What a manager asked to see; every field optional."""

    organisation: int | None = None
    sector: str = ""
    ownership: str = ""
    job_role: str = ""
    role_group: int | None = None
    status: str = ""
    sort: str = "name"
    descending: bool = False

    def as_args(self) -> dict[str, object]:
        args = {
            "organisation": self.organisation,
            "sector": self.sector,
            "ownership": self.ownership,
            "job_role": self.job_role,
            "role_group": self.role_group,
            "status": self.status,
            "sort": self.sort if self.sort != "name" else None,
            "order": "desc" if self.descending else None,
        }
        return {k: v for k, v in args.items() if v not in (None, "")}


@dataclass(frozen=True)
class LearnerRow:
    user: User
    status: Status
    done: int
    total: int
    items_done: int
    items_total: int
    due: date | None
    overdue: bool
    refresher_due: datetime | None
    last_activity: datetime | None
    modules: dict[str, Status] = field(default_factory=dict)


def learner_rows(
    viewer: User, module_slugs: list[str], today: date, filters: Filters | None = None
) -> list[LearnerRow]:
    """The learners `viewer` may see, narrowed by `filters`, with their induction status."""
    wanted = filters or Filters()
    query = visible_learners(viewer).options(selectinload(User.organisation))
    if wanted.organisation is not None:
        query = query.where(User.organisation_id == wanted.organisation)
    if wanted.sector or wanted.ownership:
        query = query.join(Organisation, Organisation.id == User.organisation_id)
        if wanted.sector:
            query = query.where(Organisation.sector == wanted.sector)
        if wanted.ownership:
            query = query.where(Organisation.ownership == wanted.ownership)
    if wanted.job_role:
        query = query.where(User.job_role == wanted.job_role)
    if wanted.role_group is not None:
        query = query.where(User.role_group == wanted.role_group)
    learners = db.session.scalars(query).all()
    ids = [u.id for u in learners]
    by_user: dict[int, list[ModuleProgress]] = {}
    plans: dict[int, date] = {}
    if ids:
        for row in db.session.scalars(select(ModuleProgress).where(ModuleProgress.user_id.in_(ids))):
            by_user.setdefault(row.user_id, []).append(row)
        found = db.session.execute(
            select(InductionPlan.user_id, InductionPlan.due_date).where(InductionPlan.user_id.in_(ids))
        )
        plans = {row.user_id: row.due_date for row in found}
    items = items_done_for(learners)
    now = datetime.combine(today, datetime.min.time())
    rows = [_row(u, by_user.get(u.id, []), module_slugs, items[u.id], plans.get(u.id), today, now) for u in learners]
    rows = [r for r in rows if _matches(r, wanted.status)]
    rows.sort(key=SORTS.get(wanted.sort, SORTS["name"]), reverse=wanted.descending)
    return rows


def _matches(row: LearnerRow, status: str) -> bool:
    if not status:
        return True
    if status == "overdue":
        return row.overdue
    if status == "refresher due":
        return row.refresher_due is not None
    return row.status.value == status


def _row(
    user: User,
    rows: list[ModuleProgress],
    module_slugs: list[str],
    items: tuple[int, int],
    plan_due: date | None,
    today: date,
    now: datetime,
) -> LearnerRow:
    modules = {r.module_slug: progress.status_of(r, now) for r in rows if r.module_slug in module_slugs}
    statuses = [modules.get(slug, Status.NOT_STARTED) for slug in module_slugs]
    done = sum(1 for s in statuses if s in DONE)
    items_signed, items_total = items
    if module_slugs and done == len(module_slugs) and items_signed == items_total:
        status = Status.COMPLETED
    elif Status.EXPIRED in statuses:
        status = Status.EXPIRED
    elif any(s is not Status.NOT_STARTED for s in statuses) or items_signed:
        status = Status.IN_PROGRESS
    else:
        status = Status.NOT_STARTED
    expiries = [r.expires_at for r in rows if r.expires_at is not None]
    soonest = min(expiries) if expiries else None
    due = plan_due or _default_due(user)
    activity = [r.last_activity_at for r in rows if r.last_activity_at]
    return LearnerRow(
        user=user,
        status=status,
        done=done,
        total=len(module_slugs),
        items_done=items_signed,
        items_total=items_total,
        due=due,
        overdue=status is not Status.COMPLETED and due is not None and due < today,
        refresher_due=soonest if soonest is not None and soonest <= now + REFRESHER_WINDOW else None,
        last_activity=max(activity) if activity else None,
        modules=modules,
    )


def _default_due(user: User) -> date | None:
    if user.start_date is None or user.organisation is None:
        return None
    return user.start_date + timedelta(weeks=user.organisation.induction_weeks)


@dataclass(frozen=True)
class OrganisationSummary:
    organisation: Organisation
    counts: Counter[str]
    learners: int


def summaries(viewer: User, rows: list[LearnerRow]) -> list[OrganisationSummary]:
    """Counts of learners by status, overdue and refresher due, for each organisation in scope."""
    by_organisation: dict[int, list[LearnerRow]] = {}
    for row in rows:
        by_organisation.setdefault(row.user.organisation_id or 0, []).append(row)
    result = []
    for organisation in db.session.scalars(visible_organisations(viewer)):
        mine = by_organisation.get(organisation.id, [])
        counts: Counter[str] = Counter(r.status.value for r in mine)
        counts["overdue"] = sum(r.overdue for r in mine)
        counts["refresher due"] = sum(r.refresher_due is not None for r in mine)
        result.append(OrganisationSummary(organisation, counts, len(mine)))
    return result


def completion_by_module(rows: list[LearnerRow], modules: list[tuple[str, str]]) -> list[tuple[str, int, int]]:
    """(module title, learners done, learners) for each module."""
    return [(title, sum(1 for r in rows if r.modules.get(slug) in DONE), len(rows)) for slug, title in modules]


def job_roles(viewer: User) -> list[str]:
    query = (
        select(User.job_role)
        .where(User.id.in_(visible_learners(viewer).with_only_columns(User.id)), User.job_role.is_not(None))
        .distinct()
        .order_by(User.job_role)
    )
    return [r for r in db.session.scalars(query) if r]


def completions_by_month(user_ids: list[int], today: date, months: int = 12) -> list[tuple[str, int]]:
    """Certificates issued to these learners in each of the last `months` months, oldest first."""
    from induction.completion.models import Certificate

    first = date(today.year, today.month, 1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    counts: Counter[str] = Counter()
    if user_ids:
        issued = db.session.scalars(
            select(Certificate.issued_at).where(
                Certificate.user_id.in_(user_ids), Certificate.issued_at >= datetime.combine(first, datetime.min.time())
            )
        )
        counts.update(moment.strftime("%Y-%m") for moment in issued)
    labels = []
    month = first
    for _ in range(months):
        labels.append((month.strftime("%b %y"), counts.get(month.strftime("%Y-%m"), 0)))
        month = (month + timedelta(days=32)).replace(day=1)
    return labels
