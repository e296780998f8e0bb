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
