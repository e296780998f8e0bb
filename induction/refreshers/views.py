"""Refresher periods: managers set shorter periods for their organisations, admins for sectors too.

Every change shows a confirmation first, saying how many learners' refresher dates it changes; it is
undone by removing the period, which also asks first."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload
from wtforms.fields.choices import SelectChoice

from induction import clock
from induction.accounts.decorators import role_required
from induction.accounts.models import Organisation, Role, Sector
from induction.accounts.scope import organisation_or_404, visible_organisation_ids, visible_organisations
from induction.content import catalogue
from induction.content.model import Module
from induction.database import retry_conflicts
from induction.extensions import db
from induction.formtools import options
from induction.learning.periods import RefresherPeriod, module_periods
from induction.refreshers import services
from induction.refreshers.forms import OrganisationPeriodForm, SectorPeriodForm
from induction.reporting.people import plural
from induction.rules import refresher_months

bp = Blueprint("refreshers", __name__, url_prefix="/manage/refresher-periods")
MANAGERS = (Role.MANAGER, Role.ADMIN)
EFFECT_LIMIT = 50  # organisations shown in "what applies"; an admin's platform may hold thousands


def _refresher_modules() -> list[Module]:
    return [m for m in catalogue().modules if m.refresher_months is not None and m.refresher_months > 1]


def _module_choices() -> list[SelectChoice]:
    return options((m.slug, f"{m.title} (every {m.refresher_months} months)") for m in _refresher_modules())


def _forms(
    organisation_form: OrganisationPeriodForm | None = None, sector_form: SectorPeriodForm | None = None
) -> tuple[OrganisationPeriodForm, SectorPeriodForm | None]:
    organisation_form = organisation_form or OrganisationPeriodForm(formdata=None)
    organisation_form.organisation.choices = options(
        (str(o.id), o.name) for o in db.session.scalars(visible_organisations(current_user))
    )
    organisation_form.module.choices = _module_choices()
    if not current_user.has_role(Role.ADMIN):
        return organisation_form, None
    sector_form = sector_form or SectorPeriodForm(formdata=None)
    sector_form.sector.choices = options((s.value, s.value.capitalize()) for s in Sector)
    sector_form.module.choices = _module_choices()
    return organisation_form, sector_form


def _page(
    organisation_form: OrganisationPeriodForm | None = None, sector_form: SectorPeriodForm | None = None,
    status: int = 200,
) -> Any:  # fmt: skip
    organisation_form, sector_form = _forms(organisation_form, sector_form)
    organisations = db.session.scalars(visible_organisations(current_user).limit(EFFECT_LIMIT + 1)).all()
    own = db.session.scalars(
        select(RefresherPeriod)
        .join(Organisation, Organisation.id == RefresherPeriod.organisation_id)
        .where(RefresherPeriod.organisation_id.in_(visible_organisation_ids(current_user)))
        .options(contains_eager(RefresherPeriod.organisation), joinedload(RefresherPeriod.set_by))
        .order_by(Organisation.name, RefresherPeriod.module_slug)
    ).all()
    sector_query = (
        select(RefresherPeriod).where(RefresherPeriod.sector.is_not(None)).options(joinedload(RefresherPeriod.set_by))
    )
    if not current_user.has_role(Role.ADMIN):  # managers see the sector periods that reach their organisations
        sector_query = sector_query.where(RefresherPeriod.sector.in_({o.sector for o in organisations}))
    sectors = db.session.scalars(sector_query.order_by(RefresherPeriod.sector, RefresherPeriod.module_slug)).all()
    modules = _refresher_modules()
    return render_template(
        "refreshers/index.html",
        modules=modules,
        titles={m.slug: m.title for m in catalogue().modules},
        defaults={m.slug: m.refresher_months for m in catalogue().modules},
        own=own,
        sectors=sectors,
        effect=_in_effect(list(organisations), modules) if len(organisations) <= EFFECT_LIMIT else None,
        organisation_form=organisation_form,
        sector_form=sector_form,
        has_organisations=bool(organisations),
    ), status


def _in_effect(organisations: list[Organisation], modules: list[Module]) -> list[tuple[Organisation, list[Any]]]:
    """For each organisation, each module's period and where it comes from, as the rule decides it."""
    periods = {m.slug: module_periods(m.slug) for m in modules}
    found = []
    for organisation in organisations:
        row = []
        for module in modules:
            own = periods[module.slug].by_organisation.get(organisation.id)
            sector = periods[module.slug].by_sector.get(organisation.sector)
            months = refresher_months(module.refresher_months, sector, own)
            source = "the organisation" if own is not None else f"the {organisation.sector} sector" if sector else ""
            row.append((module, months, source))
        found.append((organisation, row))
    return found


@bp.get("")
@role_required(*MANAGERS)
def index() -> Any:
    return _page()


def _module(form: OrganisationPeriodForm | SectorPeriodForm) -> Module | None:
    module = catalogue().module(str(form.module.data or ""))
    if module is None:
        form.module.errors = [*form.module.errors, "Choose a module that has a refresher."]
    return module


def _months(form: OrganisationPeriodForm | SectorPeriodForm, module: Module | None) -> int | None:
    if module is None:
        return None
    try:
        return services.check_months(module, form.months.data)
    except services.PeriodError as error:
        target = form.module if module.refresher_months is None or module.refresher_months <= 1 else form.months
        target.errors = [*target.errors, str(error)]
        return None


@bp.post("/organisation")
@role_required(*MANAGERS)
def set_for_organisation() -> Any:
    form = OrganisationPeriodForm()
    form.validate()
    chosen = str(form.organisation.data or "").strip()
    number = chosen.isascii() and chosen.isdigit() and len(chosen) <= 9
    organisation = organisation_or_404(current_user, int(chosen)) if number else None
    if organisation is None:
        form.organisation.errors = ["Choose one of your organisations."]
    module = _module(form)
    months = _months(form, module)
    if organisation is None or module is None or months is None:
        return _page(organisation_form=form, status=400)
    hidden = {"organisation": organisation.id, "module": module.slug, "months": months}
    return _confirm_or_set(services.Target(module, organisation=organisation), months, hidden)


@bp.post("/sector")
@role_required(Role.ADMIN)
def set_for_sector() -> Any:
    form = SectorPeriodForm()
    form.validate()
    sector = next((s for s in Sector if s.value == form.sector.data), None)
    if sector is None:
        form.sector.errors = ["Choose a sector."]
    module = _module(form)
    months = _months(form, module)
    if sector is None or module is None or months is None:
        return _page(sector_form=form, status=400)
    hidden = {"sector": sector.value, "module": module.slug, "months": months}
    return _confirm_or_set(services.Target(module, sector=sector), months, hidden)


def _confirm_or_set(target: services.Target, months: int, hidden: dict[str, Any]) -> Any:
    existing = services.period_for(target)
    if existing is not None and existing.months == months:
        flash(f"{target.module.title} already has a refresher period of {months} months for {target.name}.", "success")
        return redirect(url_for("refreshers.index"))
    now = clock.utcnow()
    if request.form.get("confirm") != "yes":
        changing = services.learners_changing(target, months, catalogue(), now)
        sector = target.organisation.sector if target.organisation is not None else None
        sector_months = module_periods(target.module.slug).by_sector.get(sector) if sector is not None else None
        return render_template(
            "refreshers/confirm.html", target=target, months=months, before=existing, changing=len(changing),
            hidden=hidden, plural=plural, sector_months=sector_months,
        )  # fmt: skip
    outcome = retry_conflicts(lambda: services.set_period(current_user, target, months, catalogue(), now))
    if outcome.repeat:
        flash(f"{target.module.title} already has a refresher period of {months} months for {target.name}.", "success")
    else:
        flash(
            f"{target.module.title} is now refreshed every {months} months for {target.name}. "
            f"{services.learners_dates_changed(len(outcome.changed))}. "
            "To undo it, remove the period below.",
            "success",
        )
    return redirect(url_for("refreshers.index"))


def _period_or_404(period_id: int) -> RefresherPeriod:
    period = db.get_or_404(RefresherPeriod, period_id)
    if period.organisation_id is not None:
        organisation_or_404(current_user, period.organisation_id)
    elif not current_user.has_role(Role.ADMIN):
        abort(403)  # a sector's period is an admin's to change
    return period


@bp.route("/<int:period_id>/remove", methods=["GET", "POST"])
@role_required(*MANAGERS)
def remove(period_id: int) -> Any:
    period = _period_or_404(period_id)
    target = services.target_of(period, catalogue())
    if request.method == "GET" or request.form.get("confirm") != "yes":
        changing = services.learners_changing(target, None, catalogue(), clock.utcnow()) if target else []
        return render_template(
            "refreshers/confirm_remove.html", period=period, target=target, changing=len(changing),
            titles={m.slug: m.title for m in catalogue().modules}, plural=plural,
        )  # fmt: skip
    outcome = retry_conflicts(lambda: services.remove_period(current_user, period_id, catalogue(), clock.utcnow()))
    if outcome is None:
        flash("That refresher period had already been removed.", "success")
    elif target is None:
        flash("Removed the refresher period.", "success")
    else:
        flash(
            f"Removed: {target.module.title} for {target.name} is refreshed every "
            f"{services.applies_after(target)} again. "
            f"{services.learners_dates_changed(len(outcome.changed))}.",
            "success",
        )
    return redirect(url_for("refreshers.index"))
