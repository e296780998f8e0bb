"""When something goes wrong, the platform says so truthfully, logs it, and recovers by itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from induction.extensions import db

from .conftest import Factory, make_app
from .forms import submit


@pytest.mark.usefixtures("_schema")
def test_an_unhandled_error_is_logged_with_its_traceback_and_request_id(database_url: str, tmp_path: Path) -> None:
    log_file = tmp_path / "induction.log"
    app = make_app(database_url, LOG_FILE=str(log_file), TESTING=False)

    @app.get("/explode")
    def explode() -> Any:
        raise RuntimeError("the injected fault")

    answer = app.test_client().get("/explode", headers={"X-Request-Id": "req-4242"})
    with app.app_context():
        db.engine.dispose()  # this second app's pool closes with the test

    assert answer.status_code == 500
    assert "Something went wrong on our side" in answer.get_data(as_text=True)
    written = log_file.read_text()
    assert "Traceback (most recent call last)" in written
    assert "RuntimeError: the injected fault" in written
    assert "req-4242" in written


def test_the_error_page_shows_when_the_database_is_unreachable(app: Flask, make: Factory, auth: Any, client: Any) -> None:
    learner = make.learner()
    auth.sign_in(learner)
    cookies = {c.key: c.value for c in client._cookies.values()}  # the signed-in browser's cookies
    unreachable = make_app("sqlite:////nonexistent-folder/none.db", TESTING=False)
    browser = unreachable.test_client()
    for name, value in cookies.items():
        browser.set_cookie(name, value)

    answer = browser.get("/")

    assert answer.status_code == 500
    page = answer.get_data(as_text=True)
    assert "Something went wrong on our side" in page
    assert "Go to your home page" in page


@pytest.fixture
def read_only_database(app: Flask) -> Any:
    """While `state["read_only"]` is set, every new connection opens read-only, as connections
    do that are opened while the database is read-only (a failover, a full disk)."""
    state = {"read_only": False}
    engine = db.engine

    def connect(dbapi_connection: Any, _record: Any) -> None:
        if not state["read_only"]:
            return
        cursor = dbapi_connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            dbapi_connection.commit()
        cursor.close()

    event.listen(engine, "connect", connect)
    db.session.close()
    engine.dispose()
    yield state
    event.remove(engine, "connect", connect)
    db.session.close()
    engine.dispose()


def test_health_says_when_the_database_cannot_be_written_and_recovers_with_it(
    client: Any, read_only_database: dict[str, bool]
) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    db.engine.dispose()
    read_only_database["read_only"] = True

    failing = client.get("/healthz")

    assert failing.status_code == 503
    assert failing.get_json()["database"] == "cannot be written"
    read_only_database["read_only"] = False
    # The read-only connection was thrown away, so the very next request writes again.
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_writes_work_again_as_soon_as_the_database_does(
    client: Any, auth: Any, make: Factory, read_only_database: dict[str, bool]
) -> None:
    from induction.content import catalogue

    from .journey import read_section

    learner = make.learner()
    auth.sign_in(learner)
    module = catalogue().modules[0]
    db.session.close()  # give back the test's own connection before the pool is replaced
    db.engine.dispose()
    read_only_database["read_only"] = True
    assert read_section(client, module.slug, module.sections[0].id).status_code == 500
    read_only_database["read_only"] = False

    # The first request after the database recovers writes, with no restart.
    answers = [read_section(client, module.slug, s.id).status_code for s in module.sections]
    assert answers == [302] * len(module.sections)


def test_no_personal_page_may_be_stored_by_a_browser_or_cache(client: Any, auth: Any, make: Factory) -> None:
    organisation = make.organisation()
    learner = make.learner(organisation)
    manager = make.manager(organisation)
    auth.sign_in(learner)
    for path in ["/", "/plan", "/modules/first-steps"]:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "no-store", path
    auth.sign_out()
    auth.sign_in(manager)
    for path in ["/manage/", "/manage/export.csv", f"/manage/learners/{learner.id}"]:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "no-store", path


def test_static_files_may_be_cached(client: Any) -> None:
    with client.get("/static/site.css") as answer:
        assert answer.status_code == 200
        assert "no-store" not in answer.headers.get("Cache-Control", "")


def test_an_id_too_large_for_the_database_is_not_found(client: Any, auth: Any, make: Factory) -> None:
    organisation = make.organisation()
    auth.sign_in(make.manager(organisation))
    for path in ("/manage/learners/2147483648", "/manage/learners/99999999999999999999999"):
        assert client.get(path).status_code == 404, path


def test_a_nul_character_in_a_form_is_refused_and_nothing_stored(client: Any, auth: Any, make: Factory) -> None:
    from induction.plans.models import Waiver

    organisation = make.organisation()
    learner = make.learner(organisation)
    auth.sign_in(make.manager(organisation))
    page = f"/manage/learners/{learner.id}"

    answer = submit(
        client, f"{page}/waive", {"waive-module": "first-steps", "waive-reason": "Course\x00 in 2025"}, form_url=page
    )

    assert answer.status_code == 400
    assert "NUL character" in answer.get_data(as_text=True)
    assert db.session.query(Waiver).count() == 0


def test_a_value_the_database_refuses_answers_400_not_500(app: Flask) -> None:
    @app.get("/too-far")
    def too_far() -> Any:
        from datetime import date, timedelta

        return str(date(9999, 12, 31) + timedelta(weeks=12))

    answer = app.test_client().get("/too-far")

    assert answer.status_code == 400
    assert "out of range" in answer.get_data(as_text=True)
