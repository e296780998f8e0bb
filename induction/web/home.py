"""`/`, each role's own home page: it reads learning, plans and certificates, so it sits above them."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required

from induction.accounts.models import Role
from induction.accounts.organisations import current_memberships
from induction.completion.services import latest_certificate
from induction.content import catalogue
from induction.learning import progress
from induction.learning.views import next_step
from induction.plans import services as plans
from induction.plans.items import items_done_for, parts_of
from induction.rules import DONE, induction_status


@login_required
def home() -> Any:
    """Each role's own home: learners their induction, managers their reports, trainers their
    statistics, admins their organisations."""
    if current_user.role == Role.MANAGER:
        return redirect(url_for("reporting.overview"))
    if current_user.role == Role.TRAINER:
        return redirect(url_for("trainer.statistics"))
    if current_user.role == Role.ADMIN:
        return redirect(url_for("admin.organisations"))
    if current_user.role == Role.PARTNERSHIP:
        return redirect(url_for("partnership.overview"))
    content = catalogue()
    rows = progress.progress_rows(current_user.id)
    states = progress.current_states(current_user.id, content, rows=rows)
    signed, total = items_done_for([current_user])[current_user.id]
    overall = induction_status(states.values(), items_done=signed == total, items_started=signed > 0)
    # A learner in several organisations: the modules once, each organisation's items and status under its name.
    memberships = current_memberships(current_user)
    parts = parts_of(current_user, memberships, states.values()) if len(memberships) > 1 else []
    modules = [
        {
            "module": m,
            "row": rows.get(m.slug),
            "status": progress.status_of(rows.get(m.slug)),
            "read": len(progress.read_sections(rows.get(m.slug))),
        }
        for m in content.modules
    ]
    return render_template(
        "learning/home.html",
        modules=modules,
        overall=overall,
        resume=next_step(content.modules, rows),
        started=any(m["row"] is not None for m in modules),
        modules_done=sum(1 for m in modules if m["status"] in DONE),
        items_signed=signed,
        items_total=total,
        parts=parts,
        due=plans.due_date(current_user),
        welcome=content.welcome,
        certificate=latest_certificate(current_user.id),
    )
