"""Training sessions in the browser: a learner books, another joins the waiting list, the first
cancels and the place passes on, and the trainer takes the register on a phone, which signs off
the session's item in the learner's plan."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from induction.accounts.models import Role, User
from induction.clock import utcnow
from induction.extensions import db
from induction.plans.models import InductionItem
from induction.training.models import TrainingItem, TrainingSession

from .harness import NARROW, Audit, LiveServer
from .steps import expect_notice, heading, sign_in

pytestmark = pytest.mark.browser
TOPIC = "Integrated induction day 1"


def a_session(server: LiveServer, trainer_email: str, organisation_id: int) -> int:
    """A session with one place, and an item for the organisation that attending it signs off."""
    with server.app.app_context():
        trainer = db.session.scalars(select(User).where(User.email == trainer_email)).one()
        start = utcnow() + timedelta(days=3)
        session = TrainingSession(
            title="Integrated induction: day 1", topic=TOPIC, description="", starts_at=start,
            ends_at=start + timedelta(hours=6), venue="Civic Centre, Room 3", online_link="", capacity=1,
            max_sector_share=34, trainer_id=trainer.id,
        )  # fmt: skip
        item = InductionItem(organisation_id=organisation_id, title=f"Attend a training session: {TOPIC}")
        db.session.add_all([session, item])
        db.session.flush()
        db.session.add(TrainingItem(item_id=item.id, topic=TOPIC))
        db.session.commit()
        return session.id


def the_day_comes(server: LiveServer, session_id: int) -> None:
    with server.app.app_context():
        session = db.session.get_one(TrainingSession, session_id)
        session.starts_at, session.ends_at = utcnow() - timedelta(minutes=30), utcnow() + timedelta(hours=5)
        db.session.commit()


def test_book_wait_cancel_and_take_the_register_on_a_phone(test_content_server: LiveServer, audit: Audit) -> None:
    server = test_content_server
    club = server.organisation("Eastfield Boxing Club", sector="sport and culture")
    ann = server.person("Ann Booker", Role.LEARNER, club, job_role="Coach")
    ben = server.person("Ben Waiter", Role.LEARNER, club, job_role="Volunteer")
    trainer = server.person("Tom Trainer", Role.TRAINER)
    session_id = a_session(server, trainer, club)

    first = audit.new_page()
    sign_in(first, server.url, ann)
    first.get_by_role("link", name="Sessions").click()
    expect(heading(first)).to_have_text("Training sessions")
    first.get_by_role("link", name="Integrated induction: day 1").click()
    first.get_by_role("button", name="Book a place").click()
    expect_notice(first, "You have a place.")
    audit.check(first, "Session, booked")

    second = audit.new_page()
    sign_in(second, server.url, ben)
    second.goto(f"{server.url}/training/{session_id}")
    second.get_by_role("button", name="Join the waiting list").click()
    expect_notice(second, "on the waiting list")
    expect(second.get_by_text("You are number 1 in the list.")).to_be_visible()

    first.get_by_role("link", name="Cancel your place").click()
    expect(heading(first)).to_have_text("Cancel your place?")
    audit.check(first, "Cancel, confirmation")
    first.get_by_role("button", name="Yes, cancel the place").click()
    expect_notice(first, "Your place is cancelled.")
    second.reload()
    expect(second.get_by_text("Booked", exact=True)).to_be_visible()
    assert any(m["Subject"].startswith("A place for you") for m in server.mailbox.to(ben))

    the_day_comes(server, session_id)
    phone = audit.new_page(NARROW)
    sign_in(phone, server.url, trainer)
    phone.goto(f"{server.url}/training/{session_id}/register")
    expect(heading(phone)).to_have_text("Register")
    audit.check(phone, "Register")
    phone.get_by_role("group", name=re.compile("Ben Waiter")).get_by_label("Present").check()
    phone.get_by_role("button", name="Save the register").click()
    expect_notice(phone, "Register saved: 1 present, 0 did not attend.")
    expect(phone.get_by_text("Attended: recorded.")).to_be_visible()

    second.goto(f"{server.url}/plan")
    item = second.locator("li, tr").filter(has_text=f"Attend a training session: {TOPIC}").last
    expect(item.get_by_text(re.compile("^Signed off"))).to_be_visible()
    audit.assert_clean()
