"""Sign-in with an organisation's OpenID Connect provider (Microsoft Entra ID, Google Workspace, ...).

Authlib's Flask client does the authorisation code flow with PKCE (S256); it keeps the state,
nonce and code verifier in the session and checks them on the way back, and validates the ID
token's signature against the provider's keys (JWKS from discovery), its issuer, audience,
expiry and nonce. This module decides who the validated claims sign in: the account linked to
the provider's stable subject (issuer + sub), else the account with the same verified e-mail
address (linked then, once), else, where the organisation allows it, a new learner.
Plain functions that flush but never commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from authlib.integrations.flask_client.apps import FlaskOAuth2App
from flask import current_app
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError
from requests import RequestException
from sqlalchemy import select

from induction.accounts.models import IdentityLink, IdentityProvider, ProviderOrganisation, Role, User
from induction.clock import today, utcnow
from induction.extensions import db

SCOPE = "openid email profile"
TIMEOUT_SECONDS = 10


class SignInRefused(Exception):
    """The provider's answer does not sign anyone in; the message says why, in the user's words."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Claims:
    """What the validated ID token says about the person."""

    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]


def providers() -> list[IdentityProvider]:
    """Every configured provider, for the sign-in page's buttons, by name."""
    return list(db.session.scalars(select(IdentityProvider).order_by(IdentityProvider.name)))


def provider_or_none(key: str) -> IdentityProvider | None:
    return db.session.scalar(select(IdentityProvider).where(IdentityProvider.key == key))


def client(provider: IdentityProvider) -> FlaskOAuth2App:
    """Authlib's client for `provider`. One per configuration, kept for the app's life, so that
    discovery and the provider's keys are fetched once (the keys again if an unknown key id comes)."""
    oauth: OAuth = current_app.extensions.setdefault("induction_oidc", OAuth(current_app))
    fingerprint = hashlib.sha256(
        "\n".join((provider.issuer, provider.client_id, provider.client_secret)).encode()
    ).hexdigest()[:12]
    name = f"{provider.key}-{fingerprint}"
    found = oauth.create_client(name)
    if found is None:
        found = oauth.register(
            name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=provider.issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "default_timeout": TIMEOUT_SECONDS},
        )
    return found  # type: ignore[no-any-return]


def metadata(provider: IdentityProvider) -> dict[str, Any]:
    """The provider's discovery document, refused if it names another issuer (OpenID Connect
    Discovery 4.3: a provider that answers for someone else is not the one configured)."""
    try:
        found: dict[str, Any] = client(provider).load_server_metadata()
    except (RequestException, ValueError) as error:
        raise SignInRefused(f"{provider.name} cannot be reached just now. Try again in a few minutes.", 503) from error
    if found.get("issuer") != provider.issuer:
        raise SignInRefused(f"{provider.name} answered as a different issuer, so the sign-in was stopped.")
    return found


def check_response_issuer(provider: IdentityProvider, issuer: str | None) -> None:
    """RFC 9207: where the provider names itself in the response, it must be the one we asked."""
    if issuer is not None and issuer != provider.issuer:
        raise SignInRefused("The sign-in came back from a different issuer than the one it went to.")


def validated_claims(provider: IdentityProvider) -> Claims:
    """Exchange the code in this request for tokens and validate the ID token; the claims, or
    SignInRefused saying what was wrong."""
    metadata(provider)
    try:
        token = client(provider).authorize_access_token()
    except OAuthError as error:
        if error.error == "mismatching_state":
            raise SignInRefused(
                "This sign-in link has already been used or has expired. Start again from the sign-in page."
            ) from error
        if error.error == "access_denied":
            raise SignInRefused(f"{provider.name} did not sign you in. Start again from the sign-in page.") from error
        raise SignInRefused(f"{provider.name} refused the sign-in ({error.error}).") from error
    except ExpiredTokenError as error:
        raise SignInRefused(_claim_problem(provider, "exp")) from error
    except ClaimError as error:
        raise SignInRefused(_claim_problem(provider, error.claim)) from error
    except JoseError as error:
        raise SignInRefused(f"{provider.name}'s sign-in token is not signed with its keys.") from error
    except RequestException as error:
        raise SignInRefused(f"{provider.name} cannot be reached just now. Try again in a few minutes.", 503) from error
    info = dict(token.get("userinfo") or {})
    if "email" not in info:  # a provider may keep the profile claims for its userinfo endpoint
        try:
            extra = client(provider).userinfo(token=token)
        except RequestException as error:
            raise SignInRefused(
                f"{provider.name} cannot be reached just now. Try again in a few minutes.", 503
            ) from error
        if extra.get("sub") == info.get("sub"):  # OpenID Connect Core 5.3.2: else ignore the answer
            info.update({k: v for k, v in extra.items() if k in ("email", "email_verified", "xms_edov", "name")})
    email = str(info.get("email") or "").strip().lower()
    if not info.get("sub") or "@" not in email:
        raise SignInRefused(f"{provider.name} did not give an e-mail address, so we cannot tell who you are.")
    # Google sends email_verified; Entra ID sends xms_edov (the tenant owns the address's domain).
    verified = info.get("email_verified") is True or info.get("xms_edov") is True
    name = str(info.get("name") or "").strip() or email.partition("@")[0]
    return Claims(str(info["iss"]), str(info["sub"]), email, verified, name[:200])


def _claim_problem(provider: IdentityProvider, claim: str) -> str:
    problems = {
        "iss": f"The sign-in token was not issued by {provider.name}.",
        "aud": "The sign-in token was issued for another service, not this one.",
        "azp": "The sign-in token was issued for another service, not this one.",
        "nonce": "The sign-in token does not belong to this sign-in. Start again from the sign-in page.",
        "exp": f"{provider.name}'s sign-in token has expired. Start again from the sign-in page.",
    }
    return problems.get(claim, f"{provider.name}'s sign-in token is not valid ({claim}).")


def organisation_for(provider: IdentityProvider, domain: str) -> ProviderOrganisation:
    """The organisation whose people have e-mail addresses at `domain`, among those `provider` serves."""
    for served in provider.organisations:
        if domain in served.domain_list:
            return served
    raise SignInRefused(
        f"{provider.name} does not sign in people with addresses at {domain} here. "
        "Sign in with your password, or ask your manager.",
        403,
    )


def account_for(provider: IdentityProvider, claims: Claims) -> User:
    """The account these claims sign in, linking or creating it where the rules allow."""
    served = organisation_for(provider, claims.domain)
    link = db.session.scalar(
        select(IdentityLink).where(IdentityLink.issuer == claims.issuer, IdentityLink.subject == claims.subject)
    )
    user = db.session.get(User, link.user_id) if link is not None else None
    if user is None:
        if not claims.email_verified:
            raise SignInRefused(f"{provider.name} has not confirmed your e-mail address, so we cannot link it.", 403)
        user = db.session.scalar(select(User).where(db.func.lower(User.email) == claims.email))
        if user is None:
            if not served.create_learners:
                raise SignInRefused(
                    f"There is no account for {claims.email} at {served.organisation.name}. "
                    "Ask your manager to add you.",
                    403,
                )
            user = User(
                email=claims.email,
                name=claims.name,
                role=Role.LEARNER,
                organisation_id=served.organisation_id,
                password_hash=None,
                start_date=today(),
            )
            db.session.add(user)
            db.session.flush()
        elif db.session.scalar(
            select(IdentityLink).where(IdentityLink.user_id == user.id, IdentityLink.issuer == claims.issuer)
        ):
            raise SignInRefused(
                f"Your account here is linked to another {provider.name} account. Ask an administrator.", 403
            )
        db.session.add(IdentityLink(user_id=user.id, issuer=claims.issuer, subject=claims.subject))
    if not user.active:
        raise SignInRefused("This account is switched off. Ask your manager to restore it.", 403)
    user.last_sign_in_at = utcnow()
    db.session.flush()
    return user


def save_provider(
    key: str,
    name: str,
    issuer: str,
    client_id: str,
    secret: str,
    organisation_ids: tuple[int, ...] | list[int],
    domains: list[str],
    create_learners: bool = False,
    required: bool = False,
) -> IdentityProvider:
    """Add the provider with this key, or replace its settings; it then serves exactly these organisations."""
    provider = provider_or_none(key) or IdentityProvider(key=key)
    provider.name, provider.issuer = name, issuer.rstrip("/")
    provider.client_id, provider.client_secret = client_id, secret
    db.session.add(provider)
    db.session.flush()
    for organisation_id in organisation_ids:
        served = db.session.get(ProviderOrganisation, organisation_id) or ProviderOrganisation(
            organisation_id=organisation_id
        )
        served.provider_id = provider.id
        served.domains = " ".join(sorted(set(domains)))
        served.create_learners = create_learners
        served.required = required
        db.session.add(served)
    db.session.flush()
    db.session.expire(provider, ["organisations"])
    return provider


def required_provider(user: User) -> IdentityProvider | None:
    """The provider `user` must sign in with instead of a password, if their organisation requires one.
    Administrators keep their passwords, so that a provider's outage cannot lock everyone out."""
    if user.organisation_id is None or user.has_role(Role.ADMIN):
        return None
    served = db.session.get(ProviderOrganisation, user.organisation_id)
    return served.provider if served is not None and served.required else None


def end_session_url(provider: IdentityProvider, after: str) -> str | None:
    """Where to sign out of the provider too (RP-initiated logout), if its discovery has an end-session endpoint."""
    try:
        if not metadata(provider).get("end_session_endpoint"):
            return None
    except SignInRefused:
        return None
    url: str = client(provider).create_logout_url(post_logout_redirect_uri=after, client_id=provider.client_id)["url"]
    return url
