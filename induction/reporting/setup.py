"""Managers set up induction for their organisations: items, and the learners themselves."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from induction.accounts.decorators import role_required
from induction.accounts.invitations import invite
from induction.accounts.models import User
from induction.accounts.scope import learner_or_404, organisation_or_404, visible_learners, visible_organisations
from induction.content import catalogue
from induction.extensions import db
from induction.formtools import options
from induction.plans import status as learner_status
from induction.plans.models import InductionItem
from induction.reporting import people
from induction.reporting.forms import ImportForm, ItemForm, LearnerForm
from induction.reporting.views import MANAGERS


def _organisation_choices() -> list[SelectChoice]:
    return options((o.id, o.name) for o in db.session.scalars(visible_organisations(current_user)))


@role_required(*MANAGERS)
def items(organisation_id: int) -> Any:
    organisation = organisation_or_404(current_user, organisation_id)
    form = ItemForm()
    status = 200
    if form.validate_on_submit():
        item = InductionItem(
            organisation_id=organisation.id,
            title=(form.title.data or "").strip(),
            description=(form.description.data or "").strip(),
            job_role=(form.job_role.data or "").strip() or None,
        )
        db.session.add(item)
        db.session.flush()
        learner_status.refresh_organisation(organisation.id, catalogue())
        db.session.commit()
        flash(f"Added: {item.title}.", "success")
        return redirect(url_for("reporting.items", organisation_id=organisation.id))
    if request.method == "POST":
        status = 400
    listed = db.session.scalars(
        select(InductionItem)
        .where(InductionItem.organisation_id == organisation.id, InductionItem.active.is_(True))
        .order_by(InductionItem.job_role.is_not(None), InductionItem.job_role, InductionItem.id)
    ).all()
    return render_template("reporting/items.html", organisation=organisation, items=listed, form=form), status


@role_required(*MANAGERS)
def remove_item(organisation_id: int, item_id: int) -> Any:
    organisation = organisation_or_404(current_user, organisation_id)
    item = db.session.get(InductionItem, item_id)
    if item is None or item.organisation_id != organisation.id or not item.active:
        abort(404)
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return render_template("reporting/confirm_remove_item.html", organisation=organisation, item=item)
    item.active = False  # kept, so sign-offs already given stay on record
    db.session.flush()
    learner_status.refresh_organisation(organisation.id, catalogue())
    db.session.commit()
    flash(f"Removed: {item.title}. Sign-offs already given stay on the learners' records.", "success")
    return redirect(url_for("reporting.items", organisation_id=organisation.id))


def _invite(user: User) -> None:
    flash(*invite(user).notice)  # a link is shown only for an account that never had a password
    db.session.commit()  # the link's id, so the link sent works


@role_required(*MANAGERS)
def add_learner() -> Any:
    form = LearnerForm()
    form.organisation.choices = _organisation_choices()
    status = 200
    if form.validate_on_submit():
        organisation = organisation_or_404(current_user, form.organisation.data)  # type: ignore[arg-type]
        if people.email_taken(form.email.data or ""):
            form.email.errors = [
                "Someone already has an account with that e-mail address. If they work for another organisation "
                "too, an admin or a manager of both can add them to yours from their page."
            ]
            return render_template("reporting/add_learner.html", form=form), 400
        user = people.add_learner(
            organisation,
            people.NewLearner(
                0, (form.name.data or "").strip(), (form.email.data or "").strip(), (form.job_role.data or "").strip(),
                form.role_group.data, form.start_date.data,  # type: ignore[arg-type]
            ),
        )  # fmt: skip
        db.session.commit()
        _invite(user)
        return redirect(url_for("reporting.learner", learner_id=user.id))
    if request.method == "POST":
        status = 400
    return render_template("reporting/add_learner.html", form=form), status


@role_required(*MANAGERS)
def import_template() -> Any:
    return Response(
        "\ufeff" + people.TEMPLATE,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="learners-template.csv"'},
    )


@role_required(*MANAGERS)
def import_learners() -> Any:
    """Step 1: upload. The file is checked and kept on the server; step 2 shows what it holds."""
    form = ImportForm()
    form.organisation.choices = _organisation_choices()
    if not form.validate_on_submit():
        return render_template("reporting/import.html", form=form), 400 if request.method == "POST" else 200
    organisation = organisation_or_404(current_user, form.organisation.data)  # type: ignore[arg-type]
    upload = people.keep_upload(current_user, organisation, form.file.data.filename or "", form.file.data.read())
    db.session.commit()
    return redirect(url_for("reporting.import_check", token=upload.token))


def _upload_or_404(token: str) -> tuple[Any, Any]:
    upload = people.upload_of(current_user, token)
    if upload is None:
        abort(404)
    return upload, organisation_or_404(current_user, upload.organisation_id)


@role_required(*MANAGERS)
def import_check(token: str) -> Any:
    """Step 2: who the kept file adds and which rows have problems; importing it needs a confirmation."""
    upload, organisation = _upload_or_404(token)
    if upload.imported_at is not None:
        return redirect(url_for("reporting.import_done", token=token))
    if people.expired(upload):
        flash("That upload has expired. Choose the file again.", "error")
        return redirect(url_for("reporting.import_learners"))
    if request.method == "GET" or request.form.get("confirm") != "yes":
        check = people.check_csv(upload.content)
        return render_template(
            "reporting/import_check.html", upload=upload, organisation=organisation, check=check, plural=people.plural
        ), (200 if check.good else 400)
    if not people.claim(upload):  # another request (a second click) imported it
        db.session.rollback()
        return redirect(url_for("reporting.import_done", token=token))
    added, check = people.import_upload(upload, organisation)
    db.session.commit()
    sent = sum(invite(user).sent for user in added)
    db.session.commit()  # the links' ids
    message = f"Imported {people.plural(len(added), 'learner')} into {organisation.name}."
    if check.problems:
        message += f" {people.plural(len(check.problems), 'row')} with problems left out."
    if sent < len(added):
        message += (
            f" The e-mail with the sign-in link could not be sent to {people.plural(len(added) - sent, 'learner')};"
            " send it again from each learner's page."
        )
    flash(message, "success")
    return redirect(url_for("reporting.import_done", token=token))


@role_required(*MANAGERS)
def import_done(token: str) -> Any:
    """Step 3: the learners this file added, each linking to their page."""
    upload, organisation = _upload_or_404(token)
    if upload.imported_at is None:
        return redirect(url_for("reporting.import_check", token=token))
    ids = json.loads(upload.added or "[]")
    added = db.session.scalars(visible_learners(current_user).where(User.id.in_(ids)).order_by(User.name)).all()
    return render_template("reporting/import_done.html", upload=upload, organisation=organisation, added=added)


@role_required(*MANAGERS)
def reinvite(learner_id: int) -> Any:
    person = learner_or_404(current_user, learner_id)
    _invite(person)
    return redirect(url_for("reporting.learner", learner_id=person.id))
