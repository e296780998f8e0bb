"""Training sessions: booking exactly once within capacity, waiting lists, cancelling with calendar
updates, registers that record `attended` and sign off plan items, scope, and the mix."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from email.message import Message
from typing import Any

import pytest
import requests
from icalendar import Calendar
from sqlalchemy import func, select

from induction.accounts.models import Role, User
from induction.clock import utcnow
from induction.extensions import db
from induction.plans.models import InductionItem, ItemProgress
from induction.training.mix import Person, mix_of
from induction.training.models import Booking, BookingStatus, TrainingItem, TrainingSession
from induction.xapi import statements as xs
from induction.xapi.models import StatementRecord

from .concurrency import Visitor, codes, no_server_errors
from .conftest import Factory
from .forms import submit
from .journey import complete_modules_at


def a_session(
    trainer: User, capacity: int = 2, start: datetime | None = None, topic: str = "Integrated day 1"
) -> TrainingSession:
    start = start or utcnow() + timedelta(days=7)
    session = TrainingSession(
        title="Integrated induction: day 1",
        topic=topic,
        description="",
        starts_at=start,
        ends_at=start + timedelta(hours=6),
        venue="Town Hall, Room 2",
        online_link="",
        capacity=capacity,
        max_sector_share=34,
        trainer_id=trainer.id,
    )
    db.session.add(session)
    db.session.commit()
    return session


def bookings(session: TrainingSession) -> dict[int, str]:
    db.session.expire_all()
    return {b.user_id: b.status for b in db.session.scalars(select(Booking).where(Booking.session_id == session.id))}


def post(client: Any, path: str, **data: Any) -> Any:
    """Send a form from the training page."""
    return submit(client, path, data, form_url="/training")


def calendar_of(message: Message) -> Calendar | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return Calendar.from_ical(payload)
    return None


def event_of(message: Message) -> Any:
    found = calendar_of(message)
    assert found is not None, "the e-mail carries no calendar invitation"
    return found.walk("VEVENT")[0], str(found["METHOD"])


def test_two_people_booking_the_last_place_at_once_leave_capacity_kept(make: Factory, served: str) -> None:
    trainer = make.user(Role.TRAINER)
    session = a_session(trainer, capacity=2)
    first = make.learner()
    db.session.add(Booking(session_id=session.id, user_id=first.id, status="booked", sequence=0))
    db.session.commit()
    racers = [make.learner() for _ in range(4)]
    visitors = []
    for person in racers:
        visitor = Visitor(served)
        visitor.sign_in(person.email)
        visitors.append((visitor, visitor.token("/training")))
    path = f"{served}/training/{session.id}/book"
    gate = threading.Barrier(len(visitors))
    answers: list[requests.Response] = [None] * len(visitors)  # type: ignore[list-item]

    def book(index: int) -> None:
        visitor, token = visitors[index]
        gate.wait()
        answers[index] = visitor.session.post(path, data={"csrf_token": token}, allow_redirects=False, timeout=120)

    threads = [threading.Thread(target=book, args=(i,)) for i in range(len(visitors))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    no_server_errors(answers)
    assert set(codes(answers)) == {302}
    statuses = bookings(session)
    assert list(statuses.values()).count("booked") == 2  # the one before and exactly one racer
    assert sorted(statuses[p.id] for p in racers) == ["booked", "waiting", "waiting", "waiting"]


def test_a_double_click_books_one_place(make: Factory, served: str) -> None:
    session = a_session(make.user(Role.TRAINER), capacity=5)
    learner = make.learner()
    visitor = Visitor(served)
    visitor.sign_in(learner.email)
    token = visitor.token("/training")

    answers = visitor.together("POST", f"/training/{session.id}/book", data={"csrf_token": token})

    no_server_errors(answers)
    assert bookings(session) == {learner.id: "booked"}


class TestMail:
    @pytest.fixture
    def app_config(self, mailbox: Any) -> dict[str, Any]:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": mailbox.port}

    def test_booking_sends_a_calendar_request_and_cancelling_its_update(
        self, client: Any, auth: Any, make: Factory, mailbox: Any
    ) -> None:
        session = a_session(make.user(Role.TRAINER))
        learner = make.learner()
        auth.sign_in(learner)

        assert post(client, f"/training/{session.id}/book").status_code == 302
        booked, method = event_of(mailbox.to(learner.email)[-1])
        assert method == "REQUEST"
        assert int(booked["SEQUENCE"]) == 0
        assert "Town Hall" in str(booked["LOCATION"])

        page = client.get(f"/training/{session.id}/cancel")
        assert "Cancel your place?" in page.get_data(as_text=True)
        assert bookings(session) == {learner.id: "booked"}  # the GET asks, changes nothing
        assert post(client, f"/training/{session.id}/cancel", confirm="yes").status_code == 302
        cancelled, method = event_of(mailbox.to(learner.email)[-1])
        assert method == "CANCEL"
        assert str(cancelled["UID"]) == str(booked["UID"])
        assert int(cancelled["SEQUENCE"]) > int(booked["SEQUENCE"])
        assert bookings(session) == {learner.id: "cancelled"}

    def test_a_freed_place_goes_to_the_first_on_the_waiting_list_with_an_email(
        self, client: Any, auth: Any, make: Factory, mailbox: Any
    ) -> None:
        session = a_session(make.user(Role.TRAINER), capacity=1)
        holder, first, second = make.learner(), make.learner(), make.learner()
        for person in (holder, first, second):
            auth.sign_in(person)
            post(client, f"/training/{session.id}/book")
            auth.sign_out()
        assert bookings(session) == {holder.id: "booked", first.id: "waiting", second.id: "waiting"}
        assert calendar_of(mailbox.to(first.email)[-1]) is None  # a waiting place has no invitation
        assert "waiting list" in mailbox.to(first.email)[-1]["Subject"].lower()

        auth.sign_in(holder)
        post(client, f"/training/{session.id}/cancel", confirm="yes")

        assert bookings(session) == {holder.id: "cancelled", first.id: "booked", second.id: "waiting"}
        promoted = mailbox.to(first.email)[-1]
        assert promoted["Subject"].startswith("A place for you")
        _event, method = event_of(promoted)
        assert method == "REQUEST"
        assert len(mailbox.to(second.email)) == 1  # told of the waiting list only


def test_a_full_session_says_so_and_offers_the_waiting_list(client: Any, auth: Any, make: Factory) -> None:
    session = a_session(make.user(Role.TRAINER), capacity=1)
    taken = make.learner()
    db.session.add(Booking(session_id=session.id, user_id=taken.id, status="booked", sequence=0))
    db.session.commit()
    auth.sign_in(make.learner())
    page = client.get(f"/training/{session.id}").get_data(as_text=True)
    assert "Join the waiting list" in page
    assert "1 of 1 booked" in page


def test_a_session_that_has_started_cannot_be_booked(client: Any, auth: Any, make: Factory) -> None:
    session = a_session(make.user(Role.TRAINER), start=utcnow() - timedelta(hours=1))
    learner = make.learner()
    auth.sign_in(learner)
    answer = post(client, f"/training/{session.id}/book")
    assert answer.status_code == 302
    assert bookings(session) == {}
    assert "can no longer be booked" in client.get(answer.location).get_data(as_text=True)


def test_the_register_records_attended_with_the_trainer_and_signs_off_the_plan_item(
    client: Any, auth: Any, make: Factory
) -> None:
    trainer = make.user(Role.TRAINER)
    organisation = make.organisation()
    learner, absent = make.learner(organisation), make.learner(organisation)
    session = a_session(trainer, start=utcnow() - timedelta(minutes=30))
    item = InductionItem(organisation_id=organisation.id, title="Attend integrated day 1")
    db.session.add(item)
    db.session.flush()
    db.session.add(TrainingItem(item_id=item.id, topic=session.topic))
    for person in (learner, absent):
        db.session.add(Booking(session_id=session.id, user_id=person.id, status="booked", sequence=0))
    db.session.commit()
    complete_modules_at(learner, utcnow() - timedelta(days=1))
    auth.sign_in(trainer)

    register = f"/training/{session.id}/register"
    answer = submit(client, register, {f"attended-{learner.id}": "yes", f"attended-{absent.id}": "no"})

    assert answer.status_code == 302
    db.session.expire_all()
    attended = db.session.scalars(select(StatementRecord).where(StatementRecord.verb_id == xs.ATTENDED)).all()
    assert [s.user_id for s in attended] == [learner.id]
    body = attended[0].body if isinstance(attended[0].body, dict) else __import__("json").loads(attended[0].body)
    assert body["context"]["instructor"]["account"]["name"] == trainer.uuid
    progress = db.session.get(ItemProgress, (learner.id, item.id))
    assert progress is not None and progress.signed_off_at is not None and progress.signed_off_by_id == trainer.id
    assert db.session.get(ItemProgress, (absent.id, item.id)) is None
    from induction.completion.models import Certificate

    assert (
        db.session.scalar(select(func.count()).select_from(Certificate).where(Certificate.user_id == learner.id)) == 1
    )
    assert {b.user_id: b.attended for b in db.session.scalars(select(Booking))} == {learner.id: True, absent.id: False}

    again = submit(client, register, {f"attended-{learner.id}": "yes"})
    assert again.status_code == 302
    assert db.session.scalar(select(func.count()).where(StatementRecord.verb_id == xs.ATTENDED)) == 1


def test_a_register_with_someone_not_booked_or_a_bad_answer_is_refused(client: Any, auth: Any, make: Factory) -> None:
    trainer = make.user(Role.TRAINER)
    session = a_session(trainer, start=utcnow() - timedelta(minutes=30))
    stranger = make.learner()
    auth.sign_in(trainer)
    register = f"/training/{session.id}/register"
    refused = submit(client, register, {f"attended-{stranger.id}": "yes"})
    assert refused.status_code == 400
    assert "only people with a place" in refused.get_data(as_text=True)
    bad = submit(client, register, {"attended-1": "maybe"})
    assert bad.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(StatementRecord)) == 0


def test_managers_book_their_learners_only_and_see_no_shows(client: Any, auth: Any, make: Factory) -> None:
    mine, other = make.organisation(), make.organisation()
    manager = make.manager(mine)
    learner, outsider = make.learner(mine, name="Mina Mine"), make.learner(other)
    session = a_session(make.user(Role.TRAINER))
    auth.sign_in(manager)

    assert post(client, f"/training/{session.id}/book-for", learner=str(outsider.id)).status_code == 404
    assert post(client, f"/training/{session.id}/book-for", learner=str(learner.id)).status_code == 302
    assert bookings(session) == {learner.id: "booked"}
    assert client.get(f"/training/{session.id}/learners/{outsider.id}/cancel").status_code == 404

    past = a_session(make.user(Role.TRAINER), start=utcnow() - timedelta(days=3))
    db.session.add(Booking(session_id=past.id, user_id=learner.id, status="booked", sequence=0, attended=False))
    db.session.commit()
    page = client.get("/training").get_data(as_text=True)
    assert "Missed sessions" in page and "Mina Mine" in page


def test_learners_cannot_take_registers_or_schedule(client: Any, auth: Any, make: Factory) -> None:
    session = a_session(make.user(Role.TRAINER))
    auth.sign_in(make.learner())
    assert client.get(f"/training/{session.id}/register").status_code == 403
    assert client.get("/training/new").status_code == 403
    assert client.get("/training/mix").status_code == 403


def test_a_trainer_schedules_a_session_and_faults_are_named(client: Any, auth: Any, make: Factory) -> None:
    auth.sign_in(make.user(Role.TRAINER))
    day = (utcnow() + timedelta(days=10)).date().isoformat()
    form = {"title": "Day 1", "topic": " Integrated  day 1 ", "module": "", "day": day,
            "starts": "09:30", "ends": "16:00", "mode": "online", "venue": "", "online_link": "",
            "capacity": "20", "max_sector_share": "34"}  # fmt: skip
    refused = submit(client, "/training/new", form)
    assert refused.status_code == 400
    assert "Enter the joining link." in refused.get_data(as_text=True)
    backwards = submit(client, "/training/new", form | {"ends": "08:00", "online_link": "https://meet.example/x"})
    assert backwards.status_code == 400
    made = submit(client, "/training/new", form | {"online_link": "https://meet.example/x"})
    assert made.status_code == 302
    session = db.session.scalar(select(TrainingSession))
    assert session is not None and session.topic == "Integrated day 1" and session.online


def test_the_mix_counts_sectors_organisations_and_roles() -> None:
    people = [
        Person("School", "education", "Teaching assistant"),
        Person("School", "education", "teaching assistant "),
        Person("Youth club", "youth", "Youth worker"),
        Person("Surgery", "health", "Health visitor"),
    ]
    mix = mix_of(people)
    assert (mix.people, mix.sectors, mix.organisations, mix.job_roles) == (4, 3, 3, 3)
    assert (mix.largest_sector, mix.largest_share) == ("education", 50)
    assert mix.over(34) and not mix.over(50)
    assert mix_of([]).people == 0


def test_the_mix_report_counts_those_present(client: Any, auth: Any, make: Factory) -> None:
    trainer = make.user(Role.TRAINER)
    session = a_session(trainer, start=utcnow() - timedelta(days=2))
    school, youth = make.organisation(sector="education"), make.organisation(sector="youth")
    for organisation, job, came in (
        (school, "Teaching assistant", True),
        (youth, "Youth worker", True),
        (youth, "Mentor", False),
    ):
        person = make.learner(organisation, job_role=job)
        db.session.add(Booking(session_id=session.id, user_id=person.id, status="booked", sequence=0, attended=came))
    db.session.commit()
    auth.sign_in(trainer)
    page = client.get("/training/mix").get_data(as_text=True)
    assert "2 attendances, from 2 sectors, 2 organisations and 2 job roles" in page


def test_the_sessions_list_makes_the_same_queries_for_many_sessions(
    client: Any, auth: Any, make: Factory, count_queries: Any
) -> None:
    trainer = make.user(Role.TRAINER)
    learner = make.learner()
    a_session(trainer)
    auth.sign_in(learner)
    client.get("/training")
    before = count_queries.count
    client.get("/training")
    few = count_queries.count - before
    for _ in range(5):
        a_session(trainer)
    before = count_queries.count
    client.get("/training")
    assert count_queries.count - before == few


def test_the_status_of_a_booking_is_a_known_value() -> None:
    assert {s.value for s in BookingStatus} == {"booked", "waiting", "cancelled"}


def test_the_demo_has_sessions_a_register_and_a_waiting_list(runner: Any) -> None:
    assert runner.invoke(args=["demo"]).exit_code == 0
    held, coming, online = db.session.scalars(select(TrainingSession).order_by(TrainingSession.id)).all()
    assert {b.attended for b in held.bookings} == {True, False}
    assert db.session.scalar(select(func.count()).where(StatementRecord.verb_id == xs.ATTENDED)) == 7
    assert [b.status for b in online.bookings].count("waiting") == 1
    assert coming.starts_at > utcnow()


def test_hostile_ids_are_not_found_never_a_server_error(client: Any, auth: Any, make: Factory) -> None:
    organisation = make.organisation()
    session = a_session(make.user(Role.TRAINER))
    auth.sign_in(make.manager(organisation))
    for value in ("99999999999999999999", "2147483648"):
        assert post(client, f"/training/{session.id}/book-for", learner=value).status_code == 404
        assert post(client, f"/training/{session.id}/plan-item", organisation=value).status_code == 404
    assert post(client, f"/training/{session.id}/plan-item", organisation="x").status_code == 400
    assert client.get("/training/99999999999").status_code == 404
    assert bookings(session) == {}


def test_a_manager_adds_the_session_to_their_organisations_plans_once(client: Any, auth: Any, make: Factory) -> None:
    mine, other = make.organisation(), make.organisation()
    session = a_session(make.user(Role.TRAINER))
    auth.sign_in(make.manager(mine))
    assert post(client, f"/training/{session.id}/plan-item", organisation=str(other.id)).status_code == 404
    for _ in range(2):
        assert post(client, f"/training/{session.id}/plan-item", organisation=str(mine.id)).status_code == 302
    items = db.session.scalars(select(InductionItem).where(InductionItem.organisation_id == mine.id)).all()
    assert [i.title for i in items] == [f"Attend a training session: {session.topic}"]
    assert db.session.scalar(select(func.count()).select_from(InductionItem)) == 1
