"""Aggregate induction figures for a partnership's member organisations.

No person-level data leaves here: counts by organisation, sector and ownership, with
every count under five (zeros included) shown as "fewer than 5", so that nobody can be
picked out of a small group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, not_, or_, select

from induction.accounts.models import Membership, Organisation, User
from induction.accounts.scope import aggregate_organisation_ids, memberships_of
from induction.extensions import db
from induction.learning.models import LearnerStatus
from induction.reporting.services import _Clock
from induction.rules import Status

SMALL = 5
FEWER = f"fewer than {SMALL}"
MEASURES = ("learners", "completed", "in progress", "not started", "expired", "overdue", "refresher due")
GROUPINGS = {"organisation": "Organisation", "sector": "Sector", "ownership": "Ownership"}


def shown(count: int) -> str:
    """A count as the partnership may see it: exact from five up, otherwise "fewer than 5"."""
    return str(count) if count >= SMALL else FEWER


@dataclass(frozen=True)
class Row:
    label: str
    counts: dict[str, int]

    def shown(self, measure: str) -> str:
        return shown(self.counts[measure])


def figures(viewer: User, today: date) -> dict[str, list[Row]]:
    """Counts per organisation, per sector and per ownership for the organisations `viewer` may read
    in aggregate: one query for the counts, one for the organisations."""
    clock = _Clock(today)

    def total(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    members = aggregate_organisation_ids(viewer)
    rows = db.session.execute(
        memberships_of(members)
        .with_only_columns(
            Membership.organisation_id,
            func.count(User.id),
            total(clock.completed()),
            total(and_(LearnerStatus.status == Status.IN_PROGRESS, not_(clock.expired()))),
            # A learner added straight to the database has no status row yet: not started.
            total(
                or_(
                    LearnerStatus.status.is_(None),
                    and_(LearnerStatus.status == Status.NOT_STARTED, not_(clock.expired())),
                )
            ),
            total(clock.expired()),
            total(clock.overdue()),
            total(clock.refresher_due()),
        )
        .outerjoin(
            LearnerStatus,
            and_(LearnerStatus.user_id == User.id, LearnerStatus.organisation_id == Membership.organisation_id),
        )
        .group_by(Membership.organisation_id)
    ).all()
    by_id = {row[0]: [int(n or 0) for n in row[1:]] for row in rows}
    organisations = db.session.scalars(
        select(Organisation).where(Organisation.id.in_(members)).order_by(Organisation.name)
    ).all()
    grouped: dict[str, dict[str, list[int]]] = {"organisation": {}, "sector": {}, "ownership": {}}
    for organisation in organisations:
        numbers = by_id.get(organisation.id, [0] * len(MEASURES))
        for grouping, label in (
            ("organisation", organisation.name),
            ("sector", organisation.sector.capitalize()),
            ("ownership", organisation.ownership.capitalize()),
        ):
            sums = grouped[grouping].setdefault(label, [0] * len(MEASURES))
            grouped[grouping][label] = [a + b for a, b in zip(sums, numbers, strict=True)]
    return {
        grouping: [Row(label, dict(zip(MEASURES, numbers, strict=True))) for label, numbers in sorted(groups.items())]
        for grouping, groups in grouped.items()
    }
