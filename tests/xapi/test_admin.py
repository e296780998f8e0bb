"""The admin pages for LRS clients and the forwarding queue, and `flask xapi client create`."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from induction.accounts.models import Role
from induction.extensions import db
from induction.xapi import clients
from induction.xapi import statements as xs
from induction.xapi.models import ForwardItem, LrsClient

from ..conftest import csrf_from
from .conftest import Api


def test_only_admins_see_the_pages(client: Any, auth: Any, make: Any) -> None:
    assert client.get("/admin/xapi/clients").status_code == 302
    auth.sign_in(make.user(Role.MANAGER))
    assert client.get("/admin/xapi/clients").status_code == 403
    assert client.get("/admin/xapi/forwarding").status_code == 403


def test_an_admin_issues_credentials_that_work_and_revokes_them(client: Any, auth: Any, make: Any) -> None:
    organisation = make.organisation("Riverside")
    auth.sign_in(make.user(Role.ADMIN))
    page = client.get("/admin/xapi/clients")
    html = page.get_data(as_text=True)
    assert '<label for="name">' in html and "Riverside" in html
    assert client.post("/admin/xapi/clients", data={"name": "Reporting tool"}).status_code == 400  # no CSRF token
    issued = client.post(
        "/admin/xapi/clients",
        data={
            "name": "Reporting tool",
            "read_only": "y",
            "organisations": [str(organisation.id)],
            "csrf_token": csrf_from(html),
        },
    )
    text = issued.get_data(as_text=True)
    key = re.search(r"<dt>Key</dt><dd><code>([^<]+)</code>", text)
    secret = re.search(r"<dt>Secret</dt><dd><code>([^<]+)</code>", text)
    assert key and secret
    stored = db.session.scalar(select(LrsClient))
    assert stored is not None and stored.read_only and secret.group(1) not in stored.secret_hash
    assert clients.organisations_of(stored) == {organisation.id}
    lrs = Api(client, key.group(1), secret.group(1))
    assert lrs.get("/xapi/statements").status_code == 200
    listing = client.get("/admin/xapi/clients").get_data(as_text=True)
    assert "Reporting tool" in listing and '<th scope="col">Key</th>' in listing
    confirm = client.get(f"/admin/xapi/clients/{stored.id}/revoke")
    assert "Yes, revoke" in confirm.get_data(as_text=True)
    revoked = client.post(
        f"/admin/xapi/clients/{stored.id}/revoke", data={"csrf_token": csrf_from(confirm.get_data(as_text=True))}
    )
    assert revoked.status_code == 302
    assert lrs.get("/xapi/statements").status_code == 401


def test_the_forwarding_page_shows_the_queue_and_retries_parked_rows(client: Any, auth: Any, make: Any) -> None:
    learner = make.learner()
    rows = [
        xs.record(learner, xs.Event(xs.EXPERIENCED, "modules/first-steps/sections/hello", "Hello")) for _ in range(3)
    ]
    db.session.add_all(
        [
            ForwardItem(statement_seq=rows[0].seq, statement_id=rows[0].id, actor_key=rows[0].actor_key),
            ForwardItem(
                statement_seq=rows[1].seq,
                statement_id=rows[1].id,
                actor_key=rows[1].actor_key,
                parked=True,
                attempts=1,
                last_error="422: the verb is not allowed",
            ),
        ]
    )
    db.session.commit()
    auth.sign_in(make.user(Role.ADMIN))
    page = client.get("/admin/xapi/forwarding")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<dt>Waiting to be sent</dt><dd>1</dd>" in html
    assert "422: the verb is not allowed" in html and rows[1].id in html
    assert 'scope="row"' in html and "style=" not in html
    assert re.findall(r"<script(?![^>]*\ssrc=\"/static/)", html) == []  # no inline script, only the site's files
    item = db.session.scalar(select(ForwardItem).where(ForwardItem.parked.is_(True)))
    assert item is not None
    retried = client.post("/admin/xapi/forwarding/retry", data={"item": item.id, "csrf_token": csrf_from(html)})
    assert retried.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(ForwardItem).where(ForwardItem.parked.is_(True))) is None


def test_cli_creates_clients_and_prints_key_and_secret(runner: Any) -> None:
    result = runner.invoke(args=["xapi", "client", "create", "Their LRS", "--read-only"])
    assert result.exit_code == 0, result.output
    key = re.search(r"^key: (\S+)$", result.output, re.M)
    secret = re.search(r"^secret: (\S+)$", result.output, re.M)
    assert key and secret
    caller = clients.authenticate(
        "Basic " + __import__("base64").b64encode(f"{key.group(1)}:{secret.group(1)}".encode()).decode()
    )
    assert caller.read_only
    listed = runner.invoke(args=["xapi", "client", "list"])
    assert key.group(1) in listed.output and "read-only" in listed.output
    assert runner.invoke(args=["xapi", "client", "revoke", key.group(1)]).exit_code == 0
    assert "revoked" in runner.invoke(args=["xapi", "client", "list"]).output
