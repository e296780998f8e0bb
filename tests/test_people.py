"""Adding learners (form and CSV), sign-in links, and reminders, with a real SMTP server."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from induction.accounts.models import User
from induction.extensions import db
from induction.reminders.models import ReminderSent
from induction.reminders.services import send_reminders

from .conftest import csrf_from
from .forms import submit
from .mailbox import Mailbox, free_port

GOOD_CSV = (
    "name,email,job role,role group,start date\n"
    "Asha Khan,asha@example.org,Youth worker,1,2026-09-01\n"
    "Ben Ola,ben@example.org,Coach,2,2026-09-08\n"
)


@pytest.fixture
def app_config(mailbox: Mailbox) -> dict[str, Any]:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": mailbox.port}  # type: ignore[attr-defined]


@pytest.fixture
def setting(make: Any) -> dict[str, Any]:
    club = make.organisation("Northside Youth Project", "youth", ownership="voluntary")
    elsewhere = make.organisation("Elsewhere", "health")
    return {"club": club, "elsewhere": elsewhere, "manager": make.manager(club, email="boss@example.org")}


def upload(client: Any, organisation: int, content: str | bytes, filename: str = "people.csv") -> Any:
    """Step 1: the file goes up and is kept; the answer leads to the page that checks it."""
    import io

    data = content.encode() if isinstance(content, str) else content
    form = {"organisation": organisation, "file": (io.BytesIO(data), filename)}
    return submit(client, "/manage/import", form, content_type="multipart/form-data")


def checked(client: Any, organisation: int, content: str | bytes) -> tuple[str, Any]:
    """Upload, then open the check page: (its address, its answer)."""
    sent = upload(client, organisation, content)
    assert sent.status_code == 302, sent.get_data(as_text=True)
    return sent.headers["Location"], client.get(sent.headers["Location"])


def confirm(client: Any, check_url: str) -> Any:
    return submit(client, check_url, {"confirm": "yes"})


def learners() -> list[str]:
    return sorted(db.session.scalars(select(User.email).where(User.role == "learner")))


def test_a_good_file_imports_everyone_and_emails_each_a_link(
    client: Any, auth: Any, setting: Any, mailbox: Mailbox
) -> None:
    auth.sign_in(setting["manager"])
    check_url, check = checked(client, setting["club"].id, GOOD_CSV)
    page = check.get_data(as_text=True)
    assert "Import 2 learners into Northside Youth Project?" in page and "Asha Khan" in page and "Ben Ola" in page
    assert learners() == []  # nothing until the manager confirms
    done = confirm(client, check_url)
    assert done.status_code == 302
    assert learners() == ["asha@example.org", "ben@example.org"]
    added = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "2 learners added to Northside Youth Project" in added and "Imported 2 learners into" in added
    assert "asha@example.org" in added and "ben@example.org" in added and "(s)" not in added
    asha = db.session.scalar(select(User).where(User.email == "asha@example.org"))
    assert asha is not None and asha.job_role == "Youth worker" and asha.start_date == date(2026, 9, 1)
    assert asha.password_hash is None
    messages = mailbox.to("asha@example.org")
    assert len(messages) == 1
    link = re.search(r"http://induction.test(/set-password/\S+)", Mailbox.body(messages[0]))
    assert link
    auth.sign_out()
    page = client.get(link.group(1)).get_data(as_text=True)
    assert "Set your password" in page
    set_it = client.post(
        link.group(1),
        data={"csrf_token": csrf_from(page), "new": "river stone lantern", "confirm": "river stone lantern"},
    )
    assert set_it.status_code == 302
    assert auth.sign_in("asha@example.org", "river stone lantern").status_code == 302
    auth.sign_out()
    used = client.get(link.group(1))
    assert used.status_code == 400 and "already been used" in used.get_data(as_text=True)


def test_a_file_with_bad_rows_imports_nothing_and_says_where(client: Any, auth: Any, setting: Any, make: Any) -> None:
    make.learner(setting["club"], email="taken@example.org")
    bad = GOOD_CSV + (
        "Cara,not-an-email,Coach,1,2026-09-01\n"
        "Dan,dan@example.org,Coach,9,2026-09-01\n"
        "Eve,eve@example.org,Coach,1,31/02/2026\n"
        "Fay,asha@example.org,Coach,1,2026-09-01\n"
        "Gil,taken@example.org,Coach,1,2026-09-01\n"
        "Hal,hal@example.org\n"
        "=cmd|' /C calc'!A0,ivy@example.org,Coach,1,2026-09-01\n"
    )
    auth.sign_in(setting["manager"])
    before = learners()
    check_url, response = checked(client, setting["club"].id, bad)
    page = response.get_data(as_text=True)
    assert "<title>Error:" in page and "6 rows of people.csv need fixing" in page
    for expected in (
        "Line 4: &#39;not-an-email&#39; is not an e-mail address",
        "Line 5: the role group must be a number from 1 to 8, not &#39;9&#39;",
        "Line 6: the start date must be a date like 01/09/2026 or 2026-09-01, not &#39;31/02/2026&#39;",
        "Line 7: asha@example.org is also on line 2",
        "Line 8: taken@example.org already has an account",
        "Line 9: expected 5 columns, found 2",
    ):
        assert expected in page, expected
    assert learners() == before
    assert "Import only these 3 learners" in page  # the kept file: no second upload to choose
    partial = confirm(client, check_url)
    assert partial.status_code == 302
    assert "3 rows with problems" not in client.get(partial.headers["Location"]).get_data(as_text=True)
    assert "asha@example.org" in learners() and "ivy@example.org" in learners() and "dan@example.org" not in learners()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("email,name\nx,y\n", "The first row must be the heading"),
        ("name,email,job role,role group,start date\n", "The file has no learners"),
    ],
)
def test_files_that_are_not_learner_lists_are_refused(
    client: Any, auth: Any, setting: Any, content: str, message: str
) -> None:
    auth.sign_in(setting["manager"])
    _, response = checked(client, setting["club"].id, content)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert "Upload a corrected file" in response.get_data(as_text=True)


def test_importing_into_another_organisation_is_refused(client: Any, auth: Any, setting: Any) -> None:
    auth.sign_in(setting["manager"])
    response = upload(client, setting["elsewhere"].id, GOOD_CSV)
    assert response.status_code == 400  # not one of the form's choices
    assert learners() == []


def test_adding_one_learner_with_the_form(client: Any, auth: Any, setting: Any, mailbox: Mailbox) -> None:
    auth.sign_in(setting["manager"])
    data = {
        "name": "Zed Zee",
        "email": "zed@example.org",
        "organisation": setting["club"].id,
        "job_role": "Volunteer",
        "role_group": "1",
        "start_date": "2026-11-02",
    }
    assert submit(client, "/manage/learners/new", data).status_code == 302
    assert len(mailbox.to("zed@example.org")) == 1
    again = submit(client, "/manage/learners/new", data)
    assert again.status_code == 400
    assert "already has an account" in again.get_data(as_text=True)


def test_when_mail_fails_the_manager_gets_the_link(client: Any, auth: Any, setting: Any, app: Any) -> None:
    app.config["SMTP_PORT"] = free_port()  # nothing listens there
    auth.sign_in(setting["manager"])
    response = submit(
        client,
        "/manage/learners/new",
        {
            "name": "Una",
            "email": "una@example.org",
            "organisation": setting["club"].id,
            "job_role": "Volunteer",
            "role_group": "1",
            "start_date": "2026-11-02",
        },
        follow_redirects=True,
    )
    assert "could not be sent" in response.get_data(as_text=True)
    assert "/set-password/" in response.get_data(as_text=True)


def test_reminders_are_sent_once_per_condition(app: Any, make: Any, setting: Any, mailbox: Mailbox) -> None:
    today = date(2026, 11, 25)
    club = setting["club"]
    overdue = make.learner(club, email="late@example.org", start_date=today - timedelta(weeks=20))
    soon = make.learner(club, email="soon@example.org", start_date=today - timedelta(weeks=12) + timedelta(days=3))
    make.learner(club, email="fresh@example.org", start_date=today)
    first = send_reminders(today)
    assert len(mailbox.to("late@example.org")) == 1
    assert "overdue" in mailbox.to("late@example.org")[0]["Subject"]
    assert "due soon" in mailbox.to("soon@example.org")[0]["Subject"]
    assert mailbox.to("fresh@example.org") == []
    summary = mailbox.to("boss@example.org")
    assert len(summary) == 1 and "late@example.org" not in Mailbox.body(summary[0])
    assert "Northside Youth Project: 3 learners" in Mailbox.body(summary[0])
    assert first.sent == 3
    second = send_reminders(today)
    assert second.sent == 0 and second.skipped == 3
    assert len(mailbox.messages) == 3
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 3
    assert overdue.id and soon.id


def test_a_reminder_that_cannot_be_sent_goes_next_time(app: Any, make: Any, setting: Any, mailbox: Mailbox) -> None:
    today = date(2026, 11, 25)
    make.learner(setting["club"], email="late@example.org", start_date=today - timedelta(weeks=20))
    real_port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = free_port()
    assert send_reminders(today).failed == 2
    app.config["SMTP_PORT"] = real_port
    assert send_reminders(today).sent == 2


def test_an_admin_adding_someone_gets_the_link_when_mail_fails(
    client: Any, auth: Any, make: Any, app: Any, mailbox: Mailbox
) -> None:
    from induction.accounts.models import Role

    auth.sign_in(make.user(Role.ADMIN))
    data = {
        "name": "Tess Trainer",
        "email": "tess@example.org",
        "role": "trainer",
        "organisation": "0",
        "job_role": "",
        "active": "y",
    }
    app.config["SMTP_PORT"] = free_port()  # nothing listens there
    response = submit(client, "/admin/users/new", data, follow_redirects=True)
    assert "The e-mail could not be sent. Give Tess Trainer this link" in response.get_data(as_text=True)
    assert "/set-password/" in response.get_data(as_text=True)
    assert mailbox.messages == []


def test_uk_and_iso_dates_and_a_windows_1252_file_are_read(client: Any, auth: Any, setting: Any) -> None:
    content = (
        "name,email,job role,role group,start date\r\n"
        "Zoë Brontë,zoe@example.org,Youth worker,1,01/12/2026\r\n"
        "Renée Ní Bhriain,renee@example.org,Coach,2,2026-12-03\r\n"
        "Al Short,al@example.org,Coach,2,3/1/2027\r\n"
    ).encode("cp1252")
    auth.sign_in(setting["manager"])
    check_url, check = checked(client, setting["club"].id, content)
    assert check.status_code == 200 and "Zoë Brontë" in check.get_data(as_text=True)
    confirm(client, check_url)
    people = {u.email: u for u in db.session.scalars(select(User).where(User.role == "learner"))}
    assert people["zoe@example.org"].name == "Zoë Brontë"
    assert people["zoe@example.org"].start_date == date(2026, 12, 1)  # day first, the UK way
    assert people["renee@example.org"].start_date == date(2026, 12, 3)
    assert people["al@example.org"].start_date == date(2027, 1, 3)


def test_a_file_that_is_not_text_is_refused_by_name(client: Any, auth: Any, setting: Any) -> None:
    auth.sign_in(setting["manager"])
    _, check = checked(client, setting["club"].id, bytes(range(256)) * 4)
    assert check.status_code == 400 and "The file is not text" in check.get_data(as_text=True)


def test_the_template_downloads_and_imports_as_it_is(client: Any, auth: Any, setting: Any) -> None:
    auth.sign_in(setting["manager"])
    assert "/manage/import/template.csv" in client.get("/manage/import").get_data(as_text=True)
    template = client.get("/manage/import/template.csv")
    assert template.status_code == 200 and template.mimetype == "text/csv"
    assert "attachment" in template.headers["Content-Disposition"]
    check_url, check = checked(client, setting["club"].id, template.data)
    assert check.status_code == 200 and "Import 2 learners" in check.get_data(as_text=True)


def test_confirming_twice_imports_once_and_shows_who_was_added(client: Any, auth: Any, setting: Any) -> None:
    auth.sign_in(setting["manager"])
    check_url, check = checked(client, setting["club"].id, GOOD_CSV)
    form = {"csrf_token": csrf_from(check.get_data(as_text=True)), "confirm": "yes"}
    first, second = client.post(check_url, data=form), client.post(check_url, data=form)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert learners() == ["asha@example.org", "ben@example.org"]
    assert "Asha Khan" in client.get(first.headers["Location"]).get_data(as_text=True)


def test_ten_confirmations_at_once_import_the_file_once(make: Any, served: str, mailbox: Mailbox) -> None:
    from .concurrency import Visitor, no_server_errors

    club = make.organisation("Quick Club", "youth")
    manager = make.manager(club)
    office = Visitor(served)
    office.sign_in(manager.email)
    token = office.token("/manage/import")
    sent = office.session.post(
        served + "/manage/import",
        data={"csrf_token": token, "organisation": club.id},
        files={"file": ("people.csv", GOOD_CSV.encode(), "text/csv")},
        allow_redirects=False,
        timeout=60,
    )
    check_path = sent.headers["Location"].removeprefix(served)
    answers = office.together("POST", check_path, data={"csrf_token": token, "confirm": "yes"})
    no_server_errors(answers)
    assert learners() == ["asha@example.org", "ben@example.org"]
    assert len(mailbox.to("asha@example.org")) == 1


def test_another_manager_cannot_open_or_confirm_an_upload(client: Any, auth: Any, setting: Any, make: Any) -> None:
    auth.sign_in(setting["manager"])
    check_url, _ = checked(client, setting["club"].id, GOOD_CSV)
    auth.sign_out()
    auth.sign_in(make.manager(setting["club"], email="colleague@example.org"))
    assert client.get(check_url).status_code == 404
    assert client.get("/manage/import/not-a-token").status_code == 404
    assert learners() == []


def test_an_upload_left_unconfirmed_expires(client: Any, auth: Any, setting: Any) -> None:
    from induction.reporting.models import CsvUpload

    auth.sign_in(setting["manager"])
    check_url, check = checked(client, setting["club"].id, GOOD_CSV)
    kept = db.session.scalar(select(CsvUpload))
    assert kept is not None
    kept.uploaded_at -= timedelta(hours=2)  # left for two hours
    db.session.commit()
    late = client.post(check_url, data={"csrf_token": csrf_from(check.get_data(as_text=True)), "confirm": "yes"})
    assert late.status_code == 302 and late.headers["Location"].endswith("/manage/import")
    assert learners() == []
