from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from induction import clock
from induction.accounts.decorators import role_required
from induction.accounts.models import Role, User
from induction.accounts.scope import learner_or_404, visible_learners
from induction.completion import codes, keys
from induction.completion import credential_check as checking
from induction.completion import credentials as vc
from induction.completion.models import Certificate
from induction.completion.pdf import certificate_pdf, certificate_view, platform_name
from induction.completion.services import certificate_by_code
from induction.content import catalogue
from induction.database import MAX_ID, lock_learner
from induction.extensions import db
from induction.learning import progress
from induction.plans import services as plans
from induction.plans.models import Waiver

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


# -- the credential (Open Badges 3.0) ----------------------------------------------------------


def _signed(found: Certificate) -> dict[str, Any]:
    base = vc.base_url()
    document = vc.credential(found, base, platform_name(), found.user.uuid)
    return vc.download(document, vc.sign(document))


def _json_file(document: dict[str, Any], filename: str) -> Any:
    response = jsonify(document)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/certificates/<int:certificate_id>/credential.json")
@login_required
def credential_file(certificate_id: int) -> Any:
    found = _own_certificate(certificate_id)
    return _json_file(_signed(found), f"induction-credential-{found.code}.json")


def _certificate_for_credential(code: str) -> Certificate:
    normal = codes.normalise(code)
    found = certificate_by_code(normal) if normal else None
    if found is None:
        abort(404)
    return found


@bp.get("/credentials/<code>")
def credential(code: str) -> Any:
    """The signed credential, for a verifier given the certificate's code (as /verify/<code> shows it)."""
    found = _certificate_for_credential(code)
    return _signed(found)


@bp.get("/credentials/<code>/status")
def credential_status(code: str) -> Any:
    return vc.status(_certificate_for_credential(code), vc.base_url())


@bp.get("/issuer")
def issuer() -> Any:
    return {"@context": vc.CONTEXT, **vc.issuer_profile(vc.base_url(), platform_name())}


@bp.get("/.well-known/jwks.json")
def jwks() -> Any:
    return keys.public_jwks()


# -- checking and crediting another deployment's credential ----------------------------------

MANAGERS = (Role.MANAGER, Role.ADMIN)


def _submitted_token() -> str:
    """The VC-JWT from the pasted text, the uploaded file, or the certificate code and issuer's address."""
    upload = request.files.get("credential_file")
    if upload is not None and upload.filename:
        raw = upload.read(checking.INPUT_LIMIT + 1)
        try:
            return checking.token_from(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise checking.CredentialRefused("The file is not a credential: it is not text.") from None
    if (request.form.get("credential") or "").strip():
        return checking.token_from(request.form["credential"])
    typed_code, address = request.form.get("code") or "", (request.form.get("issuer") or "").strip().rstrip("/")
    if typed_code.strip() or address:
        code = codes.normalise(typed_code)
        if code is None:
            raise checking.CredentialRefused(CODE_PROBLEM)
        if not address:
            raise checking.CredentialRefused("Give the address of the platform that issued the certificate.")
        if address not in checking.trusted_bases():
            raise checking.CredentialRefused(
                f"This platform does not accept credentials from {_shown(address)}. "
                "An administrator can add it to CREDENTIAL_ISSUERS if it is a platform you trust."
            )
        document = checking.fetch_json(f"{address}/credentials/{code}", "credential")
        return checking.token_from(json.dumps(document))
    raise checking.CredentialRefused(
        "Paste the credential, choose its file, or give the certificate's code and issuer."
    )


def _learners() -> list[User]:
    query = visible_learners(current_user).options(selectinload(User.organisation)).order_by(User.name)
    return list(db.session.scalars(query))


@bp.route("/manage/credentials", methods=["GET", "POST"])
@role_required(*MANAGERS)
def check_credential() -> Any:
    if request.method == "GET":
        return render_template("completion/check_credential.html", verified=None, problem=None)
    try:
        verified = checking.verify(_submitted_token())
    except checking.CredentialRefused as refused:
        return render_template("completion/check_credential.html", verified=None, problem=str(refused)), 400
    return render_template(
        "completion/check_credential.html",
        verified=verified,
        matches=checking.matches(verified, catalogue()),
        learners=_learners(),
        problem=None,
    )


@bp.post("/manage/credentials/credit")
@role_required(*MANAGERS)
def credit_credential() -> Any:
    """Credit the credential's modules to a learner in scope, as recognised prior learning, once."""
    try:
        verified = checking.verify(
            checking.token_from(request.form.get("token") or "")
        )  # checked again: the form is not trusted
    except checking.CredentialRefused as refused:
        return render_template("completion/check_credential.html", verified=None, problem=str(refused)), 400
    learner_id = request.form.get("learner", type=int)
    if learner_id is None or learner_id < 1 or learner_id > MAX_ID:
        return render_template(
            "completion/check_credential.html",
            verified=verified,
            matches=checking.matches(verified, catalogue()),
            learners=_learners(),
            problem=None,
            learner_problem="Choose the learner to credit.",
        ), 400
    person = learner_or_404(current_user, learner_id)
    content = catalogue()
    moment = clock.utcnow()
    lock_learner(person.id)
    used = db.session.scalar(
        select(Waiver.user_id).where(
            Waiver.undone_at.is_(None),
            Waiver.user_id != person.id,
            Waiver.reason.contains(f"credential {verified.credential_id} "),
        )
    )
    if used is not None:
        return render_template(
            "completion/check_credential.html",
            verified=None,
            problem="This credential has already been credited to another learner on this platform.",
        ), 409
    found = checking.matches(verified, content, progress.current_states(person.id, content, moment))
    credited = []
    for match in found:
        if match.creditable and match.module is not None:
            plans.waive(current_user, person, match.module, checking.reason(verified, match.proven, moment), content)
            credited.append(match.module.title)
    db.session.commit()
    if credited:
        flash(f"Credited to {person.name} as recognised prior learning: {', '.join(credited)}.", "success")
    else:
        flash(f"Nothing was credited: {person.name} has already done every module the credential proves.", "info")
    return redirect(url_for("reporting.learner", learner_id=person.id))
