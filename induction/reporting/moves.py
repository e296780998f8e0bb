"""Moving a learner to another organisation, or adding them to one, after a confirmation that says
what travels with them and what starts afresh. Managers act for learners in their scope, into
organisations they manage; admins for anyone, into any organisation (from the admin pages too).
A confirmation is used once: it carries the state of the learner's memberships it was shown against,
and once they have changed (by it, or by anyone since) sending it again changes nothing (409)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from induction import clock
from induction.accounts.decorators import role_required
from induction.accounts.models import Membership, Organisation, User
from induction.accounts.organisations import organisations_of
from induction.accounts.scope import (
    learner_or_404,
    organisation_or_404,
    visible_memberships,
    visible_organisation_ids,
    visible_organisations,
)
from induction.content import catalogue
from induction.content.model import Module
from induction.database import retry_conflicts
from induction.extensions import db
from induction.formtools import options
from induction.learning import progress
from induction.learning.models import ModuleProgress
from induction.plans import moves
from induction.plans.items import items_query
from induction.privacy import audit
from induction.privacy.models import Action
from induction.reporting.forms import MembershipForm
from induction.reporting.views import MANAGERS
from induction.rules import DONE, Status


def _parts(learner: User) -> list[Membership]:
    """The learner's current memberships the viewer may see, organisations loaded."""
    return list(
        db.session.scalars(
            visible_memberships(current_user)
            .with_only_columns(Membership)
            .where(User.id == learner.id)
            .options(selectinload(Membership.organisation))
            .order_by(Membership.joined_at)
        )
    )


def _form(learner: User, parts: list[Membership]) -> MembershipForm:
    form = MembershipForm()
    current = set(organisations_of(learner))
    targets = [o for o in db.session.scalars(visible_organisations(current_user)) if o.id not in current]
    form.leaving.choices = options([(m.organisation_id, m.organisation.name) for m in parts])
    form.to.choices = options([(0, "Choose an organisation"), *((o.id, o.name) for o in targets)])
    if request.method == "GET":
        form.job_role.data = learner.job_role
        form.started_on.data = clock.today()
    return form


def _page(learner: User, parts: list[Membership], form: MembershipForm, status: int = 200, problem: str = "") -> Any:
    # Ended memberships: in the viewer's organisations only (an admin's scope is every organisation).
    mine = set(db.session.scalars(visible_organisation_ids(current_user)))
    history = [m for m in moves.history(learner) if m.left_at is not None and m.organisation_id in mine]
    return (
        render_template(
            "reporting/organisations.html",
            learner=learner,
            parts=parts,
            history=history,
            form=form,
            problem=problem,
            choices_left=len(form.to.choices) > 1,  # type: ignore[arg-type]
        ),
        status,
    )


@dataclass(frozen=True)
class Travels:
    """What the confirmation page says: the modules that travel, the items that start afresh."""

    modules: list[tuple[Module, ModuleProgress | None, Status]]
    modules_done: int
    items: int
    due: date


def _travels(learner: User, to: Organisation, job_role: str, started_on: date) -> Travels:
    content = catalogue()
    rows = progress.progress_rows(learner.id)
    modules = [(m, rows.get(m.slug), progress.status_of(rows.get(m.slug))) for m in content.modules]
    items = len(db.session.scalars(items_query(to.id, job_role)).all())
    return Travels(
        modules=modules,
        modules_done=sum(1 for _, _, s in modules if s in DONE),
        items=items,
        due=started_on + timedelta(weeks=to.induction_weeks),
    )


@role_required(*MANAGERS)
def organisations(learner_id: int) -> Any:
    """GET: the learner's organisations and the form. POST: the confirmation; POST with confirm=yes: the change."""
    person = learner_or_404(current_user, learner_id)
    parts = _parts(person)
    form = _form(person, parts)
    if request.method == "GET":
        return _page(person, parts, form)
    if not form.validate_on_submit():
        for field, text in ((form.to, "join"), (form.leaving, "leave")):
            if field.errors:  # a value that is not an organisation's number
                field.errors = [f"Choose the organisation they {text} from the list."]
        return _page(person, parts, form, 400)
    if not form.to.data:
        form.to.errors = ["Choose the organisation they join."]
        return _page(person, parts, form, 400)
    to = organisation_or_404(current_user, form.to.data)  # an organisation outside the scope is not there
    leaving = None
    if form.change.data == "move":
        if not form.leaving.data:
            form.leaving.errors = ["Choose the organisation they leave."]
            return _page(person, parts, form, 400)
        leaving = organisation_or_404(current_user, form.leaving.data)
    confirmed = request.form.get("confirm") == "yes"
    try:
        role, started_on = moves.check(form.job_role.data or "", form.started_on.data)
        if leaving is not None and leaving.id == to.id:
            raise moves.MoveError("Choose an organisation other than the one they are leaving.")
        # Once confirmed, the service decides under the learner's lock: the same move sent twice is a repeat.
        if not confirmed and leaving is not None and leaving.id not in {m.organisation_id for m in parts}:
            raise moves.MoveError(f"{person.name} is not in {leaving.name}, so cannot be moved from it.")
    except moves.MoveError as error:
        return _page(person, parts, form, 400, problem=str(error))
    if not confirmed:
        return render_template(
            "reporting/confirm_move.html",
            learner=person,
            form=form,
            leaving=leaving,
            to=to,
            job_role=role,
            started_on=started_on,
            state=moves.state_of(person),
            travels=_travels(person, to, role, started_on),
            main_changes=leaving is not None and leaving.id == person.organisation_id,
        )
    state = request.form.get("state", "")
    if not STATE.fullmatch(state):  # not sent from the confirmation page
        problem = "Confirm the change on its confirmation page: choose Continue, then confirm."
        return _page(person, parts, form, 400, problem=problem)
    try:
        return _change(person, leaving, to, role, started_on, state)
    except moves.ChangedSince as error:
        db.session.rollback()
        return _page(person, _parts(person), form, 409, problem=str(error))
    except moves.MoveError as error:
        db.session.rollback()
        return _page(person, _parts(person), form, 400, problem=str(error))


STATE = re.compile(r"[0-9a-f]{16}")  # moves.state_of


def _change(
    person: User, leaving: Organisation | None, to: Organisation, role: str, started_on: date, state: str
) -> Any:
    def work() -> moves.Outcome:
        if leaving is None:
            outcome = moves.add(person, to, role, started_on, catalogue(), confirmed=state)
            if outcome.changed:
                audit.record(current_user, Action.ADDED_TO_ORGANISATION, person, f"{to.name} as {role}")
        else:
            outcome = moves.move(person, leaving, to, role, started_on, catalogue(), confirmed=state)
            if outcome.changed:
                audit.record(
                    current_user, Action.MOVED_ORGANISATION, person, f"from {leaving.name} to {to.name} as {role}"
                )
        return outcome

    outcome = retry_conflicts(work)
    if not outcome.changed:
        flash(f"{person.name} is already in {to.name}: nothing was changed.", "info")
    elif leaving is None:
        flash(f"{person.name} is now in {to.name} as well, as {role}.", "success")
    else:
        flash(f"{person.name} has moved from {leaving.name} to {to.name}.", "success")
    return redirect(url_for("reporting.learner", learner_id=person.id))
