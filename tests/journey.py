"""Steps of a learner's journey through the test content, driven through the pages."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from induction.accounts.models import User
from induction.content import catalogue
from induction.extensions import db
from induction.learning import services

from .forms import csrf_from, submit


def read_section(client: Any, slug: str, section_id: str) -> Any:
    """Open a section and press its "Next" button (the POST that records the reading)."""
    return submit(client, f"/modules/{slug}/{section_id}/read", form_url=f"/modules/{slug}/{section_id}")


def read_module(client: Any, slug: str) -> None:
    module = catalogue().module(slug)
    assert module is not None
    for section in module.sections:
        assert read_section(client, slug, section.id).status_code == 302


def quiz_form(client: Any, quiz_slug: str) -> tuple[str, str, list[str]]:
    """The attempt id, CSRF token and question ids of the quiz page."""
    page = client.get(f"/quizzes/{quiz_slug}")
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    attempt = re.search(r'name="attempt" value="(\d+)"', html)
    assert attempt
    questions = list(dict.fromkeys(re.findall(r'name="q-([a-z0-9_-]+)"', html)))
    return attempt.group(1), csrf_from(html), questions


def answer(client: Any, quiz_slug: str, right: bool = True, questions_right: int | None = None) -> Any:
    """Open the quiz and submit it, all right or all wrong (or the first N right)."""
    attempt, token, questions = quiz_form(client, quiz_slug)
    quiz = catalogue().quizzes[quiz_slug]
    data: dict[str, Any] = {"attempt": attempt, "csrf_token": token}
    for index, qid in enumerate(questions):
        question = quiz.question(qid)
        assert question is not None
        good = right if questions_right is None else index < questions_right
        if good:
            data[f"q-{qid}"] = sorted(question.correct_ids)
        else:
            data[f"q-{qid}"] = [next(o.id for o in question.options if not o.correct)]
    return client.post(f"/quizzes/{quiz_slug}", data=data)


def complete_everything(client: Any) -> None:
    for module in catalogue().modules:
        read_module(client, module.slug)
        response = answer(client, module.quiz_slug)
        assert response.status_code == 302


def complete_modules_at(learner: User, moment: datetime) -> None:
    """Read every section and pass every quiz as if it all happened at `moment` (committed)."""
    content = catalogue()
    for module in content.modules:
        for section in module.sections:
            services.open_section(learner, content, module, section, now=moment)
        quiz = content.quiz_for(module)
        attempt = services.open_attempt(learner, quiz, module, now=moment)
        assert attempt is not None
        answers = {d.question.id: d.question.correct_ids for d in services.drawn_questions(quiz, attempt)}
        services.submit(learner, content, module, quiz, attempt, answers, now=moment)
    db.session.commit()
