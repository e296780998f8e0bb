"""Admin pages: issuing and revoking LRS clients, and the forwarding queue."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from induction.accounts.decorators import role_required
from induction.accounts.models import Organisation, Role
from induction.extensions import db
from induction.xapi import clients, forwarding
from induction.xapi.models import ForwardItem, LrsClient

bp = Blueprint("xapi_admin", __name__, url_prefix="/admin/xapi")


class ClientForm(FlaskForm):
    name = StringField(
        "Name of the system",
        validators=[DataRequired("Enter a name for the system."), Length(max=200)],
        description="For example the organisation's own LRS or a reporting tool.",
    )
    read_only = BooleanField("Read only", description="It may read statements and documents but not record them.")
    organisations = SelectMultipleField(
        "Limit to organisations",
        coerce=int,
        description="Leave empty for every organisation. Hold Ctrl (or Cmd) to choose more than one.",
    )


def _organisations() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))


@bp.route("/clients", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def client_list() -> Any:
    organisations = _organisations()
    form = ClientForm()
    form.organisations.choices = [(o.id, o.name) for o in organisations]
    if form.validate_on_submit():
        issued = clients.create(
            form.name.data or "",
            read_only=bool(form.read_only.data),
            organisation_ids=form.organisations.data or [],
            created_by_id=current_user.id,
        )
        db.session.commit()
        return render_template("xapi/client_issued.html", client=issued.client, secret=issued.secret)
    names = {o.id: o.name for o in organisations}
    rows = [
        (c, [names.get(i, f"#{i}") for i in clients.organisations_of(c)])
        for c in db.session.scalars(clients.clients_query())
    ]
    endpoint = current_app.config["BASE_URL"] + url_for("lrs.about").removesuffix("about")
    return render_template("xapi/clients.html", form=form, rows=rows, endpoint=endpoint)


@bp.route("/clients/<int:client_id>/revoke", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def revoke_client(client_id: int) -> Any:
    client = db.session.get(LrsClient, client_id) or abort(404)
    if request.method == "POST":
        clients.revoke(client)
        db.session.commit()
        flash(f"The credentials of {client.name} are revoked. It can no longer use the LRS.", "success")
        return redirect(url_for("xapi_admin.client_list"))
    return render_template("xapi/client_revoke.html", client=client)


@bp.get("/forwarding")
@role_required(Role.ADMIN)
def forwarding_queue() -> Any:
    return render_template(
        "xapi/forwarding.html",
        status=forwarding.status(),
        endpoint=current_app.config.get("LRS_ENDPOINT", ""),
    )


@bp.post("/forwarding/retry")
@role_required(Role.ADMIN)
def retry() -> Any:
    item_id = request.form.get("item", type=int)
    if item_id is not None and db.session.get(ForwardItem, item_id) is None:
        abort(404)
    count = forwarding.retry([item_id] if item_id is not None else None)
    db.session.commit()
    flash(f"{count} statement{'' if count == 1 else 's'} will be sent again.", "success")
    return redirect(url_for("xapi_admin.forwarding_queue"))
