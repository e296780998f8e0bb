"""The portable credential: issued on one deployment (A, served over HTTP on loopback), checked and
credited as recognised prior learning on another (B, its own database and key)."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import func, select
from werkzeug.serving import make_server

from induction import clock
from induction.accounts.models import Role
from induction.completion import credential_check, keys
from induction.completion.models import Certificate
from induction.completion.services import revoke
from induction.content import catalogue
from induction.extensions import db
from induction.learning import progress
from induction.plans.models import Waiver
from induction.rules import Status
from induction.xapi.models import StatementRecord

from .concurrency import Visitor, codes, no_server_errors
from .conftest import AuthActions, Factory, FreshContextClient, make_app
from .forms import submit
from .journey import complete_modules_at


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return {"CREDENTIAL_KEY_FILE": str(tmp_path / "a-key.pem")}


@pytest.fixture
def issuer(app: Flask, served: str) -> str:
    """Deployment A's address: the served app is its own issuer."""
    app.config["BASE_URL"] = served
    return served


@pytest.fixture
def issued(app: Flask, issuer: str, make: Factory, auth: AuthActions, client: Any) -> dict[str, Any]:
    """A learner of A who completed the induction, and the credential file they downloaded."""
    person = make.learner(make.organisation("Riverside Youth Club"), name="Sam Okafor", email="sam@example.org")
    complete_modules_at(person, clock.utcnow() - timedelta(days=3))
    auth.sign_in(person)
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == person.id))
    assert certificate is not None
    page = client.get(f"/certificates/{certificate.id}")
    link = f"/certificates/{certificate.id}/credential.json"
    assert link in page.get_data(as_text=True)
    response = client.get(link)
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    return {"certificate": certificate, "file": response.get_data(as_text=True), "json": response.get_json()}


@pytest.fixture
def other(app: Flask, issuer: str, tmp_path: Path) -> Iterator[Flask]:
    """Deployment B: another database, another key and address; it accepts A's credentials."""
    b = make_app(
        f"sqlite:///{tmp_path / 'b.db'}",
        BASE_URL="http://b.induction.test",
        CREDENTIAL_KEY_FILE=str(tmp_path / "b-key.pem"),
        CREDENTIAL_ISSUERS=issuer,
    )
    b.test_client_class = FreshContextClient
    with b.app_context():
        upgrade()
    yield b
    with b.app_context():
        db.engine.dispose()


@pytest.fixture
def on_b(other: Flask) -> dict[str, Any]:
    """A manager of B with two learners in scope, signed in."""
    with other.app_context():
        make = Factory()
        organisation = make.organisation("Hillside Nursery")
        manager = make.manager(organisation, email="manager@b.example.org")
        learner = make.learner(organisation, name="Sam Okafor", email="sam@b.example.org")
        second = make.learner(organisation, name="Alex Reed", email="alex@b.example.org")
        ids = {"manager": manager.id, "learner": learner.id, "second": second.id}
    client = other.test_client()
    AuthActions(client).sign_in("manager@b.example.org")
    return {"client": client, **ids}


def check(client: Any, **data: Any) -> Any:
    return submit(client, "/manage/credentials", data)


def credit(client: Any, token: str, learner_id: int) -> Any:
    credited = {"token": token, "learner": learner_id}
    return submit(client, "/manage/credentials/credit", credited, form_url="/manage/credentials")


def text(response: Any) -> str:
    """The page's words, without its tags."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def test_the_credential_is_an_open_badge_signed_by_the_published_key(
    issued: dict[str, Any], issuer: str, client: Any
) -> None:
    document, certificate = issued["json"], issued["certificate"]
    assert document["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["issuer"]["id"] == f"{issuer}/issuer"
    assert document["credentialSubject"]["type"] == ["AchievementSubject"]
    assert document["credentialStatus"] == {
        "id": f"{issuer}/credentials/{certificate.code}/status",
        "type": "1EdTechRevocationList",
    }
    assert document["validUntil"].startswith(certificate.expires_at.date().isoformat())
    narrative = document["credentialSubject"]["achievement"]["criteria"]["narrative"]
    assert "version 1.0" in narrative and "version 2.1" in narrative
    assert "sam@example.org" not in issued["file"]  # no e-mail: the subject is the pseudonymous id
    assert document["credentialSubject"]["id"] == f"urn:uuid:{certificate.user.uuid}"

    published = client.get("/.well-known/jwks.json").get_json()
    assert [k["kty"] for k in published["keys"]] == ["EC"] and "d" not in published["keys"][0]
    key = ECKey.import_key(published["keys"][0])
    token = jwt.decode(document["proof"]["jwt"], key)
    assert token.header["alg"] == "ES256"
    assert token.claims["iss"] == f"{issuer}/issuer" and token.claims["jti"] == document["id"]
    assert client.get("/issuer").get_json()["id"] == f"{issuer}/issuer"
    assert client.get(f"/credentials/{certificate.code}/status").get_json()["revokedCredentials"] == []


def test_a_manager_elsewhere_credits_the_modules_once(
    issued: dict[str, Any], other: Flask, on_b: dict[str, Any]
) -> None:
    b = on_b["client"]
    shown = check(b, credential=issued["file"])
    assert shown.status_code == 200, text(shown)
    page = text(shown)
    assert "This credential is valid" in page and "Sam Okafor" in page
    assert page.count("Can be credited here.") == 2

    token = issued["json"]["proof"]["jwt"]
    done = credit(b, token, on_b["learner"])
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/manage/learners/{on_b['learner']}")
    with other.app_context():
        waivers = list(db.session.scalars(select(Waiver).where(Waiver.user_id == on_b["learner"])))
        assert sorted(w.module_slug for w in waivers) == sorted(m.slug for m in catalogue().modules)
        assert all(issued["json"]["id"] in w.reason and "Recognised prior learning" in w.reason for w in waivers)
        states = progress.current_states(on_b["learner"], catalogue())
        assert {s.status for s in states.values()} == {Status.WAIVED}
        assert db.session.scalar(select(Certificate).where(Certificate.user_id == on_b["learner"])) is not None

    # the same click again credits nothing more; the same credential for someone else is refused
    assert credit(b, token, on_b["learner"]).status_code == 302
    refused = credit(b, token, on_b["second"])
    assert refused.status_code == 409
    assert "already been credited to another learner" in text(refused)
    with other.app_context():
        assert db.session.scalar(select(func.count()).select_from(Waiver)) == 2
        waived = select(func.count()).select_from(StatementRecord).where(StatementRecord.verb_id.like("%waived"))
        assert db.session.scalar(waived) == 2


def test_a_code_and_the_issuers_address_fetch_the_credential(
    issued: dict[str, Any], issuer: str, on_b: dict[str, Any]
) -> None:
    shown = check(on_b["client"], code=issued["certificate"].code.lower(), issuer=issuer + "/")
    assert shown.status_code == 200, text(shown)
    assert "This credential is valid" in text(shown)


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["credentialSubject"]["identifier"][0]["identityHash"] = "Somebody Else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_a_tampered_credential_is_refused_and_nothing_is_credited(
    issued: dict[str, Any], other: Flask, on_b: dict[str, Any]
) -> None:
    forged = _tampered(issued["json"]["proof"]["jwt"])
    shown = check(on_b["client"], credential=forged)
    assert shown.status_code == 400
    assert "has been changed since it was issued" in text(shown)
    assert credit(on_b["client"], forged, on_b["learner"]).status_code == 400
    with other.app_context():
        assert db.session.scalar(select(func.count()).select_from(Waiver)) == 0


def test_a_revoked_credential_is_refused(
    app: Flask, issued: dict[str, Any], make: Factory, on_b: dict[str, Any]
) -> None:
    admin = make.user(Role.ADMIN)
    revoke(db.session.get(Certificate, issued["certificate"].id), admin)
    db.session.commit()
    shown = check(on_b["client"], credential=issued["file"])
    assert shown.status_code == 400
    assert "The issuer has revoked this credential" in text(shown)


def test_an_expired_credential_is_refused(issued: dict[str, Any], other: Flask, on_b: dict[str, Any]) -> None:
    # A's refresher date has passed by the time B checks (the sign-in would have lapsed, so B's check is called directly).
    after = issued["certificate"].expires_at + timedelta(days=1)
    with (
        other.test_request_context(),
        pytest.raises(credential_check.CredentialRefused, match="The credential expired on"),
    ):
        credential_check.verify(issued["json"]["proof"]["jwt"], now=after)
    with other.test_request_context():
        assert credential_check.verify(issued["json"]["proof"]["jwt"], now=after - timedelta(days=2)).modules


def test_an_unknown_issuer_or_a_key_it_does_not_publish_is_refused(
    app: Flask, issued: dict[str, Any], other: Flask, on_b: dict[str, Any], tmp_path: Path
) -> None:
    other.config["CREDENTIAL_ISSUERS"] = "https://induction.elsewhere.example"
    shown = check(on_b["client"], credential=issued["file"])
    assert shown.status_code == 400
    assert "does not accept credentials from" in text(shown)

    other.config["CREDENTIAL_ISSUERS"] = app.config["BASE_URL"]
    claims = jwt.decode(issued["json"]["proof"]["jwt"], ECKey.import_key(keys.public_jwks()["keys"][0])).claims
    stranger = ECKey.generate_key("P-256", private=True)
    forged = jwt.encode({"alg": "ES256", "kid": "not-the-issuers"}, claims, stranger)
    shown = check(on_b["client"], credential=forged)
    assert shown.status_code == 400
    assert "not signed by any key its issuer publishes" in text(shown)


@pytest.mark.parametrize(
    ("pasted", "says"),
    [
        ("", "Paste the credential"),
        ("{not json", "not valid JSON"),
        ('{"type": ["VerifiableCredential"]}', "has no signed proof"),
        ("hello world", "not a signed credential"),
        ("a.b.c", "cannot be read"),
    ],
)
def test_what_is_not_a_credential_gets_a_reason(on_b: dict[str, Any], pasted: str, says: str) -> None:
    shown = check(on_b["client"], credential=pasted)
    assert shown.status_code == 400
    assert says in text(shown)


def test_only_managers_check_credentials_and_learners_out_of_scope_are_not_found(
    issued: dict[str, Any], other: Flask, on_b: dict[str, Any]
) -> None:
    with other.app_context():
        make = Factory()
        outsider = make.learner(make.organisation("Not managed here"))
        outsider_id = outsider.id
    assert credit(on_b["client"], issued["json"]["proof"]["jwt"], outsider_id).status_code == 404
    learner_client = other.test_client()
    AuthActions(learner_client).sign_in("sam@b.example.org")
    assert learner_client.get("/manage/credentials").status_code in {403, 404}


def test_the_same_credit_sent_at_once_waives_each_module_once(
    issued: dict[str, Any], other: Flask, on_b: dict[str, Any]
) -> None:
    server = make_server("127.0.0.1", 0, other, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        office = Visitor(f"http://127.0.0.1:{server.server_port}")
        office.sign_in("manager@b.example.org")
        data = {"csrf_token": office.token("/manage/credentials"), "token": issued["json"]["proof"]["jwt"]}
        answers = office.together(
            "POST", "/manage/credentials/credit", times=4, data={**data, "learner": on_b["learner"]}
        )
    finally:
        server.shutdown()
        thread.join(5)
    no_server_errors(answers)
    assert set(codes(answers)) == {302}
    with other.app_context():
        assert db.session.scalar(select(func.count()).select_from(Waiver)) == len(catalogue().modules)
