"""Sign-in with an organisation's provider: the redirect out, the way back, and signing out there too."""

from __future__ import annotations

import os
from typing import Any

import click
from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user

from induction.accounts import oidc
from induction.accounts.models import Organisation
from induction.accounts.views import begin_sign_in, safe_next
from induction.database import retry_conflicts
from induction.extensions import db

bp = Blueprint("oidc", __name__, cli_group="identity-providers")
NEXT = "oidc_next"
PROVIDER = "oidc_provider"  # the provider this sign-in came through, for signing out there too


@bp.app_template_global()
def identity_providers() -> list[oidc.IdentityProvider]:
    """The sign-in page's "Sign in with ..." buttons; queried only where a template asks."""
    return oidc.providers()


def _provider_or_404(key: str) -> oidc.IdentityProvider:
    provider = oidc.provider_or_none(key)
    if provider is None:
        abort(404)
    return provider


def _refused(problem: oidc.SignInRefused) -> Any:
    return render_template("accounts/provider_problem.html", problem=problem.message), problem.status


@bp.get("/sign-in/with/<key>")
def start(key: str) -> Any:
    """Send the person to their provider; state, nonce and the PKCE verifier wait in the session."""
    if current_user.is_authenticated:
        return redirect(url_for("learning.home"))
    provider = _provider_or_404(key)
    try:
        oidc.metadata(provider)
    except oidc.SignInRefused as problem:
        return _refused(problem)
    session[NEXT] = safe_next(request.args.get("next"))
    return oidc.client(provider).authorize_redirect(url_for("oidc.callback", key=key, _external=True))


@bp.get("/sign-in/with/<key>/callback")
def callback(key: str) -> Any:
    """The provider's answer. The one GET that writes: the protocol comes back by GET, and the
    one-time state in this browser's session is what makes it safe to act on."""
    provider = _provider_or_404(key)
    try:
        oidc.check_response_issuer(provider, request.args.get("iss"))
        claims = oidc.validated_claims(provider)
        user = retry_conflicts(lambda: oidc.account_for(provider, claims))  # a double click links once
    except oidc.SignInRefused as problem:
        db.session.rollback()
        return _refused(problem)
    target = session.get(NEXT) or url_for("learning.home")
    begin_sign_in(user, remember=False)
    session[PROVIDER] = provider.key
    db.session.commit()
    return redirect(target)


@bp.get("/signed-out/<key>")
def signed_out(key: str) -> Any:
    """After signing out here: offer to sign out of the provider as well, where it allows that."""
    provider = _provider_or_404(key)
    url = oidc.end_session_url(provider, url_for("accounts.sign_in", _external=True))
    if url is None:
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/signed_out.html", provider=provider, end_session_url=url)


# -- configuration: flask identity-providers add / list / remove ------------------------------


@bp.cli.command("add")
@click.option("--key", required=True, help="Short name used in the sign-in addresses, e.g. hillside.")
@click.option("--name", required=True, help='The button reads "Sign in with <name>".')
@click.option("--issuer", required=True, help="The provider's issuer, exactly as its discovery document gives it.")
@click.option("--client-id", required=True)
@click.option("--secret-from", "secret_variable", required=True, help="Environment variable holding the client secret.")
@click.option("--organisation", "organisation_ids", type=int, multiple=True, required=True, help="Organisation id.")
@click.option("--domain", "domains", multiple=True, required=True, help="E-mail domain of its people (repeatable).")
@click.option("--create-learners", is_flag=True, help="Add a person from these domains as a learner on first sign-in.")
@click.option("--required", is_flag=True, help="Refuse password sign-in for these organisations' people.")
def add_provider(
    key: str,
    name: str,
    issuer: str,
    client_id: str,
    secret_variable: str,
    organisation_ids: tuple[int, ...],
    domains: tuple[str, ...],
    create_learners: bool,
    required: bool,
) -> None:
    """Add a provider, or replace the one with this key, for the given organisations."""
    secret = os.environ.get(secret_variable, "")
    if not secret:
        raise click.UsageError(f"The environment variable {secret_variable} is empty: it must hold the client secret.")
    if not issuer.startswith("https://") and not issuer.startswith("http://127.0.0.1"):
        raise click.UsageError("The issuer must be an https:// address.")
    organisations = [db.session.get(Organisation, i) for i in organisation_ids]
    missing = [str(i) for i, o in zip(organisation_ids, organisations, strict=True) if o is None]
    if missing:
        raise click.UsageError(f"No organisation with id {', '.join(missing)}.")
    oidc.save_provider(
        key,
        name,
        issuer,
        client_id,
        secret,
        organisation_ids,
        [d.strip().lower().lstrip("@") for d in domains],
        create_learners=create_learners,
        required=required,
    )
    db.session.commit()
    click.echo(f"{name}: sign-in at /sign-in/with/{key}; register /sign-in/with/{key}/callback with the provider.")


@bp.cli.command("list")
def list_providers() -> None:
    """Show the configured providers and the organisations each signs in (secrets not shown)."""
    found = oidc.providers()
    if not found:
        click.echo("No identity providers are configured.")
    for provider in found:
        click.echo(f"{provider.key}: {provider.name} ({provider.issuer}, client {provider.client_id})")
        for served in provider.organisations:
            rules = [r for r, on in (("creates learners", served.create_learners), ("required", served.required)) if on]
            line = f"  {served.organisation.name}: {', '.join(served.domain_list)}"
            click.echo(line + (f"; {', '.join(rules)}" if rules else ""))


@bp.cli.command("remove")
@click.argument("key")
def remove_provider(key: str) -> None:
    """Remove a provider; its people sign in with passwords again (links are kept for its return)."""
    provider = oidc.provider_or_none(key)
    if provider is None:
        raise click.UsageError(f"No identity provider with key {key}.")
    db.session.delete(provider)
    db.session.commit()
    click.echo(f"Removed {provider.name}.")
