"""The partnership's pages: aggregate figures and their CSV export, read only."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, render_template
from flask_login import current_user

from induction import clock
from induction.accounts.decorators import role_required
from induction.accounts.models import Role
from induction.partnership import services
from induction.reporting.charts import bar_chart
from induction.reporting.csvsafe import cell

bp = Blueprint("partnership", __name__, url_prefix="/partnership")


@bp.get("")
@role_required(Role.PARTNERSHIP)
def overview() -> Any:
    figures = services.figures(current_user, clock.today())
    chart = bar_chart(
        "Completed, by sector (sectors with fewer than 5 learners are left out)",
        [
            (row.label, row.counts["completed"], row.counts["learners"])
            for row in figures["sector"]
            if row.counts["learners"] >= services.SMALL and row.counts["completed"] >= services.SMALL
        ],
    )
    return render_template(
        "partnership/overview.html",
        partnership=current_user.partnership,
        figures=figures,
        measures=services.MEASURES,
        groupings=services.GROUPINGS,
        chart=chart,
        small=services.SMALL,
    )


@bp.get("/export.csv")
@role_required(Role.PARTNERSHIP)
def export_csv() -> Any:
    figures = services.figures(current_user, clock.today())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["grouping", "name", *services.MEASURES])
    for grouping in services.GROUPINGS:
        for row in figures[grouping]:
            writer.writerow([grouping, cell(row.label), *(row.shown(m) for m in services.MEASURES)])
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="partnership-{clock.today().isoformat()}.csv"'},
    )
