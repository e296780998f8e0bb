"""Completion figures per organisation, from the learner_status projection and the scope.

A row is a learner's part in one organisation (a current membership): a learner in two
organisations is counted in each, with that organisation's items and the status computed with them.

Filtering, sorting, counting and paging happen in SQL, so a page makes the same few
queries whether an organisation has fifty learners or a council has a hundred thousand.
What depends on the clock (expired, overdue, refresher due) is worked out in the query. The
counts add up learner_status_summary (kept by database triggers, migration a7c9e1b3d5f7)
where they can (`figures`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, not_, or_, select, union_all
from sqlalchemy.orm import selectinload

from induction.accounts.models import Membership, Organisation, Role, User
from induction.accounts.scope import visible_memberships, visible_organisation_ids, visible_organisations
from induction.content import catalogue
from induction.extensions import db
from induction.learning.models import LearnerStatus, ModuleProgress
from induction.plans import status as learner_status
from induction.reporting.models import LearnerStatusSummary
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
    (reminders, which run once a day and count from its start), over learner_status rows."""

    def __init__(self, moment: date | datetime) -> None:
        if isinstance(moment, datetime):
            self.today, self.now = moment.date(), moment
        else:
            self.today, self.now = moment, datetime.combine(moment, datetime.min.time())
        self.organisation_id: Any = LearnerStatus.organisation_id
        self.stored_status: Any = LearnerStatus.status
        self.done_modules: Any = LearnerStatus.done_modules

    def rows(self) -> Any:
        """How many learners the rows stand for (a learner_status row is one)."""
        return func.count()

    def among(self, condition: ColumnElement[bool]) -> Any:
        """How many of them meet `condition`."""
        return func.sum(case((condition, 1), else_=0))

    def expired(self) -> ColumnElement[bool]:
        """rules.expired in SQL: a completion has expired from the moment it expires."""
        return and_(LearnerStatus.next_expiry.is_not(None), LearnerStatus.next_expiry <= self.now)

    def completed(self) -> ColumnElement[bool]:
        return and_(self.stored_status == Status.COMPLETED, not_(self.expired()))

    def overdue(self) -> ColumnElement[bool]:
        return and_(not_(self.completed()), LearnerStatus.due_date.is_not(None), LearnerStatus.due_date < self.today)

    def refresher_due(self) -> ColumnElement[bool]:
        return and_(LearnerStatus.next_expiry.is_not(None), LearnerStatus.next_expiry <= self.now + REFRESHER_WINDOW)

    def status(self) -> ColumnElement[str]:
        return case((self.expired(), literal(Status.EXPIRED.value)), else_=LearnerStatus.status)

    def months(self) -> tuple[int, int, int]:
        """The months (`month_of`) of today, of now and of the end of the refresher window."""
        return month_of(self.today), month_of(self.now), month_of(self.now + REFRESHER_WINDOW)

    def on_the_line(self) -> list[ColumnElement[bool]]:
        """The learner_status rows whose month of due date or of next expiry is one of `months`:
        those the summary cannot place on one side of today, now or the end of the window. In three
        parts that no row is in twice (the two expiry months differ), so that each part is read from
        one index (ix_learner_status_due_figures, ix_learner_status_expiry_figures) alone."""
        today, now, soon = (_first_day(m) for m in self.months())
        after_today = _first_day(month_of(today) + 1)
        due = LearnerStatus.due_date
        due_this_month = and_(due >= today, due < after_today)
        due_another_month = or_(due.is_(None), due < today, due >= after_today)
        return [due_this_month] + [
            and_(
                LearnerStatus.next_expiry >= _midnight(start),
                LearnerStatus.next_expiry < _midnight(_first_day(month_of(start) + 1)),
                due_another_month,
            )
            for start in (now, soon)
        ]


def month_of(moment: date) -> int:
    """A month as learner_status_summary keeps it: year * 12 + month - 1."""
    return moment.year * 12 + moment.month - 1


def _first_day(month: int) -> date:
    return date(month // 12, month % 12 + 1, 1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


class _SummaryClock(_Clock):
    """The same conditions over learner_status_summary, for its rows off the line (`on_the_line`):
    a month wholly before today's is before today, and so on."""

    def __init__(self, moment: date | datetime) -> None:
        super().__init__(moment)
        self.organisation_id = LearnerStatusSummary.organisation_id
        self.stored_status = LearnerStatusSummary.status
        self.done_modules = LearnerStatusSummary.done_modules

    def rows(self) -> Any:
        return func.sum(LearnerStatusSummary.learners)

    def among(self, condition: ColumnElement[bool]) -> Any:
        return func.sum(case((condition, LearnerStatusSummary.learners), else_=0))

    def expired(self) -> ColumnElement[bool]:
        return LearnerStatusSummary.expiry_month < self.months()[1]  # NO_DATE is never before

    def overdue(self) -> ColumnElement[bool]:
        return and_(not_(self.completed()), LearnerStatusSummary.due_month < self.months()[0])

    def refresher_due(self) -> ColumnElement[bool]:
        return LearnerStatusSummary.expiry_month < self.months()[2]

    def off_the_line(self) -> ColumnElement[bool]:
        today, now, soon = self.months()
        return and_(LearnerStatusSummary.due_month != today, LearnerStatusSummary.expiry_month.not_in([now, soon]))


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


def _scope(viewer: User) -> Select[Any]:
    """(learner, membership) for each current membership `viewer` may see, with its status row."""
    return cast(
        "Select[Any]",
        visible_memberships(viewer)
        .join(
            LearnerStatus,
            and_(LearnerStatus.user_id == User.id, LearnerStatus.organisation_id == Membership.organisation_id),
        )
        .join(Organisation, Organisation.id == Membership.organisation_id),
    )


def _conditions(wanted: Filters, clock: _Clock) -> list[ColumnElement[bool]]:
    """What `wanted` asks of a row of the scope; none for the whole of it."""
    found: list[ColumnElement[bool]] = []
    if wanted.organisation is not None:
        found.append(clock.organisation_id == wanted.organisation)
    if wanted.sector:
        found.append(Organisation.sector == wanted.sector)
    if wanted.ownership:
        found.append(Organisation.ownership == wanted.ownership)
    if wanted.job_role:
        found.append(Membership.job_role == wanted.job_role)
    if wanted.role_group is not None:
        found.append(User.role_group == wanted.role_group)
    if wanted.search:
        text = wanted.search.lower()
        found.append(
            or_(
                func.lower(User.name).contains(text, autoescape=True),
                func.lower(User.email).contains(text, autoescape=True),
            )
        )
    statuses = {
        "not started": and_(clock.stored_status == Status.NOT_STARTED, not_(clock.expired())),
        "in progress": and_(clock.stored_status == Status.IN_PROGRESS, not_(clock.expired())),
        "completed": clock.completed(),
        "expired": clock.expired(),
        "overdue": clock.overdue(),
        "refresher due": clock.refresher_due(),
    }
    if wanted.status in statuses:
        found.append(statuses[wanted.status])
    return found


def _filtered(viewer: User, wanted: Filters, clock: _Clock) -> Select[Any]:
    return _scope(viewer).where(*_conditions(wanted, clock))


def _status_rows(viewer: User, wanted: Filters) -> Select[Any]:
    """The learner_status rows in `viewer`'s scope, joined only to what `wanted`'s conditions read.

    plans/status.py keeps one row for each current membership of a learner and none for anything
    else (it refreshes every learner whose memberships change before the transaction commits), so
    the counts read this one table, not the memberships and users `_scope` joins for the list."""
    query = select(LearnerStatus).where(LearnerStatus.organisation_id.in_(visible_organisation_ids(viewer)))
    if viewer.role == Role.LEARNER:
        query = query.where(LearnerStatus.user_id == viewer.id)
    if wanted.sector or wanted.ownership:
        query = query.join(Organisation, Organisation.id == LearnerStatus.organisation_id)
    if wanted.search or wanted.role_group is not None:
        query = query.join(User, User.id == LearnerStatus.user_id)
    if wanted.job_role:
        query = query.join(
            Membership,
            and_(
                Membership.user_id == LearnerStatus.user_id,
                Membership.organisation_id == LearnerStatus.organisation_id,
                Membership.left_at.is_(None),
            ),
        )
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


def learner_page(
    viewer: User, module_count: int, today: date, wanted: Filters, page: int, size: int, total: int | None = None
) -> Page:
    """One page of the learners `viewer` may see, narrowed by `wanted`: two queries, or three without
    the `total` of rows under `wanted` (`Figures.listed` has it)."""
    clock = _Clock(today)
    query = _filtered(viewer, wanted, clock)
    if total is None:
        counted = select(func.count()).select_from(query.with_only_columns(Membership.id).subquery())
        total = db.session.scalar(counted) or 0
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


@dataclass(frozen=True)
class Figures:
    """The report's counts: each organisation in scope by status (whatever the filters), how many
    rows the filters list, and how many of those have done each module (completed and not expired,
    or waived), by module slug."""

    summaries: list[OrganisationSummary]
    listed: int
    done: dict[str, int]


STATUS_NAMES = ("not started", "in progress", "completed", "expired", "overdue", "refresher due")


def _summarised(viewer: User, wanted: Filters) -> bool:
    """Whether learner_status_summary can give the counts under `wanted`: it knows each row's
    organisation, stored status and months, not the learner's name, role group or job role."""
    return viewer.role != Role.LEARNER and not (wanted.job_role or wanted.role_group is not None or wanted.search)


def _counts(rows: Select[Any], clock: _Clock, conditions: list[ColumnElement[bool]], slugs: list[str]) -> Select[Any]:
    """Per organisation of `rows`: the rows, those of each status, overdue and refresher due (whatever
    the filters), then those `conditions` keep, and how many of those have each module in done_modules."""
    listed = and_(*conditions) if conditions else None

    def among_listed(condition: ColumnElement[bool]) -> Any:
        return clock.among(condition if listed is None else and_(listed, condition))

    return rows.with_only_columns(
        clock.organisation_id,
        clock.rows(),
        clock.among(and_(clock.stored_status == Status.NOT_STARTED, not_(clock.expired()))),
        clock.among(and_(clock.stored_status == Status.IN_PROGRESS, not_(clock.expired()))),
        clock.among(clock.completed()),
        clock.among(clock.expired()),
        clock.among(clock.overdue()),
        clock.among(clock.refresher_due()),
        clock.rows() if listed is None else clock.among(listed),
        *(among_listed(clock.done_modules.contains(f"|{slug}|", autoescape=True)) for slug in slugs),
    ).group_by(clock.organisation_id)


def figures(viewer: User, wanted: Filters, today: date, slugs: list[str], summary: bool = True) -> Figures:
    """The report's counts in three queries, whatever the number of learners.

    One query counts, per organisation, the statuses of all its rows and, among the rows the
    filters keep, how many there are and how many have done each module (done_modules). Under
    filters the summary knows (organisation, sector, ownership, status) it adds up the rows of
    learner_status_summary whose months lie wholly on one side of today, now and the end of the
    refresher window, and counts the learner_status rows of those three months themselves (three
    index-only reads, no row in two); under filters on people, or with `summary` false, it counts
    learner_status. A module completed once but expired since is in done_modules, so a second
    query takes those out, reading module_progress for the listed rows whose earliest expiry has
    passed only. The third reads the organisations. A learner listed under two organisations is
    two rows, and their modules count in both, as the list shows them."""
    clock = _Clock(today)
    conditions = _conditions(wanted, clock)
    if summary and _summarised(viewer, wanted):
        # The summary's rows off the line, and the learner_status rows on it.
        months = _SummaryClock(today)
        kept = select(LearnerStatusSummary).where(
            LearnerStatusSummary.organisation_id.in_(visible_organisation_ids(viewer)), months.off_the_line()
        )
        if wanted.sector or wanted.ownership:
            kept = kept.join(Organisation, Organisation.id == LearnerStatusSummary.organisation_id)
        counted = union_all(
            _counts(kept, months, _conditions(wanted, months), slugs),
            *(
                _counts(_status_rows(viewer, wanted).where(part), clock, conditions, slugs)
                for part in clock.on_the_line()
            ),
        )
        counts = db.session.execute(select(counted.subquery())).all()
    else:
        counts = db.session.execute(_counts(_status_rows(viewer, wanted), clock, conditions, slugs)).all()
    by_organisation: dict[int, list[int]] = {}
    for row in counts:
        numbers = [int(n or 0) for n in row[1:]]
        before = by_organisation.get(row[0])
        by_organisation[row[0]] = numbers if before is None else [x + y for x, y in zip(before, numbers, strict=True)]
    done = Counter({slug: sum(row[8 + i] for row in by_organisation.values()) for i, slug in enumerate(slugs)})
    expired_rows = (
        _status_rows(viewer, wanted)
        .where(*conditions, clock.expired())
        .with_only_columns(LearnerStatus.user_id.label("user_id"))
        .subquery()
    )
    # Per listed row with an expired module, as done_modules counted it.
    if slugs:
        done.subtract(
            dict(
                db.session.execute(
                    select(ModuleProgress.module_slug, func.count())
                    .join(expired_rows, expired_rows.c.user_id == ModuleProgress.user_id)
                    .where(
                        ModuleProgress.state == Status.COMPLETED,
                        ModuleProgress.expires_at.is_not(None),
                        ModuleProgress.expires_at <= clock.now,
                        ModuleProgress.module_slug.in_(slugs),
                    )
                    .group_by(ModuleProgress.module_slug)
                ).all()
            )
        )
    summaries = []
    for organisation in db.session.scalars(visible_organisations(viewer)):
        numbers = by_organisation.get(organisation.id, [0] * 8)
        statuses = Counter(dict(zip(STATUS_NAMES, numbers[1:7], strict=True)))
        summaries.append(OrganisationSummary(organisation, statuses, numbers[0]))
    listed_rows = sum(row[7] for row in by_organisation.values())
    return Figures(summaries, listed_rows, {slug: done[slug] for slug in slugs})


def summaries(viewer: User, today: date) -> list[OrganisationSummary]:
    """Counts of learners by status, overdue and refresher due, for each organisation in scope."""
    return figures(viewer, Filters(), today, []).summaries


def completions_by_month(viewer: User, wanted: Filters, today: date, months: int = 12) -> list[tuple[str, int]]:
    """Certificates issued to the filtered learners in each of the last `months` months, oldest first.

    One row of a count per month, read from ix_certificates_issued_at_user_id (nothing to sort or group)."""
    from induction.completion.models import Certificate

    current = month_of(today)
    starts = [_midnight(_first_day(m)) for m in range(current - months + 1, current + 2)]
    issued = Certificate.issued_at
    in_months = and_(issued >= starts[0], issued < starts[-1])
    # The learners in scope among those with a certificate in these months, which PostgreSQL
    # finds by hashing those (a year's certificates), not every learner in scope.
    ids = _status_rows(viewer, wanted).where(
        *_conditions(wanted, _Clock(today)), LearnerStatus.user_id.in_(select(Certificate.user_id).where(in_months))
    )
    ids = ids.with_only_columns(LearnerStatus.user_id)
    found = db.session.execute(
        select(*(func.sum(case((and_(issued >= a, issued < b), 1), else_=0)) for a, b in pairwise(starts))).where(
            Certificate.user_id.in_(ids), in_months
        )
    ).one()
    return [(start.strftime("%b %y"), int(n or 0)) for start, n in zip(starts[:-1], found, strict=True)]


def filtered_ids(viewer: User, wanted: Filters, today: date) -> Select[Any]:
    """A query of the ids of the filtered learners, for exports."""
    return _filtered(viewer, wanted, _Clock(today)).with_only_columns(User.id)


def job_roles(viewer: User) -> list[str]:
    """The job roles of the current memberships in scope, in order.

    For a manager or an admin, read a role at a time from ix_memberships_current_organisation_job_role
    (the next role after the last one found, in each organisation): a few index lookups per role
    instead of reading every membership."""
    current = and_(Membership.left_at.is_(None), Membership.job_role.is_not(None))
    if viewer.role == Role.LEARNER:
        query = (
            select(Membership.job_role)
            .where(Membership.organisation_id.in_(visible_organisation_ids(viewer)), Membership.user_id == viewer.id)
            .where(current)
            .distinct()
            .order_by(Membership.job_role)
        )
        return [r for r in db.session.scalars(query) if r]
    organisations = visible_organisation_ids(viewer).subquery()
    organisation_id = organisations.c[0]
    first = (
        select(func.min(Membership.job_role))
        .where(Membership.organisation_id == organisation_id, current)
        .scalar_subquery()
    )
    found = select(organisation_id.label("organisation_id"), first.label("job_role")).cte("roles", recursive=True)
    after = (
        select(func.min(Membership.job_role))
        .where(Membership.organisation_id == found.c.organisation_id, current, Membership.job_role > found.c.job_role)
        .scalar_subquery()
    )
    found = found.union_all(select(found.c.organisation_id, after).where(found.c.job_role.is_not(None)))
    query = select(found.c.job_role).where(found.c.job_role.is_not(None)).distinct().order_by(found.c.job_role)
    return [r for r in db.session.scalars(query) if r]
