"""Calendar invitations (iCalendar, RFC 5545 with iTIP methods) for places on sessions.

A booking keeps one UID for its whole life; every change raises its SEQUENCE, so a calendar
replaces the earlier invitation with the newer one, and METHOD:CANCEL removes it."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from induction.training.models import Booking


def uid(booking: Booking) -> str:
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "induction"
    return f"training-booking-{booking.id}@{host}"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def invitation(booking: Booking, method: str, now: datetime) -> bytes:
    """The booking as an .ics file: METHOD:REQUEST for a place, METHOD:CANCEL when it is cancelled."""
    session = booking.session
    calendar = Calendar()
    calendar.add("prodid", "-//Induction platform//Training sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", uid(booking))
    event.add("sequence", booking.sequence)
    event.add("dtstamp", _utc(now))
    event.add("dtstart", _utc(session.starts_at))
    event.add("dtend", _utc(session.ends_at))
    event.add("summary", session.title)
    where = session.online_link or session.venue
    if where:
        event.add("location", where)
    if session.online_link:
        event.add("url", session.online_link)
    if session.description:
        event.add("description", session.description)
    organiser = vCalAddress(f"mailto:{current_app.config['MAIL_FROM']}")
    organiser.params["cn"] = vText("Induction training")
    event["organizer"] = organiser
    attendee = vCalAddress(f"mailto:{booking.user.email}")
    attendee.params["cn"] = vText(booking.user.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    event.add("attendee", attendee, encode=False)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    calendar.add_component(event)
    return bytes(calendar.to_ical())
