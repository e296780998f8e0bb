from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from induction import clock
from induction.completion import codes
from induction.completion.models import Certificate
from induction.completion.pdf import certificate_pdf, certificate_view
from induction.completion.services import certificate_by_code
from induction.extensions import db

bp = Blueprint("completion", __name__)

CODE_PROBLEM = "A verification code has 16 letters and numbers, like 1A2B-3C4D-5E6F-7A8B. Check the code and try again."


def _verify_url(certificate: Certificate) -> str:
    return current_app.config["BASE_URL"] + url_for("completion.verify", code=certificate.code)


def _own_certificate(certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.user_id != current_user.id:
        abort(404)
    return certificate


def _shown(typed: str) -> str:
    """What the person typed, safe to repeat back: printable characters only, not too long."""
    return "".join(ch for ch in typed if ch.isprintable())[:40]


@bp.get("/certificates/<int:certificate_id>")
@login_required
def certificate(certificate_id: int) -> Any:
    found = _own_certificate(certificate_id)
    return render_template("completion/certificate.html", view=certificate_view(found, _verify_url(found)))


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
    typed = request.args.get("code") or ""
    if not typed.strip():
        return render_template("completion/verify.html", certificate=None, code="", problem=None)
    code = codes.normalise(typed)
    if code is None:
        return render_template(
            "completion/verify.html", certificate=None, code=_shown(typed), problem=CODE_PROBLEM
        ), 400
    return redirect(url_for("completion.verify", code=code))


@bp.get("/verify/<code>")
def verify(code: str) -> Any:
    normal = codes.normalise(code)
    if normal is None:  # an address, not a form: say no certificate has it, as for any unknown code
        return render_template("completion/verify.html", certificate=None, code=_shown(code), problem=None), 404
    if normal != code:  # typed with spaces, hyphens or lower case: one address per certificate
        return redirect(url_for("completion.verify", code=normal), 301)
    found = certificate_by_code(normal)
    if found is None:
        return render_template(
            "completion/verify.html", certificate=None, code=codes.grouped(normal), problem=None
        ), 404
    return render_template(
        "completion/verify.html",
        certificate=found,
        code=codes.grouped(normal),
        status=found.status(clock.utcnow()),
        modules=json.loads(found.modules),
    )
