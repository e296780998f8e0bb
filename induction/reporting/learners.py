"""A learner's page for their manager: plan, items, modules, attempts, the record of learning; the forms on it."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from induction import clock
from induction.accounts.decorators import role_required
from induction.accounts.models import Membership, User
from induction.accounts.scope import learner_or_404, plan_in_scope, visible_memberships, visible_organisation_ids
from induction.content import catalogue
from induction.extensions import db
from induction.formtools import options
from induction.learning import progress
from induction.learning import services as learning
from induction.learning.models import QuizAttempt
from induction.plans import moves
from induction.plans import services as plans
from induction.plans.items import parts_of
from induction.plans.models import InductionItem, ItemProgress, Waiver
from induction.privacy import audit
from induction.privacy.models import Action
from induction.reminders import now
from induction.reporting import timeline
from induction.reporting.forms import AttemptsForm, DueDateForm, WaiverForm
from induction.reporting.views import MANAGERS


def _forms(learner: Any) -> dict[str, Any]:
    content = catalogue()
    waiver = WaiverForm(prefix="waive")
    waiver.module.choices = options([("", "Choose a module")] + [(m.slug, m.title) for m in content.modules])
    attempts = AttemptsForm(prefix="attempts")
    attempts.quiz.choices = options((m.quiz_slug, m.title) for m in content.modules)
    due = DueDateForm(prefix="due")
    if request.method == "GET":
        due.due_date.data = plans.due_date(learner)
    return {"waiver_form": waiver, "attempts_form": attempts, "due_form": due}


def _parts(learner: User) -> list[Membership]:
    """The learner's current memberships in the viewer's organisations, the main one first."""
    found = db.session.scalars(
        visible_memberships(current_user)
        .with_only_columns(Membership)
        .where(User.id == learner.id)
        .options(selectinload(Membership.organisation))
        .order_by(Membership.joined_at)
    ).all()
    return sorted(found, key=lambda m: m.organisation_id != learner.organisation_id)


def _moves(learner: User) -> tuple[list[timeline.Entry], list[int]]:
    """For the record of learning: joining and leaving the viewer's organisations (once the learner has
    been in more than one), and the items of other organisations, whose sign-offs are not shown."""
    mine = set(db.session.scalars(visible_organisation_ids(current_user)))
    history = moves.history(learner)
    entries = []
    for m in history if len(history) > 1 else []:
        if m.organisation_id in mine:
            role = f" as {m.job_role}" if m.job_role else ""
            entries.append(timeline.Entry(m.joined_at, f"Joined {m.organisation.name}{role}", False))
            if m.left_at is not None:
                entries.append(timeline.Entry(m.left_at, f"Left {m.organisation.name}", False))
    hidden = db.session.scalars(
        select(ItemProgress.item_id)
        .join(InductionItem, InductionItem.id == ItemProgress.item_id)
        .where(ItemProgress.user_id == learner.id, InductionItem.organisation_id.not_in(mine))
    ).all()
    return entries, list(hidden)


def _page(learner: Any, status: int = 200, **forms: Any) -> Any:
    content = catalogue()
    rows = progress.progress_rows(learner.id)
    states = progress.current_states(learner.id, content, rows=rows)
    moved, hidden = _moves(learner)
    entries, page, pages = timeline.page_of(learner.id, request.args.get("page", 1, type=int), moved, hidden)
    attempts = db.session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == learner.id, QuizAttempt.submitted_at.is_not(None))
        .order_by(QuizAttempt.submitted_at)
    ).all()
    waivers = {
        w.module_slug: w
        for w in db.session.scalars(select(Waiver).where(Waiver.user_id == learner.id, Waiver.undone_at.is_(None)))
    }
    context = _forms(learner)
    context.update(forms)
    return render_template(
        "reporting/learner.html",
        learner=learner,
        plan=plans.plan_of(learner),
        due=plans.due_date(learner),
        plan_is_ours=plan_in_scope(current_user, learner),
        # Each of the viewer's organisations sees its own items, and the status computed with them.
        parts=parts_of(learner, _parts(learner), states.values()),
        modules=[(m, progress.status_of(rows.get(m.slug)), rows.get(m.slug)) for m in content.modules],
        waivers=waivers,
        attempts=attempts,
        allowed={m.quiz_slug: learning.attempts_allowed(learner.id, content.quiz_for(m)) for m in content.modules},
        timeline=entries,
        timeline_page=page,
        timeline_pages=pages,
        reminded=now.sent_on([learner.id], clock.today()).get(learner.id),
        **context,
    ), status


@role_required(*MANAGERS)
def learner(learner_id: int) -> Any:
    person = learner_or_404(current_user, learner_id)
    page = _page(person)
    audit.record(current_user, Action.VIEWED_LEARNER, person)
    db.session.commit()  # the audit entry is all this page writes
    return page


def _back(learner_id: int) -> Any:
    return redirect(url_for("reporting.learner", learner_id=learner_id))


@role_required(*MANAGERS)
def change_due_date(learner_id: int) -> Any:
    person = learner_or_404(current_user, learner_id)
    if not plan_in_scope(current_user, person):
        abort(403, "The plan belongs to the learner's main organisation, which you do not manage.")
    form = DueDateForm(prefix="due")
    if not form.validate_on_submit():
        return _page(person, 400, due_form=form)
    try:
        plans.set_due_date(current_user, person, form.due_date.data, form.reason.data or "")  # type: ignore[arg-type]
    except plans.PlanError as error:
        form.due_date.errors = [str(error)]
        return _page(person, 400, due_form=form)
    db.session.commit()
    flash(f"The due date is now {form.due_date.data:%-d %B %Y}. Agree the changed plan with {person.name}.", "success")
    return _back(learner_id)


@role_required(*MANAGERS)
def waive(learner_id: int) -> Any:
    person = learner_or_404(current_user, learner_id)
    forms = _forms(person)
    form = forms["waiver_form"]
    module = catalogue().module(form.module.data or "") if form.validate_on_submit() else None
    if module is None:
        if not form.errors:
            form.module.errors = ["Choose the module to waive."]
        return _page(person, 400, waiver_form=form)
    try:
        plans.waive(current_user, person, module, form.reason.data or "", catalogue())
    except plans.PlanError as error:
        form.module.errors = [str(error)]
        return _page(person, 400, waiver_form=form)
    audit.record(current_user, Action.WAIVED, person, module.title)
    db.session.commit()
    flash(f"{module.title} is waived for {person.name}.", "success")
    return _back(learner_id)


@role_required(*MANAGERS)
def undo_waiver(learner_id: int, waiver_id: int) -> Any:
    person = learner_or_404(current_user, learner_id)
    waiver = db.session.get(Waiver, waiver_id)
    if waiver is None or waiver.user_id != person.id or waiver.undone_at is not None:
        abort(404)
    module = catalogue().module(waiver.module_slug)
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return render_template("reporting/confirm_undo.html", learner=person, waiver=waiver, module=module)
    plans.undo_waiver(current_user, person, waiver, catalogue())
    audit.record(current_user, Action.UNDID_WAIVER, person, module.title if module else waiver.module_slug)
    db.session.commit()
    flash("The waiver is undone. The module counts as not done until the learner completes it.", "success")
    return _back(learner_id)


@role_required(*MANAGERS)
def allow_attempts(learner_id: int) -> Any:
    person = learner_or_404(current_user, learner_id)
    form = _forms(person)["attempts_form"]
    if not form.validate_on_submit():
        return _page(person, 400, attempts_form=form)
    learning.allow_more_attempts(person.id, form.quiz.data, form.extra.data, current_user.id)
    db.session.commit()
    extra = form.extra.data or 1
    flash(f"{person.name} may try that quiz {extra} more {'time' if extra == 1 else 'times'}.", "success")
    return _back(learner_id)
