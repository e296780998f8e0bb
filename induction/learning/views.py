from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from induction.accounts.decorators import role_required
from induction.accounts.models import Role
from induction.completion.rules import Status, induction_status
from induction.completion.services import latest_certificate
from induction.content import catalogue
from induction.content.model import Module
from induction.extensions import db
from induction.learning import progress, services
from induction.learning.models import QuizAttempt
from induction.plans.items import items_done_for

bp = Blueprint("learning", __name__)


def _module_or_404(slug: str) -> Module:
    module = catalogue().module(slug)
    if module is None:
        abort(404)
    return module


@bp.get("/")
@login_required
def home() -> Any:
    if current_user.role == Role.MANAGER:
        return redirect(url_for("reporting.overview"))
    content = catalogue()
    rows = progress.progress_rows(current_user.id)
    states = progress.current_states(current_user.id, content, rows=rows)
    signed, total = items_done_for([current_user])[current_user.id]
    overall = induction_status(states.values(), items_done=signed == total, items_started=signed > 0)
    modules = [
        {
            "module": m,
            "row": rows.get(m.slug),
            "status": progress.status_of(rows.get(m.slug)),
            "read": len(progress.read_sections(rows.get(m.slug))),
            "next": _continue_url(m, rows.get(m.slug)),
        }
        for m in content.modules
    ]
    resume = next((m for m in modules if m["status"] not in (Status.COMPLETED, Status.WAIVED)), None)
    return render_template(
        "learning/home.html",
        modules=modules,
        overall=overall,
        resume=resume,
        welcome=content.welcome,
        certificate=latest_certificate(current_user.id),
    )


def _first_unread(module: Module, row: Any) -> str | None:
    read = progress.read_sections(row)
    return next((s.id for s in module.sections if s.id not in read), None)


def _next_section(module: Module, row: Any) -> str:
    return _first_unread(module, row) or module.sections[0].id


def _continue_url(module: Module, row: Any) -> str:
    """Where "continue" takes the learner: the first unread section, or the quiz once all are read."""
    if _first_unread(module, row) is None and not (row is not None and row.passed):
        return url_for("learning.quiz", slug=module.quiz_slug)
    return url_for("learning.section", slug=module.slug, section_id=_next_section(module, row))


@bp.get("/welcome")
@login_required
def welcome() -> Any:
    page = catalogue().welcome
    if page is None:
        abort(404)
    return render_template("learning/welcome.html", page=page)


@bp.get("/modules/<slug>")
@login_required
def module(slug: str) -> Any:
    found = _module_or_404(slug)
    row = progress.progress_rows(current_user.id).get(slug)
    quiz = catalogue().quiz_for(found)
    return render_template(
        "learning/module.html",
        module=found,
        row=row,
        status=progress.status_of(row),
        read=progress.read_sections(row),
        next_section=_next_section(found, row),
        quiz=quiz,
        used=services.attempts_used(current_user.id, quiz.slug),
        allowed=services.attempts_allowed(current_user.id, quiz),
    )


@bp.get("/modules/<slug>/<section_id>")
@login_required
def section(slug: str, section_id: str) -> Any:
    """Show a section; reading is recorded only by the POST of its "Next" button (`mark_read`)."""
    found = _module_or_404(slug)
    current = found.section(section_id)
    if current is None:
        abort(404)
    index = found.section_index(section_id)
    sections = found.sections
    row = progress.progress_rows(current_user.id).get(slug)
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


@bp.post("/modules/<slug>/<section_id>/read")
@role_required(Role.LEARNER)
def mark_read(slug: str, section_id: str) -> Any:
    """Record that the learner read the section (once per cycle), then go on to what comes next."""
    found = _module_or_404(slug)
    current = found.section(section_id)
    if current is None:
        abort(404)
    services.open_section(current_user, catalogue(), found, current)
    db.session.commit()
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


@bp.route("/quizzes/<slug>", methods=["GET", "POST"])
@login_required
def quiz(slug: str) -> Any:
    content = catalogue()
    module = content.module_for_quiz(slug)
    if module is None:
        abort(404)
    quiz = content.quizzes[slug]
    if current_user.role != Role.LEARNER:
        flash("Only learners take quizzes. You can read the questions in the content files.", "info")
        return redirect(url_for("learning.module", slug=module.slug))
    if request.method == "POST":
        return _submit_quiz(module, quiz)
    attempt = services.open_attempt(current_user, quiz, module)
    db.session.commit()
    if attempt is None:
        return render_template("learning/quiz_closed.html", module=module, quiz=quiz), 403
    return render_template(
        "learning/quiz.html",
        module=module,
        quiz=quiz,
        attempt=attempt,
        questions=services.drawn_questions(quiz, attempt),
        answers={},
        missing=[],
        used=services.attempts_used(current_user.id, quiz.slug),
        allowed=services.attempts_allowed(current_user.id, quiz),
    )


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
        ), 400
    db.session.commit()
    if outcome.certificate is not None:
        flash("You have completed your induction. Your certificate is ready.", "success")
    return redirect(url_for("learning.attempt", slug=quiz.slug, attempt_id=attempt.id))


@bp.get("/quizzes/<slug>/attempts/<int:attempt_id>")
@login_required
def attempt(slug: str, attempt_id: int) -> Any:
    content = catalogue()
    module = content.module_for_quiz(slug)
    found = db.session.get(QuizAttempt, attempt_id)
    if module is None or found is None or found.user_id != current_user.id or found.submitted_at is None:
        abort(404)
    quiz = content.quizzes[slug]
    return render_template(
        "learning/attempt.html",
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


@bp.get("/content-media/<path:filename>")
@login_required
def media(filename: str) -> Any:
    parts = Path(filename).parts
    if "media" not in parts[:-1] or ".." in parts:
        abort(404)
    response = send_from_directory(Path(current_app.config["CONTENT_DIR"]).resolve(), filename, max_age=3600)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
