"""Checking a credential from another deployment, and which of its modules can be credited here.

A credential is accepted when its issuer is this deployment or one named in `CREDENTIAL_ISSUERS`,
it is signed by a key that issuer publishes at `/.well-known/jwks.json`, it is within its dates,
and the issuer's status for it does not say revoked. Only trusted issuers are fetched from, so an
address typed or pasted by a user never makes the server fetch anything else.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import KeySet

from induction import clock
from induction.completion import keys
from induction.completion.credentials import ALGORITHMS, base_url, moment_of, status
from induction.completion.services import certificate_by_code
from induction.content.model import Catalogue, Module
from induction.rules import ModuleState, Status

JWKS_PATH = "/.well-known/jwks.json"
FETCH_TIMEOUT = 5.0
FETCH_LIMIT = 256 * 1024
INPUT_LIMIT = 64 * 1024
_COMPACT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_REGISTRY = jws.JWSRegistry(algorithms=list(ALGORITHMS))
_REGISTRY.max_payload_length = INPUT_LIMIT


class CredentialRefused(ValueError):
    """A credential that is not accepted; the message says why, for the manager."""


# -- checking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProvenModule:
    """One module a checked credential proves."""

    slug: str
    title: str
    version: str
    completed_at: datetime | None
    refresher_due_by: datetime | None
    prior_learning: bool

    @property
    def major(self) -> int | None:
        head = self.version.split(".", 1)[0]
        return int(head) if head.isdigit() else None


@dataclass(frozen=True)
class Verified:
    """What a credential proves, once its signature, issuer, dates and status have been checked."""

    token: str
    credential_id: str
    issuer_id: str
    issuer_name: str
    learner_name: str
    valid_from: datetime | None
    valid_until: datetime | None
    modules: tuple[ProvenModule, ...]

    @property
    def fingerprint(self) -> str:
        """A short, stable reference to the credential for reasons and logs."""
        return hashlib.sha256(self.credential_id.encode()).hexdigest()[:12]


def trusted_bases() -> list[str]:
    """The deployments whose credentials are accepted: this one and those in CREDENTIAL_ISSUERS."""
    listed = re.split(r"[\s,]+", str(current_app.config.get("CREDENTIAL_ISSUERS") or ""))
    return [base_url(), *(b.rstrip("/") for b in listed if b)]


def token_from(pasted: str) -> str:
    """The VC-JWT in what a manager pasted or uploaded: the compact JWT or the JSON file learners download."""
    text = pasted.strip().lstrip("\ufeff")
    if not text:
        raise CredentialRefused("Paste the credential or choose its file.")
    if len(text) > INPUT_LIMIT:
        raise CredentialRefused("That is too long to be a credential from an induction platform.")
    if text.startswith("{"):
        try:
            found = json.loads(text)
        except ValueError:
            raise CredentialRefused("The file is not valid JSON, so it is not a credential.") from None
        proof = found.get("proof") if isinstance(found, dict) else None
        text = proof.get("jwt", "") if isinstance(proof, dict) else ""
        if not isinstance(text, str) or not text:
            raise CredentialRefused(
                "The JSON has no signed proof (proof.jwt), so nothing in it can be checked. "
                "Ask the learner for the credential file their certificate page offers."
            )
    if not _COMPACT.match(text):
        raise CredentialRefused(
            "That is not a signed credential: expected the JSON file or the JWT (three parts separated by dots)."
        )
    return text


def allowed_address(url: str) -> bool:
    """https, or http to the loopback interface outside production (tests run two instances so)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or current_app.config.get("ENV") == "production" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # an issuer's keys and status are at the addresses it names, not elsewhere


_OPENER = urllib.request.build_opener(_NoRedirects)


def fetch_json(url: str, what: str) -> Any:
    """GET a JSON document from a trusted issuer, with a timeout and a size limit."""
    if not allowed_address(url):
        raise CredentialRefused(f"The {what} must be fetched over HTTPS; {url} is not an HTTPS address.")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - scheme checked above
    try:
        with _OPENER.open(request, timeout=FETCH_TIMEOUT) as response:
            body = response.read(FETCH_LIMIT + 1)
    except urllib.error.HTTPError as error:
        raise CredentialRefused(f"The issuer answered {error.code} for the {what} ({url}).") from None
    except (urllib.error.URLError, TimeoutError, OSError):
        raise CredentialRefused(f"The issuer could not be reached for the {what} ({url}). Try again later.") from None
    if len(body) > FETCH_LIMIT:
        raise CredentialRefused(f"The issuer's {what} is too large to be what it should be.")
    try:
        return json.loads(body)
    except ValueError:
        raise CredentialRefused(f"The issuer's {what} at {url} is not JSON.") from None


def _issuer_base(claimed: Any) -> str:
    if not isinstance(claimed, str) or not claimed.endswith("/issuer"):
        raise CredentialRefused("The credential does not name an issuer this platform can check.")
    base = claimed[: -len("/issuer")]
    if base not in trusted_bases():
        raise CredentialRefused(
            f"The credential was issued by {base}, which this platform does not accept credentials from. "
            "An administrator can add it to CREDENTIAL_ISSUERS if it is a platform you trust."
        )
    return base


def verify(token: str, now: datetime | None = None) -> Verified:
    """Check a VC-JWT: a trusted issuer, its signature by a key the issuer publishes, its dates and
    its status. Returns what it proves, or raises CredentialRefused saying why not."""
    moment = now or clock.utcnow()
    try:
        unverified = jws.extract_compact(token.encode(), registry=_REGISTRY)
        payload = json.loads(unverified.payload)
    except (JoseError, ValueError):
        raise CredentialRefused("The credential cannot be read: it is damaged or not a credential.") from None
    if not isinstance(payload, dict):
        raise CredentialRefused("The credential cannot be read: it is damaged or not a credential.")
    if unverified.headers().get("alg") not in ALGORITHMS:
        raise CredentialRefused("The credential is signed with an algorithm this platform does not accept.")
    issuer = payload.get("issuer")
    claimed = issuer.get("id") if isinstance(issuer, dict) else issuer
    base = _issuer_base(payload.get("iss"))
    if claimed != payload.get("iss"):
        raise CredentialRefused("The credential names two different issuers, so it cannot be trusted.")
    if base == base_url():
        key_set = KeySet.import_key_set(keys.public_jwks())  # type: ignore[arg-type]  # our own: no need to ask ourselves over HTTP
    else:
        try:
            key_set = KeySet.import_key_set(fetch_json(base + JWKS_PATH, "issuer's public keys"))
        except (JoseError, ValueError, TypeError, KeyError) as error:
            if isinstance(error, CredentialRefused):
                raise
            raise CredentialRefused("The issuer's public keys could not be read.") from None
    try:
        claims = jwt.decode(token, key_set, algorithms=list(ALGORITHMS), registry=_REGISTRY).claims
    except BadSignatureError:
        raise CredentialRefused(
            "The credential has been changed since it was issued: its signature does not match its contents."
        ) from None
    except (JoseError, ValueError, KeyError):
        raise CredentialRefused("The credential is not signed by any key its issuer publishes.") from None
    try:
        return _checked(token, claims, base, moment)
    except (AttributeError, TypeError, KeyError):  # signed by a trusted issuer, yet not in the expected shape
        raise CredentialRefused("The credential is signed, but its contents are not in the Open Badges form.") from None


def _checked(token: str, claims: dict[str, Any], base: str, moment: datetime) -> Verified:
    types = claims.get("type") or []
    if "OpenBadgeCredential" not in types and "AchievementCredential" not in types:
        raise CredentialRefused("This is a signed document, but not an Open Badges credential.")
    ident = claims.get("id")
    if not isinstance(ident, str) or claims.get("jti") != ident:
        raise CredentialRefused("The credential has no id, so its status cannot be checked.")
    valid_from, valid_until = moment_of(claims.get("validFrom")), moment_of(claims.get("validUntil"))
    if valid_from is not None and valid_from > moment:
        raise CredentialRefused(f"The credential is not valid until {valid_from:%-d %B %Y}.")
    if valid_until is not None and moment >= valid_until:
        raise CredentialRefused(
            f"The credential expired on {valid_until:%-d %B %Y}: a refresher was due. "
            "The learner needs a current certificate from the issuer."
        )
    status = claims.get("credentialStatus")
    status_url = status.get("id") if isinstance(status, dict) else None
    if not isinstance(status_url, str) or not status_url.startswith(base + "/"):
        raise CredentialRefused("The credential has no status at its issuer, so it cannot be known not to be revoked.")
    published = fetch_json(status_url, "credential's status") if base != base_url() else _own_status(ident)
    revoked = published.get("revokedCredentials") if isinstance(published, dict) else None
    if not isinstance(revoked, list):
        raise CredentialRefused("The issuer's status for the credential could not be read.")
    for entry in revoked:
        if isinstance(entry, dict) and entry.get("id") == ident and entry.get("revoked", True):
            raise CredentialRefused("The issuer has revoked this credential, so it proves nothing.")
    issuer: dict[str, Any] = claims["issuer"] if isinstance(claims.get("issuer"), dict) else {}
    subject = claims.get("credentialSubject") or {}
    names = [i.get("identityHash") for i in subject.get("identifier") or [] if i.get("identityType") == "name"]
    return Verified(
        token=token,
        credential_id=ident,
        issuer_id=claims["iss"],
        issuer_name=str(issuer.get("name") or base),
        learner_name=str(names[0]) if names else "",
        valid_from=valid_from,
        valid_until=valid_until,
        modules=_proven(subject),
    )


def _own_status(ident: str) -> dict[str, Any]:
    found = certificate_by_code(ident.rsplit("/", 1)[-1])
    if found is None:
        raise CredentialRefused("This platform has no record of issuing that credential.")
    return status(found, base_url())


def _proven(subject: Mapping[str, Any]) -> tuple[ProvenModule, ...]:
    achievement = subject.get("achievement") or {}
    descriptions = {d.get("id"): d for d in achievement.get("resultDescription") or [] if isinstance(d, dict)}
    modules = []
    for result in subject.get("result") or []:
        description = descriptions.get(result.get("resultDescription")) if isinstance(result, dict) else None
        alignment = (description or {}).get("alignment") or [{}]
        slug, title = alignment[0].get("targetCode"), alignment[0].get("targetName")
        if result.get("status") != "Completed" or not isinstance(slug, str) or not isinstance(title, str):
            continue
        modules.append(
            ProvenModule(
                slug=slug,
                title=title,
                version=str(result.get("value") or ""),
                completed_at=moment_of(result.get("completedAt")),
                refresher_due_by=moment_of(result.get("refresherDueBy")),
                prior_learning=bool(result.get("recognisedPriorLearning")),
            )
        )
    return tuple(modules)


# -- crediting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """A module of the credential against this platform's content: credit it, or why not."""

    proven: ProvenModule
    module: Module | None
    problem: str | None  # None: it can be credited

    @property
    def creditable(self) -> bool:
        return self.problem is None and self.module is not None


def matches(verified: Verified, catalogue: Catalogue, states: Mapping[str, ModuleState] | None = None) -> list[Match]:
    """Which of the credential's modules this platform can credit for a learner (same slug and
    major version, completed rather than itself recognised, not already done here)."""
    found = []
    for proven in verified.modules:
        module = catalogue.module(proven.slug)
        problem = None
        if module is None:
            problem = "This platform has no such module."
        elif proven.major != module.major:
            problem = f"Version {proven.version} was completed; this platform's module is version {module.version}."
        elif proven.prior_learning:
            problem = "The issuer recognised it as prior learning; it was not completed there."
        elif states is not None and states.get(module.slug) is not None:
            state = states[module.slug]
            if state.status is Status.COMPLETED:
                problem = "Already completed here."
            elif state.status is Status.WAIVED:
                problem = "Already waived here."
        found.append(Match(proven, module, problem))
    return found


def reason(verified: Verified, proven: ProvenModule, checked_at: datetime) -> str:
    """The waiver's reason: which credential, from whom, what it proved, and when it was checked."""
    completed = f" on {proven.completed_at:%-d %B %Y}" if proven.completed_at else ""
    due = f"; refresher due by {proven.refresher_due_by:%-d %B %Y}" if proven.refresher_due_by else ""
    return (
        f"Recognised prior learning: verified Open Badges credential {verified.credential_id} "
        f"issued by {verified.issuer_name} ({verified.issuer_id}): {proven.title} version {proven.version} "
        f"completed{completed}{due}. Checked {checked_at:%-d %B %Y}."
    )
