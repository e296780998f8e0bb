from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user

from induction.accounts.decorators import role_required
from induction.accounts.models import Role
from induction.accounts.scope import organisation_or_404
from induction.completion.rules import Status
from induction.content import catalogue
from induction.reporting import services

bp = Blueprint("reporting", __name__, url_prefix="/manage")
PAGE_SIZE = 25


@bp.get("/")
@role_required(Role.MANAGER, Role.ADMIN)
def overview() -> Any:
    organisation_id = request.args.get("organisation", type=int)
    if organisation_id is not None:
        organisation_or_404(current_user, organisation_id)
    wanted = request.args.get("status", "")
    today = date.today()
    all_rows = services.learner_rows(current_user, len(catalogue().modules), today)
    rows = [r for r in all_rows if organisation_id is None or r.user.organisation_id == organisation_id]
    if wanted == "overdue":
        rows = [r for r in rows if r.overdue]
    elif wanted in {s.value for s in Status}:
        rows = [r for r in rows if r.status.value == wanted]
    page = max(request.args.get("page", 1, type=int), 1)
    pages = max((len(rows) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(page, pages)
    return render_template(
        "reporting/overview.html",
        summaries=services.summaries(current_user, all_rows),
        rows=rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        total=len(rows),
        page=page,
        pages=pages,
        organisation_id=organisation_id,
        wanted=wanted,
        statuses=[s.value for s in Status if s is not Status.WAIVED] + ["overdue"],
    )
