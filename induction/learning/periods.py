"""Refresher periods shorter than a module's default, set for a sector or an organisation (issue 17):
the table, and the periods that apply where a learner works, as the rules take them (`rules.LocalPeriods`).

`progress.refresh` asks `local_periods` each time it recomputes a learner's modules, so every
projection (module_progress, learner_status, reports, the CSV, reminders, the certificate) follows the
period that applies. A learner's organisations come from `organisations_of` alone. Setting and removing
periods, and their pages, are in `induction/refreshers/`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from induction.accounts.models import Organisation, Sector, User
from induction.accounts.organisations import organisation_ids
from induction.clock import utcnow
from induction.database import enum_type
from induction.extensions import db
from induction.rules import LocalPeriods


class RefresherPeriod(db.Model):  # type: ignore[name-defined,misc]
    """A module's refresher period, in months, for one organisation or for every organisation of a
    sector: exactly one of the two. One period per organisation and module, and per sector and module;
    the database refuses a second however many requests race. `rules.refresher_months` decides which
    applies; the services only accept periods shorter than the module's default."""

    __tablename__ = "refresher_periods"
    __table_args__ = (
        CheckConstraint(
            "(organisation_id IS NULL AND sector IS NOT NULL) OR (organisation_id IS NOT NULL AND sector IS NULL)",
            name="ck_refresher_periods_one_scope",
        ),
        CheckConstraint("months >= 1", name="ck_refresher_periods_months"),
        UniqueConstraint("organisation_id", "module_slug", name="uq_refresher_periods_organisation_module"),
        UniqueConstraint("sector", "module_slug", name="uq_refresher_periods_sector_module"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_slug: Mapped[str] = mapped_column(String(120))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    sector: Mapped[Sector | None] = mapped_column(enum_type(Sector, 40))
    months: Mapped[int]
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship()
    set_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        where = f"organisation {self.organisation_id}" if self.organisation_id is not None else self.sector
        return f"<RefresherPeriod {self.module_slug} {self.months} months for {where}>"


@dataclass(frozen=True)
class ModulePeriods:
    """Every period set for one module: by organisation id and by sector."""

    by_organisation: dict[int, int] = field(default_factory=dict)
    by_sector: dict[str, int] = field(default_factory=dict)

    def for_organisations(self, ids: Iterable[int], sectors: Mapping[int, str]) -> tuple[LocalPeriods, ...]:
        """One `LocalPeriods` per organisation, in the order given."""
        return tuple(
            LocalPeriods(sector=self.by_sector.get(sectors.get(i, "")), organisation=self.by_organisation.get(i))
            for i in ids
        )


def local_periods(user: User) -> dict[str, tuple[LocalPeriods, ...]]:
    """For each module with a period set for one of the learner's organisations or their sectors, the
    periods of each of those organisations; modules not named keep their default. One query: the
    learner's organisations (`organisation_ids`, the query form of `organisations_of`) with their periods."""
    rows = db.session.execute(
        select(Organisation.id, Organisation.sector, RefresherPeriod.module_slug, RefresherPeriod.organisation_id,
               RefresherPeriod.months)
        .outerjoin(RefresherPeriod, or_(RefresherPeriod.organisation_id == Organisation.id,
                                        RefresherPeriod.sector == Organisation.sector))
        .where(Organisation.id.in_(organisation_ids(user).order_by(None)))
        .order_by(Organisation.id)
    ).all()  # fmt: skip
    ids: list[int] = []
    sectors: dict[int, str] = {}
    found: dict[str, ModulePeriods] = {}
    for organisation_id, sector, slug, own, months in rows:
        if organisation_id not in sectors:
            ids.append(organisation_id)
        sectors[organisation_id] = sector
        if slug is None:  # an organisation with no period set, for itself or its sector
            continue
        periods = found.setdefault(slug, ModulePeriods({}, {}))
        if own is not None:
            periods.by_organisation[organisation_id] = months
        else:
            periods.by_sector[sector] = months
    return {slug: periods.for_organisations(ids, sectors) for slug, periods in found.items()}


def module_periods(module_slug: str) -> ModulePeriods:
    """Every period set for the module, in one query."""
    by_organisation: dict[int, int] = {}
    by_sector: dict[str, int] = {}
    for row in db.session.scalars(select(RefresherPeriod).where(RefresherPeriod.module_slug == module_slug)):
        if row.organisation_id is not None:
            by_organisation[row.organisation_id] = row.months
        elif row.sector is not None:
            by_sector[row.sector] = row.months
    return ModulePeriods(by_organisation, by_sector)
