"""Requests that arrive together change the record exactly once, and never answer 5xx.

Each test sends the same request ten times at the same moment to the app served on a real
threaded HTTP server (on SQLite, and on PostgreSQL when `make test` runs the suite there),
then counts what the database holds."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from induction.accounts.models import User
from induction.clock import utcnow
from induction.completion.models import Certificate
from induction.content import catalogue
from induction.extensions import db
from induction.learning import services
from induction.learning.models import QuizAttempt
from induction.plans.models import InductionItem, ItemProgress
from induction.xapi import clients
from induction.xapi import statements as xs
from induction.xapi.models import StatementRecord, XapiDocument

from .concurrency import TIMES, Visitor, burst, codes, no_server_errors
from .conftest import Factory
from .journey import complete_modules_at


def count(verb: str, user: User | None = None, path: str | None = None) -> int:
    query = select(func.count()).select_from(StatementRecord).where(StatementRecord.verb_id == verb)
    if user is not None:
        query = query.where(StatementRecord.user_id == user.id)
    if path is not None:
        query = query.where(StatementRecord.object_id == xs.activity_iri(path))
    db.session.expire_all()
    return db.session.scalar(query) or 0


def item_for(learner: User, title: str = "Fire safety walk-round") -> InductionItem:
    item = InductionItem(organisation_id=learner.organisation_id, title=title)
    db.session.add(item)
    db.session.commit()
    return item


@pytest.mark.parametrize("marked", [True, False], ids=["marked-by-learner", "not-marked"])
def test_signing_off_the_last_item_together_issues_one_certificate(
    make: Factory, served: str, marked: bool
) -> None:
    organisation = make.organisation()
    learner = make.learner(organisation)
    manager = make.manager(organisation)
    item = item_for(learner)
    complete_modules_at(learner, utcnow())
    if marked:
        db.session.add(ItemProgress(user_id=learner.id, item_id=item.id, marked_done_at=utcnow()))
        db.session.commit()
    office = Visitor(served)
    office.sign_in(manager.email)
    token = office.token(f"/manage/learners/{learner.id}")

    answers = office.together("POST", f"/manage/learners/{learner.id}/items/{item.id}/sign-off", data={"csrf_token": token, "confirm": "yes"})

    no_server_errors(answers)
    assert set(codes(answers)) == {302}
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert count(xs.SATISFIED, learner) == 1
    assert count(xs.COMPLETED, learner, f"items/{item.id}") == 1


def test_signing_off_an_item_together_records_one_completed(make: Factory, served: str) -> None:
    organisation = make.organisation()
    learner = make.learner(organisation)
    manager = make.manager(organisation)
    item, _other = item_for(learner), item_for(learner, "Meet the team")
    office = Visitor(served)
    office.sign_in(manager.email)
    token = office.token(f"/manage/learners/{learner.id}")

    answers = office.together("POST", f"/manage/learners/{learner.id}/items/{item.id}/sign-off", data={"csrf_token": token, "confirm": "yes"})

    no_server_errors(answers)
    assert count(xs.COMPLETED, learner, f"items/{item.id}") == 1
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_marking_an_item_done_together_keeps_one_mark(make: Factory, served: str) -> None:
    learner = make.learner()
    item = item_for(learner)
    browser = Visitor(served)
    browser.sign_in(learner.email)
    token = browser.token("/plan")

    answers = browser.together("POST", f"/plan/items/{item.id}/done", data={"csrf_token": token})

    no_server_errors(answers)
    assert db.session.scalar(select(func.count()).select_from(ItemProgress)) == 1


def _use_attempts(learner: User, slug: str, used: int) -> None:
    """Fail the quiz `used` times through the services, as the learner's earlier tries."""
    content = catalogue()
    module = content.module_for_quiz(slug)
    assert module is not None
    quiz = content.quizzes[slug]
    for _ in range(used):
        attempt = services.open_attempt(learner, quiz, module)
        assert attempt is not None
        wrong = {
            d.question.id: frozenset({next(o.id for o in d.question.options if not o.correct)})
            for d in services.drawn_questions(quiz, attempt)
        }
        services.submit(learner, content, module, quiz, attempt, wrong)
        db.session.commit()


def test_opening_a_quiz_together_opens_one_attempt_and_never_more_than_allowed(make: Factory, served: str) -> None:
    learner = make.learner()
    quiz = catalogue().quizzes["staying-safe"]
    _use_attempts(learner, quiz.slug, quiz.max_attempts - 1)
    browser = Visitor(served)
    browser.sign_in(learner.email)

    opened = browser.together("GET", f"/quizzes/{quiz.slug}")

    no_server_errors(opened)
    assert set(codes(opened)) == {200}
    attempts = {a.split('name="attempt" value="')[1].split('"')[0] for a in (o.text for o in opened)}
    assert len(attempts) == 1, "every tab shows the same attempt"
    db.session.expire_all()
    open_rows = db.session.scalars(
        select(QuizAttempt).where(QuizAttempt.user_id == learner.id, QuizAttempt.submitted_at.is_(None))
    ).all()
    assert len(open_rows) == 1
    attempt = open_rows[0]
    token = browser.token(f"/quizzes/{quiz.slug}")
    form: dict[str, Any] = {"attempt": str(attempt.id), "csrf_token": token}
    for drawn in services.drawn_questions(quiz, attempt):
        form[f"q-{drawn.question.id}"] = sorted(drawn.question.correct_ids)

    submitted = browser.together("POST", f"/quizzes/{quiz.slug}", data=form)

    no_server_errors(submitted)
    assert set(codes(submitted)) == {302}, "each copy is told where the one result is"
    db.session.expire_all()
    assert services.attempts_used(learner.id, quiz.slug) == quiz.max_attempts
    per_attempt = quiz.questions_per_attempt
    assert count(xs.ANSWERED, learner) == per_attempt * quiz.max_attempts
    assert count(xs.PASSED, learner) == 1
    passed = browser.get(f"/quizzes/{quiz.slug}")  # a passed quiz opens no new attempt: its answers instead
    assert passed.status_code == 302 and f"/quizzes/{quiz.slug}/attempts/" in passed.headers["Location"]


def test_reading_a_section_together_records_one_experienced(make: Factory, served: str) -> None:
    learner = make.learner()
    module = catalogue().modules[0]
    section = module.sections[0]
    browser = Visitor(served)
    browser.sign_in(learner.email)

    token = browser.token(f"/modules/{module.slug}/{section.id}")

    answers = browser.together("POST", f"/modules/{module.slug}/{section.id}/read", data={"csrf_token": token})

    no_server_errors(answers)
    assert count(xs.EXPERIENCED, learner, f"modules/{module.slug}/sections/{section.id}") == 1


@pytest.fixture
def lrs(app: Any) -> dict[str, str]:
    import base64

    issued = clients.create("Busy tool")
    db.session.commit()
    basic = base64.b64encode(f"{issued.client.key}:{issued.secret}".encode()).decode()
    return {"Authorization": f"Basic {basic}", "X-Experience-API-Version": "1.0.3"}


def _statement() -> dict[str, Any]:
    return {
        "actor": {"objectType": "Agent", "mbox": "mailto:ada@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": "http://example.com/activities/one"},
    }


def test_putting_one_statement_together_stores_it_once(served: str, lrs: dict[str, str]) -> None:
    statement_id = str(uuid.uuid4())
    body = json.dumps(_statement())
    headers = {**lrs, "Content-Type": "application/json"}

    answers = burst(
        [("PUT", f"/xapi/statements?statementId={statement_id}", {"data": body, "headers": headers})] * TIMES, served
    )

    no_server_errors(answers)
    assert set(codes(answers)) == {204}
    assert db.session.scalar(select(func.count()).select_from(StatementRecord)) == 1


def test_creating_a_document_together_with_if_none_match_lets_one_win(served: str, lrs: dict[str, str]) -> None:
    path = "/xapi/activities/profile?activityId=http%3A%2F%2Fexample.com%2Fa&profileId=p"
    requests_to_send = [
        ("PUT", path, {"data": json.dumps({"n": n}), "headers": {**lrs, "If-None-Match": "*", "Content-Type": "application/json"}})
        for n in range(TIMES)
    ]

    answers = burst(requests_to_send, served)

    no_server_errors(answers)
    assert sorted(codes(answers)) == [204] + [412] * (TIMES - 1)
    assert db.session.scalar(select(func.count()).select_from(XapiDocument)) == 1


def test_merging_into_a_document_together_keeps_every_key(served: str, lrs: dict[str, str]) -> None:
    agent = json.dumps({"mbox": "mailto:ada@example.com"})
    params = f"activityId=http%3A%2F%2Fexample.com%2Fa&agent={agent}&stateId=s"
    headers = {**lrs, "Content-Type": "application/json"}
    requests_to_send = [
        ("POST", f"/xapi/activities/state?{params}", {"data": json.dumps({f"key{n}": n}), "headers": headers})
        for n in range(TIMES)
    ]

    answers = burst(requests_to_send, served)

    no_server_errors(answers)
    assert set(codes(answers)) == {204}
    db.session.expire_all()
    document = db.session.scalar(select(XapiDocument))
    assert document is not None
    assert json.loads(document.content) == {f"key{n}": n for n in range(TIMES)}
