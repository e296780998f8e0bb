"""The learner's reading and quiz pages, and the module list trainers and admins preview; their URLs are
in `web/learner.py`, the URL map of the learning blueprint."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy import select
from wtforms.validators import ValidationError

from induction.accounts.decorators import role_required
from induction.accounts.models import Role
from induction.accounts.sessions import reads_only
from induction.content import catalogue
from induction.content.model import Module
from induction.extensions import csrf, db, login_manager
from induction.learning import kept, progress, services
from induction.learning.models import QuizAttempt
from induction.rules import DONE, Status


def _module_or_404(slug: str) -> Module:
    module = catalogue().module(slug)
    if module is None:
        abort(404)
    return module


@dataclass(frozen=True)
class NextStep:
    """The next thing a learner has to do: where it is and what to call it."""

    module: Module
    url: str
    label: str


def next_step(modules: Iterable[Module], rows: dict[str, Any], after: Module | None = None) -> NextStep | None:
    """What "continue" offers: in the module the learner last worked on, the first unread section
    or else its quiz; once that module is done, the first module not yet done (after `after`, if
    given, then from the start). None when every module is done."""
    todo = [m for m in modules if progress.status_of(rows.get(m.slug)) not in DONE and m != after]
    if not todo:
        return None
    started = [m for m in todo if rows.get(m.slug) is not None and rows[m.slug].last_activity_at is not None]
    if started and after is None:
        module = max(started, key=lambda m: rows[m.slug].last_activity_at)
    elif after is not None:
        order = list(modules)
        position = order.index(after) if after in order else -1
        module = next((m for m in order[position + 1 :] if m in todo), todo[0])
    else:
        module = todo[0]
    row = rows.get(module.slug)
    unread = _first_unread(module, row)
    if row is not None and progress.status_of(row) is Status.EXPIRED:
        first = module.sections[0]  # a refresher starts again from the beginning
        url = url_for("learning.section", slug=module.slug, section_id=first.id)
        return NextStep(module, url, f"Read “{first.title}”")
    if unread is None:
        return NextStep(module, url_for("learning.quiz", slug=module.quiz_slug), "Take the quiz")
    title = module.section(unread).title  # type: ignore[union-attr]
    return NextStep(module, url_for("learning.section", slug=module.slug, section_id=unread), f"Read “{title}”")


def _first_unread(module: Module, row: Any) -> str | None:
    read = progress.read_sections(row)
    return next((s.id for s in module.sections if s.id not in read), None)


def _next_section(module: Module, row: Any) -> str:
    return _first_unread(module, row) or module.sections[0].id


@login_required
def modules() -> Any:
    """Every module, to read and preview: the trainers' and admins' way into the content."""
    return render_template("learning/modules.html", modules=catalogue().modules)


@login_required
def welcome() -> Any:
    page = catalogue().welcome
    if page is None:
        abort(404)
    return render_template("learning/welcome.html", page=page)


@reads_only  # `current_user` is a plain row (accounts.sessions.SignedIn): this page reads only its id and role
@login_required
def module(slug: str) -> Any:
    found = _module_or_404(slug)
    quiz = catalogue().quiz_for(found)
    overview, used, allowed = services.module_overview(current_user.id, found, quiz)
    row: Any = overview  # plain columns, which `status_of` and `read_sections` read as they read a progress row
    return render_template(
        "learning/module.html",
        module=found,
        row=row,
        status=progress.status_of(row),
        read=progress.read_sections(row),
        next_section=_next_section(found, row),
        quiz=quiz,
        used=used,
        allowed=allowed,
    )


@reads_only  # as `module`
@login_required
def section(slug: str, section_id: str) -> Any:
    """Show a section; reading is recorded only by the POST of its "Next" button (`mark_read`)."""
    found = _module_or_404(slug)
    current = found.section(section_id)
    if current is None:
        abort(404)
    index = found.section_index(section_id)
    sections = found.sections
    row = progress.section_progress(current_user.id, slug)
    return render_template(
        "learning/section.html",
        module=found,
        section=current,
        index=index,
        previous=sections[index - 1] if index > 0 else None,
        following=sections[index + 1] if index + 1 < len(sections) else None,
        read=progress.read_sections(row),
        passed=bool(row is not None and row.passed),
    )


@role_required(Role.LEARNER)
def mark_read(slug: str, section_id: str) -> Any:
    """Record that the learner read the section (once per cycle), then go on to what comes next.

    A read queued offline carries the `statement_id` its browser made and asks for JSON, which
    says whether this request recorded it: sending it again records nothing more."""
    found = _module_or_404(slug)
    current = found.section(section_id)
    if current is None:
        abort(404)
    statement_id = _statement_id_or_400(request.form.get("statement_id"))
    try:
        recorded = services.open_section(current_user, catalogue(), found, current, statement_id=statement_id)
    except services.StatementIdTaken:
        abort(400, "This statement id is already used by another statement. Make a new one and send it again.")
    db.session.commit()
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return jsonify(recorded=recorded, statement_id=statement_id)
    return _after_reading(found, section_id, slug)


def _statement_id_or_400(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        abort(400, "The statement id must be a UUID, such as 0b8e3a52-7d4c-4c47-9f3e-2f1d6a9b5c10.")


def _after_reading(found: Module, section_id: str, slug: str) -> Any:
    index = found.section_index(section_id)
    if index + 1 < len(found.sections):
        return redirect(url_for("learning.section", slug=slug, section_id=found.sections[index + 1].id))
    row = progress.progress_rows(current_user.id).get(slug)
    unread = _first_unread(found, row)
    if unread is not None:
        flash("You have reached the end of the module. Read the sections you skipped before the quiz.", "info")
        return redirect(url_for("learning.section", slug=slug, section_id=unread))
    if row is not None and row.passed:
        return redirect(url_for("learning.module", slug=slug))
    return redirect(url_for("learning.quiz", slug=found.quiz_slug))


@csrf.exempt  # checked below: by the session's token, or by the form's own token once the sign-in has ended
def quiz(slug: str) -> Any:
    fresh = request.method != "POST" or _csrf_valid()
    if not fresh and kept.vouched(request.form.get("keep")) is None:
        raise CSRFError("The CSRF token is missing or invalid, and the form carries no token of its own.")
    content = catalogue()
    module = content.module_for_quiz(slug)
    if module is None:
        abort(404)
    quiz = content.quizzes[slug]
    if not current_user.is_authenticated:
        return _keep_answers(slug) if request.method == "POST" else login_manager.unauthorized()
    if current_user.role in (Role.TRAINER, Role.ADMIN):
        return redirect(url_for("trainer.quiz_preview", slug=slug))
    if current_user.role != Role.LEARNER:
        flash("Only learners take quizzes.", "info")
        return redirect(url_for("learning.module", slug=module.slug))
    if request.method == "POST":
        # Without the session's token (e.g. signed in again in another tab) keep the answers rather than lose them.
        return _submit_quiz(module, quiz) if fresh else _keep_answers(slug)
    entry = services.enter_quiz(current_user, quiz, module)
    if entry.passed is not None:
        flash("You have passed this quiz, so it does not open again. Here are your answers.", "info")
        return redirect(url_for("learning.attempt", slug=slug, attempt_id=entry.passed.id))
    attempt = entry.attempt
    if attempt is None:
        db.session.commit()
        return render_template("learning/quiz_closed.html", module=module, quiz=quiz), 403
    answers: dict[str, frozenset[str]] = {}
    restored = kept.take(slug, current_user.uuid)
    if restored is not None:
        if restored.attempt_id == attempt.id:
            answers = restored.answers
            flash("Your answers were kept while you signed in again. Check them, then submit.", "info")
        else:
            flash("The quiz changed while you were signed out, so your earlier answers no longer fit it.", "info")
    used, allowed = entry.used, entry.allowed
    page = render_template(
        "learning/quiz.html",
        module=module,
        quiz=quiz,
        attempt=attempt,
        questions=services.drawn_questions(quiz, attempt),
        answers=answers,
        missing=[],
        used=used,
        allowed=allowed,
        keep_token=kept.token_for(current_user.uuid, attempt.id),
        idle_seconds=current_app.config["PERMANENT_SESSION_LIFETIME"],
    )
    # Committed once the page is made: a commit expires what was loaded, and the page would read
    # the learner and the attempt again. If the commit fails, the error page is shown instead.
    db.session.commit()
    return page


def _csrf_valid() -> bool:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True


def _keep_answers(slug: str) -> Any:
    """Answers that arrived without a live sign-in: keep them if the form's token vouches for
    them, and send the learner through sign-in back to the quiz."""
    who = kept.vouched(request.form.get("keep"))
    if who is None or (current_user.is_authenticated and who.user_uuid != current_user.uuid):
        abort(400, "This quiz form has expired or was not made for you. Open the quiz again.")
    kept.keep(slug, who, kept.answers_from(request.form))
    target = url_for("learning.quiz", slug=slug)
    if current_user.is_authenticated:
        return redirect(target)
    flash("You were signed out after a while without activity. Your answers are kept: sign in to carry on.", "info")
    return redirect(url_for("accounts.sign_in", next=target))


def _submit_quiz(module: Module, quiz: Any) -> Any:
    attempt_id = request.form.get("attempt", type=int)
    attempt = db.session.get(QuizAttempt, attempt_id) if attempt_id else None
    if attempt is None or attempt.user_id != current_user.id or attempt.quiz_slug != quiz.slug:
        abort(400, "This quiz form does not belong to one of your attempts. Open the quiz again.")
    if attempt.submitted_at is not None:
        flash("You had already submitted this attempt, so it was not counted again.", "info")
        return redirect(url_for("learning.attempt", slug=quiz.slug, attempt_id=attempt.id))
    if attempt.module_revision != module.revision:
        flash("The module was updated while you were answering. Here is a fresh set of questions.", "info")
        db.session.delete(attempt)
        db.session.commit()
        return redirect(url_for("learning.quiz", slug=quiz.slug))
    questions = services.drawn_questions(quiz, attempt)
    answers = {key[2:]: frozenset(request.form.getlist(key)) for key in request.form if key.startswith("q-")}
    try:
        outcome = services.submit(current_user, catalogue(), module, quiz, attempt, answers)
    except services.AlreadySubmitted:
        db.session.rollback()
        flash("You had already submitted this attempt, so it was not counted again.", "info")
        return redirect(url_for("learning.attempt", slug=quiz.slug, attempt_id=attempt_id))
    except services.NoAttemptsLeft:
        db.session.rollback()
        return render_template("learning/quiz_closed.html", module=module, quiz=quiz), 403
    except services.ForgedAnswers as error:
        db.session.rollback()
        abort(400, f"These answers do not match your quiz: {error}. Open the quiz again.")
    except services.QuizFormError as error:
        db.session.rollback()
        return render_template(
            "learning/quiz.html",
            module=module,
            quiz=quiz,
            attempt=attempt,
            questions=questions,
            answers={d.question.id: answers.get(d.question.id, frozenset()) for d in questions},
            missing=error.missing,
            used=services.attempts_used(current_user.id, quiz.slug),
            allowed=services.attempts_allowed(current_user.id, quiz),
            keep_token=kept.token_for(current_user.uuid, attempt.id),
            idle_seconds=current_app.config["PERMANENT_SESSION_LIFETIME"],
        ), 400
    db.session.commit()
    if outcome.certificate_issued:
        flash("You have completed your induction. Your certificate is ready.", "success")
    return redirect(url_for("learning.attempt", slug=quiz.slug, attempt_id=attempt_id))


@login_required
def attempt(slug: str, attempt_id: int) -> Any:
    content = catalogue()
    module = content.module_for_quiz(slug)
    found = db.session.get(QuizAttempt, attempt_id)
    if module is None or found is None or found.user_id != current_user.id or found.submitted_at is None:
        abort(404)
    quiz = content.quizzes[slug]
    following = next_step(content.modules, progress.progress_rows(current_user.id), after=module)
    return render_template(
        "learning/attempt.html",
        following=following,
        module=module,
        quiz=quiz,
        attempt=found,
        questions=services.drawn_questions(quiz, found),
        answers=services.attempt_answers(found),
        used=services.attempts_used(current_user.id, quiz.slug),
        allowed=services.attempts_allowed(current_user.id, quiz),
        history=db.session.scalars(
            select(QuizAttempt)
            .where(
                QuizAttempt.user_id == current_user.id,
                QuizAttempt.quiz_slug == slug,
                QuizAttempt.submitted_at.is_not(None),
            )
            .order_by(QuizAttempt.submitted_at)
        ).all(),
    )


@login_required
def media(filename: str) -> Any:
    parts = Path(filename).parts
    if "media" not in parts[:-1] or ".." in parts:
        abort(404)
    response = send_from_directory(Path(current_app.config["CONTENT_DIR"]).resolve(), filename, max_age=3600)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


def service_worker() -> Any:
    """The service worker, from the site's root so that its scope is the whole site (static/sw.js)."""
    response = send_from_directory(current_app.static_folder or "static", "sw.js", mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    return response
