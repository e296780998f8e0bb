from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from induction.accounts import sessions
from induction.accounts.decorators import role_required
from induction.accounts.invitations import invite
from induction.accounts.models import Membership, Organisation, Role, User
from induction.admin.forms import OrganisationForm, UserForm
from induction.clock import today, utcnow
from induction.content import catalogue
from induction.database import lock_learner
from induction.extensions import db
from induction.formtools import options
from induction.plans import moves
from induction.plans import status as learner_status
from induction.plans.settling import settle
from induction.privacy import audit
from induction.privacy.models import Action
from induction.refreshers import services as refreshers

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50


@bp.get("/")
@role_required(Role.ADMIN)
def organisations() -> Any:
    rows = db.session.execute(
        # Learners with a current membership, so one in two organisations counts in both.
        select(Organisation, func.count(User.id))
        .outerjoin(Membership, (Membership.organisation_id == Organisation.id) & Membership.left_at.is_(None))
        .outerjoin(User, (User.id == Membership.user_id) & (User.role == Role.LEARNER))
        .group_by(Organisation.id)
        .order_by(Organisation.name)
    ).all()
    return render_template("admin/organisations.html", rows=rows)


def _name_taken(name: str, exclude: int | None = None) -> bool:
    query = select(func.count()).select_from(Organisation).where(func.lower(Organisation.name) == name.lower())
    if exclude is not None:
        query = query.where(Organisation.id != exclude)
    return bool(db.session.scalar(query))


@bp.route("/organisations/new", methods=["GET", "POST"], defaults={"organisation_id": None})
@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def organisation(organisation_id: int | None) -> Any:
    found = db.session.get(Organisation, organisation_id) if organisation_id else None
    if organisation_id and found is None:
        abort(404)
    form = OrganisationForm(obj=found)
    if form.validate_on_submit():
        name = (form.name.data or "").strip()
        if _name_taken(name, organisation_id):
            form.name.errors = ["Another organisation already has that name."]
        else:
            sector_before = found.sector if found is not None else None
            if found is None:
                found = Organisation(name=name, sector=form.sector.data, ownership=form.ownership.data)
                db.session.add(found)
            form.populate_obj(found)
            found.name = name
            db.session.flush()
            learner_status.refresh_organisation(found.id, catalogue())  # the time allowed may have changed
            if sector_before is not None and found.sector != sector_before:  # its sector's refresher periods apply
                refreshers.settle_members([found.id], catalogue())
            db.session.commit()
            flash(f"Saved {found.name}.", "success")
            return redirect(url_for("admin.organisations"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/organisation.html", form=form, organisation=found), status


@bp.get("/users")
@role_required(Role.ADMIN)
def users() -> Any:
    search = (request.args.get("q") or "").strip()[:100]
    role = request.args.get("role", "")
    query = select(User).order_by(User.name, User.id)
    if search:
        like = f"%{search.lower()}%"
        query = query.where(or_(func.lower(User.name).like(like), func.lower(User.email).like(like)))
    if role in {r.value for r in Role}:
        query = query.where(User.role == role)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    people = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    args = {k: v for k, v in {"q": search, "role": role}.items() if v}
    return render_template(
        "admin/users.html", people=people, total=total, page=page, pages=pages, args=args, search=search,
        role=role, roles=[r.value for r in Role],
    )  # fmt: skip


@bp.route("/users/new", methods=["GET", "POST"], defaults={"user_id": None})
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user(user_id: int | None) -> Any:
    found = db.session.get(User, user_id) if user_id else None
    if user_id and found is None:
        abort(404)
    if found is not None and found.erased_at is not None:  # nothing left to edit, and no way back
        return render_template("admin/user.html", form=None, person=found, signed_in=0), (
            409 if request.method == "POST" else 200
        )
    form = UserForm(obj=found)
    pairs = [(o.id, o.name) for o in db.session.scalars(select(Organisation).order_by(Organisation.name))]
    form.organisation.choices = options([(0, "None"), *pairs])
    form.managed.choices = options(pairs)
    if request.method == "GET" and found is not None:
        form.organisation.data = found.organisation_id or 0
        form.managed.data = [o.id for o in found.managed]
    if form.validate_on_submit():
        problem = _user_problem(form, found)
        if problem:
            field, message = problem
            form[field].errors = [message]
        else:
            created = found is None
            found = _save_user(form, found)
            db.session.commit()
            flash(f"Saved {found.name}.", "success")
            if created:
                flash(*invite(found).notice)
                db.session.commit()  # the link's id, so the link sent works
            return redirect(url_for("admin.users"))
    status = 400 if request.method == "POST" else 200
    signed_in = sessions.live_count(found) if found is not None else 0
    return render_template("admin/user.html", form=form, person=found, signed_in=signed_in), status


@bp.route("/users/<int:user_id>/sign-out-everywhere", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def sign_out_everywhere(user_id: int) -> Any:
    found = db.get_or_404(User, user_id)
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return render_template("admin/sign_out_everywhere.html", person=found, signed_in=sessions.live_count(found))
    ended = sessions.end_all(found)
    db.session.commit()
    flash(f"{found.name} has been signed out on every device ({ended} sign-in(s) ended).", "success")
    return redirect(url_for("admin.user", user_id=found.id))


def _user_problem(form: UserForm, found: User | None) -> tuple[str, str] | None:
    email = (form.email.data or "").strip().lower()
    query = select(func.count()).select_from(User).where(func.lower(User.email) == email)
    if found is not None:
        query = query.where(User.id != found.id)
    if db.session.scalar(query):
        return "email", "Someone else already has an account with that e-mail address."
    if form.role.data == Role.LEARNER and not form.organisation.data:
        return "organisation", "Choose the learner's main organisation."
    if form.role.data == Role.MANAGER and not form.managed.data:
        return "managed", "Choose at least one organisation for the manager."
    return None


def _save_user(form: UserForm, found: User | None) -> User:
    organisations = {o.id: o for o in db.session.scalars(select(Organisation))}
    if found is None:
        found = User(email="", name="", password_hash=None)
        db.session.add(found)
    found.name = (form.name.data or "").strip()
    found.email = (form.email.data or "").strip()
    role = Role(form.role.data or Role.LEARNER)
    if found.id is not None and found.role != role:
        audit.record(current_user, Action.ROLE_CHANGED, found, f"{found.role} to {role}")
    found.role = role
    if found.active and not form.active.data and found.id is not None:
        sessions.end_all(found)  # switched off: every sign-in ends now
    if found.active != bool(form.active.data):
        found.left_at = None if form.active.data else utcnow()  # the retention period counts from here
    found.active = bool(form.active.data)
    learner = found.role == Role.LEARNER
    if learner and found.id is not None and found.organisation_id not in (None, form.organisation.data):
        # A new main organisation is a move (accounts/organisations.py ends the old membership).
        names = {o.id: o.name for o in organisations.values()}
        moved = f"from {names.get(found.organisation_id or 0, '?')} to {names.get(form.organisation.data or 0, '?')}"
        audit.record(current_user, Action.MOVED_ORGANISATION, found, f"{moved} (main organisation changed)")
        lock_learner(found.id)
        found.start_date = today()  # they start in the new organisation today, as on the move page's default
        moves.drop_plan(found)
    found.organisation_id = form.organisation.data if learner else None
    found.job_role = (form.job_role.data or "").strip() or None if learner else None
    found.managed = [organisations[i] for i in form.managed.data or []] if found.role == Role.MANAGER else []
    db.session.flush()
    if learner:  # settled, not only their status: the refresher periods that apply follow their organisation
        lock_learner(found.id)
        settle(found, catalogue())
    return found
