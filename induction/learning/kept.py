"""Quiz answers kept across a timed-out sign-in (WCAG 2.2.1).

Each quiz form carries a signed token naming the learner and the attempt. When the answers
arrive after the sign-in has ended, the token (which nobody but that learner's page could
hold) vouches for the form in place of the session's CSRF token; the answers are kept in
the signed session cookie, which survives signing in again, and the quiz page shows them
once more to be submitted. Nothing is written to the database until that submission, which
counts once like any other (a submitted attempt cannot be submitted again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, session
from itsdangerous import BadSignature, URLSafeTimedSerializer

KEY = "kept_quiz"
MAX_AGE = 24 * 3600  # a form older than a day is not kept
MAX_QUESTIONS = 100
MAX_OPTIONS = 20
MAX_ID = 64


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="quiz-kept-answers")


def token_for(user_uuid: str, attempt_id: int) -> str:
    """The token a quiz form carries for this learner's attempt."""
    return str(_serializer().dumps({"u": user_uuid, "a": attempt_id}))


@dataclass(frozen=True)
class Vouched:
    user_uuid: str
    attempt_id: int


def vouched(token: str | None) -> Vouched | None:
    """Whom and which attempt a form's token stands for, or None if it is forged or too old."""
    if not token:
        return None
    try:
        data = _serializer().loads(token, max_age=MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), str) or not isinstance(data.get("a"), int):
        return None
    return Vouched(data["u"], data["a"])


def answers_from(form: Any) -> dict[str, list[str]]:
    """The `q-<id>` answers of a posted quiz form, trimmed to sane sizes (the quiz checks them again)."""
    answers: dict[str, list[str]] = {}
    for key in form:
        if key.startswith("q-") and len(key) <= MAX_ID + 2 and len(answers) < MAX_QUESTIONS:
            answers[key[2:]] = [v for v in form.getlist(key) if len(v) <= MAX_ID][:MAX_OPTIONS]
    return answers


def keep(slug: str, who: Vouched, answers: dict[str, list[str]]) -> None:
    session[KEY] = {"quiz": slug, "u": who.user_uuid, "a": who.attempt_id, "answers": answers}


@dataclass(frozen=True)
class Kept:
    attempt_id: int
    answers: dict[str, frozenset[str]]


def take(slug: str, user_uuid: str) -> Kept | None:
    """The answers kept for this learner's quiz, removed from the session; None if there are none."""
    data = session.get(KEY)
    if not isinstance(data, dict) or data.get("quiz") != slug or data.get("u") != user_uuid:
        return None
    session.pop(KEY, None)
    answers = data.get("answers") or {}
    return Kept(int(data.get("a") or 0), {q: frozenset(v) for q, v in answers.items() if isinstance(v, list)})
