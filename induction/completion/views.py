from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from induction.accounts.models import utcnow
from induction.completion.models import Certificate
from induction.completion.pdf import certificate_pdf, qr_svg
from induction.completion.services import certificate_by_code
from induction.extensions import db

bp = Blueprint("completion", __name__)


def _verify_url(certificate: Certificate) -> str:
    return current_app.config["BASE_URL"] + url_for("completion.verify", code=certificate.code)


def _own_certificate(certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.user_id != current_user.id:
        abort(404)
    return certificate


@bp.get("/certificates/<int:certificate_id>")
@login_required
def certificate(certificate_id: int) -> Any:
    found = _own_certificate(certificate_id)
    url = _verify_url(found)
    return render_template(
        "completion/certificate.html",
        certificate=found,
        modules=json.loads(found.modules),
        status=found.status(utcnow()),
        verify_url=url,
        qr=Markup(qr_svg(url)),  # noqa: S704 - segno's own SVG
    )


@bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def certificate_file(certificate_id: int) -> Any:
    found = _own_certificate(certificate_id)
    pdf = certificate_pdf(found, _verify_url(found))
    return (
        pdf,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="induction-certificate-{found.code}.pdf"',
        },
    )


@bp.get("/verify")
def verify_form() -> Any:
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for("completion.verify", code=code[:32]))
    return render_template("completion/verify.html", certificate=None, code="")


@bp.get("/verify/<code>")
def verify(code: str) -> Any:
    found = certificate_by_code(code) if len(code) <= 32 else None
    if found is None:
        return render_template("completion/verify.html", certificate=None, code=code), 404
    return render_template(
        "completion/verify.html",
        certificate=found,
        code=code,
        status=found.status(utcnow()),
        modules=json.loads(found.modules),
    )
