"""Reading with a weak signal (issue 17), the server's side: reads queued offline arrive with the
statement id the browser made, and a resend records nothing more; the service worker, the manifest
and the page budget. The browser's side is tests/browser/test_offline.py."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from induction.accounts.models import Role
from induction.content import catalogue
from induction.extensions import db
from induction.learning import services
from induction.xapi import statements as xs
from induction.xapi.models import StatementRecord

from .concurrency import Visitor, no_server_errors
from .conftest import Factory, csrf_from
from .forms import submit

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "static"
JSON = {"Accept": "application/json"}


@pytest.fixture
def learner(make: Any, auth: Any) -> Any:
    person = make.learner(make.organisation("Riverside School"), name="Sam Learner", email="sam@example.org")
    auth.sign_in(person)
    return person


def get_file(client: Any, path: str) -> tuple[Any, bytes]:
    """A file the app sends from disk, read and closed."""
    answer = client.get(path)
    data = answer.get_data()
    answer.close()
    return answer, data


def reads(user_id: int | None = None) -> list[StatementRecord]:
    query = select(StatementRecord).where(StatementRecord.verb_id == xs.EXPERIENCED)
    if user_id is not None:
        query = query.where(StatementRecord.user_id == user_id)
    return list(db.session.scalars(query.order_by(StatementRecord.seq)))


def send(client: Any, section: str, statement_id: str) -> Any:
    """A read the browser queued offline, sent later as the script does (asking for JSON)."""
    read = f"/modules/first-steps/{section}/read"
    return submit(client, read, {"statement_id": statement_id}, form_url="/", headers=JSON)


def test_a_queued_read_is_recorded_under_the_browsers_id_and_a_resend_records_nothing(
    client: Any, learner: Any
) -> None:
    made = str(uuid.uuid4())
    first = send(client, "hello", made)
    assert first.status_code == 200 and first.get_json() == {"recorded": True, "statement_id": made}
    again = send(client, "hello", made)
    assert again.status_code == 200 and again.get_json() == {"recorded": False, "statement_id": made}
    assert send(client, "hello", made.upper()).get_json()["recorded"] is False  # the same id, spelt otherwise
    assert [r.id for r in reads()] == [made]
    assert json.loads(reads()[0].body)["id"] == made
    assert "You have read this section" in client.get("/modules/first-steps/hello").get_data(as_text=True)


def test_a_queued_read_of_a_section_read_meanwhile_records_nothing(client: Any, learner: Any) -> None:
    assert submit(client, "/modules/first-steps/hello/read", form_url="/modules/first-steps/hello").status_code == 302
    assert send(client, "hello", str(uuid.uuid4())).get_json()["recorded"] is False
    assert len(reads()) == 1


def test_the_next_button_without_script_works_as_before_and_may_carry_an_id(client: Any, learner: Any) -> None:
    page = client.get("/modules/first-steps/hello").get_data(as_text=True)
    # the offline control is hidden until the script shows it; the form posts as it always did
    assert re.search(r'<div class="offline-save" data-offline-save [^>]*hidden>', page)
    assert 'data-offline-next="/modules/first-steps/next"' in page
    made = str(uuid.uuid4())
    answer = client.post("/modules/first-steps/hello/read", data={"csrf_token": csrf_from(page), "statement_id": made})
    assert answer.status_code == 302 and answer.headers["Location"] == "/modules/first-steps/next"
    assert [r.id for r in reads()] == [made]


@pytest.mark.parametrize("bad", ["not-a-uuid", "1234", "0b8e3a52-7d4c-4c47-9f3e-2f1d6a9b5c1", "x" * 400])
def test_a_statement_id_that_is_not_a_uuid_is_refused_and_nothing_is_stored(
    client: Any, learner: Any, bad: str
) -> None:
    answer = send(client, "hello", bad)
    assert answer.status_code == 400
    assert "The statement id must be a UUID" in answer.get_data(as_text=True)
    assert reads() == []


def test_an_id_already_used_by_another_statement_is_refused(client: Any, learner: Any, make: Factory) -> None:
    other = make.learner(email="other@example.org")
    module = catalogue().module("first-steps")
    assert module is not None
    taken = str(uuid.uuid4())
    services.open_section(other, catalogue(), module, module.sections[0], statement_id=taken)
    db.session.commit()
    answer = send(client, "hello", taken)
    assert answer.status_code == 400
    assert "already used by another statement" in answer.get_data(as_text=True)
    mine = str(uuid.uuid4())
    assert send(client, "hello", mine).get_json()["recorded"] is True
    assert send(client, "next", mine).status_code == 400  # the learner's own id, but for another section
    assert [r.id for r in reads(learner.id)] == [mine]


def test_a_read_sent_ten_times_at_once_is_recorded_once(make: Factory, served: str) -> None:
    person = make.learner()
    visitor = Visitor(served)
    visitor.sign_in(person.email)
    token = visitor.token("/modules/first-steps/hello")
    made = str(uuid.uuid4())
    answers = visitor.together(
        "POST", "/modules/first-steps/hello/read", data={"csrf_token": token, "statement_id": made}, headers=JSON
    )
    no_server_errors(answers)
    assert all(a.status_code == 200 for a in answers)
    assert sum(a.json()["recorded"] for a in answers) == 1
    assert [r.id for r in reads(person.id)] == [made]


def test_the_service_worker_is_served_from_the_root_for_the_whole_site(client: Any) -> None:
    answer, data = get_file(client, "/sw.js")  # no sign-in needed: the browser checks it for updates
    assert answer.status_code == 200
    assert answer.mimetype == "text/javascript"
    assert answer.headers["Service-Worker-Allowed"] == "/"
    assert answer.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    assert data == (STATIC / "sw.js").read_bytes()


def test_the_site_is_installable_from_its_manifest(client: Any, learner: Any) -> None:
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in page
    answer, data = get_file(client, "/static/manifest.webmanifest")
    assert answer.status_code == 200 and answer.mimetype == "application/manifest+json"
    manifest = json.loads(data)
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        found, image = get_file(client, icon["src"])
        assert found.status_code == 200 and image.startswith(b"\x89PNG")


def test_pages_load_the_offline_script_as_a_file_never_inline(client: Any, learner: Any) -> None:
    page = client.get("/modules/first-steps/hello").get_data(as_text=True)
    scripts = re.findall(r"<script[^>]*>", page)
    assert '<script src="/static/offline.js" defer>' in scripts
    assert all("src=" in tag for tag in scripts)
    assert re.search(r'<body data-user="[0-9a-f-]{36}">', page)
    signed_out = client.post("/sign-out", data={"csrf_token": csrf_from(page)})
    assert signed_out.status_code == 302
    assert '<body data-user="">' in client.get("/sign-in").get_data(as_text=True)  # saved pages are forgotten


class TestPageBudget:
    """A section page with its CSS under 30 KB, the offline script under 15 KB: for the real content."""

    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {"CONTENT_DIR": str(ROOT / "content")}

    def test_every_section_page_with_its_css_is_under_30_kb_and_the_script_under_15_kb(
        self, client: Any, learner: Any
    ) -> None:
        css = len(get_file(client, "/static/site.css")[1])
        sizes = {}
        for module in catalogue().modules:
            for section in module.sections:
                answer = client.get(f"/modules/{module.slug}/{section.id}")
                assert answer.status_code == 200
                sizes[f"{module.slug}/{section.id}"] = len(answer.get_data()) + css
        largest = max(sizes, key=lambda key: sizes[key])
        assert sizes[largest] < 30 * 1024, f"{largest}: {sizes[largest]} bytes with its CSS"
        assert len(get_file(client, "/static/offline.js")[1]) < 15 * 1024
        assert len(get_file(client, "/sw.js")[1]) < 15 * 1024


def test_the_save_control_lists_the_module_and_its_sections_for_learners_only(
    client: Any, learner: Any, make: Factory, auth: Any
) -> None:
    page = client.get("/modules/first-steps").get_data(as_text=True)
    assert 'data-pages="/modules/first-steps /modules/first-steps/hello /modules/first-steps/next"' in page
    assert "Save for offline reading" in page and "data-offline-queue" in page
    auth.sign_out()
    auth.sign_in(make.user(Role.TRAINER))
    assert "data-offline-save" not in client.get("/modules/first-steps").get_data(as_text=True)
