"""Completion figures per organisation, from the learner_status projection and the scope.

A row is a learner's part in one organisation (a current membership): a learner in two
organisations is counted in each, with that organisation's items and the status computed with them.

Filtering, sorting, counting and paging happen in SQL, so a page makes the same few
queries whether an organisation has fifty learners or a council has a hundred thousand.
What depends on the clock (expired, overdue, refresher due) is worked out in the query.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, not_, or_, select
from sqlalchemy.orm import selectinload

from induction.accounts.models import Membership, Organisation, User
from induction.accounts.scope import visible_memberships, visible_organisations
from induction.content import catalogue
from induction.extensions import db
from induction.learning.models import LearnerStatus, ModuleProgress
from induction.plans import status as learner_status
from induction.rules import Status

REFRESHER_WINDOW = timedelta(days=60)
STATUS_FILTERS = ("not started", "in progress", "completed", "expired", "overdue", "refresher due")
SORTS = ("name", "organisation", "status", "due", "activity")


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
    search: str = ""

    def as_args(self) -> dict[str, object]:
        args = {
            "q": self.search,
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
    """A learner's induction as one organisation sees it (the learner_status row of that membership)."""

    user: User
    organisation: Organisation
    job_role: str | None
    status: Status
    done: int
    total: int
    items_done: int
    items_total: int
    due: date | None
    overdue: bool
    refresher_due: datetime | None
    last_activity: datetime | None


class _Clock:
    """The SQL conditions that depend on the moment: a datetime (pages, exports) or a whole day
    (reminders, which run once a day and count from its start)."""

    def __init__(self, moment: date | datetime) -> None:
        if isinstance(moment, datetime):
            self.today, self.now = moment.date(), moment
        else:
            self.today, self.now = moment, datetime.combine(moment, datetime.min.time())

    def expired(self) -> ColumnElement[bool]:
        """rules.expired in SQL: a completion has expired from the moment it expires."""
        return and_(LearnerStatus.next_expiry.is_not(None), LearnerStatus.next_expiry <= self.now)

    def completed(self) -> ColumnElement[bool]:
        return and_(LearnerStatus.status == Status.COMPLETED, not_(self.expired()))

    def overdue(self) -> ColumnElement[bool]:
        return and_(not_(self.completed()), LearnerStatus.due_date.is_not(None), LearnerStatus.due_date < self.today)

    def refresher_due(self) -> ColumnElement[bool]:
        return and_(LearnerStatus.next_expiry.is_not(None), LearnerStatus.next_expiry <= self.now + REFRESHER_WINDOW)

    def status(self) -> ColumnElement[str]:
        return case((self.expired(), literal(Status.EXPIRED.value)), else_=LearnerStatus.status)


def ensure_rows(viewer: User) -> None:
    """Give every current membership in scope a learner_status row; normally finds none missing."""
    missing = db.session.scalars(
        visible_memberships(viewer)
        .with_only_columns(User)
        .outerjoin(
            LearnerStatus,
            and_(LearnerStatus.user_id == User.id, LearnerStatus.organisation_id == Membership.organisation_id),
        )
        .where(LearnerStatus.user_id.is_(None))
        .distinct()
    ).all()
    if missing:
        learner_status.refresh(missing, catalogue())
        db.session.commit()


def _filtered(viewer: User, wanted: Filters, clock: _Clock) -> Select[Any]:
    query = cast(
        "Select[Any]",
        visible_memberships(viewer)
        .join(
            LearnerStatus,
            and_(LearnerStatus.user_id == User.id, LearnerStatus.organisation_id == Membership.organisation_id),
        )
        .join(Organisation, Organisation.id == Membership.organisation_id),
    )
    if wanted.organisation is not None:
        query = query.where(Membership.organisation_id == wanted.organisation)
    if wanted.sector:
        query = query.where(Organisation.sector == wanted.sector)
    if wanted.ownership:
        query = query.where(Organisation.ownership == wanted.ownership)
    if wanted.job_role:
        query = query.where(Membership.job_role == wanted.job_role)
    if wanted.role_group is not None:
        query = query.where(User.role_group == wanted.role_group)
    if wanted.search:
        text = wanted.search.lower()
        query = query.where(
            or_(
                func.lower(User.name).contains(text, autoescape=True),
                func.lower(User.email).contains(text, autoescape=True),
            )
        )
    conditions = {
        "not started": and_(LearnerStatus.status == Status.NOT_STARTED, not_(clock.expired())),
        "in progress": and_(LearnerStatus.status == Status.IN_PROGRESS, not_(clock.expired())),
        "completed": clock.completed(),
        "expired": clock.expired(),
        "overdue": clock.overdue(),
        "refresher due": clock.refresher_due(),
    }
    if wanted.status in conditions:
        query = query.where(conditions[wanted.status])
    return query


def _ordered(query: Select[Any], wanted: Filters, clock: _Clock) -> Select[Any]:
    key = {
        "name": func.lower(User.name),
        "organisation": func.lower(Organisation.name),
        "status": clock.status(),
        "due": LearnerStatus.due_date,
        "activity": LearnerStatus.last_activity_at,
    }.get(wanted.sort, func.lower(User.name))
    first = key.desc().nulls_last() if wanted.descending else key.asc().nulls_last()
    return query.order_by(first, func.lower(User.name), User.id, func.lower(Organisation.name))


def _row(user: User, membership: Membership, state: LearnerStatus, total: int, clock: _Clock) -> LearnerRow:
    expired = state.next_expiry is not None and state.next_expiry <= clock.now
    status = Status.EXPIRED if expired else Status(state.status)
    return LearnerRow(
        user=user,
        organisation=membership.organisation,
        job_role=membership.job_role,
        status=status,
        done=state.modules_done,
        total=total,
        items_done=state.items_done,
        items_total=state.items_total,
        due=state.due_date,
        overdue=status is not Status.COMPLETED and state.due_date is not None and state.due_date < clock.today,
        refresher_due=(
            state.next_expiry
            if state.next_expiry is not None and state.next_expiry <= clock.now + REFRESHER_WINDOW
            else None
        ),
        last_activity=state.last_activity_at,
    )


@dataclass(frozen=True)
class Page:
    rows: list[LearnerRow]
    total: int
    page: int
    pages: int


def learner_page(viewer: User, module_count: int, today: date, wanted: Filters, page: int, size: int) -> Page:
    """One page of the learners `viewer` may see, narrowed by `wanted`: two queries."""
    clock = _Clock(today)
    query = _filtered(viewer, wanted, clock)
    total = db.session.scalar(select(func.count()).select_from(query.with_only_columns(Membership.id).subquery())) or 0
    pages = max((total + size - 1) // size, 1)
    page = min(max(page, 1), pages)
    found = db.session.execute(
        _ordered(query.add_columns(LearnerStatus), wanted, clock)
        .options(selectinload(Membership.organisation))
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    return Page(
        [_row(user, membership, state, module_count, clock) for user, membership, state in found], total, page, pages
    )


def all_learner_rows(
    viewer: User, module_count: int, today: date, wanted: Filters | None = None
) -> Iterator[LearnerRow]:
    """Every learner `viewer` may see under `wanted`, in order, read in batches (for exports and e-mails)."""
    clock = _Clock(today)
    query = _ordered(
        _filtered(viewer, wanted or Filters(), clock).add_columns(LearnerStatus), wanted or Filters(), clock
    )
    result = db.session.execute(query.options(selectinload(Membership.organisation)).execution_options(yield_per=1000))
    for user, membership, state in result:
        yield _row(user, membership, state, module_count, clock)


@dataclass(frozen=True)
class OrganisationSummary:
    """Learners of one organisation by status. Not started, in progress, completed and expired
    add up to `learners`; overdue and refresher due are counted among them."""

    organisation: Organisation
    counts: Counter[str]
    learners: int


def totals(rows: list[OrganisationSummary]) -> tuple[Counter[str], int]:
    """The counts and learners of several organisations added together."""
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(row.counts)
    return counts, sum(row.learners for row in rows)


def summaries(viewer: User, today: date) -> list[OrganisationSummary]:
    """Counts of learners by status, overdue and refresher due, for each organisation in scope: two queries."""
    clock = _Clock(today)

    def total(condition: ColumnElement[bool]) -> Any:
        return func.sum(case((condition, 1), else_=0))

    figures = db.session.execute(
        _filtered(viewer, Filters(), clock)
        .with_only_columns(
            Membership.organisation_id,
            func.count(User.id),
            total(and_(LearnerStatus.status == Status.NOT_STARTED, not_(clock.expired()))),
            total(and_(LearnerStatus.status == Status.IN_PROGRESS, not_(clock.expired()))),
            total(clock.completed()),
            total(clock.expired()),
            total(clock.overdue()),
            total(clock.refresher_due()),
        )
        .group_by(Membership.organisation_id)
    ).all()
    by_organisation = {row[0]: row[1:] for row in figures}
    result = []
    for organisation in db.session.scalars(visible_organisations(viewer)):
        learners, *numbers = by_organisation.get(organisation.id, (0, 0, 0, 0, 0, 0, 0))
        names = ("not started", "in progress", "completed", "expired", "overdue", "refresher due")
        result.append(
            OrganisationSummary(organisation, Counter(dict(zip(names, map(int, numbers), strict=True))), int(learners))
        )
    return result


def completion_by_module(
    viewer: User, wanted: Filters, today: date, modules: list[tuple[str, str]], learners: int
) -> list[tuple[str, int, int]]:
    """(module title, learners done, learners) for each module, among the `learners` filtered ones: one query."""
    clock = _Clock(today)
    # One count per listed row, as the listing counts them: a learner listed under two organisations
    # is two of the `learners`, and their modules count in both.
    rows = _filtered(viewer, wanted, clock).with_only_columns(User.id.label("user_id")).subquery()
    done = dict(
        db.session.execute(
            select(ModuleProgress.module_slug, func.count())
            .join(rows, rows.c.user_id == ModuleProgress.user_id)
            .where(
                or_(
                    ModuleProgress.state == Status.WAIVED,
                    and_(
                        ModuleProgress.state == Status.COMPLETED,
                        or_(ModuleProgress.expires_at.is_(None), ModuleProgress.expires_at > clock.now),
                    ),
                ),
            )
            .group_by(ModuleProgress.module_slug)
        ).all()
    )
    return [(title, int(done.get(slug, 0)), learners) for slug, title in modules]


def completions_by_month(viewer: User, wanted: Filters, today: date, months: int = 12) -> list[tuple[str, int]]:
    """Certificates issued to the filtered learners in each of the last `months` months, oldest first."""
    from induction.completion.models import Certificate

    first = date(today.year, today.month, 1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    ids = _filtered(viewer, wanted, _Clock(today)).with_only_columns(User.id)
    issued = db.session.scalars(
        select(Certificate.issued_at).where(
            Certificate.user_id.in_(ids), Certificate.issued_at >= datetime.combine(first, datetime.min.time())
        )
    )
    counts: Counter[str] = Counter(moment.strftime("%Y-%m") for moment in issued)
    labels = []
    month = first
    for _ in range(months):
        labels.append((month.strftime("%b %y"), counts.get(month.strftime("%Y-%m"), 0)))
        month = (month + timedelta(days=32)).replace(day=1)
    return labels


def filtered_ids(viewer: User, wanted: Filters, today: date) -> Select[Any]:
    """A query of the ids of the filtered learners, for exports."""
    return _filtered(viewer, wanted, _Clock(today)).with_only_columns(User.id)


def job_roles(viewer: User) -> list[str]:
    query = (
        visible_memberships(viewer)
        .with_only_columns(Membership.job_role)
        .where(Membership.job_role.is_not(None))
        .distinct()
        .order_by(Membership.job_role)
    )
    return [r for r in db.session.scalars(query) if r]
