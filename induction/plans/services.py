"""Changing plans, items and waivers: each records its statement and settles completion."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from induction import clock
from induction.accounts.models import Membership, User
from induction.clock import utcnow
from induction.completion.models import Certificate
from induction.content import catalogue as current_catalogue
from induction.content.model import Catalogue, Module
from induction.database import lock_learner
from induction.extensions import db
from induction.learning import progress
from induction.plans import settling
from induction.plans import status as learner_status
from induction.plans.items import items_done
from induction.plans.models import InductionItem, InductionPlan, ItemProgress, Waiver
from induction.xapi import statements as xs


class PlanError(ValueError):
    """A change to a plan that cannot be made; the message is for the user."""


default_due_date = learner_status.default_due_date


def plan_of(user: User) -> InductionPlan | None:
    return db.session.scalar(select(InductionPlan).where(InductionPlan.user_id == user.id))


def due_date(user: User) -> date | None:
    """The learner's own due date if a manager set one, else the organisation's default."""
    plan = plan_of(user)
    return plan.due_date if plan else default_due_date(user)


def _plan(user: User) -> InductionPlan:
    plan = plan_of(user)
    if plan is None:
        default = default_due_date(user) or clock.today()
        plan = InductionPlan(user_id=user.id, due_date=default, due_reason="")
        db.session.add(plan)
    return plan


def set_due_date(manager: User, learner: User, due: date, reason: str) -> InductionPlan:
    if not reason.strip():
        raise PlanError("Give a reason for changing the due date.")
    if learner.start_date and due < learner.start_date:
        raise PlanError("The due date cannot be before the start date.")
    lock_learner(learner.id)
    plan = _plan(learner)
    plan.due_date, plan.due_reason, plan.updated_at = due, reason.strip(), utcnow()
    plan.agreed_at = plan.agreed_by_id = None  # a changed plan needs agreeing again
    db.session.flush()
    learner_status.refresh([learner], current_catalogue())
    return plan


def agree_plan(manager: User, learner: User) -> InductionPlan:
    lock_learner(learner.id)
    plan = _plan(learner)
    plan.agreed_at, plan.agreed_by_id = utcnow(), manager.id
    db.session.flush()
    return plan


def _item_row(learner: User, item: InductionItem) -> ItemProgress:
    row = db.session.get(ItemProgress, (learner.id, item.id))
    if row is None:
        row = ItemProgress(user_id=learner.id, item_id=item.id)
        db.session.add(row)
    return row


def applies_to(item: InductionItem, learner: User) -> bool:
    """True for an active item of an organisation the learner is in now, for everyone there or their job role there."""
    if not item.active:
        return False
    membership = db.session.scalar(
        select(Membership).where(
            Membership.user_id == learner.id,
            Membership.organisation_id == item.organisation_id,
            Membership.left_at.is_(None),
        )
    )
    return membership is not None and item.job_role in (None, membership.job_role)


def mark_item_done(learner: User, item: InductionItem) -> ItemProgress:
    if not applies_to(item, learner):
        raise PlanError("That item is not part of your induction.")
    lock_learner(learner.id)
    row = _item_row(learner, item)
    row.marked_done_at = row.marked_done_at or utcnow()
    db.session.flush()
    return row


def sign_off_item(
    manager: User, learner: User, item: InductionItem, catalogue: Catalogue, now: datetime | None = None
) -> Certificate | None:
    """Sign the item off with a `completed` statement; returns a certificate if that finished the induction."""
    if not applies_to(item, learner):
        raise PlanError("That item is not part of this learner's induction.")
    lock_learner(learner.id)
    row = _item_row(learner, item)
    if row.signed_off_at is not None:
        raise PlanError("That item is already signed off.")
    moment = now or utcnow()
    items_before = items_done(learner)
    statement = xs.record(
        learner,
        xs.Event(
            xs.COMPLETED,
            f"items/{item.id}",
            item.title,
            instructor=manager,
            success=True,
            organisation=item.organisation.name,  # the item's, which may not be the learner's main one
        ),
        moment,
    )
    row.signed_off_at, row.signed_off_by_id, row.statement_id = moment, manager.id, statement.id
    row.marked_done_at = row.marked_done_at or moment
    db.session.flush()
    return settling.settle(learner, catalogue, moment, items_before=items_before)


def waive(manager: User, learner: User, module: Module, reason: str, catalogue: Catalogue) -> Certificate | None:
    """Waive a module for prior learning with a `waived` statement; the reason is kept in `waivers` only."""
    if not reason.strip():
        raise PlanError("Give the reason for the waiver, e.g. the prior course and its date.")
    lock_learner(learner.id)
    if active_waiver(learner, module.slug) is not None:
        raise PlanError("That module is already waived.")
    moment = utcnow()
    statement = xs.record(
        learner,
        xs.Event(
            xs.WAIVED,
            f"modules/{module.slug}",
            module.title,
            registration=progress.registration_for(learner, module, moment),
            revision=module.revision,
            instructor=manager,
        ),
        moment,
    )
    db.session.add(
        Waiver(
            user_id=learner.id,
            module_slug=module.slug,
            reason=reason.strip(),
            statement_id=statement.id,
            waived_by_id=manager.id,
            waived_at=moment,
        )
    )
    return settling.settle(learner, catalogue, moment)


def active_waiver(learner: User, module_slug: str) -> Waiver | None:
    return db.session.scalar(
        select(Waiver).where(
            Waiver.user_id == learner.id, Waiver.module_slug == module_slug, Waiver.undone_at.is_(None)
        )
    )


def undo_waiver(manager: User, learner: User, waiver: Waiver, catalogue: Catalogue) -> None:
    """Void the waiver's statement; the module counts as not done again."""
    lock_learner(learner.id)
    if waiver.undone_at is not None:
        return  # undone already, e.g. by the same click sent twice
    moment = utcnow()
    xs.record(manager, xs.Event(xs.VOIDED, "", "", statement_ref=waiver.statement_id), moment)
    xs.mark_voided(waiver.statement_id)
    waiver.undone_at, waiver.undone_by_id = moment, manager.id
    db.session.flush()
    settling.settle(learner, catalogue, moment)
