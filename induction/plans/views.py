"""The learner's own plan: due date, organisation and role items, evaluation and monitoring.

The routes are in `induction/web/learner.py`, the URL map of the learner's pages."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from induction.accounts.decorators import role_required
from induction.accounts.models import EqualityMonitoring, Role
from induction.accounts.organisations import current_memberships
from induction.clock import utcnow
from induction.completion.services import latest_certificate
from induction.content import catalogue
from induction.extensions import db
from induction.learning.forms import EvaluationForm, MonitoringForm
from induction.learning.models import Evaluation
from induction.plans import services as plans
from induction.plans.items import items_with_progress
from induction.plans.models import InductionItem


@role_required(Role.LEARNER)
def plan() -> Any:
    return render_template(
        "learning/plan.html",
        plan=plans.plan_of(current_user),
        due=plans.due_date(current_user),
        # Each organisation the learner is in gives its own items, under its name.
        parts=[(m, items_with_progress(current_user, m)) for m in current_memberships(current_user)],
    )


@role_required(Role.LEARNER)
def mark_done(item_id: int) -> Any:
    item = db.session.get(InductionItem, item_id)
    if item is None or not plans.applies_to(item, current_user):
        abort(404)
    plans.mark_item_done(current_user, item)
    db.session.commit()
    flash(f"Marked done: {item.title}. Your manager will sign it off.", "success")
    return redirect(url_for("learning.plan"))


@role_required(Role.LEARNER)
def evaluation() -> Any:
    if latest_certificate(current_user.id) is None:
        flash("The evaluation opens when you have completed your induction.", "info")
        return redirect(url_for("learning.home"))
    modules = catalogue().modules
    form = EvaluationForm.for_modules([(m.slug, m.title) for m in modules])
    if form.validate_on_submit():
        ratings = {m.slug: int(form[f"rate_{m.slug.replace('-', '_')}"].data) for m in modules}
        db.session.add(
            Evaluation(
                user_id=current_user.id,
                ratings=json.dumps(ratings),
                change=(form.change.data or "").strip(),
                comments=(form.comments.data or "").strip(),
            )
        )
        db.session.commit()
        flash("Thank you. Your feedback helps trainers improve the induction.", "success")
        return redirect(url_for("learning.home"))
    done = db.session.scalar(select(Evaluation.id).where(Evaluation.user_id == current_user.id).limit(1))
    status = 400 if request.method == "POST" else 200
    return render_template("learning/evaluation.html", form=form, modules=modules, done=done is not None), status


@role_required(Role.LEARNER)
def monitoring() -> Any:
    record = db.session.get(EqualityMonitoring, current_user.id)
    form = MonitoringForm(obj=record)
    if form.validate_on_submit():
        if record is None:
            record = EqualityMonitoring(user_id=current_user.id)
            db.session.add(record)
        form.populate_obj(record)
        record.updated_at = utcnow()
        db.session.commit()
        flash("Thank you. Your answers are only ever reported in groups of 5 or more.", "success")
        return redirect(url_for("learning.home"))
    return render_template("learning/monitoring.html", form=form), 400 if request.method == "POST" else 200
