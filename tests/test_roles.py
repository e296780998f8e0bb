"""Every manager, trainer and admin page refuses lower roles; trainers see no names."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from induction.accounts.models import Role
from induction.extensions import db
from induction.learning.models import Evaluation, QuizAttempt

from .forms import submit
from .journey import answer, complete_everything

MANAGER_PAGES = [
    "/manage/",
    "/manage/export.csv",
    "/manage/certificates.zip",
    "/manage/learners/new",
    "/manage/import",
    "/manage/equality",
]
TRAINER_PAGES = ["/trainer/", "/trainer/quizzes/first-steps"]
ADMIN_PAGES = [
    "/admin/",
    "/admin/users",
    "/admin/users/new",
    "/admin/organisations/new",
    "/admin/xapi/clients",
    "/admin/xapi/forwarding",
]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.LEARNER, set()),
        (Role.TRAINER, set(TRAINER_PAGES)),
        (Role.MANAGER, set(MANAGER_PAGES)),
        (Role.ADMIN, set(MANAGER_PAGES + TRAINER_PAGES + ADMIN_PAGES)),
    ],
)
def test_each_role_opens_only_its_pages(client: Any, auth: Any, make: Any, role: Role, allowed: set[str]) -> None:
    organisation = make.organisation()
    person = make.learner(organisation) if role is Role.LEARNER else make.user(role)
    if role is Role.MANAGER:
        person.managed.append(organisation)
        db.session.commit()
    auth.sign_in(person)
    for url in MANAGER_PAGES + TRAINER_PAGES + ADMIN_PAGES:
        expected = 200 if url in allowed else 403
        assert client.get(url).status_code == expected, (role, url)


def test_learner_pages_are_for_learners(client: Any, auth: Any, make: Any) -> None:
    auth.sign_in(make.user(Role.TRAINER))
    for url in ("/plan", "/evaluation", "/about-you"):
        assert client.get(url).status_code == 403


def test_trainer_statistics_count_questions_and_show_feedback_without_names(client: Any, auth: Any, make: Any) -> None:
    learner = make.learner(name="Quentin Quizzer")
    auth.sign_in(learner)
    answer(client, "first-steps", right=False)
    complete_everything(client)
    response = submit(
        client,
        "/evaluation",
        {
            "rate_first_steps": "4",
            "rate_staying_safe": "5",
            "change": "More <b>scenarios</b> please",
            "comments": "",
        },
    )
    assert response.status_code == 302
    assert json.loads(db.session.query(Evaluation).one().ratings) == {"first-steps": 4, "staying-safe": 5}
    auth.sign_out()
    auth.sign_in(make.user(Role.TRAINER))
    stats = client.get("/trainer/").get_data(as_text=True)
    assert "Quentin" not in stats and learner.email not in stats
    assert "More &lt;b&gt;scenarios&lt;/b&gt; please" in stats
    assert "4.0 (1 rating)" in stats
    attempts = db.session.query(QuizAttempt).filter_by(quiz_slug="first-steps").order_by(QuizAttempt.id).all()
    wrong, right = ({item["q"] for item in json.loads(a.draw)} for a in attempts)
    for qid in ("k1", "k2", "k3", "d1", "d2"):
        drawn = (qid in wrong) + (qid in right)
        rate = "–" if not drawn else f"{round(100 * (qid in right) / drawn)}%"
        row = re.search(rf'<span class="muted">{qid}</span>[^<]*</td><td>(\d+)</td>\s*<td>([^<]+)</td>', stats)
        assert row is not None and row.groups() == (str(drawn), rate), qid
    assert "Pass rate at first attempt" in stats


def test_an_admin_manages_organisations_and_roles(client: Any, auth: Any, make: Any) -> None:
    auth.sign_in(make.user(Role.ADMIN))
    made = submit(
        client,
        "/admin/organisations/new",
        {
            "name": "Hill Street Youth Offending Team",
            "sector": "justice",
            "ownership": "statutory",
            "induction_weeks": "10",
        },
    )
    assert made.status_code == 302
    dup = submit(
        client,
        "/admin/organisations/new",
        {
            "name": "hill street youth offending team",
            "sector": "justice",
            "ownership": "statutory",
            "induction_weeks": "10",
        },
    )
    assert dup.status_code == 400 and "already has that name" in dup.get_data(as_text=True)
    manager = submit(
        client,
        "/admin/users/new",
        {
            "name": "New Manager",
            "email": "newmanager@example.org",
            "role": "manager",
            "organisation": "0",
            "job_role": "",
            "active": "y",
        },
    )
    assert manager.status_code == 400 and "Choose at least one organisation" in manager.get_data(as_text=True)


def test_trainers_preview_a_whole_quiz_with_its_answers(client: Any, auth: Any, make: Any) -> None:
    auth.sign_in(make.user(Role.TRAINER))
    page = client.get("/trainer/quizzes/first-steps").get_data(as_text=True)
    assert page.count("<strong>Correct:</strong>") == 6  # k1 a; k2 a, b; k3 true; d1 b; d2 c
    assert "fb-k1-a" in page and "Because k1." in page
    assert client.get("/trainer/quizzes/nothing").status_code == 404
