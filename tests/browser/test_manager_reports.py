"""A manager reads the reports: filters by organisation and status, and pages through the learners."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from induction.accounts.models import Role, User
from induction.extensions import db
from induction.learning import services

from .harness import Audit, LiveServer
from .steps import heading, sign_in

pytestmark = pytest.mark.browser


def give_progress(server: LiveServer, email: str, complete: bool) -> None:
    """Read every section of the first module (and pass every quiz, when `complete`) as the learner."""
    content = server.catalogue
    with server.app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        for module in content.modules if complete else content.modules[:1]:
            for section in module.sections:
                services.open_section(user, content, module, section)
            if complete:
                quiz = content.quiz_for(module)
                attempt = services.open_attempt(user, quiz, module)
                assert attempt is not None
                drawn = services.drawn_questions(quiz, attempt)
                services.submit(
                    user, content, module, quiz, attempt, {d.question.id: d.question.correct_ids for d in drawn}
                )
        db.session.commit()


def expect_learners(page: Page, count: int) -> None:
    """The page says `count` learners match the filters."""
    plural = "" if count == 1 else "s"
    expect(page.locator("main p").filter(has_text=re.compile(r"^\s*\d+ learners?\b"))).to_have_text(
        re.compile(rf"^\s*{count} learner{plural}\b")
    )


def show(page: Page, organisation: str | None = None, status: str | None = None) -> None:
    """Choose filters and send the form."""
    if organisation is not None:
        page.get_by_label("Organisation", exact=True).select_option(label=organisation)
    if status is not None:
        page.get_by_label("Status", exact=True).select_option(label=status)
    page.locator("form.filters [type=submit]").click()


def test_a_manager_filters_and_pages_through_the_reports(test_content_server: LiveServer, audit: Audit) -> None:
    server = test_content_server
    long_ago = date.today() - timedelta(days=200)
    school = server.organisation("Riverside Primary School for reports")
    youth = server.organisation("Northside Youth Project for reports", "youth", ownership="voluntary")
    other = server.organisation("Little Acorns Day Nursery for reports", "early years", ownership="private")
    for index in range(30):
        email = server.person(
            f"Riverside Learner {index:02d}",
            organisation_id=school,
            job_role="Teaching assistant",
            start_date=long_ago if index % 5 == 0 else None,
        )
        if index % 3 == 1:
            give_progress(server, email, complete=False)
        elif index % 6 == 2:
            give_progress(server, email, complete=True)
    for index in range(6):
        server.person(f"Northside Learner {index}", organisation_id=youth, job_role="Youth worker")
    for index in range(3):
        server.person(f"Hidden Acorn {index}", organisation_id=other)
    manager = server.person("Morgan Reports", Role.MANAGER, managed=(school, youth))
    page = audit.new_page()

    sign_in(page, server.url, manager)
    expect(heading(page)).to_have_text("Induction reports")
    assert page.url.endswith("/manage/")
    expect(page.get_by_text("Hidden Acorn 0")).to_have_count(0)
    expect_learners(page, 36)
    audit.check(page, "Reports, everyone")

    show(page, organisation="Riverside Primary School for reports")
    expect_learners(page, 30)
    expect(page.locator(".pagination")).to_contain_text("Page 1 of 2")
    audit.check(page, "Reports, one organisation, page 1")
    page.locator(".pagination a[rel=next]").click()
    expect(page.locator(".pagination")).to_contain_text("Page 2 of 2")
    expect(page.locator("main tbody tr").filter(has_text="Riverside Learner")).to_have_count(5)
    audit.check(page, "Reports, one organisation, page 2")
    page.locator(".pagination a[rel=prev]").click()
    expect(page.locator(".pagination")).to_contain_text("Page 1 of 2")
    expect(page.get_by_label("Organisation", exact=True)).to_have_value(str(school))

    show(page, status="In progress")
    expect_learners(page, 10)
    expect(page.locator(".pagination")).to_have_count(0)
    audit.check(page, "Reports, in progress")
    show(page, status="Completed")
    expect_learners(page, 5)
    show(page, status="Overdue")
    expect_learners(page, 5)
    audit.check(page, "Reports, overdue")

    show(page, organisation="Northside Youth Project for reports", status="Completed")
    expect_learners(page, 0)
    audit.check(page, "Reports, nobody matches")
    show(page, status="Not started")
    expect_learners(page, 6)
    audit.assert_clean()
