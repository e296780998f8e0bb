"""What a manager does to several learners or items at once, each after a confirmation:
send a reminder now, agree plans, sign off items. Every change takes the learner's lock
first, so a double click or two managers at once change each record exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from induction import clock
from induction.accounts.decorators import role_required
from induction.accounts.models import User
from induction.accounts.scope import learner_or_404, plan_in_scope, visible_learners, visible_organisation_ids
from induction.content import catalogue
from induction.database import MAX_ID, lock_learner
from induction.extensions import db
from induction.learning.models import LearnerStatus
from induction.plans import services as plans
from induction.plans.models import InductionItem, InductionPlan
from induction.privacy import audit
from induction.privacy.models import Action
from induction.reminders import now as reminders
from induction.reporting.views import MANAGERS

MAX_SELECTED = 500
ACTIONS = {"remind": "Send a reminder now", "agree": "Agree their plans"}


def _ids(name: str) -> list[int]:
    """The ids a form sent under `name`; anything that is not a whole number is a 400."""
    values = request.form.getlist(name)
    if len(values) > MAX_SELECTED:
        abort(400, f"Choose at most {MAX_SELECTED} at a time.")
    if not all(v.isdigit() and 0 < int(v) <= MAX_ID for v in values):
        abort(400, f"Each {name} chosen must be given by its number.")
    return sorted({int(v) for v in values})


def _selected_learners(ids: list[int]) -> list[User]:
    """The chosen learners, all inside the manager's scope, or a 404."""
    if not ids:
        return []
    found = db.session.scalars(visible_learners(current_user).where(User.id.in_(ids)).order_by(User.name)).all()
    if len(found) != len(ids):
        abort(404)
    return list(found)


@dataclass(frozen=True)
class Preview:
    learner: User
    mail: reminders.Message
    sent_today: bool


def _previews(learners: list[User]) -> list[Preview]:
    # The learner's figures as an organisation in the manager's scope sees them; the main one first.
    states: dict[int, LearnerStatus] = {}
    main = {u.id: u.organisation_id for u in learners}
    for s in db.session.scalars(
        select(LearnerStatus).where(
            LearnerStatus.user_id.in_(main),
            LearnerStatus.organisation_id.in_(visible_organisation_ids(current_user)),
        )
    ):
        if s.user_id not in states or s.organisation_id == main[s.user_id]:
            states[s.user_id] = s
    total = len(catalogue().modules)
    already = reminders.sent_on([u.id for u in learners], clock.today())
    result = []
    for learner in learners:
        state = states.get(learner.id)
        mail = reminders.message(
            learner, current_user, state.due_date if state else None, state.modules_done if state else 0, total
        )
        result.append(Preview(learner, mail, learner.id in already))
    return result


def _send(learners: list[User]) -> reminders.Outcome:
    outcome = reminders.Outcome()
    day = clock.today()
    for preview in _previews(learners):
        if preview.sent_today:
            outcome.already.append(preview.learner)
            continue
        lock_learner(preview.learner.id)
        reminders.send_now(preview.learner, preview.mail, day, outcome)
    return outcome


def _say(outcome: reminders.Outcome) -> None:
    def names(people: list[User]) -> str:
        return ", ".join(p.name for p in people)

    if outcome.sent:
        flash(f"Reminder sent to {names(outcome.sent)}.", "success")
    if outcome.already:
        flash(f"Already reminded today, so not sent again: {names(outcome.already)}.", "info")
    if outcome.failed:
        flash(f"The e-mail server did not take the reminder for {names(outcome.failed)}. Try again later.", "error")


@role_required(*MANAGERS)
def remind(learner_id: int) -> Any:
    person = learner_or_404(current_user, learner_id)
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return render_template(
            "reporting/confirm_reminders.html", previews=_previews([person]), back=_learner_url(person.id)
        )
    _say(_send([person]))
    return redirect(_learner_url(person.id))


def _learner_url(learner_id: int) -> str:
    return url_for("reporting.learner", learner_id=learner_id)


@role_required(*MANAGERS)
def selected() -> Any:
    """Act on the learners ticked in the report: first a confirmation, then the change."""
    action = request.form.get("action", "")
    if action not in ACTIONS:
        abort(400, "Choose what to do with the selected learners.")
    back = url_for("reporting.overview") + "#learners"
    learners = _selected_learners(_ids("learner"))
    if not learners:
        flash("Tick at least one learner first.", "error")
        return redirect(back)
    if request.form.get("confirm") != "yes":
        if action == "remind":
            return render_template("reporting/confirm_reminders.html", previews=_previews(learners), back=back)
        plans_by = {p.user_id: p for p in _plans([u.id for u in learners])}
        return render_template(
            "reporting/confirm_agree.html",
            learners=[(u, plans.due_date(u), plans_by.get(u.id)) for u in learners],
            back=back,
        )
    if action == "remind":
        _say(_send(learners))
    else:
        others = [u for u in learners if not plan_in_scope(current_user, u)]
        if others:
            names = ", ".join(u.name for u in others)
            flash(f"Their plan belongs to another organisation, so it was left as it was: {names}.", "info")
        agreed, already = agree_plans(current_user, [u for u in learners if u not in others])
        if agreed:
            flash(f"Plan agreed for {', '.join(u.name for u in agreed)}.", "success")
        if already:
            flash(f"Already agreed, so left as they were: {', '.join(u.name for u in already)}.", "info")
    return redirect(back)


def _plans(ids: list[int]) -> list[InductionPlan]:
    return list(db.session.scalars(select(InductionPlan).where(InductionPlan.user_id.in_(ids))))


def agree_plans(manager: User, learners: list[User]) -> tuple[list[User], list[User]]:
    """Agree each learner's plan unless it already is agreed; (agreed now, already agreed)."""
    agreed, already = [], []
    for learner in learners:
        lock_learner(learner.id)
        plan = plans.plan_of(learner)
        if plan is not None and plan.agreed_at is not None:
            already.append(learner)
            continue
        plans.agree_plan(manager, learner)
        agreed.append(learner)
    db.session.commit()
    return agreed, already


@role_required(*MANAGERS)
def agree(learner_id: int) -> Any:
    person = learner_or_404(current_user, learner_id)
    if not plan_in_scope(current_user, person):
        abort(403, "The plan belongs to the learner's main organisation, which you do not manage.")
    back = _learner_url(person.id)
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return render_template(
            "reporting/confirm_agree.html",
            learners=[(person, plans.due_date(person), plans.plan_of(person))],
            back=back,
        )
    agreed, _ = agree_plans(current_user, [person])
    flash(f"You have agreed {person.name}'s plan." if agreed else "That plan was already agreed.", "success")
    return redirect(back)


def _items_of(person: User, ids: list[int]) -> list[InductionItem]:
    if not ids:
        return []
    # Only the items of the manager's own organisations: a learner in two organisations has each signed off there.
    found = db.session.scalars(
        select(InductionItem).where(
            InductionItem.id.in_(ids), InductionItem.organisation_id.in_(visible_organisation_ids(current_user))
        )
    ).all()
    if len(found) != len(ids) or not all(plans.applies_to(i, person) for i in found):
        abort(404)
    return sorted(found, key=lambda i: i.id)


@role_required(*MANAGERS)
def sign_off(learner_id: int, item_id: int) -> Any:
    person = learner_or_404(current_user, learner_id)
    return _sign_off(person, _items_of(person, [item_id]))


@role_required(*MANAGERS)
def sign_off_selected(learner_id: int) -> Any:
    person = learner_or_404(current_user, learner_id)
    chosen = _items_of(person, _ids("item"))
    if not chosen:
        flash("Tick at least one item to sign off.", "error")
        return redirect(_learner_url(person.id) + "#learner-items")
    return _sign_off(person, chosen)


def _sign_off(person: User, chosen: list[InductionItem]) -> Any:
    back = _learner_url(person.id)
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return render_template("reporting/confirm_sign_off.html", learner=person, items=chosen, back=back)
    done, already, certificate = [], [], None
    for item in chosen:
        try:
            certificate = plans.sign_off_item(current_user, person, item, catalogue()) or certificate
        except plans.PlanError:
            already.append(item)
            continue
        audit.record(current_user, Action.SIGNED_OFF, person, item.title)
        done.append(item)
    db.session.commit()
    if done:
        flash(f"Signed off: {'; '.join(i.title for i in done)}.", "success")
    if already:
        flash(f"Already signed off, so left as they were: {'; '.join(i.title for i in already)}.", "info")
    if certificate is not None:
        flash(f"{person.name} has completed their induction; the certificate has been issued.", "success")
    return redirect(back)
