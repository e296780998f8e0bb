from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from induction.accounts import invitations, oidc, services, sessions, throttle
from induction.accounts.forms import ChangePasswordForm, ForgotPasswordForm, SetPasswordForm, SignInForm
from induction.accounts.models import User
from induction.accounts.passwords import password_matches
from induction.extensions import db, limiter

bp = Blueprint("accounts", __name__)
TOO_MANY = "You have tried too many times. Wait a few minutes, then try again."
RESET_LIMIT = "3 per 15 minutes"  # e-mails asked for one address, on top of the sign-in limit per address
RESET = throttle.Limit.parse(RESET_LIMIT)
TOO_MANY_LINKS = "Too many links have been asked for recently. Wait 15 minutes, then try again."
KEPT_QUIZ = "kept_quiz"  # induction.learning.kept.KEY: the quiz checks whose answers they are


def _sign_in_limit() -> str:
    return str(current_app.config["SIGN_IN_LIMIT"])


@bp.after_app_request
def _record_use(response: Response) -> Response:
    sessions.touch_seen()  # at most once a minute per sign-in, for the idle timeout
    return response


def safe_next(target: str | None) -> str:
    """Only follow `next` to a path on this site."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("learning.home")


def begin_sign_in(user: User, remember: bool) -> None:
    """Start a sign-in the server can end (`sessions.start`) in a new session; the caller commits."""
    kept = session.get(KEPT_QUIZ)  # quiz answers that arrived after the last sign-in ended
    session.clear()  # a new session at sign-in, so an old cookie cannot ride along
    if isinstance(kept, dict) and kept.get("u") == user.uuid:  # only for the same person
        session[KEPT_QUIZ] = kept
    sessions.start(user, remember, request.user_agent.string)
    login_user(user, remember=remember)
    session.permanent = True


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("learning.home"))
    form = SignInForm()
    problem = None
    status = 200
    if form.validate_on_submit():
        limit = throttle.Limit.parse(current_app.config["SIGN_IN_LIMIT"])
        attempt = throttle.record(form.email.data or "", request.remote_addr or "unknown", limit)
        db.session.commit()  # counted before the counts are read, so parallel attempts see each other
        if throttle.refused(attempt, limit):
            throttle.forget(attempt)
            db.session.commit()
            wait = str(int(limit.window.total_seconds()))
            return render_template("accounts/sign_in.html", form=form, problem=TOO_MANY), 429, {"Retry-After": wait}
        result = services.authenticate(
            form.email.data or "", form.password.data or "", current_app.config["ALLOW_DEMO_SIGN_INS"]
        )
        if result.user is not None and (provider := oidc.required_provider(result.user)) is not None:
            throttle.forget(attempt)
            db.session.commit()
            problem = f"{provider.name} signs in its people with their own account: use “Sign in with {provider.name}”."
            return render_template("accounts/sign_in.html", form=form, problem=problem), 403
        if result.user is not None:
            throttle.forget(attempt)
            begin_sign_in(result.user, bool(form.remember.data))
            db.session.commit()
            return redirect(safe_next(request.args.get("next")))
        db.session.commit()
        problem = result.problem
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("accounts/sign_in.html", form=form, problem=problem), status


@bp.post("/sign-out")
@login_required
def sign_out() -> Any:
    sessions.end(current_user.session_id)
    db.session.commit()
    provider = session.get("oidc_provider")  # oidc_views.PROVIDER: signed in through a provider
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    if isinstance(provider, str):
        return redirect(url_for("oidc.signed_out", key=provider))
    return redirect(url_for("accounts.sign_in"))


@bp.post("/account/keep-alive")
@login_required
def keep_alive() -> Any:
    """The idle warning's "Stay signed in": this request itself counts as activity."""
    return "", 204


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = ChangePasswordForm(current_user.email)
    status = 200
    if form.validate_on_submit():
        if not password_matches(current_user.password_hash, form.current.data or ""):
            form.current.errors = ["Your current password is not right."]
            status = 400
        else:
            services.change_password(current_user, form.new.data or "", keep_session=current_user.session_id)
            db.session.commit()
            flash("Your password has been changed. You have been signed out everywhere else.", "success")
            return redirect(url_for("learning.home"))
    elif request.method == "POST":
        status = 400
    return render_template("accounts/change_password.html", form=form), status


def _too_many_links(email: str) -> bool:
    """Count this "Forgot your password?" per address asked about (`RESET_LIMIT`, wherever the
    requests come from) and per address asking (`SIGN_IN_LIMIT`), in the database, so the limits
    hold across workers and restarts; True, counting nothing, when either is over."""
    counted = [
        (throttle.count(key, limit), limit)
        for key, limit in (
            ("forgot:" + throttle.normalise(email), RESET),
            ("forgot-from:" + (request.remote_addr or "unknown"), throttle.Limit.parse(_sign_in_limit())),
        )
    ]
    db.session.commit()  # counted before the counts are read, so parallel requests see each other
    if not any(throttle.over(row, limit) for row, limit in counted):
        return False
    for row, _ in counted:
        throttle.uncount(row)
    db.session.commit()
    return True


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password() -> Any:
    """Send a link to choose a new password; the answer is the same whether the address has an account."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.change_password"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip()
        if _too_many_links(email):
            form.email.errors = [TOO_MANY_LINKS]
            page = render_template("accounts/forgot_password.html", form=form)
            return page, 429, {"Retry-After": str(int(RESET.window.total_seconds()))}
        services.request_password_reset(email, current_app.config["ALLOW_DEMO_SIGN_INS"])
        db.session.commit()
        return render_template("accounts/forgot_password_sent.html", email=email)
    return render_template("accounts/forgot_password.html", form=form), 400 if request.method == "POST" else 200


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def set_password(token: str) -> Any:
    user, problem = invitations.user_for(token)
    if user is None:
        return render_template("accounts/link_problem.html", problem=problem), 400
    form = SetPasswordForm(user.email)
    status = 200
    if form.validate_on_submit():
        services.change_password(user, form.new.data or "")
        db.session.commit()
        flash("Your password is set. Sign in to start your induction.", "success")
        return redirect(url_for("accounts.sign_in"))
    if request.method == "POST":
        status = 400
    return render_template("accounts/set_password.html", form=form, user=user), status
