"""Attacks a stranger or a careless import would try: script injection, forged forms, wrong roles."""

from __future__ import annotations

import base64
import re
import shutil
import uuid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from induction.accounts.models import Role
from induction.content.loader import load
from induction.extensions import db
from induction.xapi import clients

from .conftest import TEST_CONTENT
from .forms import submit
from .journey import complete_everything
from .mailbox import Mailbox, free_port

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    "<iframe src=javascript:alert(1)>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<object data="javascript:alert(1)">',
    '<embed src="javascript:alert(1)">',
    "<form action=javascript:alert(1)><button>x</button></form>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel=import href="data:text/html,<script>alert(1)</script>">',
    '<base href="javascript:/a/">',
    "<scr<script>ipt>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src="x" onerror="&#97;&#108;&#101;&#114;&#116;(1)">',
    "<svg/onload=alert`1`>",
    "<marquee onstart=alert(1)>",
    "<textarea><script>alert(1)</script></textarea>",
    "</title><script>alert(1)</script>",
    "{{7*7}}<script>alert(1)</script>",
    "<isindex type=image src=1 onerror=alert(1)>",
    "<keygen autofocus onfocus=alert(1)>",
    "<audio src=x onerror=alert(1)>",
    '"onmouseover="alert(1)',
    "'onmouseover='alert(1)",
]


class _Scanner(HTMLParser):
    """Finds what a browser would run: event handler attributes, javascript: URLs, injected scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "data", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value}>")
        ours = tag == "script" and (dict(attrs).get("src") or "").startswith("/static/")  # the site's own files
        if tag in ("script", "iframe", "object", "embed", "base") and not ours:
            self.found.append(f"<{tag}>")
        if tag == "meta" and any(n == "http-equiv" for n, _ in attrs):
            self.found.append("<meta http-equiv>")


def dangers(html: str) -> list[str]:
    scanner = _Scanner()
    scanner.feed(html)
    return scanner.found


def test_the_scanner_finds_what_would_run() -> None:
    assert dangers('<p><img src=x onerror="alert(1)"></p>') == ["<img onerror=...>"]
    assert dangers('<a href=" javascript:alert(1)">x</a>') == ["<a href= javascript:alert(1)>"]
    assert dangers("<script>alert(1)</script>") == ["<script>"]
    assert dangers('<script src="https://evil.example/x.js"></script>') == ["<script>"]
    assert dangers('<script src="/static/narrow.js" defer></script>') == []
    assert dangers('<option value="&lt;img src=x onerror=alert(1)&gt;">') == []


def assert_inert(html: str, payload: str) -> None:
    """The payload appears only escaped: it cannot run in this page."""
    assert payload not in html, payload
    assert dangers(html) == []


def assert_no_markup(html: str, payload: str) -> None:
    """Rendered content: no tag or attribute of the payload survives (plain text quotes are harmless)."""
    if "<" in payload:
        assert payload not in html, payload
    assert dangers(html) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_names_and_free_text_never_run(client: Any, auth: Any, make: Any, payload: str) -> None:
    organisation = make.organisation(name="Org " + payload)
    learner = make.learner(organisation, name=payload, job_role=payload)
    manager = make.manager(organisation)
    auth.sign_in(learner)
    complete_everything(client)
    for url in ("/", "/plan"):
        assert_inert(client.get(url).get_data(as_text=True), payload)
    certificate = re.search(r'href="/certificates/(\d+)"', client.get("/").get_data(as_text=True))
    assert certificate
    assert_inert(client.get(f"/certificates/{certificate.group(1)}").get_data(as_text=True), payload)
    evaluation = {"rate_first_steps": "3", "rate_staying_safe": "3", "change": payload, "comments": payload}
    assert submit(client, "/evaluation", evaluation).status_code == 302
    code = re.search(
        r"Verification code: <strong>([A-F0-9-]+)</strong>",
        client.get(f"/certificates/{certificate.group(1)}").get_data(as_text=True),
    )
    assert code
    auth.sign_out()
    assert_inert(client.get(f"/verify/{code.group(1)}").get_data(as_text=True), payload)
    auth.sign_in(manager)
    for url in ("/manage/", f"/manage/learners/{learner.id}"):
        assert_inert(client.get(url).get_data(as_text=True), payload)
    items = f"/manage/organisations/{organisation.id}/items"
    assert submit(client, items, {"title": payload, "description": payload, "job_role": ""}).status_code == 302
    assert_inert(client.get(items).get_data(as_text=True), payload)
    auth.sign_out()
    auth.sign_in(make.user(Role.TRAINER))
    assert_inert(client.get("/trainer/").get_data(as_text=True), payload)
    auth.sign_out()
    auth.sign_in(learner)
    assert_inert(client.get("/plan").get_data(as_text=True), payload)


def test_xapi_fields_never_run_in_the_managers_timeline(client: Any, auth: Any, make: Any, app: Flask) -> None:
    organisation = make.organisation()
    learner = make.learner(organisation)
    issued = clients.create("Tool")
    db.session.commit()
    token = base64.b64encode(f"{issued.client.key}:{issued.secret}".encode()).decode()
    statements = [
        {
            "id": str(uuid.uuid4()),
            "actor": {
                "objectType": "Agent",
                "name": payload,
                "account": {"homePage": "http://induction.test", "name": learner.uuid},
            },
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-GB": payload}},
            "object": {
                "id": f"http://induction.test/xapi/activities/x{index}",
                "definition": {"name": {"en-GB": payload}},
            },
        }
        for index, payload in enumerate(PAYLOADS)
    ]
    response = client.post(
        "/xapi/statements",
        json=statements,
        headers={"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    auth.sign_in(make.manager(organisation))
    page = client.get(f"/manage/learners/{learner.id}").get_data(as_text=True)
    for payload in PAYLOADS:
        assert_inert(page, payload)


def test_content_with_attacks_is_cleaned(tmp_path: Path) -> None:
    tree = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, tree)
    section = tree / "modules/01-first-steps/01-hello.md"
    section.write_text(section.read_text() + "\n\n" + "\n\n".join(PAYLOADS) + "\n\n[a](<javascript:alert(1)>)\n")
    catalogue, _ = load(tree)
    html = catalogue.modules[0].sections[0].html
    for payload in PAYLOADS:
        assert_no_markup(html, payload)


def test_every_state_changing_route_refuses_a_request_without_csrf(
    client: Any, auth: Any, make: Any, app: Flask
) -> None:
    organisation = make.organisation()
    learner = make.learner(organisation)
    admin = make.user(Role.ADMIN)
    auth.sign_in(admin)
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or set()) or rule.rule.startswith("/xapi/"):
            continue
        values = {
            name: (learner.id if "learner" in name else organisation.id if "organisation" in name else 1)
            for name in rule.arguments
        }
        url = rule.rule
        for name, value in values.items():
            url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), url)
        response = client.post(url, data={"confirm": "yes", "name": "x"})
        assert response.status_code in (400, 403), (url, response.status_code)
        if response.status_code == 400:
            assert "The form had expired or was not sent from this site" in response.get_data(as_text=True), url
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("role", [Role.LEARNER, Role.TRAINER, Role.MANAGER])
def test_every_staff_url_refuses_lower_roles(client: Any, auth: Any, make: Any, app: Flask, role: Role) -> None:
    organisation = make.organisation()
    person = make.learner(organisation) if role is Role.LEARNER else make.user(role)
    auth.sign_in(person)
    allowed = {Role.LEARNER: (), Role.TRAINER: ("/trainer",), Role.MANAGER: ("/manage",)}[role]
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or not rule.rule.startswith(("/manage", "/trainer", "/admin")):
            continue
        if rule.rule.startswith(allowed):
            continue
        url = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "1", rule.rule)
        assert client.get(url).status_code == 403, (role, url)
        checked += 1
    assert checked >= 5


def _press_resend(client: Any, learner_id: int) -> str:
    page = f"/manage/learners/{learner_id}"
    response = submit(client, f"{page}/invite", form_url=page, follow_redirects=True)
    assert response.status_code == 200
    return str(response.get_data(as_text=True))


def test_a_manager_never_sees_a_link_for_an_active_account(
    client: Any, auth: Any, make: Any, app: Flask, mailbox: Mailbox
) -> None:
    organisation = make.organisation()
    learner = make.learner(organisation, name="Ada Active", email="ada@example.org")
    manager = make.manager(organisation)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())  # nothing listens: the e-mail fails
    auth.sign_in(manager)
    failed = _press_resend(client, learner.id)
    assert "The e-mail to ada@example.org could not be sent" in failed and "try again later" in failed
    assert "/set-password/" not in failed
    app.config["SMTP_PORT"] = mailbox.port  # type: ignore[attr-defined]
    sent = _press_resend(client, learner.id)
    assert "Ada Active has been e-mailed a link" in sent and "/set-password/" not in sent
    assert len(mailbox.to("ada@example.org")) == 1  # the link goes to its owner only
    assert "/set-password/" in Mailbox.body(mailbox.to("ada@example.org")[0])
    auth.sign_out()
    assert auth.sign_in(learner).status_code == 302  # the password is unchanged


def test_a_link_for_a_new_account_is_shown_when_mail_fails_and_replaced_by_the_next(
    client: Any, auth: Any, make: Any, app: Flask
) -> None:
    organisation = make.organisation()
    learner = make.learner(organisation, email="una@example.org")
    learner.password_hash = None
    manager = make.manager(organisation)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())
    auth.sign_in(manager)
    first = re.search(r"http://induction.test(/set-password/[^\s<]+)", _press_resend(client, learner.id))
    second = re.search(r"http://induction.test(/set-password/[^\s<]+)", _press_resend(client, learner.id))
    assert first and second and first.group(1) != second.group(1)
    auth.sign_out()
    assert client.get(first.group(1)).status_code == 400
    assert client.get(second.group(1)).status_code == 200
