"""The completion rules: pure functions of (events, content, time), tested without a database."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    COMPLETED = "completed"
    WAIVED = "waived"
    EXPIRED = "expired"


DONE = frozenset({Status.COMPLETED, Status.WAIVED})


class Kind(StrEnum):
    READ = "read"
    PASSED = "passed"
    FAILED = "failed"
    WAIVED = "waived"


@dataclass(frozen=True)
class LearningEvent:
    """One statement, as the rules need it."""

    kind: Kind
    module: str
    at: datetime
    major: int
    section: str | None = None
    registration: str | None = None


@dataclass(frozen=True)
class ModuleSpec:
    """What the rules need to know of a module."""

    slug: str
    major: int
    sections: tuple[str, ...]
    refresher_months: int | None = None  # the module's default, from its front matter
    # One entry per organisation the learner belongs to: the periods set there (see refresher_months).
    local_periods: tuple[LocalPeriods, ...] = ()


@dataclass(frozen=True)
class LocalPeriods:
    """The shorter refresher periods set for a module where a learner works: by an admin for the
    organisation's sector, and by the organisation itself. Either may be absent."""

    sector: int | None = None
    organisation: int | None = None


def refresher_months(default: int | None, sector: int | None = None, organisation: int | None = None) -> int | None:
    """The refresher period of a module for a learner in one organisation, in months.

    The organisation's own period wins over its sector's, which wins over the module's default.
    A period only ever shortens the default: a module without a refresher never gets one, and a
    period not shorter than the default (say the module's default was shortened later) gives way
    to it."""
    if default is None:
        return None
    chosen = organisation if organisation is not None else sector
    return default if chosen is None else max(1, min(default, chosen))


def applicable_refresher_months(default: int | None, local: Iterable[LocalPeriods] = ()) -> int | None:
    """The refresher period for a learner in several organisations at once: the shortest of the
    periods each of their organisations gives (`refresher_months`); the default when they are in none."""
    if default is None:
        return None
    return min((refresher_months(default, p.sector, p.organisation) or default for p in local), default=default)


@dataclass(frozen=True)
class ModuleState:
    status: Status
    read: frozenset[str] = frozenset()
    passed: bool = False
    completed_at: datetime | None = None
    expires_at: datetime | None = None
    last_activity_at: datetime | None = None
    outdated: bool = False
    registration: str | None = None

    def first_unread(self, sections: Sequence[str]) -> str | None:
        return next((s for s in sections if s not in self.read), None)


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus whole calendar months, on the last day of the month when it is shorter."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass
class _Cycle:
    read: set[str] = field(default_factory=set)
    passed: bool = False
    waived_at: datetime | None = None
    completed_at: datetime | None = None
    registration: str | None = None


def module_state(spec: ModuleSpec, events: Iterable[LearningEvent], now: datetime) -> ModuleState:
    """Where a learner stands on a module, from their events for it in time order.

    Only events at the module's current major version count. A refresher module's
    completion expires after the refresher period that applies to the learner
    (`applicable_refresher_months`); an event after that starts a new
    cycle, in which the learner reads and passes again. A waiver stands until it is undone:
    a waived cycle neither expires nor ends.
    """
    cycle = _Cycle()
    outdated = False
    last: datetime | None = None
    for event in sorted(events, key=lambda e: e.at):
        if event.module != spec.slug:
            continue
        if event.major != spec.major:
            outdated = outdated or event.major < spec.major
            continue
        expiry = _expiry(spec, cycle.completed_at) if cycle.waived_at is None else None
        if expiry is not None and event.at >= expiry:
            cycle = _Cycle()
        last = event.at
        _step(spec, cycle, event)
    return _state(spec, cycle, outdated, last, now, _expiry(spec, cycle.completed_at))


def _step(spec: ModuleSpec, cycle: _Cycle, event: LearningEvent) -> None:
    """One counted event applied to the cycle it belongs to."""
    cycle.registration = event.registration or cycle.registration
    if event.kind is Kind.READ and event.section in spec.sections:
        cycle.read.add(event.section)
    elif event.kind is Kind.PASSED:
        cycle.passed = True
    elif event.kind is Kind.WAIVED:
        cycle.waived_at = cycle.waived_at or event.at
    if cycle.completed_at is None and cycle.passed and cycle.read >= set(spec.sections):
        cycle.completed_at = event.at


def _state(
    spec: ModuleSpec, cycle: _Cycle, outdated: bool, last: datetime | None, now: datetime, expires_at: datetime | None
) -> ModuleState:
    state = ModuleState(
        status=Status.NOT_STARTED,
        read=frozenset(cycle.read),
        passed=cycle.passed,
        completed_at=cycle.completed_at,
        expires_at=expires_at,
        last_activity_at=last,
        outdated=outdated and cycle.completed_at is None and cycle.waived_at is None,
        registration=cycle.registration,
    )
    if cycle.waived_at is not None:
        return replace(
            state, status=Status.WAIVED, completed_at=cycle.completed_at or cycle.waived_at, expires_at=None
        )
    if cycle.completed_at is not None:
        return replace(state, status=Status.EXPIRED if expired(state.expires_at, now) else Status.COMPLETED)
    if last is not None:
        return replace(state, status=Status.IN_PROGRESS)
    return state


class ReplayNeeded(Exception):
    """`advance` cannot continue from the stored state: only a replay of every event gives the answer."""


def advance(
    spec: ModuleSpec,
    state: ModuleState,
    events: Iterable[LearningEvent],
    now: datetime,
    expiry: Callable[[datetime], datetime | None] | None = None,
) -> ModuleState:
    """The module's state after `events`, continued from `state`, the state their replay gave before
    them (`module_state` of the earlier events): the same answer as replaying every event, in the
    time it takes to apply the new ones.

    That holds when the new events come after every counted one (none is older than
    `state.last_activity_at`), at the module's current major version, and within the cycle they
    continue; otherwise, and from a waived cycle (the stored state keeps when it was completed, not
    when it was waived), `ReplayNeeded` is raised. `expiry` gives the expiry of a completion the
    events make (by default from `spec`); a stored completion keeps its stored expiry."""
    if state.status is Status.WAIVED:
        raise ReplayNeeded("a waived cycle")
    expiry_of = expiry or (lambda completed: _expiry(spec, completed))
    cycle = _Cycle(
        read=set(state.read), passed=state.passed, completed_at=state.completed_at, registration=state.registration
    )
    expires_at = state.expires_at if state.completed_at is not None else None
    last = state.last_activity_at
    for event in sorted(events, key=lambda e: e.at):
        if event.module != spec.slug:
            continue
        if event.major != spec.major:
            raise ReplayNeeded("an event at another major version")
        if last is not None and event.at < last:
            raise ReplayNeeded("an event older than the last one counted")
        if cycle.waived_at is None and expires_at is not None and event.at >= expires_at:
            raise ReplayNeeded("an event after the completion expired, which starts a new cycle")
        last = event.at
        completed = cycle.completed_at
        _step(spec, cycle, event)
        if cycle.completed_at is not None and completed is None:
            expires_at = expiry_of(cycle.completed_at)
    return _state(spec, cycle, state.outdated, last, now, expires_at)


def expired(expires_at: datetime | None, now: datetime) -> bool:
    """The one expiry rule: a completion has expired from the moment its expiry date arrives."""
    return expires_at is not None and now >= expires_at


def completion_expiry(spec: ModuleSpec, completed_at: datetime | None) -> datetime | None:
    """When a completion of the module at `completed_at` expires (None: it does not)."""
    return _expiry(spec, completed_at)


def _expiry(spec: ModuleSpec, completed_at: datetime | None) -> datetime | None:
    months = applicable_refresher_months(spec.refresher_months, spec.local_periods)
    if completed_at is None or months is None:
        return None
    return add_months(completed_at, months)


def induction_status(states: Iterable[ModuleState], items_done: bool = True, items_started: bool = False) -> Status:
    """The whole induction's status from every module's state and its organisation and role items.

    The learner's pages, the managers' reports and exports, reminders and certificates all
    take it from here. Work at an older major version of a module, or an item signed off,
    means the induction has started even if no module counts yet."""
    states = list(states)
    statuses = [s.status for s in states]
    if statuses and all(s in DONE for s in statuses) and items_done:
        return Status.COMPLETED
    if Status.EXPIRED in statuses:
        return Status.EXPIRED
    if items_started or any(s.status is not Status.NOT_STARTED or s.outdated for s in states):
        return Status.IN_PROGRESS
    return Status.NOT_STARTED


@dataclass(frozen=True)
class Score:
    raw: int
    max: int
    pass_mark: int

    @property
    def percent(self) -> int:
        return round(100 * self.raw / self.max) if self.max else 0

    @property
    def passed(self) -> bool:
        return self.max > 0 and 100 * self.raw >= self.pass_mark * self.max


def score(answers: dict[str, frozenset[str]], keys: dict[str, frozenset[str]], pass_mark: int) -> Score:
    """Score an attempt: a question is right when the chosen options are exactly its correct ones."""
    raw = sum(1 for qid, key in keys.items() if answers.get(qid, frozenset()) == key)
    return Score(raw, len(keys), pass_mark)
