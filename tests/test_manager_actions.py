"""Managers acting on what they see: search, counts that lead to lists, reminders sent now,
bulk sign-off and plan agreement, and the learner page's errors and timeline."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import csrf_from


@pytest.fixture
def world(make: Any) -> dict[str, Any]:
    school = make.organisation("Riverside School", "education")
    club = make.organisation("Eastside Boxing Club", "sport and culture", ownership="voluntary")
    nursery = make.organisation("Acorn Nursery", "early years", ownership="private")
    return {
        "school": school,
        "club": club,
        "nursery": nursery,
        "manager": make.manager(school, club, email="boss@example.org"),
        "ta": make.learner(school, name="Sam Taylor", email="sam.taylor@school.example.org", job_role="TA"),
        "coach": make.learner(club, name="Sam Taylor", email="staylor@club.example.org", job_role="Coach"),
        "other": make.learner(club, name="Priya Patel", email="priya_100%@club.example.org", job_role="Coach"),
        "nurse": make.learner(nursery, name="Sam Tailor", email="sam@nursery.example.org"),
    }


def post(client: Any, url: str, data: dict[str, Any] | None = None, page: str = "/manage/") -> Any:
    html = client.get(page).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_from(html), **(data or {})})


def listed(client: Any, query: str) -> str:
    answer = client.get("/manage/" + query)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    return page[page.index('id="learners"') :]


def test_search_finds_part_of_a_name_or_address_whatever_the_case(
    client: Any, auth: Any, world: dict[str, Any]
) -> None:
    auth.sign_in(world["manager"])
    both = listed(client, "?q=sAM+tAY")
    assert "sam.taylor@school.example.org" in both and "staylor@club.example.org" in both
    assert "Priya Patel" not in both
    assert "sam@nursery.example.org" not in both  # outside the manager's organisations
    by_address = listed(client, "?q=CLUB.EXAMPLE")
    assert "staylor@club.example.org" in by_address and "Priya Patel" in by_address
    assert "sam.taylor@school" not in by_address


def test_two_people_with_one_name_are_told_apart_by_address_and_organisation(
    client: Any, auth: Any, world: dict[str, Any]
) -> None:
    auth.sign_in(world["manager"])
    page = listed(client, "?q=Sam+Taylor")
    rows = [r for r in page.split("<tr>") if "Sam Taylor</a>" in r]
    assert len(rows) == 2
    assert any("Riverside School" in r and "sam.taylor@school" in r for r in rows)
    assert any("Eastside Boxing Club" in r and "staylor@club" in r for r in rows)


def test_search_combines_with_the_filters(client: Any, auth: Any, world: dict[str, Any]) -> None:
    auth.sign_in(world["manager"])
    page = listed(client, f"?q=taylor&organisation={world['club'].id}")
    assert "staylor@club.example.org" in page and "sam.taylor@school" not in page
    assert "1 learner match" in page
    assert "q=taylor" in page  # the search is kept in the CSV link and the pages


@pytest.mark.parametrize("query", ["%", "_", "100%", "\x00", "a\x00b", "x" * 5000, "'; drop table users; --"])
def test_search_takes_wildcards_and_control_characters_as_plain_text(
    client: Any, auth: Any, world: dict[str, Any], query: str
) -> None:
    auth.sign_in(world["manager"])
    answer = client.get("/manage/", query_string={"q": query})
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    page = page[page.index('id="learners"') :]
    if query in ("%", "100%"):
        assert "Priya Patel" in page and "Sam Taylor" not in page  # only the address with a per cent sign
    if query == "_":
        assert "Priya Patel" in page and "Sam Taylor" not in page


def test_search_with_nothing_found_says_so(client: Any, auth: Any, world: dict[str, Any]) -> None:
    auth.sign_in(world["manager"])
    page = listed(client, "?q=nobody-like-this")
    assert "Nobody whose name or e-mail contains “nobody-like-this” matches" in page


def test_every_count_links_to_the_learners_it_counts_and_the_columns_add_up(
    client: Any, auth: Any, world: dict[str, Any]
) -> None:
    import re

    auth.sign_in(world["manager"])
    page = client.get("/manage/").get_data(as_text=True)
    club = world["club"].id
    row = page[page.index(f'href="/manage/?organisation={club}">Eastside') :].split("</tr>")[0]
    links = re.findall(r'<a href="([^"]+)">(\d+)<span class="visually-hidden"> ([^<]+)</span>', row)
    figures = {label.rsplit(" in ", 1)[0]: (href, int(n)) for href, n, label in links}
    assert figures["learners"][1] == 2
    parts = ("not started", "in progress", "completed", "expired")
    assert sum(figures[k][1] for k in parts) == figures["learners"][1]
    assert "do not add to the total" in page
    href = figures["not started"][0].replace("&amp;", "&")
    assert f"organisation={club}" in href and "status=not+started" in href
    shown = listed(client, href.removeprefix("/manage/").split("#")[0])
    assert "staylor@club.example.org" in shown and "priya_100%@club.example.org" in shown
    assert "sam.taylor@school" not in shown
    assert "All your organisations" in page  # the totals row for a manager of two


def equality_tables(client: Any) -> dict[str, dict[str, str]]:
    import re

    page = client.get("/manage/equality").get_data(as_text=True)
    tables = {}
    for caption, body in re.findall(r"<caption>([^<]+)</caption>(.*?)</table>", page, re.S):
        tables[caption] = dict(re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td></tr>", body))
    return tables


def test_equality_page_never_shows_a_count_under_five_not_even_zero(
    client: Any, auth: Any, world: dict[str, Any], make: Any
) -> None:
    from induction.accounts.models import EqualityMonitoring
    from induction.extensions import db

    for index in range(7):
        person = make.learner(world["school"])
        db.session.add(EqualityMonitoring(user_id=person.id, sex="female" if index < 6 else "male"))
    db.session.commit()
    auth.sign_in(world["manager"])
    sex = equality_tables(client)["Sex"]
    assert sex["Female"] == "6"
    assert sex["Male"] == "fewer than 5"
    assert sex["Other"] == "fewer than 5"  # a zero too: no exact small number at all
    every_count = [c for table in equality_tables(client).values() for c in table.values()]
    assert all(c == "fewer than 5" or int(c) >= 5 for c in every_count)


def test_learners_who_did_not_answer_are_not_counted_as_prefer_not_to_say(
    client: Any, auth: Any, world: dict[str, Any], make: Any
) -> None:
    from induction.accounts.models import EqualityMonitoring
    from induction.extensions import db

    for index in range(10):
        person = make.learner(world["school"])
        if index < 5:  # five chose "prefer not to say"; five never answered
            db.session.add(EqualityMonitoring(user_id=person.id))
    db.session.commit()
    auth.sign_in(world["manager"])
    sex = equality_tables(client)["Sex"]
    assert sex["Prefer not to say"] == "5"
    assert sex["Not answered"] == "8"  # the five, and the three learners of the world


def test_trainer_statistics_give_the_median_time_of_the_attempts_in_minutes_and_seconds() -> None:
    from datetime import datetime, timedelta
    from types import SimpleNamespace

    from induction.reporting.trainer import minutes_and_seconds, module_stats

    start = datetime(2026, 11, 2, 9, 0)
    durations = [timedelta(minutes=4, seconds=10), timedelta(minutes=7, seconds=42), timedelta(minutes=30)]
    attempts = [
        SimpleNamespace(
            id=n, user_id=n, started_at=start, submitted_at=start + d, passed=True, draw="[]", responses="{}"
        )
        for n, d in enumerate(durations)
    ]
    module = SimpleNamespace(slug="m")
    quiz = SimpleNamespace(questions=[])
    stats = module_stats(module, quiz, attempts)  # type: ignore[arg-type]
    assert stats.median_seconds == 462
    assert stats.median_time == "7 min 42 s"
    assert minutes_and_seconds(45) == "45 s" and minutes_and_seconds(120) == "2 min"


def test_trainer_statistics_fold_each_modules_questions_away(client: Any, auth: Any, make: Any) -> None:
    from induction.accounts.models import Role

    auth.sign_in(make.user(Role.TRAINER))
    page = client.get("/trainer/").get_data(as_text=True)
    assert page.count('<details class="question-stats"') == page.count("Preview every question of this quiz")
    assert '<details class="question-stats" open' not in page
    assert "Median time to finish the quiz" in page
