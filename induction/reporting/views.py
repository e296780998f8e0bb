"""The manager's overview: counts per organisation, charts, the filtered learner list and exports."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from typing import Any

from flask import Response, current_app, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from induction import clock
from induction.accounts.decorators import role_required
from induction.accounts.models import ROLE_GROUPS, EqualityMonitoring, Ownership, Role, Sector, User
from induction.accounts.scope import organisation_or_404, visible_learners
from induction.completion.models import Certificate
from induction.completion.pdf import certificate_pdf
from induction.content import catalogue
from induction.extensions import db
from induction.learning.forms import AGE_BANDS, DISABILITY, ETHNICITIES, PREFER_NOT, SEXES
from induction.privacy import audit
from induction.privacy.models import Action
from induction.reporting import services
from induction.reporting.charts import bar_chart, column_chart
from induction.reporting.csvsafe import cell

PAGE_SIZE = 25
MANAGERS = (Role.MANAGER, Role.ADMIN)


SEARCH_LENGTH = 200


def search_text(raw: str) -> str:
    """What to look for in names and e-mails: no control characters (PostgreSQL refuses NUL), trimmed."""
    return " ".join("".join(c for c in raw if c.isprintable()).split())[:SEARCH_LENGTH]


def filters_from_request() -> services.Filters:
    args = request.args
    organisation = args.get("organisation", type=int)
    if organisation is not None:
        organisation_or_404(current_user, organisation)
    role_group = args.get("role_group", type=int)
    return services.Filters(
        organisation=organisation,
        sector=args.get("sector", "") if args.get("sector", "") in {s.value for s in Sector} else "",
        ownership=args.get("ownership", "") if args.get("ownership", "") in {o.value for o in Ownership} else "",
        job_role=args.get("job_role", "")[:120],
        role_group=role_group if role_group in ROLE_GROUPS else None,
        status=args.get("status", "") if args.get("status", "") in services.STATUS_FILTERS else "",
        sort=args.get("sort", "name") if args.get("sort", "name") in services.SORTS else "name",
        descending=args.get("order") == "desc",
        search=search_text(args.get("q", "")),
    )


def _module_count() -> int:
    return len(catalogue().modules)


@role_required(*MANAGERS)
def overview() -> Any:
    filters = filters_from_request()
    today = clock.utcnow()
    modules = catalogue().modules
    numbers = services.figures(current_user, filters, today, [m.slug for m in modules])
    listing = services.learner_page(
        current_user, len(modules), today, filters, request.args.get("page", 1, type=int), PAGE_SIZE, numbers.listed
    )
    by_module = [(m.title, numbers.done[m.slug], numbers.listed) for m in modules]
    by_month = services.completions_by_month(current_user, filters, today)
    summaries = numbers.summaries
    return render_template(
        "reporting/overview.html",
        summaries=summaries,
        all_counts=services.totals(summaries),
        rows=listing.rows,
        total=listing.total,
        page=listing.page,
        pages=listing.pages,
        filters=filters,
        args=filters.as_args(),
        statuses=services.STATUS_FILTERS,
        sectors=[s.value for s in Sector],
        ownerships=[o.value for o in Ownership],
        job_roles=services.job_roles(current_user),
        role_groups=ROLE_GROUPS,
        by_module=by_module,
        by_module_chart=bar_chart("Share of listed learners who have done each module", by_module),
        by_month=by_month,
        by_month_chart=column_chart("Inductions completed per month", by_month),
    )


EXPORT_COLUMNS = [
    "Name", "E-mail", "Organisation", "Sector", "Job role", "Role group", "Status", "Modules done",
    "Items signed off", "Due", "Overdue", "Refresher due", "Last activity",
]  # fmt: skip


@role_required(*MANAGERS)
def export_csv() -> Any:
    rows = services.all_learner_rows(current_user, _module_count(), clock.utcnow(), filters_from_request())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    exported: set[int] = set()
    for r in rows:
        exported.add(r.user.id)
        organisation = r.organisation
        writer.writerow(
            [
                cell(v)
                for v in (
                    r.user.name, r.user.email, organisation.name if organisation else "",
                    organisation.sector if organisation else "", r.job_role or "", r.user.role_group or "",
                    r.status.value, f"{r.done} of {r.total}", f"{r.items_done} of {r.items_total}",
                    r.due.isoformat() if r.due else "", "yes" if r.overdue else "no",
                    r.refresher_due.date().isoformat() if r.refresher_due else "",
                    r.last_activity.date().isoformat() if r.last_activity else "",
                )
            ]
        )  # fmt: skip
    audit.record_many(current_user, Action.EXPORTED_CSV, sorted(exported), f"{len(exported)} learners")
    db.session.commit()
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="induction-{clock.today().isoformat()}.csv"'},
    )


@role_required(*MANAGERS)
def certificates_zip() -> Any:
    ids = services.filtered_ids(current_user, filters_from_request(), clock.utcnow())
    certificates = db.session.scalars(
        select(Certificate).where(Certificate.user_id.in_(ids)).order_by(Certificate.issued_at)
    ).all()
    buffer = io.BytesIO()
    base = current_app.config["BASE_URL"]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for certificate in certificates:
            url = base + url_for("completion.verify", code=certificate.code)
            safe_name = "".join(c if c.isalnum() else "-" for c in certificate.learner_name).strip("-")
            archive.writestr(f"{safe_name}-{certificate.code}.pdf", certificate_pdf(certificate, url))
        if not certificates:
            archive.writestr("README.txt", "None of the learners in this list has a certificate yet.\n")
    holders = sorted({c.user_id for c in certificates})
    audit.record_many(current_user, Action.EXPORTED_CERTIFICATES, holders, f"{len(certificates)} certificates")
    db.session.commit()
    return Response(
        buffer.getvalue(),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="certificates-{clock.today().isoformat()}.zip"'},
    )


SMALL_GROUP = 5


def suppressed(count: int) -> str:
    """A count as shown in equality reports: under 5, zero included, is never shown exactly,
    so that nobody can be picked out by comparing two tables or two dates."""
    return "fewer than 5" if count < SMALL_GROUP else str(count)


NOT_ANSWERED = "Not answered"


@role_required(*MANAGERS)
def equality() -> Any:
    ids = visible_learners(current_user).with_only_columns(User.id)
    answers = db.session.scalars(select(EqualityMonitoring).where(EqualityMonitoring.user_id.in_(ids))).all()
    learners = db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    questions = [
        ("Age", "age_band", AGE_BANDS), ("Sex", "sex", SEXES), ("Ethnic group", "ethnicity", ETHNICITIES),
        ("Disability", "disability", DISABILITY),
    ]  # fmt: skip
    tables = []
    for title, attribute, values in questions:
        counts = Counter(getattr(a, attribute) for a in answers)
        rows = [(v[0].upper() + v[1:], suppressed(counts.get(v, 0))) for v in values]
        # Someone who never opened the form did not choose "prefer not to say": they are counted apart.
        answered = sum(counts.get(v, 0) for v in values)
        rows.append((NOT_ANSWERED, suppressed(learners - answered)))
        tables.append((title, rows))
    return render_template(
        "reporting/equality.html", tables=tables, learners=suppressed(learners), prefer_not=PREFER_NOT
    )
