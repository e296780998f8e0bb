"""Open Badges 3.0 credentials: issued with each certificate, signed as a VC-JWT (checked in `credential_check`).

A credential is a W3C Verifiable Credential (data model 2.0) of type OpenBadgeCredential. Its
payload is the credential itself with the JWT claims `iss`, `jti`, `sub`, `nbf` and `exp` beside
it (Open Badges 3.0, section 8.2), signed ES256 by the deployment's key (`keys.py`), whose public
half is published at `/.well-known/jwks.json`. Its status (`1EdTechRevocationList`) is at
`/credentials/<code>/status` and follows the certificate: revoking the certificate revokes it.

Each module is a `Result` of the learner against a `ResultDescription` of the achievement, the
module's slug in the alignment's `targetCode`, its version in the result's `value`; the dates are
issuer-dependent terms (`completedAt`, `refresherDueBy`), which the VC 2.0 context allows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from joserfc import jwt

from induction.completion import keys
from induction.completion.models import Certificate
from induction.rules import Status

CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
TYPES = ["VerifiableCredential", "OpenBadgeCredential"]
STATUS_TYPE = "1EdTechRevocationList"
ALGORITHMS = ("ES256", "RS256")


# -- issuing -----------------------------------------------------------------------------------


def base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def issuer_id(base: str) -> str:
    return f"{base}/issuer"


def credential_id(base: str, code: str) -> str:
    return f"{base}/credentials/{code}"


def _stamp(moment: datetime) -> str:
    return moment.replace(microsecond=0, tzinfo=UTC).isoformat().replace("+00:00", "Z")


def moment_of(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def issuer_profile(base: str, name: str) -> dict[str, Any]:
    """The issuer's Profile, as the credential embeds it and `/issuer` publishes it."""
    return {"id": issuer_id(base), "type": ["Profile"], "name": name, "url": base}


def credential(certificate: Certificate, base: str, issuer_name: str, learner_uuid: str) -> dict[str, Any]:
    """The Open Badges 3.0 credential for `certificate`, unsigned."""
    ident = credential_id(base, certificate.code)
    modules = json.loads(certificate.modules)
    descriptions, results, lines = [], [], []
    for entry in modules:
        description_id = f"{ident}#module-{entry['slug']}"
        waived = entry.get("status") == Status.WAIVED
        descriptions.append(
            {
                "id": description_id,
                "type": ["ResultDescription"],
                "name": f"{entry['title']} (version {entry['version']})",
                "resultType": "Status",
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": entry["title"],
                        "targetUrl": f"{base}/xapi/activities/modules/{entry['slug']}",
                        "targetCode": entry["slug"],
                        "targetType": "ext:InductionModule",
                    }
                ],
            }
        )
        result: dict[str, Any] = {
            "type": ["Result"],
            "resultDescription": description_id,
            "status": "Completed",
            "value": entry["version"],
            "recognisedPriorLearning": waived,
        }
        if entry.get("completed_at"):
            result["completedAt"] = _stamp(datetime.fromisoformat(entry["completed_at"]))
        if entry.get("expires_at"):
            result["refresherDueBy"] = _stamp(datetime.fromisoformat(entry["expires_at"]))
        results.append(result)
        how = "recognised as prior learning" if waived else "completed"
        when = f" on {entry['completed_at'][:10]}" if entry.get("completed_at") else ""
        due = f", refresher due by {entry['expires_at'][:10]}" if entry.get("expires_at") else ""
        lines.append(f"- {entry['title']}, version {entry['version']}: {how}{when}{due}")
    subject_id = f"urn:uuid:{learner_uuid}"
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": ident,
        "type": TYPES,
        "issuer": issuer_profile(base, issuer_name),
        "validFrom": _stamp(certificate.issued_at),
        "name": "Induction to the children and young people's workforce",
        "credentialSubject": {
            "id": subject_id,
            "type": ["AchievementSubject"],
            # The learner's own copy may name them; the platform's pseudonymous id stays the subject.
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": certificate.learner_name,
                }
            ],
            "activityEndDate": _stamp(certificate.issued_at),
            "achievement": {
                "id": f"{base}/achievements/induction",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": "Induction to the children and young people's workforce",
                "description": "The Common Core induction modules and the organisation's and role's induction.",
                "criteria": {"narrative": "Completed these modules:\n\n" + "\n".join(lines)},
                "resultDescription": descriptions,
            },
            "result": results,
        },
        "credentialStatus": {"id": f"{ident}/status", "type": STATUS_TYPE},
    }
    if certificate.expires_at is not None:
        document["validUntil"] = _stamp(certificate.expires_at)
    return document


def sign(document: Mapping[str, Any]) -> str:
    """The credential as a VC-JWT: the credential is the payload, with its JWT claims beside it."""
    claims = dict(document)
    claims.update(iss=document["issuer"]["id"], jti=document["id"], sub=document["credentialSubject"]["id"])
    claims["nbf"] = int(moment_of(document["validFrom"]).replace(tzinfo=UTC).timestamp())  # type: ignore[union-attr]
    if "validUntil" in document:
        claims["exp"] = int(moment_of(document["validUntil"]).replace(tzinfo=UTC).timestamp())  # type: ignore[union-attr]
    header = {"alg": keys.ALGORITHM, "kid": keys.key_id(), "typ": "JWT"}
    return jwt.encode(header, claims, keys.signing_key(), algorithms=[keys.ALGORITHM])


def download(document: Mapping[str, Any], token: str) -> dict[str, Any]:
    """The JSON file the learner keeps: the credential, with its VC-JWT as the proof (JwtProof2020)."""
    return {**document, "proof": {"type": "JwtProof2020", "jwt": token}}


def status(certificate: Certificate, base: str) -> dict[str, Any]:
    """The credential's 1EdTech revocation list: empty, or naming the credential once revoked."""
    ident = credential_id(base, certificate.code)
    revoked = []
    if certificate.revoked_at is not None:
        revoked.append({"id": ident, "revoked": True, "revocationReason": "The certificate was revoked."})
    return {"id": f"{ident}/status", "issuer": issuer_id(base), "revokedCredentials": revoked}
