"""Sign-in with an organisation's OpenID provider, against a real one (oidc-provider from npm on
loopback): the code flow followed by a real HTTP client, the refusals, and passwords refused
where an organisation requires its provider."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from induction.accounts import oidc
from induction.accounts.models import IdentityLink, Organisation, Role, User, UserSession
from induction.extensions import db

from .conftest import AuthActions, Factory, csrf_from
from .oidc_provider import LoopbackProvider, submit_login
from .oidc_support import provider_fixture  # noqa: F401  (the `provider` fixture)

DOMAIN = "hillside.example"


@pytest.fixture
def hillside(make: Factory) -> Organisation:
    return make.organisation("Hillside Council")


def configure(provider: LoopbackProvider, served: str, organisation: Organisation, **rules: bool) -> None:
    client_id, secret = provider.register_client(served, "hillside")
    oidc.save_provider(
        "hillside", "Hillside Council", provider.issuer, client_id, secret, [organisation.id], [DOMAIN], **rules
    )
    db.session.commit()


def sign_in_through(served: str, login: str, browser: requests.Session | None = None) -> requests.Response:
    """Press "Sign in with Hillside Council", log in at the provider, follow every redirect back."""
    browser = browser or requests.Session()
    login_page = browser.get(f"{served}/sign-in/with/hillside", timeout=10)
    assert login_page.status_code == 200, login_page.text[:300]
    return submit_login(browser, login_page, login)


def sessions_of(user: User | None = None) -> int:
    query = select(func.count()).select_from(UserSession)
    if user is not None:
        query = query.where(UserSession.user_id == user.id)
    return db.session.scalar(query) or 0


def test_the_code_flow_signs_in_the_existing_account_once_linked_by_the_provider_subject(
    app: Flask, served: str, provider: LoopbackProvider, hillside: Organisation, make: Factory
) -> None:
    ada = make.learner(hillside, email=f"ada@{DOMAIN}", name="Ada Lovelace")
    configure(provider, served, hillside)
    subject = provider.account(f"Ada@{DOMAIN}")
    browser = requests.Session()

    home = sign_in_through(served, subject, browser)

    assert home.status_code == 200, home.text
    assert home.url == f"{served}/"
    assert "Sign out" in home.text
    assert sessions_of(ada) == 1
    link = db.session.scalar(select(IdentityLink).where(IdentityLink.user_id == ada.id))
    assert link is not None
    assert (link.issuer, link.subject) == (provider.issuer, subject)

    # Signing out ends the server-side sign-in and offers the provider's end-session.
    signed_out = browser.post(f"{served}/sign-out", data={"csrf_token": csrf_from(home.text)}, timeout=10)
    assert signed_out.url == f"{served}/signed-out/hillside"
    assert "Sign out of Hillside Council too" in signed_out.text
    assert f'href="{provider.issuer}/session/end?' in signed_out.text
    assert sessions_of(ada) == 0
    assert browser.get(f"{served}/", timeout=10).url.startswith(f"{served}/sign-in")

    # The second time, the subject finds the account (still one link, one new sign-in).
    sign_in_through(served, subject, browser)
    assert db.session.scalar(select(func.count()).select_from(IdentityLink)) == 1
    assert sessions_of(ada) == 1


def test_a_new_person_is_added_as_a_learner_where_the_organisation_allows_it(
    app: Flask, served: str, provider: LoopbackProvider, hillside: Organisation
) -> None:
    configure(provider, served, hillside, create_learners=True)

    home = sign_in_through(served, provider.account(f"grace@{DOMAIN}", name="Grace Hopper"))

    assert home.status_code == 200
    grace = db.session.scalar(select(User).where(User.email == f"grace@{DOMAIN}"))
    assert grace is not None
    assert (grace.name, grace.role, grace.organisation_id) == ("Grace Hopper", Role.LEARNER.value, hillside.id)
    assert grace.password_hash is None
    assert sessions_of(grace) == 1


def test_a_new_person_is_refused_where_the_organisation_adds_people_itself(
    app: Flask, served: str, provider: LoopbackProvider, hillside: Organisation
) -> None:
    configure(provider, served, hillside, create_learners=False)

    refused = sign_in_through(served, provider.account(f"new@{DOMAIN}"))

    assert refused.status_code == 403
    assert f"There is no account for new@{DOMAIN} at Hillside Council. Ask your manager to add you." in refused.text
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert sessions_of() == 0


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"iss": "https://impostor.example"}, "The sign-in token was not issued by Hillside Council."),
        ({"aud": "another-service"}, "The sign-in token was issued for another service, not this one."),
        (
            {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
            "Hillside Council&#39;s sign-in token has expired.",
        ),
        ({"nonce": "not-the-one-we-sent"}, "The sign-in token does not belong to this sign-in."),
    ],
    ids=["wrong issuer", "wrong audience", "expired", "bad nonce"],
)
def test_a_token_that_fails_validation_is_refused_and_signs_nobody_in(
    app: Flask,
    served: str,
    provider: LoopbackProvider,
    hillside: Organisation,
    make: Factory,
    claims: dict[str, Any],
    message: str,
) -> None:
    make.learner(hillside, email=f"ada@{DOMAIN}")
    configure(provider, served, hillside, create_learners=True)
    subject = provider.account(f"ada@{DOMAIN}")
    provider.tamper_next_id_token(**claims)
    browser = requests.Session()

    refused = sign_in_through(served, subject, browser)

    assert refused.status_code == 400
    assert message in refused.text, refused.text[refused.text.find("alert") :][:200]
    assert sessions_of() == 0
    assert db.session.scalar(select(func.count()).select_from(IdentityLink)) == 0
    assert browser.get(f"{served}/", timeout=10).url.startswith(f"{served}/sign-in")


def test_a_replayed_callback_is_refused(
    app: Flask, served: str, provider: LoopbackProvider, hillside: Organisation, make: Factory
) -> None:
    ada = make.learner(hillside, email=f"ada@{DOMAIN}")
    configure(provider, served, hillside)
    browser = requests.Session()
    home = sign_in_through(served, provider.account(f"ada@{DOMAIN}"), browser)
    callback = next(r.headers["Location"] for r in home.history if "/callback?" in r.headers.get("Location", ""))
    assert sessions_of(ada) == 1

    for replayer in (browser, requests.Session()):  # the same browser, and one that never started a sign-in
        replayed = replayer.get(callback, timeout=10)
        assert replayed.status_code == 400
        assert "This sign-in link has already been used or has expired." in replayed.text
    assert sessions_of(ada) == 1


def test_an_address_outside_the_allowed_domains_is_refused(
    app: Flask, served: str, provider: LoopbackProvider, hillside: Organisation, make: Factory
) -> None:
    make.learner(hillside, email="ada@elsewhere.example")
    configure(provider, served, hillside, create_learners=True)

    refused = sign_in_through(served, provider.account("ada@elsewhere.example"))

    assert refused.status_code == 403
    assert "Hillside Council does not sign in people with addresses at elsewhere.example here." in refused.text
    assert sessions_of() == 0
    assert db.session.scalar(select(func.count()).select_from(IdentityLink)) == 0


def test_an_unconfirmed_address_is_not_linked_to_an_existing_account(
    app: Flask, served: str, provider: LoopbackProvider, hillside: Organisation, make: Factory
) -> None:
    make.learner(hillside, email=f"ada@{DOMAIN}")
    configure(provider, served, hillside)

    refused = sign_in_through(served, provider.account(f"ada@{DOMAIN}", verified=False))

    assert refused.status_code == 403
    assert "has not confirmed your e-mail address" in refused.text
    assert sessions_of() == 0


def test_the_sign_in_page_offers_each_provider(client: FlaskClient, hillside: Organisation) -> None:
    assert "Sign in with" not in client.get("/sign-in").get_data(as_text=True)
    oidc.save_provider("hillside", "Hillside Council", "https://login.example", "id", "secret", [hillside.id], [DOMAIN])
    db.session.commit()

    page = client.get("/sign-in?next=/plan").get_data(as_text=True)

    assert 'href="/sign-in/with/hillside?next=/plan">Sign in with Hillside Council</a>' in page
    assert client.get("/sign-in/with/nowhere").status_code == 404


def test_an_organisation_that_requires_its_provider_refuses_passwords(
    client: FlaskClient, auth: AuthActions, hillside: Organisation, make: Factory
) -> None:
    ada = make.learner(hillside)
    admin = make.user(Role.ADMIN, hillside)
    elsewhere = make.learner()
    oidc.save_provider(
        "hillside", "Hillside Council", "https://login.example", "id", "secret", [hillside.id], [DOMAIN], required=True
    )
    db.session.commit()

    refused = auth.sign_in(ada)

    assert refused.status_code == 403
    assert "use “Sign in with Hillside Council”" in refused.get_data(as_text=True)
    assert sessions_of() == 0
    assert auth.sign_in(elsewhere).status_code == 302  # other organisations keep their passwords
    auth.sign_out()
    assert auth.sign_in(admin).status_code == 302  # and administrators, so an outage locks nobody out


def test_an_unreachable_provider_is_a_clear_message(client: FlaskClient, hillside: Organisation) -> None:
    oidc.save_provider("hillside", "Hillside Council", "http://127.0.0.1:9", "id", "secret", [hillside.id], [DOMAIN])
    db.session.commit()

    answer = client.get("/sign-in/with/hillside")

    assert answer.status_code == 503
    assert "Hillside Council cannot be reached just now." in answer.get_data(as_text=True)


def test_administrators_configure_providers_from_the_command_line(
    runner: Any, hillside: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HILLSIDE_SECRET", "s3cret")
    added = runner.invoke(
        args=[
            "identity-providers", "add", "--key", "hillside", "--name", "Hillside Council",
            "--issuer", "https://login.microsoftonline.com/tenant/v2.0", "--client-id", "abc",
            "--secret-from", "HILLSIDE_SECRET", "--organisation", str(hillside.id), "--domain", "@Hillside.Example",
            "--create-learners",
        ]
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "register /sign-in/with/hillside/callback" in added.output

    listed = runner.invoke(args=["identity-providers", "list"])
    assert "Hillside Council: hillside.example; creates learners" in listed.output
    assert "s3cret" not in listed.output

    unknown = runner.invoke(args=["identity-providers", "add", "--key", "x", "--name", "X", "--issuer", "https://x",
                                  "--client-id", "a", "--secret-from", "HILLSIDE_SECRET", "--organisation", "999999",
                                  "--domain", "x.example"])  # fmt: skip
    assert unknown.exit_code != 0
    assert "No organisation with id 999999." in unknown.output

    assert runner.invoke(args=["identity-providers", "remove", "hillside"]).exit_code == 0
    assert oidc.providers() == []
