"""A learner's journey: reading, quizzes, completion and the certificate, as statements."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from induction.accounts.models import Role
from induction.clock import utcnow
from induction.completion.models import Certificate
from induction.completion.services import revoke
from induction.content import catalogue
from induction.extensions import db
from induction.learning import services
from induction.learning.models import ModuleProgress, QuizAttempt
from induction.xapi import statements as xs
from induction.xapi.models import StatementRecord

from .journey import answer, complete_everything, complete_modules_at, quiz_form, read_module, read_section


@pytest.fixture
def learner(make: Any, auth: Any) -> Any:
    organisation = make.organisation("Riverside School")
    person = make.learner(organisation, name="Sam Learner", email="sam@example.org")
    auth.sign_in(person)
    return person


def statements(verb: str | None = None) -> list[dict[str, Any]]:
    query = select(StatementRecord).order_by(StatementRecord.seq)
    if verb:
        query = query.where(StatementRecord.verb_id == verb)
    return [json.loads(r.body) for r in db.session.scalars(query)]


def test_a_get_of_a_section_records_nothing(client: Any, learner: Any) -> None:
    assert client.get("/modules/first-steps/hello").status_code == 200
    assert statements() == []
    assert db.session.scalar(select(func.count()).select_from(ModuleProgress)) == 0


def test_a_section_post_without_csrf_records_nothing(client: Any, learner: Any) -> None:
    assert client.post("/modules/first-steps/hello/read").status_code == 400
    assert statements() == []


def test_reading_a_section_twice_records_experienced_once(client: Any, learner: Any) -> None:
    assert read_section(client, "first-steps", "hello").headers["Location"] == "/modules/first-steps/next"
    read_section(client, "first-steps", "hello")
    found = statements(xs.EXPERIENCED)
    assert len(found) == 1
    statement = found[0]
    assert statement["actor"]["account"] == {"homePage": "http://induction.test", "name": learner.uuid}
    assert "mbox" not in statement["actor"] and "sam@example.org" not in json.dumps(statement)
    assert statement["object"]["id"] == "http://induction.test/xapi/activities/modules/first-steps/sections/hello"
    context = statement["context"]
    assert context["revision"] == catalogue().module("first-steps").revision
    assert context["contextActivities"]["parent"][0]["id"].endswith("/modules/first-steps")
    assert context["contextActivities"]["grouping"][0]["id"].endswith("/induction")
    assert context["extensions"][xs.ORGANISATION_EXTENSION] == "Riverside School"
    assert re.fullmatch(r"[0-9a-f-]{36}", context["registration"])


def test_progress_shows_on_home_and_module_page_and_resume_goes_to_the_first_unread(client: Any, learner: Any) -> None:
    read_section(client, "first-steps", "next")
    home = client.get("/").get_data(as_text=True)
    assert "Continue where you left off" in home
    assert 'href="/modules/first-steps/hello"' in home
    assert '<progress value="1" max="2"' in home
    module = client.get("/modules/first-steps").get_data(as_text=True)
    assert "In progress" in module and "Continue reading" in module


def test_section_pages_have_previous_next_and_position(client: Any, learner: Any) -> None:
    page = client.get("/modules/first-steps/next").get_data(as_text=True)
    assert "Section 2 of 2" in page
    assert 'rel="prev"' in page and "Mark as read and take the quiz" in page


def test_the_quiz_form_carries_option_ids_only(client: Any, learner: Any) -> None:
    page = client.get("/quizzes/first-steps").get_data(as_text=True)
    quiz = catalogue().quizzes["first-steps"]
    fieldsets = re.findall(r'<fieldset class="question[^"]*" id="question-([^"]+)">', page)
    assert len(fieldsets) == quiz.questions_per_attempt
    outcomes = {quiz.question(q).outcome for q in fieldsets}  # type: ignore[union-attr]
    assert outcomes == {"know", "do"}
    for qid in fieldsets:
        values = set(re.findall(rf'name="q-{qid}" id="[^"]+" value="([^"]+)"', page))
        assert values == {o.id for o in quiz.question(qid).options}  # type: ignore[union-attr]
    assert "fb-" not in page and "Because" not in page and "correct" not in page.lower()


def test_an_unanswered_question_gets_a_clear_message_and_nothing_is_recorded(client: Any, learner: Any) -> None:
    attempt, token, questions = quiz_form(client, "first-steps")
    response = client.post("/quizzes/first-steps", data={"attempt": attempt, "csrf_token": token})
    assert response.status_code == 400
    assert response.get_data(as_text=True).count("Answer this question.") == len(questions)
    assert statements() == []


def test_a_failed_then_passed_quiz(client: Any, learner: Any) -> None:
    failed = answer(client, "first-steps", right=False)
    assert failed.status_code == 302
    result = client.get(failed.headers["Location"]).get_data(as_text=True)
    assert "You scored 0 out of 3" in result and "You did not pass" in result
    assert "fb-" in result and "Because" in result and 'href="/modules/first-steps/' in result
    assert len(statements(xs.ANSWERED)) == 3
    fail = statements(xs.FAILED)[0]
    assert fail["result"]["score"] == {"raw": 0.0, "min": 0.0, "max": 3.0, "scaled": 0.0}
    assert fail["result"]["success"] is False and fail["result"]["duration"].startswith("PT")
    passed = answer(client, "first-steps")
    assert "You passed" in client.get(passed.headers["Location"]).get_data(as_text=True)
    assert statements(xs.PASSED)[0]["result"]["score"]["scaled"] == 1.0


def test_a_reposted_form_does_not_count_twice(client: Any, learner: Any) -> None:
    attempt, token, questions = quiz_form(client, "first-steps")
    quiz = catalogue().quizzes["first-steps"]
    data = {"attempt": attempt, "csrf_token": token, **{f"q-{q}": [quiz.question(q).options[0].id] for q in questions}}  # type: ignore[union-attr]
    first = client.post("/quizzes/first-steps", data=data)
    again = client.post("/quizzes/first-steps", data=data)
    assert first.headers["Location"] == again.headers["Location"]
    assert "already submitted this attempt" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert services.attempts_used(learner.id, "first-steps") == 1
    assert len(statements(xs.PASSED)) + len(statements(xs.FAILED)) == 1


def test_someone_elses_attempt_is_refused(client: Any, learner: Any, make: Any) -> None:
    other = make.learner()
    quiz = catalogue().quizzes["first-steps"]
    theirs = services.open_attempt(other, quiz, catalogue().module("first-steps"))  # type: ignore[arg-type]
    db.session.commit()
    _, token, _ = quiz_form(client, "first-steps")
    response = client.post("/quizzes/first-steps", data={"attempt": theirs.id, "csrf_token": token})  # type: ignore[union-attr]
    assert response.status_code == 400
    assert client.get(f"/quizzes/first-steps/attempts/{theirs.id}").status_code == 404  # type: ignore[union-attr]


def test_attempts_run_out_and_a_manager_can_allow_more(client: Any, learner: Any) -> None:
    answer(client, "first-steps", right=False)
    answer(client, "first-steps", right=False)
    closed = client.get("/quizzes/first-steps")
    assert closed.status_code == 403
    assert "You have used all 2 attempts" in closed.get_data(as_text=True)
    services.allow_more_attempts(learner.id, "first-steps", 1, granted_by=None)
    db.session.commit()
    assert client.get("/quizzes/first-steps").status_code == 200


def test_completing_a_module_records_completed(client: Any, learner: Any) -> None:
    read_module(client, "first-steps")
    assert statements(xs.COMPLETED) == []
    answer(client, "first-steps")
    completed = statements(xs.COMPLETED)
    assert [s["object"]["id"].rsplit("/", 1)[1] for s in completed] == ["first-steps"]
    row = db.session.get(ModuleProgress, (learner.id, "first-steps"))
    assert row is not None and row.state == "completed"


def test_finishing_everything_issues_a_verifiable_certificate_at_once(client: Any, learner: Any) -> None:
    complete_everything(client)
    certificate = db.session.scalar(select(Certificate))
    assert certificate is not None and certificate.user_id == learner.id
    assert len(statements(xs.SATISFIED)) == 1
    assert certificate.expires_at is not None  # staying-safe has a refresher
    home = client.get("/").get_data(as_text=True)
    assert "Your certificate" in home
    page = client.get(f"/certificates/{certificate.id}").get_data(as_text=True)
    assert "Sam Learner" in page and "Riverside School" in page and certificate.code in page and 'class="cert-qr"' in page
    pdf = client.get(f"/certificates/{certificate.id}.pdf")
    assert pdf.data.startswith(b"%PDF") and pdf.headers["Content-Type"] == "application/pdf"
    auth_free = client.application.test_client()
    verify = auth_free.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "This certificate is <strong>valid</strong>" in verify
    assert "Sam Learner" in verify and "Riverside School" in verify and "First steps" in verify
    assert "sam@example.org" not in verify and learner.uuid not in verify


def test_a_stranger_cannot_open_someone_elses_certificate(client: Any, learner: Any, auth: Any, make: Any) -> None:
    complete_everything(client)
    certificate = db.session.scalar(select(Certificate))
    auth.sign_out()
    auth.sign_in(make.learner())
    assert client.get(f"/certificates/{certificate.id}").status_code == 404  # type: ignore[union-attr]
    assert client.get(f"/certificates/{certificate.id}.pdf").status_code == 404  # type: ignore[union-attr]


def test_an_unknown_code_is_reported(client: Any) -> None:
    response = client.get("/verify/NOPE1234")
    assert response.status_code == 404
    assert "No certificate has the code" in response.get_data(as_text=True)


def test_a_revoked_certificate_shows_as_revoked(client: Any, learner: Any, make: Any) -> None:
    complete_everything(client)
    certificate = db.session.scalar(select(Certificate))
    assert certificate is not None
    revoke(certificate, make.user(role=Role.ADMIN))
    db.session.commit()
    voiding = statements(xs.VOIDED)
    assert voiding[0]["object"] == {"objectType": "StatementRef", "id": certificate.statement_id}
    assert db.session.scalar(select(StatementRecord.voided).where(StatementRecord.id == certificate.statement_id))
    assert "This certificate is <strong>revoked</strong>" in client.get(f"/verify/{certificate.code}").get_data(
        as_text=True
    )


def test_a_refresher_expires_the_module_and_the_certificate(client: Any, learner: Any) -> None:
    complete_modules_at(learner, utcnow() - timedelta(days=365 * 3 + 30))
    certificate = db.session.scalar(select(Certificate))
    assert certificate is not None
    first_registration = db.session.get(ModuleProgress, (learner.id, "staying-safe")).registration  # type: ignore[union-attr]
    assert "This certificate is <strong>expired</strong>" in client.get(f"/verify/{certificate.code}").get_data(
        as_text=True
    )
    read_section(client, "staying-safe", "safety")  # the refresher starts a new cycle
    db.session.expire_all()
    row = db.session.get(ModuleProgress, (learner.id, "staying-safe"))
    assert row is not None and row.state == "in progress" and row.registration != first_registration
    assert db.session.get(ModuleProgress, (learner.id, "first-steps")).state == "completed"  # type: ignore[union-attr]
    answer(client, "staying-safe")
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 2


def test_a_major_version_change_asks_for_review(client: Any, learner: Any, tmp_path: Any, database_url: str) -> None:
    import shutil

    from .conftest import TEST_CONTENT, make_app

    complete_everything(client)
    changed = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, changed)
    module = changed / "modules/02-staying-safe/module.md"
    module.write_text(module.read_text().replace('version: "2.1"', 'version: "3.0"'))
    newer = make_app(database_url, CONTENT_DIR=str(changed))
    with newer.app_context():
        from induction.learning import progress

        progress.rebuild([learner.id], catalogue())
        db.session.commit()
        row = db.session.get(ModuleProgress, (learner.id, "staying-safe"))
        assert row is not None and row.state == "not started" and row.outdated
        db.session.remove()
        db.engine.dispose()
    minor = changed / "modules/01-first-steps/module.md"
    minor.write_text(minor.read_text().replace('version: "1.0"', 'version: "1.1"'))
    with make_app(database_url, CONTENT_DIR=str(changed)).app_context():
        from induction.learning import progress

        progress.rebuild([learner.id], catalogue())
        assert db.session.get(ModuleProgress, (learner.id, "first-steps")).state == "completed"  # type: ignore[union-attr]
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def test_rebuild_reproduces_the_projections(client: Any, learner: Any, runner: Any) -> None:
    read_module(client, "first-steps")
    answer(client, "first-steps", right=False)
    answer(client, "first-steps")
    read_section(client, "staying-safe", "safety")
    before = {
        (r.module_slug, r.state, r.read_sections, r.completed_at, r.registration)
        for r in db.session.scalars(select(ModuleProgress))
    }
    result = runner.invoke(args=["progress", "rebuild"])
    assert "Rebuilt progress of 1 learners" in result.output
    db.session.expire_all()
    after = {
        (r.module_slug, r.state, r.read_sections, r.completed_at, r.registration)
        for r in db.session.scalars(select(ModuleProgress))
    }
    assert after == before


def test_page_query_counts_are_pinned(client: Any, learner: Any, count_queries: Any) -> None:
    read_section(client, "first-steps", "hello")
    count_queries.statements.clear()
    client.get("/")
    home = count_queries.count
    count_queries.statements.clear()
    client.get("/modules/first-steps/hello")
    reread = count_queries.count
    assert home <= 7, count_queries.statements  # with the due date from the plan
    assert reread <= 6, count_queries.statements
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 0


def test_one_module_done_of_two_is_still_in_progress(client: Any, learner: Any) -> None:
    read_module(client, "first-steps")
    answer(client, "first-steps")
    assert "Your induction is <strong>in progress</strong>" in client.get("/").get_data(as_text=True)
    assert db.session.scalar(select(Certificate)) is None


@pytest.mark.parametrize(
    ("forge", "message"),
    [
        (lambda qs, q: {**qs, f"q-{q[0]}": ["zz"]}, "is not an option of question"),
        (lambda qs, q: {**qs, "q-not-drawn": ["a"]}, "is not part of this attempt"),
        (
            lambda qs, q: (
                {**qs, f"q-{q[0]}": ["true", "false"]} if q[0] == "k3" else {**qs, f"q-{q[0]}": ["a", "b", "c"]}
            ),
            "",
        ),
    ],
)
def test_forged_answers_are_refused_and_nothing_is_recorded(
    client: Any, learner: Any, forge: Any, message: str
) -> None:
    attempt, token, questions = quiz_form(client, "first-steps")
    quiz = catalogue().quizzes["first-steps"]
    honest = {f"q-{q}": sorted(quiz.question(q).correct_ids) for q in questions}  # type: ignore[union-attr]
    forged = forge(honest, questions)
    response = client.post("/quizzes/first-steps", data={"attempt": attempt, "csrf_token": token, **forged})
    question = quiz.question(questions[0])
    if not message and question is not None and question.type.value == "multiple":
        assert response.status_code == 302  # several answers are allowed on a multiple-answer question
        return
    assert response.status_code == 400
    assert "These answers do not match your quiz" in response.get_data(as_text=True)
    assert message in response.get_data(as_text=True)
    assert statements() == []
    assert services.attempts_used(learner.id, "first-steps") == 0


def test_continue_goes_to_the_quiz_once_every_section_is_read(client: Any, learner: Any) -> None:
    read_module(client, "first-steps")
    home = client.get("/").get_data(as_text=True)
    assert 'class="button" href="/quizzes/first-steps">Continue' in home
    assert "First steps: Take the quiz." in home
