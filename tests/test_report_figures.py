"""The manager report's figures read from learner_status alone (issue 19): they must equal what
module_progress, the memberships and the clock say, a GET must write nothing, and the report's
query count must not grow with the number of learners."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import and_, func, or_, select

from induction import clock
from induction.accounts.models import Membership
from induction.content import catalogue
from induction.extensions import db
from induction.learning.models import LearnerStatus, ModuleProgress
from induction.reporting import services
from induction.rules import Status

from .forms import submit
from .journey import complete_modules_at


@pytest.fixture
def report(make: Any, client: Any, auth: Any) -> dict[str, Any]:
    school = make.organisation("Riverside School", "education")
    club = make.organisation("Eastside Boxing Club", "sport and culture", ownership="voluntary")
    outside = make.organisation("Acorn Nursery", "early years")
    manager = make.manager(school, club, email="boss@example.org")
    lapsed = make.learner(school, name="Lia Lapsed", job_role="Teaching assistant")
    complete_modules_at(lapsed, clock.utcnow() - timedelta(days=3 * 365 + 40))  # a refresher module expired
    recent = make.learner(club, name="Rob Recent", job_role="Coach")
    complete_modules_at(recent, clock.utcnow() - timedelta(days=10))
    both = make.learner(school, name="Bo Both", job_role="Teaching assistant")
    db.session.add(
        Membership(user_id=both.id, organisation_id=club.id, job_role="Coach", started_on=date.today())
    )  # straight to the database: the status row comes with the commit
    db.session.commit()
    waived = make.learner(club, name="Wes Waived", job_role="Coach")
    make.learner(school, name="Nia New")
    make.learner(outside, name="Out Side")
    auth.sign_in(manager)
    slug = catalogue().modules[0].slug
    page = f"/manage/learners/{waived.id}"
    done = submit(client, f"{page}/waive", {"waive-module": slug, "waive-reason": "Level 3 diploma"}, form_url=page)
    assert done.status_code == 302
    return {"manager": manager, "school": school, "club": club, "both": both}


def _expected(manager: Any, wanted: services.Filters) -> tuple[int, dict[str, int]]:
    """The listed rows and each module's done count, from module_progress as the report used to read it."""
    now = clock.utcnow()
    rows = services._filtered(manager, wanted, services._Clock(now)).with_only_columns(
        Membership.user_id.label("user_id")
    )
    listed = db.session.scalar(select(func.count()).select_from(rows.subquery())) or 0
    sub = rows.subquery()
    done = dict(
        db.session.execute(
            select(ModuleProgress.module_slug, func.count())
            .join(sub, sub.c.user_id == ModuleProgress.user_id)
            .where(
                or_(
                    ModuleProgress.state == Status.WAIVED,
                    and_(
                        ModuleProgress.state == Status.COMPLETED,
                        or_(ModuleProgress.expires_at.is_(None), ModuleProgress.expires_at > now),
                    ),
                )
            )
            .group_by(ModuleProgress.module_slug)
        ).all()
    )
    return listed, {m.slug: int(done.get(m.slug, 0)) for m in catalogue().modules}


@pytest.mark.parametrize(
    "wanted",
    [
        services.Filters(),
        services.Filters(status="expired"),
        services.Filters(status="completed"),
        services.Filters(status="refresher due"),
        services.Filters(sector="sport and culture"),
        services.Filters(job_role="Coach"),
        services.Filters(search="bo"),
    ],
    ids=["all", "expired", "completed", "refresher-due", "sector", "job-role", "search"],
)
def test_completion_by_module_equals_the_modules_progress(report: dict[str, Any], wanted: services.Filters) -> None:
    slugs = [m.slug for m in catalogue().modules]
    figures = services.figures(report["manager"], wanted, clock.utcnow(), slugs)
    listed, done = _expected(report["manager"], wanted)
    assert figures.listed == listed
    assert figures.done == done
    if wanted == services.Filters():
        assert listed == 6  # five learners in scope, one of them in both organisations; not the one outside
        for index, module in enumerate(catalogue().modules):
            # Rob's count everywhere; Lia's where nothing has expired; Wes's first module is waived.
            assert done[module.slug] == 1 + (module.refresher_months is None) + (index == 0), module.slug
        counts, learners = services.totals(figures.summaries)
        assert learners == listed and counts["expired"] == 1


def test_the_page_shows_the_figures_by_module(report: dict[str, Any], client: Any) -> None:
    page = client.get("/manage/?organisation={}".format(report["club"].id)).get_data(as_text=True)
    title = catalogue().modules[0].title
    assert title in page and "Bo Both" in page and "Rob Recent" in page and "Lia Lapsed" not in page


def test_a_report_get_writes_nothing(report: dict[str, Any], client: Any, count_queries: Any) -> None:
    for path in ("/manage/", "/manage/?status=overdue&sort=due", "/manage/export.csv"):
        count_queries.statements.clear()
        assert client.get(path).status_code == 200
        writes = [s for s in count_queries.statements if s.split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
        assert not [w for w in writes if "audit" not in w], path  # an export is audited, nothing else is written


def test_rows_follow_memberships_before_the_commit(report: dict[str, Any], make: Any) -> None:
    both, club = report["both"], report["club"]
    keys = set(db.session.execute(select(LearnerStatus.user_id, LearnerStatus.organisation_id)))
    current = set(
        db.session.execute(select(Membership.user_id, Membership.organisation_id).where(Membership.left_at.is_(None)))
    )
    assert keys == current  # one row per current membership of a learner, and nothing else
    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == both.id, Membership.organisation_id == club.id)
    )
    assert membership is not None
    membership.left_at = datetime.now()
    db.session.commit()
    assert db.session.get(LearnerStatus, (both.id, club.id)) is None


def test_the_report_makes_as_many_queries_for_many_learners_as_for_few(
    report: dict[str, Any], client: Any, make: Any, count_queries: Any
) -> None:
    counts = []
    for more in (0, 40):
        for index in range(more):
            learner = make.learner((report["school"], report["club"])[index % 2], job_role=f"Role {index % 3}")
            if index % 5 == 0:
                complete_modules_at(learner, clock.utcnow() - timedelta(days=index))
        found = []
        for path in ("/manage/", "/manage/?status=overdue&sort=due", "/manage/?q=role&job_role=Role+1"):
            client.get(path)
            count_queries.statements.clear()
            assert client.get(path).status_code == 200
            found.append(count_queries.count)
        counts.append(found)
    assert counts[0] == counts[1]
    assert max(counts[0]) <= 10, counts


def test_completions_by_month_count_certificates_in_their_month(report: dict[str, Any]) -> None:
    now = clock.utcnow()
    months = services.completions_by_month(report["manager"], services.Filters(), now)
    assert len(months) == 12 and months[-1][0] == now.strftime("%b %y")
    # Rob's certificate, ten days ago; Lia's is three years old, outside the twelve months.
    assert dict(months)[(now - timedelta(days=10)).strftime("%b %y")] == 1
    assert sum(count for _, count in months) == 1
    assert (
        sum(c for _, c in services.completions_by_month(report["manager"], services.Filters(sector="education"), now))
        == 0
    )
