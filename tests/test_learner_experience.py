"""The learner's experience (issue 15): what to do next, reading by POST, passed quizzes,
quizzes kept across a timed-out sign-in, the quiz and result pages, and each role's home."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from induction.accounts.models import Role
from induction.clock import frozen, utcnow
from induction.content import catalogue
from induction.extensions import db
from induction.learning.models import QuizAttempt
from induction.xapi import statements as xs
from induction.xapi.models import StatementRecord

from .conftest import PASSWORD, csrf_from
from .forms import submit
from .journey import answer, quiz_form, read_module, read_section


@pytest.fixture
def learner(make: Any, auth: Any) -> Any:
    person = make.learner(make.organisation("Riverside School"), name="Sam Learner", email="sam@example.org")
    auth.sign_in(person)
    return person


def count(verb: str | None = None) -> int:
    query = select(func.count()).select_from(StatementRecord)
    if verb:
        query = query.where(StatementRecord.verb_id == verb)
    return db.session.scalar(query) or 0


def attempts() -> int:
    return db.session.scalar(select(func.count()).select_from(QuizAttempt)) or 0


# 6. What to do next, and overall progress


def test_home_shows_overall_progress_and_starts_with_the_first_section(client: Any, learner: Any) -> None:
    home = client.get("/").get_data(as_text=True)
    assert "0 of 2 modules" in home
    assert "Start here" in home and 'href="/modules/first-steps/hello"' in home
    assert "Continue where you left off" not in home
    assert "<dt>Due</dt>" in home


def test_continue_points_to_the_quiz_once_every_section_is_read(client: Any, learner: Any) -> None:
    read_module(client, "first-steps")
    home = client.get("/").get_data(as_text=True)
    assert "Continue where you left off" in home
    assert "First steps: Take the quiz." in home.replace("\n", " ") or "Take the quiz" in home
    assert re.search(r'class="button" href="/quizzes/first-steps"', home)


def test_continue_points_to_the_next_module_once_one_is_done(client: Any, learner: Any) -> None:
    read_module(client, "first-steps")
    result = answer(client, "first-steps")
    assert result.status_code == 302
    page = client.get(result.headers["Location"]).get_data(as_text=True)
    staying_safe = catalogue().module("staying-safe")
    assert staying_safe is not None
    first = staying_safe.sections[0]
    assert f"Next module: {staying_safe.title}" in page
    assert f'href="/modules/staying-safe/{first.id}"' in page
    home = client.get("/").get_data(as_text=True)
    assert "1 of 2 modules" in home
    assert "Continue where you left off" in home
    assert re.search(rf'class="button" href="/modules/staying-safe/{first.id}"', home)


# 7. A section is read by the POST of "Next", never by a GET


def test_the_next_button_is_a_form_that_posts_with_csrf(client: Any, learner: Any) -> None:
    page = client.get("/modules/first-steps/hello").get_data(as_text=True)
    assert 'action="/modules/first-steps/hello/read"' in page and 'method="post"' in page
    assert count() == 0
    assert client.post("/modules/first-steps/hello/read", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert count(xs.EXPERIENCED) == 1
    assert "You have read this section" in client.get("/modules/first-steps/hello").get_data(as_text=True)


def test_the_last_section_goes_on_to_the_quiz_or_back_to_a_skipped_one(client: Any, learner: Any) -> None:
    skipped = read_section(client, "first-steps", "next")
    assert skipped.headers["Location"] == "/modules/first-steps/hello"
    read_section(client, "first-steps", "hello")
    assert read_section(client, "first-steps", "next").headers["Location"] == "/quizzes/first-steps"


def test_an_unknown_section_post_is_a_404_and_records_nothing(client: Any, learner: Any) -> None:
    assert submit(client, "/modules/first-steps/nowhere/read", form_url="/").status_code == 404
    assert count() == 0


def test_only_learners_record_reading(client: Any, make: Any, auth: Any) -> None:
    auth.sign_in(make.user(Role.TRAINER))
    page = client.get("/modules/first-steps/hello").get_data(as_text=True)
    assert "/read" not in page
    assert client.post("/modules/first-steps/hello/read", data={"csrf_token": csrf_from(page)}).status_code == 403
    assert count() == 0


# 8. A passed quiz does not open again


def test_a_passed_quiz_offers_its_answers_instead_of_a_new_attempt(client: Any, learner: Any) -> None:
    read_module(client, "first-steps")
    answer(client, "first-steps")
    assert attempts() == 1
    again = client.get("/quizzes/first-steps")
    assert again.status_code == 302 and re.fullmatch(r"/quizzes/first-steps/attempts/\d+", again.headers["Location"])
    review = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "does not open again" in review and "Your answers" in review
    assert attempts() == 1
    module_page = client.get("/modules/first-steps").get_data(as_text=True)
    assert "You have passed this quiz" in module_page and "Take the quiz" not in module_page


def test_a_failed_quiz_still_opens_again(client: Any, learner: Any) -> None:
    answer(client, "first-steps", right=False)
    assert client.get("/quizzes/first-steps").status_code == 200
    assert attempts() == 2


# 9. A quiz kept across a timed-out sign-in


def _answers(quiz_slug: str, questions: list[str]) -> dict[str, list[str]]:
    quiz = catalogue().quizzes[quiz_slug]
    return {f"q-{q}": sorted(quiz.question(q).correct_ids) for q in questions}  # type: ignore[union-attr]


def _keep_token(html: str) -> str:
    found = re.search(r'name="keep" value="([^"]+)"', html)
    assert found
    return found.group(1)


@pytest.mark.parametrize("cookie_gone", [False, True])
def test_answers_posted_after_the_timeout_come_back_after_sign_in_and_count_once(
    client: Any, learner: Any, cookie_gone: bool
) -> None:
    page = client.get("/quizzes/first-steps").get_data(as_text=True)
    attempt, token, questions = quiz_form(client, "first-steps")
    form = {"attempt": attempt, "csrf_token": token, "keep": _keep_token(page), **_answers("first-steps", questions)}
    with frozen(utcnow() + timedelta(hours=3)):
        if cookie_gone:  # the browser dropped the session cookie too: no CSRF token to check
            client.delete_cookie("session")
        late = client.post("/quizzes/first-steps", data=form)
        assert late.status_code == 302 and late.headers["Location"].startswith("/sign-in?next=/quizzes/first-steps")
        assert count() == 0
        sign_in_page = client.get(late.headers["Location"]).get_data(as_text=True)
        assert "Your answers are kept" in sign_in_page
        signed_in = client.post(
            late.headers["Location"],
            data={"email": learner.email, "password": PASSWORD, "csrf_token": csrf_from(sign_in_page)},
        )
        assert signed_in.headers["Location"] == "/quizzes/first-steps"
        kept = client.get("/quizzes/first-steps").get_data(as_text=True)
    assert "Your answers were kept" in kept
    assert f'name="attempt" value="{attempt}"' in kept
    assert kept.count(" checked") == sum(len(v) for k, v in form.items() if k.startswith("q-"))
    resend = {"attempt": attempt, "csrf_token": csrf_from(kept), **_answers("first-steps", questions)}
    assert client.post("/quizzes/first-steps", data=resend).status_code == 302
    assert client.post("/quizzes/first-steps", data=resend).status_code == 302  # a second send counts nothing
    assert count(xs.PASSED) == 1 and attempts() == 1
    assert "Your answers were kept" not in client.get("/quizzes/first-steps", follow_redirects=True).get_data(
        as_text=True
    )


def test_a_forged_or_foreign_keep_token_is_refused_and_nothing_is_kept(
    client: Any, learner: Any, make: Any, auth: Any
) -> None:
    page = client.get("/quizzes/first-steps").get_data(as_text=True)
    attempt, _, questions = quiz_form(client, "first-steps")
    client.delete_cookie("session")
    forged = {"attempt": attempt, "keep": _keep_token(page)[:-3] + "xyz", **_answers("first-steps", questions)}
    refused = client.post("/quizzes/first-steps", data=forged)
    assert refused.status_code == 400
    assert "The form had expired or was not sent from this site" in refused.get_data(as_text=True)
    other = make.learner(learner.organisation, email="other@example.org")
    auth.sign_in(other)
    foreign = {"attempt": attempt, "keep": _keep_token(page), **_answers("first-steps", questions)}
    assert client.post("/quizzes/first-steps", data=foreign).status_code == 400
    assert "Your answers were kept" not in client.get("/quizzes/first-steps").get_data(as_text=True)
    assert count() == 0


def test_the_quiz_page_warns_before_the_timeout(client: Any, learner: Any, app: Any) -> None:
    page = client.get("/quizzes/first-steps").get_data(as_text=True)
    assert f'data-idle-seconds="{app.config["PERMANENT_SESSION_LIFETIME"]}"' in page
    assert 'src="/static/idle-warning.js"' in page and 'id="idle-warning"' in page
    token = csrf_from(page)
    assert client.post("/account/keep-alive", headers={"X-CSRFToken": token}).status_code == 204
    assert client.post("/account/keep-alive").status_code == 400


# 11. The quiz and result pages


def test_choose_all_that_apply_is_printed_once(client: Any, learner: Any) -> None:
    page = client.get("/quizzes/first-steps").get_data(as_text=True)
    legends = re.findall(r"<legend>.*?</legend>", page, re.S)
    assert legends
    assert all(legend.count("Choose all that apply") <= 1 for legend in legends)


def test_an_unanswered_question_shows_its_error(client: Any, learner: Any) -> None:
    attempt, token, questions = quiz_form(client, "first-steps")
    page = client.post("/quizzes/first-steps", data={"attempt": attempt, "csrf_token": token})
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert html.count('class="question field-error"') == len(questions)
    assert "Answer this question." in html


def test_the_result_marks_each_answer_right_or_wrong_in_words(client: Any, learner: Any) -> None:
    result = answer(client, "first-steps", questions_right=1)
    page = client.get(result.headers["Location"]).get_data(as_text=True)
    assert "<strong>Correct.</strong>" in page and "<strong>Not quite.</strong>" in page
    assert ": <strong>right</strong>." in page and ": <strong>wrong</strong>." in page
    assert '<span class="mark" aria-hidden="true">✓</span>' in page
    assert '<span class="mark" aria-hidden="true">✗</span>' in page


# 14. Each role's home


@pytest.mark.parametrize(("role", "home"), [(Role.TRAINER, "/trainer/"), (Role.ADMIN, "/admin/")])
def test_trainers_and_admins_land_on_their_own_home(client: Any, make: Any, auth: Any, role: Role, home: str) -> None:
    auth.sign_in(make.user(role))
    landing = client.get("/")
    assert landing.status_code == 302 and landing.headers["Location"] == home
    page = client.get(home)
    assert page.status_code == 200
    for link in set(re.findall(r'href="(/[^"#]*)"', page.get_data(as_text=True))):
        if not link.startswith(("/static/", "/content-media/")):
            assert client.get(link).status_code in (200, 302), link


def test_a_trainer_opening_a_quiz_gets_its_preview(client: Any, make: Any, auth: Any) -> None:
    auth.sign_in(make.user(Role.TRAINER))
    assert client.get("/quizzes/first-steps").headers["Location"] == "/trainer/quizzes/first-steps"
    module = client.get("/modules/first-steps").get_data(as_text=True)
    assert 'href="/trainer/quizzes/first-steps"' in module
    assert attempts() == 0


def test_trainers_browse_modules_from_their_own_list(client: Any, make: Any, auth: Any) -> None:
    auth.sign_in(make.user(Role.TRAINER))
    page = client.get("/modules").get_data(as_text=True)
    assert 'href="/modules/first-steps"' in page and 'href="/trainer/quizzes/first-steps"' in page
    assert '<a href="/modules" aria-current="page">Modules</a>' in page
    assert 'href="/modules"' in client.get("/modules/first-steps/hello").get_data(as_text=True)


def test_answers_kept_for_one_person_are_dropped_when_another_signs_in(client: Any, learner: Any, make: Any) -> None:
    page = client.get("/quizzes/first-steps").get_data(as_text=True)
    attempt, token, questions = quiz_form(client, "first-steps")
    form = {"attempt": attempt, "csrf_token": token, "keep": _keep_token(page), **_answers("first-steps", questions)}
    with frozen(utcnow() + timedelta(hours=3)):
        late = client.post("/quizzes/first-steps", data=form)
        assert late.headers["Location"].startswith("/sign-in")
        other = make.learner(learner.organisation, email="next.person@example.org")
        assert submit(client, late.headers["Location"], {"email": other.email, "password": PASSWORD}).status_code == 302
        with client.session_transaction() as session:
            assert "kept_quiz" not in session
