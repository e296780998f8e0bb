"""Scheduling sessions, booking places exactly once, waiting lists, registers and their e-mails.

A change to a session's places first locks the session (`lock_session`), then reads the
bookings, so two people asking for the last place at once take turns: one gets it, the
other joins the waiting list. The unique (session, learner) key is the last guard."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import url_for
from sqlalchemy import Select, func, select

from induction.accounts.models import User
from induction.accounts.organisations import organisations_of
from induction.content import catalogue
from induction.database import become_writer, lock_learner
from induction.extensions import db
from induction.mail import Attachment, MailError, send
from induction.plans import services as plans
from induction.plans.models import InductionItem, ItemProgress
from induction.training import calendar
from induction.training.models import Booking, BookingStatus, TrainingItem, TrainingSession
from induction.xapi import statements as xs

log = logging.getLogger("induction.training")
UK = ZoneInfo("Europe/London")


class TrainingError(ValueError):
    """A booking or register change that cannot be made; the message is for the user."""


@dataclass(frozen=True)
class NewSession:
    title: str
    topic: str
    module_slug: str | None
    description: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    online_link: str
    capacity: int
    max_sector_share: int


def schedule(trainer: User, new: NewSession, now: datetime) -> TrainingSession:
    """Add a session; raises TrainingError naming what is wrong."""
    if new.ends_at <= new.starts_at:
        raise TrainingError("The session must end after it starts.")
    if new.starts_at <= now:
        raise TrainingError("The session must start in the future.")
    if not (new.venue.strip() or new.online_link.strip()):
        raise TrainingError("Give a venue for a session in person, or a link for one online.")
    session = TrainingSession(
        title=new.title.strip(),
        topic=" ".join(new.topic.split()),
        module_slug=new.module_slug or None,
        description=new.description.strip(),
        starts_at=new.starts_at,
        ends_at=new.ends_at,
        venue=new.venue.strip(),
        online_link=new.online_link.strip(),
        capacity=new.capacity,
        max_sector_share=new.max_sector_share,
        trainer_id=trainer.id,
    )
    db.session.add(session)
    db.session.flush()
    return session


def upcoming(now: datetime) -> Select[TrainingSession]:
    """Sessions that have not ended, soonest first."""
    return select(TrainingSession).where(TrainingSession.ends_at > now).order_by(TrainingSession.starts_at)


def past(now: datetime) -> Select[TrainingSession]:
    """Sessions that have started, latest first (their registers can be taken)."""
    return select(TrainingSession).where(TrainingSession.starts_at <= now).order_by(TrainingSession.starts_at.desc())


def topics() -> list[str]:
    return list(db.session.scalars(select(TrainingSession.topic).distinct().order_by(TrainingSession.topic)))


def lock_session(session_id: int) -> TrainingSession | None:
    """The session, locked for changing its places until the transaction ends (None if there is none).

    PostgreSQL: `SELECT … FOR UPDATE` on its row. SQLite: the writing request already began
    IMMEDIATE; a request that has not, becomes the writer here."""
    become_writer()
    db.session.expire_all()
    return db.session.scalar(select(TrainingSession).where(TrainingSession.id == session_id).with_for_update())


def booking_of(session_id: int, user_id: int) -> Booking | None:
    return db.session.scalar(select(Booking).where(Booking.session_id == session_id, Booking.user_id == user_id))


def places_taken(session_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(Booking.session_id == session_id, Booking.status == BookingStatus.BOOKED)
        )
        or 0
    )


def counts(session_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(places booked, people waiting) per session, in one query."""
    rows = db.session.execute(
        select(Booking.session_id, Booking.status, func.count())
        .where(Booking.session_id.in_(session_ids), Booking.status != BookingStatus.CANCELLED)
        .group_by(Booking.session_id, Booking.status)
    ).all()
    result = dict.fromkeys(session_ids, (0, 0))
    for session_id, status, number in rows:
        booked, waiting = result[session_id]
        result[session_id] = (number, waiting) if status == BookingStatus.BOOKED else (booked, number)
    return result


def waiting_list(session_id: int) -> Select[Booking]:
    """The waiting list, first come first."""
    return (
        select(Booking)
        .where(Booking.session_id == session_id, Booking.status == BookingStatus.WAITING)
        .order_by(Booking.requested_at, Booking.id)
    )


def book(session_id: int, learner: User, by: User, now: datetime) -> Booking:
    """A place for `learner`, or a place on the waiting list when the session is full.

    Raises TrainingError when they already have one, or the session has started."""
    session = lock_session(session_id)
    if session is None:
        raise LookupError(session_id)
    if session.starts_at <= now:
        raise TrainingError("This session has started, so it can no longer be booked.")
    booking = booking_of(session_id, learner.id)
    if booking is not None and booking.status == BookingStatus.BOOKED:
        raise TrainingError(f"{learner.name} already has a place on this session.")
    if booking is not None and booking.status == BookingStatus.WAITING:
        raise TrainingError(f"{learner.name} is already on the waiting list for this session.")
    free = places_taken(session_id) < session.capacity
    status = BookingStatus.BOOKED if free else BookingStatus.WAITING
    if booking is None:
        booking = Booking(
            session_id=session_id,
            user_id=learner.id,
            status=status,
            booked_by_id=by.id,
            requested_at=now,
            changed_at=now,
            sequence=0,
        )
        db.session.add(booking)
    else:  # booked again after cancelling: the same invitation, a newer version of it
        booking.sequence += 1
        booking.attended = None
        booking.status, booking.booked_by_id, booking.requested_at, booking.changed_at = status, by.id, now, now
    db.session.flush()
    return booking


@dataclass(frozen=True)
class Cancelled:
    booking: Booking
    had_place: bool  # False: they were on the waiting list
    promoted: Booking | None  # who got the freed place


def cancel(session_id: int, learner: User, now: datetime) -> Cancelled:
    """Cancel the learner's place (or their place on the waiting list); a freed place goes to the
    first person waiting."""
    session = lock_session(session_id)
    if session is None:
        raise LookupError(session_id)
    booking = booking_of(session_id, learner.id)
    if booking is None or booking.status == BookingStatus.CANCELLED:
        raise TrainingError(f"{learner.name} has no place on this session to cancel.")
    if session.starts_at <= now:
        raise TrainingError("This session has started, so places can no longer be cancelled.")
    freed = booking.status == BookingStatus.BOOKED
    booking.status, booking.changed_at = BookingStatus.CANCELLED, now
    booking.sequence += 1
    promoted = None
    if freed and places_taken(session_id) < session.capacity:
        promoted = db.session.scalar(waiting_list(session_id).limit(1))
        if promoted is not None:
            promoted.status, promoted.changed_at = BookingStatus.BOOKED, now
            promoted.sequence += 1
    db.session.flush()
    return Cancelled(booking, freed, promoted)


def linked_items(topic: str, learner: User) -> list[InductionItem]:
    """The learner's plan items that attending a session of `topic` signs off, in every organisation they are in."""
    organisations = organisations_of(learner)
    if not organisations:
        return []
    found = db.session.scalars(
        select(InductionItem)
        .join(TrainingItem, TrainingItem.item_id == InductionItem.id)
        .where(TrainingItem.topic == topic, InductionItem.organisation_id.in_(organisations))
        .order_by(InductionItem.id)
    )
    return [item for item in found if plans.applies_to(item, learner)]


def plan_topics(learner: User) -> set[str]:
    """Topics of sessions that would sign off an item still open in the learner's plan."""
    organisations = organisations_of(learner)
    if not organisations:
        return set()
    rows = db.session.execute(
        select(TrainingItem.topic, InductionItem)
        .join(InductionItem, InductionItem.id == TrainingItem.item_id)
        .outerjoin(ItemProgress, (ItemProgress.item_id == InductionItem.id) & (ItemProgress.user_id == learner.id))
        .where(InductionItem.organisation_id.in_(organisations), ItemProgress.signed_off_at.is_(None))
    ).all()
    return {topic for topic, item in rows if plans.applies_to(item, learner)}


def add_to_plans(session: TrainingSession, organisation_id: int) -> tuple[InductionItem, bool]:
    """An item for everyone in the organisation, signed off by attending a session of this topic.
    Returns the item and whether it is new (an organisation has at most one per topic)."""
    existing = db.session.scalar(
        select(InductionItem)
        .join(TrainingItem, TrainingItem.item_id == InductionItem.id)
        .where(
            TrainingItem.topic == session.topic,
            InductionItem.organisation_id == organisation_id,
            InductionItem.active.is_(True),
        )
    )
    if existing is not None:
        return existing, False
    item = InductionItem(
        organisation_id=organisation_id,
        title=f"Attend a training session: {session.topic}",
        description="Signed off when the trainer records you as present at any session on this topic.",
    )
    db.session.add(item)
    db.session.flush()
    db.session.add(TrainingItem(item_id=item.id, topic=session.topic))
    db.session.flush()
    return item, True


@dataclass(frozen=True)
class RegisterResult:
    attended: list[User]
    absent: list[User]
    unchanged: list[User]
    certificates: int


def take_register(session_id: int, trainer: User, marks: dict[int, bool], now: datetime) -> RegisterResult:
    """Record who came. Attendance is an `attended` statement with the trainer as instructor and
    signs off the learner's linked plan items; it is final once recorded. A no-show can still be
    marked present later (someone arrived late)."""
    session = lock_session(session_id)
    if session is None:
        raise LookupError(session_id)
    if session.starts_at.date() > now.date():
        raise TrainingError("You can take the register from the day of the session.")
    bookings = {
        b.user_id: b
        for b in db.session.scalars(
            select(Booking).where(Booking.session_id == session_id, Booking.status == BookingStatus.BOOKED)
        )
    }
    unknown = set(marks) - set(bookings)
    if unknown:
        raise TrainingError("The register lists only people with a place on this session.")
    attended, absent, unchanged, certificates = [], [], [], 0
    for user_id, present in sorted(marks.items()):
        booking = bookings[user_id]
        learner = booking.user
        if booking.attended is True or (booking.attended is False and not present):
            unchanged.append(learner)
            continue
        if not present:
            booking.attended, booking.register_taken_by_id = False, trainer.id
            absent.append(learner)
            continue
        lock_learner(learner.id)
        statement = xs.record(
            learner,
            xs.Event(xs.ATTENDED, f"training/sessions/{session.id}", session.title, instructor=trainer),
            now,
        )
        booking = bookings[user_id]  # expired by the lock: the attributes are read again
        booking.attended, booking.register_taken_by_id, booking.statement_id = True, trainer.id, statement.id
        db.session.flush()
        for item in linked_items(session.topic, learner):
            try:
                certificates += plans.sign_off_item(trainer, learner, item, catalogue(), now=now) is not None
            except plans.PlanError:
                continue  # signed off already, by a manager or an earlier session
        attended.append(learner)
    db.session.flush()
    return RegisterResult(attended, absent, unchanged, certificates)


# E-mails go after the commit, so nobody is told of a place the database did not keep.


def local(moment: datetime) -> datetime:
    """A stored (naive UTC) time as UK time, for people to read."""
    return moment.replace(tzinfo=UTC).astimezone(UK)


def from_local(moment: datetime) -> datetime:
    """A UK time typed into a form as naive UTC, for the database."""
    return moment.replace(tzinfo=UK).astimezone(UTC).replace(tzinfo=None)


def _session_text(session: TrainingSession) -> str:
    start, end = local(session.starts_at), local(session.ends_at)
    when = f"{start:%A %-d %B %Y}, {start:%H:%M} to {end:%H:%M} (UK time)"
    where = f"Online: {session.online_link}" if session.online_link else f"Venue: {session.venue}"
    link = url_for("training.session", session_id=session.id, _external=True)
    return f"{session.title}\n{when}\n{where}\n\nDetails and cancelling: {link}"


def _send(booking: Booking, subject: str, opening: str, method: str | None, now: datetime) -> bool:
    """One e-mail about a booking, with the calendar invitation when `method` is given."""
    body = f"Hello {booking.user.name},\n\n{opening}\n\n{_session_text(booking.session)}\n"
    attachments = []
    if method is not None:
        invite = calendar.invitation(booking, method, now)
        attachments.append(Attachment("invite.ics", "text/calendar", invite, (("method", method),)))
    try:
        send(booking.user.email, f"{subject}: {booking.session.title}", body, attachments)
    except MailError:
        return False
    return True


def notify_booked(booking: Booking, now: datetime) -> bool:
    """E-mail the place (with the invitation) or the place on the waiting list; False if it could not be sent."""
    if booking.status == BookingStatus.WAITING:
        opening = (
            "The session is full, so you are on its waiting list. If a place becomes free while you are "
            "first on the list, it is yours and we will e-mail you with the calendar invitation."
        )
        return _send(booking, "Waiting list", opening, None, now)
    return _send(booking, "Booked", "You have a place on this session.", "REQUEST", now)


def notify_cancelled(cancelled: Cancelled, now: datetime) -> bool:
    """E-mail the cancellation; a cancelled place carries the METHOD:CANCEL update of its invitation."""
    if not cancelled.had_place:
        return _send(cancelled.booking, "Off the waiting list", "You are no longer on the waiting list.", None, now)
    return _send(cancelled.booking, "Cancelled", "Your place on this session is cancelled.", "CANCEL", now)


def notify_promoted(booking: Booking, now: datetime) -> bool:
    opening = "A place has become free and it is yours: you were first on the waiting list."
    return _send(booking, "A place for you", opening, "REQUEST", now)
