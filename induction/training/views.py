"""Training sessions: the list, scheduling, booking and cancelling, registers, the mix report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from induction import clock
from induction.accounts.decorators import role_required
from induction.accounts.models import Organisation, Role, User
from induction.accounts.scope import learner_or_404, organisation_or_404, visible_learners, visible_organisations
from induction.content import catalogue
from induction.database import MAX_ID
from induction.extensions import db
from induction.formtools import options
from induction.training import calendar, reports, services
from induction.training.forms import BookForForm, PlanItemForm, SessionForm
from induction.training.models import Booking, BookingStatus, TrainingSession

bp = Blueprint("training", __name__, url_prefix="/training")
TRAINERS = (Role.TRAINER, Role.ADMIN)
MANAGERS = (Role.MANAGER, Role.ADMIN)
PEOPLE = (Role.LEARNER, Role.MANAGER, Role.TRAINER, Role.ADMIN)


@bp.app_template_filter("uk_time")
def _uk_time(moment: datetime, pattern: str = "%-d %B %Y, %H:%M") -> str:
    return services.local(moment).strftime(pattern)


def _session_or_404(session_id: int) -> TrainingSession:
    return db.get_or_404(TrainingSession, session_id)


def _back(session_id: int) -> Any:
    return redirect(url_for("training.session", session_id=session_id))


def _mail_failed(sent: bool, who: str) -> None:
    if not sent:
        flash(f"The e-mail to {who} could not be sent just now; the change is saved.", "info")


@bp.get("")
@role_required(*PEOPLE)
def index() -> Any:
    now = clock.utcnow()
    sessions = db.session.scalars(services.upcoming(now).options(selectinload(TrainingSession.trainer))).all()
    numbers = services.counts([s.id for s in sessions])
    mine: dict[int, Booking] = {}
    in_plan: set[str] = set()
    if current_user.role == Role.LEARNER:
        mine = {
            b.session_id: b
            for b in db.session.scalars(
                select(Booking).where(
                    Booking.user_id == current_user.id, Booking.status != BookingStatus.CANCELLED
                )
            )
        }
        in_plan = services.plan_topics(current_user)
    missed = reports.missed(current_user) if current_user.role in MANAGERS else []
    held = db.session.scalars(services.past(now).limit(10)).all() if current_user.role in TRAINERS else []
    return render_template(
        "training/index.html", sessions=sessions, numbers=numbers, mine=mine, in_plan=in_plan, missed=missed, held=held
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(*TRAINERS)
def new() -> Any:
    form = SessionForm()
    form.module.choices = options([("", "No particular module")] + [(m.slug, m.title) for m in catalogue().modules])
    problem = None
    if form.validate_on_submit():
        local_start = datetime.combine(form.day.data, form.starts.data)
        local_end = datetime.combine(form.day.data, form.ends.data)
        try:
            session = services.schedule(
                current_user,
                services.NewSession(
                    title=form.title.data,
                    topic=form.topic.data,
                    module_slug=form.module.data or None,
                    description=form.description.data or "",
                    starts_at=services.from_local(local_start),
                    ends_at=services.from_local(local_end),
                    venue=(form.venue.data or "") if form.mode.data == "venue" else "",
                    online_link=(form.online_link.data or "") if form.mode.data == "online" else "",
                    capacity=form.capacity.data,
                    max_sector_share=form.max_sector_share.data,
                ),
                clock.utcnow(),
            )
        except services.TrainingError as error:
            problem = str(error)
        else:
            db.session.commit()
            flash(f"Session scheduled: {session.title}.", "success")
            return _back(session.id)
    status = 400 if request.method == "POST" else 200
    return render_template("training/new.html", form=form, problem=problem, topics=services.topics()), status


@bp.get("/<int:session_id>")
@role_required(*PEOPLE)
def session(session_id: int) -> Any:
    found = _session_or_404(session_id)
    booked, waiting = services.counts([found.id])[found.id]
    context: dict[str, Any] = {"session": found, "booked": booked, "waiting": waiting, "now": clock.utcnow()}
    if current_user.role == Role.LEARNER:
        context["mine"] = services.booking_of(found.id, current_user.id)
        if context["mine"] is not None and context["mine"].status == BookingStatus.WAITING:
            context["position"] = [b.id for b in db.session.scalars(services.waiting_list(found.id))].index(
                context["mine"].id
            ) + 1
    if current_user.role in MANAGERS:
        context["learners"] = reports.bookings_in_scope(current_user, found.id)
        form = BookForForm()
        taken = {b.user_id for b, _ in context["learners"] if b.status != BookingStatus.CANCELLED}
        people = [
            p for p in db.session.scalars(visible_learners(current_user).order_by(User.name)) if p.id not in taken
        ]
        form.learner.choices = options([(0, "Choose a learner")] + [(p.id, p.name) for p in people])
        context["book_form"] = form
        plan_form = PlanItemForm()
        plan_form.organisation.choices = options(
            (o.id, o.name) for o in db.session.scalars(visible_organisations(current_user))
        )
        context["plan_form"] = plan_form
    if current_user.role in TRAINERS:
        context["everyone"] = db.session.scalars(
            select(Booking)
            .where(Booking.session_id == found.id, Booking.status != BookingStatus.CANCELLED)
            .options(selectinload(Booking.user).selectinload(User.organisation))
            .order_by(Booking.status, Booking.requested_at, Booking.id)
        ).all()
        context["mix"] = reports.session_mix(found)
    return render_template("training/session.html", **context)


@bp.post("/<int:session_id>/book")
@role_required(Role.LEARNER)
def book(session_id: int) -> Any:
    _session_or_404(session_id)
    return _book(session_id, current_user)


def _book(session_id: int, learner: User) -> Any:
    now = clock.utcnow()
    try:
        booking = services.book(session_id, learner, current_user, now)
    except services.TrainingError as error:
        flash(str(error), "info")
        return _back(session_id)
    db.session.commit()
    yours = learner == current_user
    if booking.status == BookingStatus.BOOKED:
        flash(
            "You have a place. We have e-mailed the calendar invitation." if yours else f"{learner.name} has a place.",
            "success",
        )
    else:
        flash(
            "The session is full, so you are on the waiting list."
            if yours
            else f"The session is full, so {learner.name} is on the waiting list.",
            "success",
        )
    _mail_failed(services.notify_booked(booking, now), learner.name)
    return _back(session_id)


@bp.route("/<int:session_id>/cancel", methods=["GET", "POST"])
@role_required(Role.LEARNER)
def cancel(session_id: int) -> Any:
    found = _session_or_404(session_id)
    return _cancel(found, current_user)


def _cancel(found: TrainingSession, learner: User) -> Any:
    booking = services.booking_of(found.id, learner.id)
    if request.method == "GET" or request.form.get("confirm") != "yes":
        if booking is None or booking.status == BookingStatus.CANCELLED:
            flash(f"{learner.name} has no place on this session to cancel.", "info")
            return _back(found.id)
        return render_template("training/confirm_cancel.html", session=found, learner=learner, booking=booking)
    now = clock.utcnow()
    try:
        cancelled = services.cancel(found.id, learner, now)
    except services.TrainingError as error:
        flash(str(error), "info")
        return _back(found.id)
    db.session.commit()
    what = "place" if cancelled.had_place else "place on the waiting list"
    flash(
        f"Your {what} is cancelled." if learner == current_user else f"{learner.name}'s {what} is cancelled.", "success"
    )
    _mail_failed(services.notify_cancelled(cancelled, now), learner.name)
    if cancelled.promoted is not None:
        _mail_failed(services.notify_promoted(cancelled.promoted, now), cancelled.promoted.user.name)
    return _back(found.id)


@bp.post("/<int:session_id>/book-for")
@role_required(*MANAGERS)
def book_for(session_id: int) -> Any:
    _session_or_404(session_id)
    raw = request.form.get("learner", "")
    if not raw.isdigit() or int(raw) == 0:
        flash("Choose a learner to book.", "error")
        return _back(session_id)
    if int(raw) > MAX_ID:
        abort(404)
    return _book(session_id, learner_or_404(current_user, int(raw)))


@bp.route("/<int:session_id>/learners/<int:learner_id>/cancel", methods=["GET", "POST"])
@role_required(*MANAGERS)
def cancel_for(session_id: int, learner_id: int) -> Any:
    found = _session_or_404(session_id)
    return _cancel(found, learner_or_404(current_user, learner_id))


@bp.get("/<int:session_id>/invite.ics")
@login_required
def invite(session_id: int) -> Any:
    _session_or_404(session_id)
    booking = services.booking_of(session_id, current_user.id)
    if booking is None or booking.status != BookingStatus.BOOKED:
        abort(404)
    data = calendar.invitation(booking, "REQUEST", clock.utcnow())
    return Response(
        data,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="session-{session_id}.ics"'},
    )


@bp.route("/<int:session_id>/register", methods=["GET", "POST"])
@role_required(*TRAINERS)
def register(session_id: int) -> Any:
    found = _session_or_404(session_id)
    now = clock.utcnow()
    problem = None
    if request.method == "POST":
        marks = _marks()
        try:
            result = services.take_register(found.id, current_user, marks, now)
        except services.TrainingError as error:
            db.session.rollback()
            problem = str(error)
        else:
            db.session.commit()
            flash(f"Register saved: {len(result.attended)} present, {len(result.absent)} did not attend.", "success")
            if result.certificates:
                flash(f"{result.certificates} learners completed their induction; certificates issued.", "success")
            return redirect(url_for("training.register", session_id=found.id))
    bookings = db.session.scalars(
        select(Booking)
        .where(Booking.session_id == found.id, Booking.status == BookingStatus.BOOKED)
        .options(selectinload(Booking.user).selectinload(User.organisation))
    ).all()
    bookings = sorted(bookings, key=lambda b: b.user.name.lower())
    opens = found.starts_at.date() <= now.date()
    status = 400 if problem else 200
    return render_template(
        "training/register.html", session=found, bookings=bookings, opens=opens, problem=problem
    ), status


def _marks() -> dict[int, bool]:
    """The register's answers: `attended-<learner id>` = yes or no; anything else is a 400."""
    marks: dict[int, bool] = {}
    for name, value in request.form.items():
        if not name.startswith("attended-"):
            continue
        key = name.removeprefix("attended-")
        if not key.isdigit() or value not in ("yes", "no"):
            abort(400, "Each answer in the register must be present or did not attend.")
        marks[int(key)] = value == "yes"
    return marks


@bp.post("/<int:session_id>/plan-item")
@role_required(*MANAGERS)
def plan_item(session_id: int) -> Any:
    found = _session_or_404(session_id)
    raw = request.form.get("organisation", "")
    if not raw.isdigit():
        abort(400, "Choose an organisation.")
    if int(raw) > MAX_ID:
        abort(404)
    organisation: Organisation = organisation_or_404(current_user, int(raw))
    item, made = services.add_to_plans(found, organisation.id)
    db.session.commit()
    if made:
        flash(f"Added to the plans of {organisation.name}: “{item.title}”.", "success")
    else:
        flash(f"{organisation.name}'s plans already have “{item.title}”.", "info")
    return _back(found.id)


@bp.get("/mix")
@role_required(*TRAINERS)
def mix() -> Any:
    return render_template("training/mix.html", **reports.mix_report(clock.utcnow()))
