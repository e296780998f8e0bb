"""Managers acting on what they see: search, counts that lead to lists, reminders sent now,
bulk sign-off and plan agreement, and the learner page's errors and timeline."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Factory
from .forms import submit
from .mailbox import Mailbox


@pytest.fixture
def app_config(mailbox: Mailbox) -> dict[str, Any]:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": mailbox.port}  # type: ignore[attr-defined]


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
    """Send a form from `page`, by default the manager's list of learners."""
    return submit(client, url, data, form_url=page)


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


@pytest.mark.parametrize("query", ["%", "_", "100%", "\t\u200b", "x" * 5000, "'; drop table users; --"])
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


@pytest.mark.parametrize("query", ["\x00", "sam\x00"])
def test_a_search_with_a_nul_character_is_refused_by_name(
    client: Any, auth: Any, world: dict[str, Any], query: str
) -> None:
    auth.sign_in(world["manager"])
    answer = client.get("/manage/", query_string={"q": query})
    assert answer.status_code == 400 and "NUL" in answer.get_data(as_text=True)


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

    from induction.trainers.views import minutes_and_seconds, module_stats

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


def reminders_recorded(learner: Any) -> int:
    from sqlalchemy import func, select

    from induction.extensions import db
    from induction.reminders.models import ReminderSent

    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(ReminderSent).where(ReminderSent.user_id == learner.id))


def test_a_reminder_now_is_previewed_confirmed_sent_recorded_and_not_sent_twice_that_day(
    client: Any, auth: Any, world: dict[str, Any], mailbox: Mailbox
) -> None:
    ta = world["ta"]
    auth.sign_in(world["manager"])
    page = f"/manage/learners/{ta.id}"
    assert "Send a reminder now" in client.get(page).get_data(as_text=True)
    preview = client.get(f"{page}/remind").get_data(as_text=True)
    assert "Send this reminder to Sam Taylor?" in preview and "A reminder about your induction" in preview
    assert "You have done 0 of" in preview and ta.email in preview
    assert reminders_recorded(ta) == 0 and not mailbox.messages  # the preview sends nothing
    sent = post(client, f"{page}/remind", {"confirm": "yes"}, page=f"{page}/remind")
    assert sent.status_code == 302
    assert "Reminder sent to Sam Taylor." in client.get(sent.headers["Location"]).get_data(as_text=True)
    messages = mailbox.to(ta.email)
    assert len(messages) == 1 and "Boss" not in messages[0]["Subject"]
    assert "carry on where you left off" in Mailbox.body(messages[0]).lower()
    assert reminders_recorded(ta) == 1
    assert "Reminded today at" in client.get(page).get_data(as_text=True)
    again = post(client, f"{page}/remind", {"confirm": "yes"}, page=page)
    assert "Already reminded today" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert len(mailbox.to(ta.email)) == 1 and reminders_recorded(ta) == 1


def test_reminders_to_the_ticked_learners_skip_those_already_reminded(
    client: Any, auth: Any, world: dict[str, Any], mailbox: Mailbox
) -> None:
    ta, coach = world["ta"], world["coach"]
    auth.sign_in(world["manager"])
    post(client, f"/manage/learners/{ta.id}/remind", {"confirm": "yes"})
    chosen = {"action": "remind", "learner": [ta.id, coach.id]}
    confirm = post(client, "/manage/selected", chosen)
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Send this reminder to Sam Taylor?" in page  # one left to send
    assert "Already reminded today" in page and len(mailbox.messages) == 1
    done = post(client, "/manage/selected", {**chosen, "confirm": "yes"})
    assert done.status_code == 302
    assert len(mailbox.to(coach.email)) == 1 and len(mailbox.to(ta.email)) == 1


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"action": "delete", "learner": "1"}, 400),
        ({"action": "remind", "learner": "one"}, 400),
        ({"action": "remind", "learner": "9" * 40}, 400),
        ({"action": "remind", "learner": "-1"}, 400),
        ({"action": "agree", "learner": [str(n) for n in range(1, 600)]}, 400),
        ({"action": "agree", "learner": "999999"}, 404),
    ],
)
def test_a_bad_selection_is_refused_and_changes_nothing(
    client: Any, auth: Any, world: dict[str, Any], form: dict[str, str], status: int
) -> None:
    auth.sign_in(world["manager"])
    assert post(client, "/manage/selected", {**form, "confirm": "yes"}).status_code == status


def test_learners_outside_the_scope_cannot_be_chosen(
    client: Any, auth: Any, world: dict[str, Any], mailbox: Mailbox
) -> None:
    auth.sign_in(world["manager"])
    form = {"action": "remind", "learner": [world["ta"].id, world["nurse"].id], "confirm": "yes"}
    assert post(client, "/manage/selected", form).status_code == 404
    assert client.get(f"/manage/learners/{world['nurse'].id}/remind").status_code == 404
    assert not mailbox.messages


def test_the_plans_of_the_ticked_learners_are_agreed_after_confirming_once_each(
    client: Any, auth: Any, world: dict[str, Any]
) -> None:
    from sqlalchemy import select

    from induction.extensions import db
    from induction.plans.models import InductionPlan

    auth.sign_in(world["manager"])
    chosen = {"action": "agree", "learner": [world["ta"].id, world["coach"].id]}
    confirm = post(client, "/manage/selected", chosen)
    assert "Agree the plans of 2 learners?" in confirm.get_data(as_text=True)
    assert db.session.scalar(select(InductionPlan)) is None  # asking writes nothing
    done = post(client, "/manage/selected", {**chosen, "confirm": "yes"})
    assert "Plan agreed for" in client.get(done.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    agreed = {p.user_id: p.agreed_at for p in db.session.scalars(select(InductionPlan))}
    assert set(agreed) == {world["ta"].id, world["coach"].id} and all(agreed.values())
    again = post(client, "/manage/selected", {**chosen, "confirm": "yes"})
    assert "Already agreed" in client.get(again.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert {p.user_id: p.agreed_at for p in db.session.scalars(select(InductionPlan))} == agreed


def items_for(learner: Any, *titles: str) -> list[Any]:
    from induction.extensions import db
    from induction.plans.models import InductionItem

    items = [InductionItem(organisation_id=learner.organisation_id, title=t) for t in titles]
    db.session.add_all(items)
    db.session.commit()
    return items


def test_ticked_items_are_signed_off_together_after_confirming(
    client: Any, auth: Any, world: dict[str, Any], make: Factory
) -> None:
    from sqlalchemy import select

    from induction.extensions import db
    from induction.plans.models import ItemProgress

    ta = world["ta"]
    fire, team, policy = items_for(ta, "Fire drill", "Meet the team", "Read the policy")
    other = items_for(world["nurse"], "Nursery only")[0]
    auth.sign_in(world["manager"])
    page = f"/manage/learners/{ta.id}"
    chosen = {"item": [fire.id, team.id]}
    confirm = post(client, f"{page}/sign-off", chosen, page=page)
    assert confirm.status_code == 200 and "Sign off 2 items for Sam Taylor?" in confirm.get_data(as_text=True)
    assert db.session.scalar(select(ItemProgress)) is None
    assert (
        post(client, f"{page}/sign-off", {"item": [fire.id, other.id], "confirm": "yes"}, page=page).status_code == 404
    )
    assert post(client, f"{page}/sign-off", {"item": "x", "confirm": "yes"}, page=page).status_code == 400
    done = post(client, f"{page}/sign-off", {**chosen, "confirm": "yes"}, page=page)
    assert "Signed off: Fire drill; Meet the team." in client.get(done.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    signed = {r.item_id for r in db.session.scalars(select(ItemProgress)) if r.signed_off_at}
    assert signed == {fire.id, team.id} and policy.id not in signed


def test_ten_bulk_sign_offs_at_once_sign_each_item_off_once(make: Factory, served: str) -> None:
    from induction.xapi import statements as xs

    from .concurrency import Visitor, no_server_errors
    from .test_races import count

    organisation = make.organisation()
    learner = make.learner(organisation)
    manager = make.manager(organisation)
    fire, team = items_for(learner, "Fire drill", "Meet the team")
    office = Visitor(served)
    office.sign_in(manager.email)
    token = office.token(f"/manage/learners/{learner.id}")
    form = {"csrf_token": token, "item": [fire.id, team.id], "confirm": "yes"}
    answers = office.together("POST", f"/manage/learners/{learner.id}/sign-off", data=form)
    no_server_errors(answers)
    assert count(xs.COMPLETED, learner, f"items/{fire.id}") == 1
    assert count(xs.COMPLETED, learner, f"items/{team.id}") == 1


def test_ten_reminders_sent_at_once_reach_the_learner_once(make: Factory, served: str, mailbox: Mailbox) -> None:
    from .concurrency import Visitor, no_server_errors

    organisation = make.organisation()
    learner = make.learner(organisation, email="once@example.org")
    manager = make.manager(organisation)
    office = Visitor(served)
    office.sign_in(manager.email)
    token = office.token(f"/manage/learners/{learner.id}")
    answers = office.together(
        "POST",
        "/manage/selected",
        data={"csrf_token": token, "action": "remind", "learner": learner.id, "confirm": "yes"},
    )
    no_server_errors(answers)
    assert len(mailbox.to("once@example.org")) == 1
    assert reminders_recorded(learner) == 1


def test_the_learner_page_puts_form_errors_at_the_top_and_by_the_field(
    client: Any, auth: Any, world: dict[str, Any]
) -> None:
    ta = world["ta"]
    auth.sign_in(world["manager"])
    page = f"/manage/learners/{ta.id}"
    answer = post(client, f"{page}/due-date", {"due-due_date": "2027-01-01", "due-reason": ""}, page=page)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "<title>Error: Sam Taylor" in html
    summary = html.index('class="error-summary"')
    assert summary < html.index("<h1>")
    assert '<a href="#due-reason">Give a reason for the change.</a>' in html
    assert 'id="due-reason-error"' in html and html.index('id="due-reason-error"') > html.index("<h1>")
    assert html.count('class="error-summary"') == 1
    assert "<title>Error:" not in client.get(page).get_data(as_text=True)


def test_the_record_of_learning_is_in_plain_words_newest_first_and_paged(
    client: Any, auth: Any, world: dict[str, Any]
) -> None:
    from datetime import datetime, timedelta

    from induction.content import catalogue
    from induction.extensions import db
    from induction.xapi import statements as xs

    ta = world["ta"]
    module = catalogue().modules[0]
    start = datetime(2026, 10, 1, 9, 0)
    for n in range(20):
        section = module.sections[n % len(module.sections)]
        xs.record(
            ta,
            xs.Event(xs.EXPERIENCED, f"modules/{module.slug}/sections/{section.id}", f"Section {n:02d}"),
            start + timedelta(minutes=n),
        )
    xs.record(
        ta,
        xs.Event(xs.PASSED, "quizzes/q", f"Quiz: {module.title}", success=True, score_raw=8, score_max=10),
        start + timedelta(hours=1),
    )
    db.session.commit()
    auth.sign_in(world["manager"])
    first = client.get(f"/manage/learners/{ta.id}").get_data(as_text=True)
    record = first[first.index('id="learner-record"') :]
    assert record.index(f"Passed the quiz 8/10: {module.title}") < record.index("Read section “Section 19”")
    assert record.index("Read section “Section 19”") < record.index("Read section “Section 18”")
    assert "Section 05" not in record and "Page 1 of 2" in record
    second = client.get(f"/manage/learners/{ta.id}?page=2").get_data(as_text=True)
    assert "Read section “Section 05”" in second and "Read section “Section 00”" in second


def test_the_learner_page_makes_as_many_queries_for_a_long_record_as_for_a_short_one(
    client: Any, auth: Any, world: dict[str, Any], count_queries: Any
) -> None:
    from datetime import datetime, timedelta

    from induction.content import catalogue
    from induction.extensions import db
    from induction.xapi import statements as xs

    ta = world["ta"]
    module = catalogue().modules[0]
    section = module.sections[0]
    path = f"modules/{module.slug}/sections/{section.id}"
    auth.sign_in(world["manager"])
    xs.record(ta, xs.Event(xs.EXPERIENCED, path, section.title), datetime(2026, 10, 1, 9, 0))
    db.session.commit()
    count_queries.statements.clear()
    client.get(f"/manage/learners/{ta.id}")
    few = count_queries.count
    for n in range(60):
        xs.record(ta, xs.Event(xs.EXPERIENCED, path, section.title), datetime(2026, 10, 2, 9, 0) + timedelta(minutes=n))
    db.session.commit()
    count_queries.statements.clear()
    page = client.get(f"/manage/learners/{ta.id}").get_data(as_text=True)
    assert count_queries.count == few, count_queries.statements
    assert page.count("Read section “") == 15  # one page of the record, the rest a click away
