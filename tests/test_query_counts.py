"""The number of SQL queries each learner and manager page makes, pinned (issue 19).

A page that grows a query per section, question or learner is slow at scale long before it is
slow in a test; these limits catch that at the commit that introduces it."""

from __future__ import annotations

from typing import Any

import pytest

from induction.content import catalogue
from induction.extensions import db
from induction.plans import status as learner_status
from induction.xapi import store

from .forms import submit
from .journey import answer, read_module, read_section


@pytest.fixture(autouse=True)
def _activities_trusted(monkeypatch: Any) -> None:
    """An activity definition seen committed is trusted for a minute (`store.KNOWN_SECONDS`); here for
    as long as the test takes, so that a slow machine cannot change a count."""
    monkeypatch.setattr(store, "KNOWN_SECONDS", float("inf"))


@pytest.fixture
def learner(make: Any, auth: Any) -> Any:
    person = make.learner(make.organisation("Riverside School"), name="Sam Learner", email="sam@example.org")
    learner_status.refresh([person], catalogue())  # as the app does for every learner it adds
    db.session.commit()
    auth.sign_in(person)
    return person


def postgresql() -> bool:
    return bool(db.engine.dialect.name == "postgresql")


def counted(count_queries: Any, call: Any) -> tuple[Any, int, list[str]]:
    count_queries.statements.clear()
    result = call()
    return result, count_queries.count, list(count_queries.statements)


def test_a_section_read_again_takes_at_most_two_queries(client: Any, learner: Any, count_queries: Any) -> None:
    read_section(client, "first-steps", "hello")
    page, count, sql = counted(count_queries, lambda: client.get("/modules/first-steps/hello"))
    assert page.status_code == 200
    assert count <= 2, sql


def test_a_module_page_read_again_takes_two_queries(client: Any, learner: Any, count_queries: Any) -> None:
    read_section(client, "first-steps", "hello")
    page, count, sql = counted(count_queries, lambda: client.get("/modules/first-steps"))
    assert page.status_code == 200
    assert count == 2, sql  # the sign-in check, then the learner's progress and attempts in one query


def test_the_first_read_of_a_section_makes_a_pinned_number_of_queries(
    client: Any, learner: Any, make: Any, auth: Any, count_queries: Any
) -> None:
    def first_read() -> Any:
        return submit(client, "/modules/first-steps/hello/read", form_url="/modules/first-steps/hello")

    response, count, sql = counted(count_queries, first_read)
    assert response.status_code == 302
    # Sam is the first to read it on the platform: the section's activity definition is stored, one
    # INSERT more than below on SQLite; on PostgreSQL it goes in the statement's own INSERT.
    assert count <= (8 if postgresql() else 9), sql
    other = make.learner(learner.organisation, email="noor@example.org")
    learner_status.refresh([other], catalogue())
    db.session.commit()
    auth.sign_out()
    auth.sign_in(other)
    response, count, sql = counted(count_queries, first_read)
    assert response.status_code == 302
    # Issue 19 asks for at most 8, on SQLite and on PostgreSQL: the GET's sign-in and progress; the
    # POST's sign-in, the learner's lock (a query on PostgreSQL only), the progress rows, the
    # statement and its links (one INSERT on PostgreSQL, two on SQLite), the progress row and the
    # learner_status rows. The statement is not read back (settling applies it as built), and the
    # activity it names is known to be stored as it is, so it is not looked up.
    assert count <= 8, sql


def test_a_quiz_get_and_post_make_a_pinned_number_of_queries(client: Any, learner: Any, count_queries: Any) -> None:
    read_module(client, "first-steps")
    response, count, sql = counted(count_queries, lambda: answer(client, "first-steps"))
    assert response.status_code == 302
    assert len(catalogue().quizzes["first-steps"].questions) > 1
    # Issue 19 asks for at most 15; the count does not grow with the number of questions (every
    # statement of a submit, and the `completed` statement this one earns, go in as one batch), nor
    # with the learner's history (no replay). GET: sign-in, the quiz's state in one query, the lock
    # (PostgreSQL), the attempt's inputs in one query, the new attempt (and, on SQLite, the learner
    # read again after the lock). POST: sign-in, the attempt, the lock (PostgreSQL), the attempt,
    # counts and progress rows in one query, the progress row, the attempt, learner_status, the
    # statements and links (one INSERT on PostgreSQL, two on SQLite) and, on SQLite, the activities
    # this first submit on the platform adds (one INSERT; in the statements' INSERT on PostgreSQL).
    assert count <= (13 if postgresql() else 14), sql


def test_a_quiz_submit_makes_as_many_queries_for_three_questions_as_for_two(
    client: Any, learner: Any, count_queries: Any
) -> None:
    quizzes = catalogue().quizzes
    assert quizzes["first-steps"].questions_per_attempt != quizzes["staying-safe"].questions_per_attempt
    counts = []
    for slug in ("staying-safe", "first-steps"):
        read_module(client, slug)
        response, count, sql = counted(count_queries, lambda slug=slug: answer(client, slug, right=False))
        assert response.status_code == 302
        counts.append(count)
    assert counts[0] == counts[1], counts


def test_a_first_read_makes_as_many_queries_after_a_long_history(
    client: Any, learner: Any, make: Any, auth: Any, count_queries: Any
) -> None:
    """Settling costs the same whatever the learner has done before: a learner with a long history
    pays what a newcomer does for the same read (tests/test_replay.py shows that no replay runs)."""
    module = catalogue().module("staying-safe")
    assert module is not None
    last = module.sections[-1]
    read_module(client, "first-steps")  # Sam's history: a module read, its quiz failed then passed,
    answer(client, "first-steps", right=False)
    answer(client, "first-steps")
    for section in module.sections[:-1]:  # and every section of the other module but its last
        read_section(client, module.slug, section.id)
    people = [make.learner(learner.organisation, email=f"{name}@example.org") for name in ("ada", "noor")]
    learner_status.refresh(people, catalogue())
    db.session.commit()
    auth.sign_out()
    auth.sign_in(people[0])
    read_module(client, module.slug)  # Ada reads it all first, so no read below adds an activity
    path = f"/modules/{module.slug}/{last.id}"
    counts = {}
    for person in (learner, people[1]):
        auth.sign_out()
        auth.sign_in(person)
        _, counts[person.email], _ = counted(count_queries, lambda: submit(client, f"{path}/read", form_url=path))
    assert counts["sam@example.org"] == counts["noor@example.org"], counts
