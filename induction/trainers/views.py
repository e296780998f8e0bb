"""What trainers see: how each question and module performs, and learners' feedback. No names."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from statistics import median
from typing import Any

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from induction.accounts.decorators import role_required
from induction.accounts.models import Role
from induction.content import catalogue
from induction.content.model import Module, Question, Quiz
from induction.extensions import db
from induction.learning.models import Evaluation, QuizAttempt

bp = Blueprint("trainer", __name__, url_prefix="/trainer")


@dataclass(frozen=True)
class QuestionStats:
    question: Question
    drawn: int
    correct: int
    common_wrong: tuple[str, int] | None

    @property
    def correct_rate(self) -> int | None:
        return round(100 * self.correct / self.drawn) if self.drawn else None


@dataclass(frozen=True)
class ModuleStats:
    module: Module
    attempts: int
    median_seconds: int | None
    first_attempt_pass_rate: int | None
    questions: list[QuestionStats]

    @property
    def median_time(self) -> str | None:
        """The median time from opening a quiz to submitting it, as "7 min 42 s"."""
        return None if self.median_seconds is None else minutes_and_seconds(self.median_seconds)


def minutes_and_seconds(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def question_stats(quiz: Quiz, attempts: list[QuizAttempt]) -> list[QuestionStats]:
    drawn: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    wrong: dict[str, Counter[str]] = {}
    for attempt in attempts:
        responses = json.loads(attempt.responses or "{}")
        for item in json.loads(attempt.draw):
            question = quiz.question(item["q"])
            if question is None:
                continue
            drawn[question.id] += 1
            chosen = frozenset(responses.get(question.id, []))
            if chosen == question.correct_ids:
                correct[question.id] += 1
            else:
                for option in chosen - question.correct_ids:
                    wrong.setdefault(question.id, Counter())[option] += 1
    result = []
    for question in quiz.questions:
        common = wrong.get(question.id, Counter()).most_common(1)
        text = None
        if common:
            option = question.option(common[0][0])
            text = (option.text if option else common[0][0], common[0][1])
        result.append(QuestionStats(question, drawn[question.id], correct[question.id], text))
    return result


def module_stats(module: Module, quiz: Quiz, attempts: list[QuizAttempt]) -> ModuleStats:
    # Each attempt's own duration, from the moment its questions were drawn to its submission.
    seconds = [(a.submitted_at - a.started_at).total_seconds() for a in attempts if a.submitted_at is not None]
    first: dict[int, QuizAttempt] = {}
    for attempt in sorted(attempts, key=lambda a: (a.submitted_at, a.id)):
        first.setdefault(attempt.user_id, attempt)
    passes = sum(1 for a in first.values() if a.passed)
    return ModuleStats(
        module=module,
        attempts=len(attempts),
        median_seconds=round(median(seconds)) if seconds else None,
        first_attempt_pass_rate=round(100 * passes / len(first)) if first else None,
        questions=question_stats(quiz, attempts),
    )


@bp.get("/")
@role_required(Role.TRAINER, Role.ADMIN)
def statistics() -> Any:
    content = catalogue()
    attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.submitted_at.is_not(None))).all()
    by_quiz: dict[str, list[QuizAttempt]] = {}
    for attempt in attempts:
        by_quiz.setdefault(attempt.quiz_slug, []).append(attempt)
    modules = [module_stats(m, content.quiz_for(m), by_quiz.get(m.quiz_slug, [])) for m in content.modules]
    evaluations = db.session.scalars(select(Evaluation).order_by(Evaluation.submitted_at.desc())).all()
    ratings: dict[str, list[int]] = {}
    for evaluation in evaluations:
        for slug, value in json.loads(evaluation.ratings).items():
            ratings.setdefault(slug, []).append(int(value))
    return render_template(
        "trainer/statistics.html",
        modules=modules,
        ratings={slug: round(sum(v) / len(v), 1) for slug, v in ratings.items() if v},
        rating_counts={slug: len(v) for slug, v in ratings.items()},
        comments=[e for e in evaluations if e.change or e.comments][:100],
    )


@bp.get("/quizzes/<slug>")
@role_required(Role.TRAINER, Role.ADMIN)
def quiz_preview(slug: str) -> Any:
    """The whole question pool of a quiz, with its keys, feedback and explanations, for trainers."""
    content = catalogue()
    module = content.module_for_quiz(slug)
    if module is None:
        abort(404)
    quiz = content.quizzes[slug]
    return render_template("trainer/quiz_preview.html", module=module, quiz=quiz, groups=quiz.by_outcome())
