"""One induction status, wherever it is shown.

Random histories of reading, quizzes, waivers, item sign-offs and refresher periods set or removed
for the learner's organisation or its sector, spread over years so that refreshers expire, are
played through the services; then the learner's home page, the
manager's report, the CSV export and the certificate must all say what the completion rule
says of the learner's statements."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from induction import clock
from induction.accounts.models import Sector
from induction.completion.services import latest_certificate
from induction.content import catalogue
from induction.extensions import db
from induction.learning import progress, services
from induction.learning.periods import local_periods
from induction.plans import services as plans
from induction.plans.items import items_done_for
from induction.plans.models import InductionItem
from induction.refreshers import services as refreshers
from induction.reporting import services as reports
from induction.rules import Status, induction_status, module_state

from .conftest import FreshContextClient
from .forms import submit

ACTION = st.one_of(
    st.tuples(st.just("read"), st.integers(0, 1), st.integers(0, 3)),
    st.tuples(st.just("quiz"), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("waive"), st.integers(0, 1), st.just(0)),
    st.tuples(st.just("sign off"), st.integers(0, 1), st.just(0)),
    # A refresher period for the organisation (0) or its sector (1): 0 months removes it.
    st.tuples(st.just("period"), st.integers(0, 1), st.sampled_from([0, 1, 6, 12, 24])),
)
HISTORY = st.lists(st.tuples(st.integers(0, 900), ACTION), max_size=14)


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SIGN_IN_LIMIT": "10000 per 5 minutes"}


class Office:
    """One manager, signed in once, who sees every organisation the examples make."""

    def __init__(self, app: Flask, make: Any) -> None:
        self.app = app
        self.make = make
        self.manager = make.manager()
        self.browser = _signed_in(app, self.manager.email)


def _signed_in(app: Flask, email: str) -> Any:
    from .conftest import PASSWORD

    app.test_client_class = FreshContextClient
    browser = app.test_client()
    answer = submit(browser, "/sign-in", {"email": email, "password": PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    return browser


def _play(learner: Any, manager: Any, items: list[InductionItem], history: list[tuple[int, Any]], start: datetime) -> None:
    content = catalogue()
    moment = start
    for days, (kind, index, detail) in history:
        moment += timedelta(days=days, minutes=1)
        module = content.modules[index % len(content.modules)]
        with clock.frozen(moment):
            try:
                if kind == "read":
                    services.open_section(learner, content, module, module.sections[detail % len(module.sections)], moment)
                elif kind == "quiz":
                    quiz = content.quiz_for(module)
                    attempt = services.open_attempt(learner, quiz, module, moment)
                    if attempt is None:  # every attempt used: the learner is turned away
                        db.session.rollback()  # (and gives back the write lock the check took)
                        continue
                    answers = {
                        d.question.id: d.question.correct_ids
                        if detail
                        else frozenset({next(o.id for o in d.question.options if not o.correct)})
                        for d in services.drawn_questions(quiz, attempt)
                    }
                    services.submit(learner, content, module, quiz, attempt, answers, moment)
                elif kind == "waive":
                    plans.waive(manager, learner, module, "Completed the council's course in 2025", content)
                elif kind == "period":
                    _period(manager, learner, index, detail, moment)
                elif items:
                    plans.sign_off_item(manager, learner, items[index % len(items)], content, moment)
            except plans.PlanError:
                db.session.rollback()
                continue
        db.session.commit()


def _period(manager: Any, learner: Any, index: int, months: int, moment: datetime) -> None:
    """Set (or with 0 months remove) a refresher period where the learner works, as the page does."""
    content = catalogue()
    module = next(m for m in content.modules if m.refresher_months)
    organisation = learner.organisation
    target = (
        refreshers.Target(module, organisation=organisation)
        if index % 2 == 0
        else refreshers.Target(module, sector=Sector(organisation.sector))
    )
    if months:
        refreshers.set_period(manager, target, months, content, moment)
        return
    existing = refreshers.period_for(target)
    if existing is not None:
        refreshers.remove_period(manager, existing.id, content, moment)


def _rule(learner: Any, now: datetime) -> Status:
    content = catalogue()
    events = progress.events_for(learner.id, content)
    periods = local_periods(learner)  # the refresher periods set where the learner works
    states = [
        module_state(progress.spec_of(m, periods.get(m.slug, ())), [e for e in events if e.module == m.slug], now)
        for m in content.modules
    ]
    signed, total = items_done_for([learner])[learner.id]
    return induction_status(states, items_done=signed == total, items_started=signed > 0)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=HISTORY, item_count=st.integers(0, 2))
def test_every_view_of_a_learner_agrees_with_the_rule(app: Flask, make: Any, history: Any, item_count: int) -> None:
    office = getattr(app, "_office", None) or Office(app, make)
    app._office = office  # type: ignore[attr-defined]
    organisation = make.organisation()
    office.manager.managed.append(organisation)
    learner = make.learner(organisation)
    items = [InductionItem(organisation_id=organisation.id, title=f"Item {n}") for n in range(item_count)]
    db.session.add_all(items)
    db.session.commit()
    span = sum(days for days, _ in history) + len(history)
    _play(learner, office.manager, items, history, clock.utcnow() - timedelta(days=span + 1))

    now = clock.utcnow()
    expected = _rule(learner, now)

    home = _signed_in(app, learner.email).get("/")
    shown = re.search(r"Your induction is <strong>([^<]+)</strong>", home.get_data(as_text=True))
    assert shown is not None
    assert shown.group(1) == expected.value, "learner's home page"

    listing = reports.learner_page(
        office.manager, len(catalogue().modules), now, reports.Filters(organisation=organisation.id), 1, 10
    )
    assert [r.status for r in listing.rows] == [expected], "manager's report"

    exported = office.browser.get(f"/manage/export.csv?organisation={organisation.id}")
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["Status"] for r in rows] == [expected.value], "CSV export"

    certificate = latest_certificate(learner.id)
    valid = certificate is not None and certificate.status(now) == "valid"
    assert valid == (expected is Status.COMPLETED), "certificate"
