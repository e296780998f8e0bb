"""`/`, each role's own home page: it reads learning, plans and certificates, so it sits above them."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required

from induction.accounts.models import Role
from induction.completion.services import latest_certificate
from induction.content import catalogue
from induction.learning import progress
from induction.learning.views import next_step
from induction.plans import services as plans
from induction.plans.items import parts_for
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
    # Each organisation the learner is in, main first: its items and the status computed with them.
    every = parts_for(current_user, states.values())
    main = every[0] if every and every[0].membership.organisation_id == current_user.organisation_id else None
    signed, total = (main.signed, len(main.items)) if main else (0, 0)
    overall = induction_status(states.values(), items_done=signed == total, items_started=signed > 0)
    # A learner in several organisations: the modules once, each organisation's items and status under its name.
    parts = every if len(every) > 1 else []
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
