"""Reading with a weak signal (issue 17): a learner saves two modules, reads three sections with no
connection, and back online finds exactly three reads recorded under the ids the browser made."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy import select

from induction.accounts.models import User
from induction.extensions import db
from induction.xapi import statements as xs
from induction.xapi.models import StatementRecord

from .harness import Audit, LiveServer
from .steps import heading, sign_in

pytestmark = pytest.mark.browser


def reads(server: LiveServer, email: str) -> list[str]:
    """The ids of the person's section reads recorded on the server."""
    with server.app.app_context():
        return list(
            db.session.scalars(
                select(StatementRecord.id)
                .join(User, User.id == StatementRecord.user_id)
                .where(User.email == email, StatementRecord.verb_id == xs.EXPERIENCED)
            )
        )


def save(page: Page, url: str, sections: int) -> None:
    page.goto(url)
    page.get_by_role("button", name="Save for offline reading").click()
    expect(page.get_by_text(f"Saved: this module and its {sections} section")).to_be_visible()


def queued(page: Page) -> list[str]:
    entries = json.loads(page.evaluate("localStorage.getItem('induction-offline-reads') || '[]'"))
    return [entry["id"] for entry in entries]


def test_three_sections_read_offline_are_recorded_once_back_online(
    test_content_server: LiveServer, audit: Audit
) -> None:
    server = test_content_server
    learner = server.person("Olu Offline", organisation_id=server.organisation("Hillside Youth Club", "youth"))
    page = audit.new_page()
    context = page.context
    sign_in(page, server.url, learner)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    save(page, f"{server.url}/modules/first-steps", 2)
    audit.check(page, "Module saved for offline reading")
    save(page, f"{server.url}/modules/staying-safe", 1)
    page.goto(f"{server.url}/modules/first-steps/hello")

    context.set_offline(True)
    status = page.locator("[data-offline-queue]")
    page.get_by_role("button", name="Next: Next steps").click()
    expect(heading(page)).to_have_text("Next steps")
    expect(status).to_have_text(
        "You are offline. 1 section read is waiting to be sent. "
        "Sections you finish are kept on this device and sent when you are back online."
    )
    audit.check(page, "A saved section read offline")
    page.get_by_role("button", name="Mark as read and take the quiz").click()
    expect(heading(page)).to_have_text("First steps")  # the saved module page: the quiz needs a connection
    page.goto(f"{server.url}/modules/staying-safe/safety")
    page.get_by_role("button", name="Mark as read and take the quiz").click()
    expect(heading(page)).to_have_text("Staying safe")
    expect(status).to_contain_text("3 section reads are waiting to be sent.")
    page.goto(f"{server.url}/plan")
    expect(heading(page)).to_have_text("You are offline")  # never saved, so never kept
    page.go_back()
    made = queued(page)
    assert len(set(made)) == 3
    assert reads(server, learner) == []

    context.set_offline(False)
    expect(status).to_have_text("Sent: 3 sections you read offline. Your progress is up to date.")
    assert sorted(reads(server, learner)) == sorted(made)
    assert queued(page) == []

    resent = page.evaluate(
        """id => fetch('/modules/staying-safe/safety/read', {method: 'POST', headers: {Accept: 'application/json'},
             body: new URLSearchParams({csrf_token: document.querySelector('input[name=csrf_token]').value,
                                        statement_id: id})}).then(r => r.json())""",
        made[-1],
    )
    assert resent == {"recorded": False, "statement_id": made[-1]}
    assert sorted(reads(server, learner)) == sorted(made)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.wait_for_function("async () => !(await caches.has('induction-saved'))")  # the saved pages are gone
    audit.assert_clean()


def test_next_on_a_connection_that_carries_nothing_is_kept_and_sent_later(
    test_content_server: LiveServer, audit: Audit
) -> None:
    """The browser thinks it is online, but the post of "Next" never arrives: the service worker
    keeps the read and opens the saved next page; the read is sent once the network carries again."""
    server = test_content_server
    learner = server.person(
        "Lee Signal", organisation_id=server.organisation("Valley Sports Club", "sport and culture")
    )
    page = audit.new_page()
    sign_in(page, server.url, learner)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    save(page, f"{server.url}/modules/first-steps", 2)
    page.goto(f"{server.url}/modules/first-steps/hello")

    def no_signal(route: Route) -> None:
        route.abort("internetdisconnected")

    page.context.route("**/read", no_signal)
    page.get_by_role("button", name="Next: Next steps").click()
    expect(heading(page)).to_have_text("Next steps")
    status = page.locator("[data-offline-queue]")
    expect(status).to_have_text("1 section read is waiting to be sent.")
    made = queued(page)
    assert len(made) == 1 and reads(server, learner) == []

    page.context.unroute("**/read", no_signal)
    page.reload()  # (or the script's own retry, a few seconds later)
    expect(status).to_have_text("Sent: 1 section you read offline. Your progress is up to date.")
    assert reads(server, learner) == made
