"""Signing in with an organisation's account, in Chromium, through a real OpenID provider
(oidc-provider from npm on loopback): out to its login form, back to the right home page, then
signing out here and at the provider."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from induction.accounts import oidc
from induction.extensions import db

from ..oidc_provider import LoopbackProvider
from ..oidc_support import provider_fixture  # noqa: F401  (the `provider` fixture)
from .harness import Audit, LiveServer
from .steps import heading

pytestmark = pytest.mark.browser

KEY = "riverside"
NAME = "Riverside Council"


@pytest.fixture
def riverside(test_content_server: LiveServer, provider: LoopbackProvider) -> Iterator[tuple[int, int]]:
    """Riverside Council's provider, registered for the live server, serving the council
    (riverside.example) and its youth service (youth.riverside.example), both adding new people
    as learners; removed afterwards, as the server's sign-in page is shared with other journeys.
    Yields the two organisations' ids."""
    server = test_content_server
    council = server.organisation("Riverside Council", "social care and family support")
    youth = server.organisation("Riverside Youth Service", "youth")
    client_id, secret = provider.register_client(server.url, KEY)
    with server.app.app_context():
        for organisation_id, domain in ((council, "riverside.example"), (youth, "youth.riverside.example")):
            oidc.save_provider(
                KEY, NAME, provider.issuer, client_id, secret, [organisation_id], [domain], create_learners=True
            )
        db.session.commit()
    try:
        yield council, youth
    finally:
        with server.app.app_context():
            found = oidc.provider_or_none(KEY)
            if found is not None:
                db.session.delete(found)
                db.session.commit()


def only_loopback(page: Page) -> None:
    """Stop requests that would leave the machine (the provider's pages ask for a web font)."""
    page.context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())


def log_in_at_provider(page: Page, provider: LoopbackProvider, login: str) -> None:
    """Fill in oidc-provider's development login form as a person would."""
    expect(page).to_have_url(re.compile("^" + re.escape(provider.issuer) + "/interaction/"))
    page.get_by_placeholder("Enter any login").fill(login)
    page.get_by_placeholder("and password").fill("any password")
    page.get_by_role("button", name="Sign-in").click()


def test_a_person_signs_in_with_their_organisation_account_and_signs_out_there_too(
    test_content_server: LiveServer, provider: LoopbackProvider, riverside: tuple[int, int], audit: Audit
) -> None:
    server = test_content_server
    login = provider.account("Grace.Hopper@youth.riverside.example", name="Grace Hopper")
    page = audit.new_page()
    only_loopback(page)

    page.goto(f"{server.url}/sign-in")
    expect(page.get_by_role("heading", name="Or sign in with your organisation's account")).to_be_visible()
    audit.check(page, "Sign in, with an organisation's provider")
    page.get_by_role("link", name=f"Sign in with {NAME}").click()
    log_in_at_provider(page, provider, login)
    # This provider treats the platform as first-party and asks no consent; others ask once.
    home = page.get_by_role("heading", level=1, name="Your induction")
    consent = page.get_by_role("button", name="Continue")
    expect(home.or_(consent)).to_be_visible()
    if consent.is_visible():
        consent.click()

    expect(home).to_be_visible()
    assert page.url == f"{server.url}/"
    expect(page.get_by_text("Hello Grace Hopper.")).to_be_visible()
    # New at the youth service's domain, so a learner there, not at the council.
    expect(page.get_by_text("You are inducted into Riverside Youth Service.")).to_be_visible()
    expect(page.get_by_role("link", name="Your plan", exact=True)).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(heading(page)).to_have_text("You have signed out")
    assert page.url == f"{server.url}/signed-out/{KEY}"
    sign_out_there = page.get_by_role("link", name=f"Sign out of {NAME} too")
    expect(sign_out_there).to_have_attribute("href", re.compile("^" + re.escape(provider.issuer) + "/session/end\\?"))
    audit.check(page, "Signed out, offered the provider's sign-out")
    page.goto(f"{server.url}/")
    expect(heading(page)).to_have_text("Sign in")  # signed out here

    page.go_back()
    sign_out_there.click()
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(heading(page)).to_have_text("Sign in")  # back here, as registered with the provider
    expect(page).to_have_url(re.compile("^" + re.escape(f"{server.url}/sign-in") + r"(\?|$)"))

    # Signed out at the provider too: the next sign-in asks for the login again.
    page.get_by_role("link", name=f"Sign in with {NAME}").click()
    expect(page.get_by_placeholder("Enter any login")).to_be_visible()
    audit.assert_clean()
