"""Queries about a learner's organisation and role items, used by the completion rules."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, or_, select

from induction.accounts.models import User
from induction.extensions import db
from induction.plans.models import InductionItem, ItemProgress


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


def items_with_progress(user: User) -> list[tuple[InductionItem, ItemProgress | None]]:
    if user.organisation_id is None:
        return []
    items = db.session.scalars(items_query(user.organisation_id, user.job_role)).all()
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
    """For many learners at once: (items signed off, items in all) per user id, in two queries."""
    people = list(users)
    organisations = {u.organisation_id for u in people if u.organisation_id is not None}
    if not organisations:
        return {u.id: (0, 0) for u in people}
    items = db.session.scalars(
        select(InductionItem).where(InductionItem.organisation_id.in_(organisations), InductionItem.active.is_(True))
    ).all()
    signed = {
        (p.user_id, p.item_id)
        for p in db.session.scalars(
            select(ItemProgress).where(
                ItemProgress.user_id.in_([u.id for u in people]), ItemProgress.signed_off_at.is_not(None)
            )
        )
    }
    result = {}
    for user in people:
        mine = [i for i in items if i.organisation_id == user.organisation_id and (i.job_role in (None, user.job_role))]
        result[user.id] = (sum((user.id, i.id) in signed for i in mine), len(mine))
    return result
