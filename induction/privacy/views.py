"""Subject access (`/account/data`, and an admin's copy for anyone), erasure and the audit log."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from induction import clock
from induction.accounts.decorators import role_required
from induction.accounts.models import Role, User
from induction.extensions import db
from induction.privacy import audit, erasure
from induction.privacy.export import subject_data
from induction.privacy.forms import EraseForm
from induction.privacy.models import Action

bp = Blueprint("privacy", __name__)


def _person_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def _download(person: User) -> Response:
    body = json.dumps(subject_data(person), ensure_ascii=False, indent=2)
    filename = f"induction-data-{person.uuid}-{clock.today().isoformat()}.json"
    return Response(
        body, mimetype="application/json", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@bp.get("/account/data")
@login_required
def own_data() -> Any:
    return render_template(
        "privacy/data.html", person=current_user, data=subject_data(current_user), own=True, today=clock.today()
    )


@bp.get("/account/data.json")
@login_required
def own_data_json() -> Any:
    return _download(current_user)


@bp.get("/admin/users/<int:user_id>/data")
@role_required(Role.ADMIN)
def person_data(user_id: int) -> Any:
    person = _person_or_404(user_id)
    audit.record(current_user, Action.EXPORTED_DATA, person, "summary page")
    db.session.commit()  # the audit entry is the one thing this page writes
    return render_template(
        "privacy/data.html", person=person, data=subject_data(person), own=False, today=clock.today()
    )


@bp.get("/admin/users/<int:user_id>/data.json")
@role_required(Role.ADMIN)
def person_data_json(user_id: int) -> Any:
    person = _person_or_404(user_id)
    audit.record(current_user, Action.EXPORTED_DATA, person, "JSON download")
    db.session.commit()
    return _download(person)


@bp.route("/admin/users/<int:user_id>/erase", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def erase(user_id: int) -> Any:
    person = _person_or_404(user_id)
    form = EraseForm()
    problem = None
    if person.erased_at is not None:
        problem = f"This person's record was already erased on {person.erased_at:%d %B %Y}."
    elif person.id == current_user.id:
        problem = "You cannot erase your own account: ask another admin."
    elif form.validate_on_submit():
        try:
            erasure.erase(person, current_user, form.reason.data or "", clock.utcnow())
        except erasure.ErasureError as error:
            db.session.rollback()
            problem = str(error)
        else:
            db.session.commit()
            flash("The person's record has been erased. Their learning stays in the reports without a name.", "success")
            return redirect(url_for("admin.user", user_id=person.id))
    status = 400 if request.method == "POST" else 200
    if problem and request.method == "POST":
        status = 409
    return render_template("privacy/erase.html", person=person, form=form, problem=problem), status


@bp.get("/admin/audit")
@role_required(Role.ADMIN)
def audit_log() -> Any:
    subject_id = request.args.get("person", type=int)
    subject = _person_or_404(subject_id) if subject_id is not None else None
    entries, page, pages, total = audit.page_of(request.args.get("page", 1, type=int), subject_id)
    args = {"person": subject_id} if subject_id is not None else {}
    return render_template(
        "privacy/audit.html", entries=entries, page=page, pages=pages, total=total, subject=subject, args=args
    )
