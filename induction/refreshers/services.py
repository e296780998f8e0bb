"""Setting and removing refresher periods. Each change brings every affected learner's records up to
date in the same transaction: their module_progress and learner_status rows and, when a completed
induction's expiry changes, a renewed certificate (`plans.settling.settle`, as any other change)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Select, exists, select

from induction import clock
from induction.accounts.models import Organisation, Sector, User
from induction.accounts.organisations import organisations_of
from induction.accounts.scope import learners_of
from induction.content.model import Catalogue, Module
from induction.database import lock_learner
from induction.extensions import db
from induction.learning import progress
from induction.learning.models import ModuleProgress
from induction.learning.periods import ModulePeriods, RefresherPeriod, module_periods
from induction.plans.settling import settle
from induction.privacy import audit
from induction.privacy.models import Action
from induction.rules import ModuleState, module_state, refresher_months

_WHOLE_NUMBER = re.compile(r"[0-9]{1,4}")


class PeriodError(ValueError):
    """A period that cannot be set; the message is for the user."""


def learners_dates_changed(count: int) -> str:
    """'1 learner's refresher dates changed', '3 learners' refresher dates changed'."""
    whose = "1 learner's" if count == 1 else f"{count} learners'"
    return f"{whose} refresher dates changed"


@dataclass(frozen=True)
class Target:
    """Where a period is set: one organisation, or every organisation of a sector."""

    module: Module
    organisation: Organisation | None = None
    sector: Sector | None = None

    def __post_init__(self) -> None:
        if (self.organisation is None) == (self.sector is None):
            raise ValueError("a period is set for an organisation or for a sector, not both")

    @property
    def name(self) -> str:
        """Who it is for, in words: the organisation, or the sector's organisations."""
        if self.organisation is not None:
            return self.organisation.name
        return f"every {self.sector} organisation"

    def organisation_ids(self) -> Select[int] | list[int]:
        if self.organisation is not None:
            return [self.organisation.id]
        return select(Organisation.id).where(Organisation.sector == self.sector)

    def changed(self, periods: ModulePeriods, months: int | None) -> ModulePeriods:
        """`periods` as they would be with this target's period set to `months` (None: removed)."""
        by_organisation, by_sector = dict(periods.by_organisation), dict(periods.by_sector)
        if self.organisation is not None:
            by_organisation.pop(self.organisation.id, None)
            if months is not None:
                by_organisation[self.organisation.id] = months
        elif self.sector is not None:
            by_sector.pop(self.sector, None)
            if months is not None:
                by_sector[self.sector] = months
        return ModulePeriods(by_organisation, by_sector)


def check_months(module: Module, raw: object) -> int:
    """The period asked for, in whole months, if it can be set for the module; else PeriodError."""
    default = module.refresher_months
    if default is None:
        raise PeriodError(f"“{module.title}” has no refresher, so it cannot have a refresher period.")
    if default <= 1:
        raise PeriodError(f"“{module.title}” is refreshed every month already: there is no shorter period.")
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise PeriodError("Enter the refresher period in months.")
    if not _WHOLE_NUMBER.fullmatch(text):
        raise PeriodError("Enter the refresher period as a whole number of months, like 12.")
    months = int(text)
    if months < 1:
        raise PeriodError("A refresher period is at least 1 month.")
    if months >= default:
        raise PeriodError(
            f"Enter a period shorter than the module's own of {default} months: from 1 to {default - 1} months."
        )
    return months


def period_for(target: Target, lock: bool = False) -> RefresherPeriod | None:
    """The period set for the target's module there, if any (locked for the change when `lock`)."""
    query = select(RefresherPeriod).where(RefresherPeriod.module_slug == target.module.slug)
    if target.organisation is not None:
        query = query.where(RefresherPeriod.organisation_id == target.organisation.id)
    else:
        query = query.where(RefresherPeriod.sector == target.sector)
    return db.session.scalar(query.with_for_update() if lock else query)


def target_of(period: RefresherPeriod, catalogue: Catalogue) -> Target | None:
    """The period's target, or None if its module is no longer in the content."""
    module = catalogue.module(period.module_slug)
    if module is None:
        return None
    if period.organisation is not None:
        return Target(module, organisation=period.organisation)
    return Target(module, sector=Sector(period.sector or ""))


def _learners(target: Target) -> Sequence[User]:
    """The learners of the target's organisations who have done anything in the module: only their
    records can change. In id order, the order in which they are locked."""
    has_progress = exists().where(
        ModuleProgress.user_id == User.id, ModuleProgress.module_slug == target.module.slug
    )
    return db.session.scalars(learners_of(target.organisation_ids()).where(has_progress).order_by(User.id)).all()


def _sectors(organisation_ids: set[int]) -> dict[int, str]:
    if not organisation_ids:
        return {}
    rows = db.session.execute(select(Organisation.id, Organisation.sector).where(Organisation.id.in_(organisation_ids)))
    return {row.id: row.sector for row in rows}


def _dates(state: ModuleState) -> tuple[object, ...]:
    return (state.status, state.completed_at, state.expires_at)


def learners_changing(target: Target, months: int | None, catalogue: Catalogue, now: datetime) -> list[User]:
    """The learners whose refresher date for the module would change if the target's period became
    `months` (None: removed), found by playing each one's statements through the rule both ways.
    Writes nothing: it is what the confirmation page counts."""
    before = module_periods(target.module.slug)
    after = target.changed(before, months)
    learners = _learners(target)
    memberships = {u.id: organisations_of(u) for u in learners}
    sectors = _sectors({i for ids in memberships.values() for i in ids})
    spec = progress.spec_of(target.module)
    changing = []
    for user in learners:
        ids = memberships[user.id]
        events = [e for e in progress.events_for(user.id, catalogue) if e.module == target.module.slug]
        old = module_state(replace(spec, local_periods=before.for_organisations(ids, sectors)), events, now)
        new = module_state(replace(spec, local_periods=after.for_organisations(ids, sectors)), events, now)
        if _dates(old) != _dates(new):
            changing.append(user)
    return changing


@dataclass(frozen=True)
class Outcome:
    """What a change did: the period before and after (None: none set), and whose dates changed."""

    before: int | None
    after: int | None
    changed: list[User]

    @property
    def repeat(self) -> bool:
        return self.before == self.after


def _bring_up_to_date(target: Target, catalogue: Catalogue, now: datetime) -> list[User]:
    """Lock and settle every learner the change can affect; returns those whose dates changed."""
    changed = []
    for user in _learners(target):
        lock_learner(user.id)
        before = _stored_dates(user.id, target.module.slug)
        settle(user, catalogue, now)
        if _stored_dates(user.id, target.module.slug) != before:
            changed.append(user)
    return changed


def _stored_dates(user_id: int, slug: str) -> tuple[object, ...] | None:
    row = db.session.get(ModuleProgress, (user_id, slug))
    return (row.state, row.completed_at, row.expires_at) if row is not None else None


def settle_members(organisation_ids: list[int], catalogue: Catalogue, now: datetime | None = None) -> int:
    """Lock and settle every learner of these organisations who has done anything in a module with a
    refresher, after a change to what decides their period other than a period (an organisation's
    sector); the caller commits. Returns how many were settled."""
    slugs = [m.slug for m in catalogue.modules if m.refresher_months is not None]
    if not slugs or not organisation_ids:
        return 0
    has_progress = exists().where(ModuleProgress.user_id == User.id, ModuleProgress.module_slug.in_(slugs))
    learners = db.session.scalars(learners_of(organisation_ids).where(has_progress).order_by(User.id)).all()
    for user in learners:
        lock_learner(user.id)
        settle(user, catalogue, now)
    return len(learners)


def applies_after(target: Target) -> str:
    """What applies once an organisation's or a sector's period is gone, in words."""
    default = target.module.refresher_months
    if target.organisation is not None:
        sector = module_periods(target.module.slug).by_sector.get(target.organisation.sector)
        if sector is not None:
            return f"{refresher_months(default, sector)} months (its sector's period)"
    return f"{default} months (the module's own period)"


def _describe(target: Target, months: int | None) -> str:
    period = f"{months} months" if months is not None else f"removed: {applies_after(target)} applies"
    return f"{target.module.title}: refresher period for {target.name} {period}"


def set_period(actor: User, target: Target, months: int, catalogue: Catalogue, now: datetime | None = None) -> Outcome:
    """Set (or change) the target's period for its module, and bring every affected learner's records
    up to date; the caller commits. Setting the period it already has changes nothing (a repeat)."""
    moment = now or clock.utcnow()
    months = check_months(target.module, months)
    period = period_for(target, lock=True)
    before = period.months if period is not None else None
    if before == months:
        return Outcome(before, months, [])
    actor_id = actor.id  # read before the new row is added: loading the actor would flush it half-made
    if period is None:
        period = RefresherPeriod(
            module_slug=target.module.slug,
            organisation_id=target.organisation.id if target.organisation is not None else None,
            sector=target.sector,
            months=months,
        )
        db.session.add(period)
    period.months, period.set_by_id, period.set_at = months, actor_id, moment
    db.session.flush()  # the unique key: a second insert of the same period waits here, then fails
    changed = _bring_up_to_date(target, catalogue, moment)
    _audit(actor, Action.SET_REFRESHER_PERIOD, target, months, before, changed)
    return Outcome(before, months, changed)


def remove_period(actor: User, period_id: int, catalogue: Catalogue, now: datetime | None = None) -> Outcome | None:
    """Remove the period, so the sector's or the module's default applies again, and bring every affected
    learner's records up to date; the caller commits. None if it was already removed (a repeat)."""
    moment = now or clock.utcnow()
    period = db.session.scalar(select(RefresherPeriod).where(RefresherPeriod.id == period_id).with_for_update())
    if period is None:
        return None
    target = target_of(period, catalogue)
    before = period.months
    db.session.delete(period)
    db.session.flush()
    if target is None:  # its module left the content: no learner's dates depend on it
        return Outcome(before, None, [])
    changed = _bring_up_to_date(target, catalogue, moment)
    _audit(actor, Action.REMOVED_REFRESHER_PERIOD, target, None, before, changed)
    return Outcome(before, None, changed)


def _audit(
    actor: User, action: Action, target: Target, months: int | None, before: int | None, changed: list[User]
) -> None:
    was = f"{before} months" if before is not None else "none of its own"
    detail = f"{_describe(target, months)} (was {was}); {learners_dates_changed(len(changed))}"
    audit.record(actor, action, None, detail)
    audit.record_many(actor, action, [u.id for u in changed], _describe(target, months))
