"""What managers and trainers read about sessions: their learners' bookings and no-shows, the mix."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from induction.accounts.models import Organisation, User
from induction.accounts.scope import visible_learners
from induction.extensions import db
from induction.training.mix import Mix, Person, mix_of
from induction.training.models import Booking, BookingStatus, TrainingSession


def bookings_in_scope(viewer: User, session_id: int) -> list[tuple[Booking, User]]:
    """The bookings of this session by learners `viewer` may see, by name."""
    ids = visible_learners(viewer).with_only_columns(User.id)
    return [
        (booking, user)
        for booking, user in db.session.execute(
            select(Booking, User)
            .join(User, User.id == Booking.user_id)
            .where(Booking.session_id == session_id, Booking.user_id.in_(ids))
            .order_by(User.name)
        ).all()
    ]


def missed(viewer: User, limit: int = 50) -> list[Booking]:
    """Sessions that learners in scope were booked on and did not attend, latest first."""
    ids = visible_learners(viewer).with_only_columns(User.id)
    return list(
        db.session.scalars(
            select(Booking)
            .join(TrainingSession, TrainingSession.id == Booking.session_id)
            .where(Booking.user_id.in_(ids), Booking.attended.is_(False))
            .options(selectinload(Booking.user), selectinload(Booking.session))
            .order_by(TrainingSession.starts_at.desc(), Booking.id)
            .limit(limit)
        )
    )


def _people(session_ids: list[int], attended_only: bool) -> dict[int, list[Person]]:
    query = (
        select(Booking.session_id, Organisation.name, Organisation.sector, User.job_role)
        .join(User, User.id == Booking.user_id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(Booking.session_id.in_(session_ids), Booking.status == BookingStatus.BOOKED)
    )
    if attended_only:
        query = query.where(Booking.attended.is_(True))
    people: dict[int, list[Person]] = defaultdict(list)
    for session_id, organisation, sector, job_role in db.session.execute(query):
        people[session_id].append(Person(organisation, sector, job_role or ""))
    return people


def session_mix(session: TrainingSession) -> dict[str, Mix]:
    """The mix of the people booked and of those who attended."""
    booked = _people([session.id], attended_only=False)[session.id]
    came = _people([session.id], attended_only=True)[session.id]
    return {"booked": mix_of(booked), "attended": mix_of(came)}


def mix_report(now: datetime, limit: int = 100) -> dict[str, Any]:
    """Per session held (latest first) and per month: who met whom, counted among those who attended."""
    held = db.session.scalars(
        select(TrainingSession)
        .where(TrainingSession.starts_at <= now)
        .order_by(TrainingSession.starts_at.desc())
        .limit(limit)
    ).all()
    people = _people([s.id for s in held], attended_only=True)
    sessions = [(s, mix_of(people[s.id])) for s in held]
    months: dict[str, list[Person]] = defaultdict(list)
    counted: dict[str, int] = defaultdict(int)
    for s in held:
        key = s.starts_at.strftime("%Y-%m")
        months[key].extend(people[s.id])
        counted[key] += 1
    by_month = [
        (datetime.strptime(key, "%Y-%m").strftime("%B %Y"), counted[key], mix_of(months[key]))
        for key in sorted(months, reverse=True)
    ]
    return {"sessions": sessions, "by_month": by_month, "overall": mix_of(p for ps in people.values() for p in ps)}
