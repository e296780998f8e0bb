"""Queries about a learner's organisation and role items, used by the completion rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, String, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import joinedload

from induction.accounts import scope
from induction.accounts.models import Membership, User
from induction.extensions import db
from induction.plans.models import InductionItem, ItemProgress
from induction.rules import ModuleState, Status, induction_status
from induction.xapi.statements import activity_iri


@scope.organisation_activities
def item_activities(organisation_ids: frozenset[int]) -> Select[str]:
    """The activity IRIs (`items/<id>`, as sign-offs name them) of these organisations' items, active
    or not: a sign-off is its item's organisation's, whichever organisations the learner is in."""
    iri = literal(activity_iri("items/"), String) + cast(InductionItem.id, String)
    return select(iri).where(InductionItem.organisation_id.in_(organisation_ids))


def items_query(organisation_id: int, job_role: str | None) -> Select[InductionItem]:
    """The active items for someone in this organisation and job role: setting items first."""
    return (
        select(InductionItem)
        .where(
            InductionItem.organisation_id == organisation_id,
            InductionItem.active.is_(True),
            or_(InductionItem.job_role.is_(None), InductionItem.job_role == (job_role or "")),
        )
        .order_by(InductionItem.job_role.is_not(None), InductionItem.id)
    )


def items_with_progress(
    user: User, membership: Membership | None = None
) -> list[tuple[InductionItem, ItemProgress | None]]:
    """The learner's items in `membership`'s organisation and job role (by default their main
    organisation's), each with the learner's progress on it."""
    organisation_id, job_role = (
        (membership.organisation_id, membership.job_role) if membership else (user.organisation_id, user.job_role)
    )
    if organisation_id is None:
        return []
    items = db.session.scalars(items_query(organisation_id, job_role)).all()
    progress = {
        p.item_id: p
        for p in db.session.scalars(
            select(ItemProgress).where(ItemProgress.user_id == user.id, ItemProgress.item_id.in_([i.id for i in items]))
        )
    }
    return [(item, progress.get(item.id)) for item in items]


def items_done(user: User) -> bool:
    """True when every item for the learner is signed off (or there are none)."""
    signed, total = items_done_for([user])[user.id]
    return signed == total


def items_done_for(users: Iterable[User]) -> dict[int, tuple[int, int]]:
    """For many learners at once: (items signed off, items in all) in their main organisation, per
    user id, in two queries. The certificate and the learner's overall status read these."""
    people = list(users)
    done = _items_done([(u.id, u.organisation_id, u.job_role) for u in people])
    return {u.id: done.get((u.id, u.organisation_id or 0), (0, 0)) for u in people}


def items_done_by_membership(memberships: Iterable[Membership]) -> dict[tuple[int, int], tuple[int, int]]:
    """(items signed off, items in all) per (user id, organisation id), each membership's organisation
    and job role: two queries for any number of memberships."""
    return _items_done([(m.user_id, m.organisation_id, m.job_role) for m in memberships])


def _items_done(parts: list[tuple[int, int | None, str | None]]) -> dict[tuple[int, int], tuple[int, int]]:
    organisations = {organisation for _, organisation, _ in parts if organisation is not None}
    if not organisations:
        return {}
    items = db.session.scalars(
        select(InductionItem).where(InductionItem.organisation_id.in_(organisations), InductionItem.active.is_(True))
    ).all()
    signed = {
        (p.user_id, p.item_id)
        for p in db.session.scalars(
            select(ItemProgress).where(
                ItemProgress.user_id.in_({user for user, _, _ in parts}), ItemProgress.signed_off_at.is_not(None)
            )
        )
    }
    result = {}
    for user, organisation, job_role in parts:
        if organisation is None:
            continue
        mine = [i for i in items if i.organisation_id == organisation and i.job_role in (None, job_role)]
        result[(user, organisation)] = (sum((user, i.id) in signed for i in mine), len(mine))
    return result


@dataclass(frozen=True)
class Part:
    """A learner's induction as one organisation sees it: its items for their job role there, and
    the status the rule gives with the learner's modules (which are the same everywhere)."""

    membership: Membership
    items: list[tuple[InductionItem, ItemProgress | None]]
    status: Status

    @property
    def due(self) -> date | None:
        """When the induction there is due by that organisation's time allowed (the main organisation's
        plan may set another date)."""
        started = self.membership.started_on
        return started + timedelta(weeks=self.membership.organisation.induction_weeks) if started else None

    @property
    def signed(self) -> int:
        return sum(1 for _, p in self.items if p is not None and p.signed_off_at is not None)


def parts_of(user: User, memberships: Sequence[Membership], states: Iterable[ModuleState]) -> list[Part]:
    """One `Part` per membership given, in that order."""
    states = list(states)
    parts = []
    for membership in memberships:
        items = items_with_progress(user, membership)
        signed = sum(1 for _, p in items if p is not None and p.signed_off_at is not None)
        status = induction_status(states, items_done=signed == len(items), items_started=signed > 0)
        parts.append(Part(membership, items, status))
    return parts


def parts_for(user: User, states: Iterable[ModuleState]) -> list[Part]:
    """A `Part` for each of the learner's current memberships, main organisation first, in two queries:
    the memberships with their organisations and items, then the learner's progress on those items."""
    states = list(states)
    rows = db.session.execute(
        select(Membership, InductionItem)
        .outerjoin(
            InductionItem,
            and_(
                InductionItem.organisation_id == Membership.organisation_id,
                InductionItem.active.is_(True),
                or_(InductionItem.job_role.is_(None), InductionItem.job_role == func.coalesce(Membership.job_role, "")),
            ),
        )
        .where(Membership.user_id == user.id, Membership.left_at.is_(None))
        .options(joinedload(Membership.organisation))
        .order_by(
            case((Membership.organisation_id == user.organisation_id, 0), else_=1),
            Membership.joined_at,
            Membership.id,
            InductionItem.job_role.is_not(None),
            InductionItem.id,
        )
    ).all()
    items: dict[int, list[InductionItem]] = {}
    memberships: dict[int, Membership] = {}
    for membership, item in rows:
        memberships.setdefault(membership.id, membership)
        mine = items.setdefault(membership.id, [])
        if item is not None:
            mine.append(item)
    ids = [i.id for found in items.values() for i in found]
    progress = (
        {
            p.item_id: p
            for p in db.session.scalars(
                select(ItemProgress).where(ItemProgress.user_id == user.id, ItemProgress.item_id.in_(ids))
            )
        }
        if ids
        else {}
    )
    parts = []
    for key, membership in memberships.items():
        found = [(item, progress.get(item.id)) for item in items[key]]
        signed = sum(1 for _, p in found if p is not None and p.signed_off_at is not None)
        status = induction_status(states, items_done=signed == len(found), items_started=signed > 0)
        parts.append(Part(membership, found, status))
    return parts
