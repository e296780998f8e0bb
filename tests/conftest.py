"""Fixtures in the manner of flaskr: app, client, runner, auth; plus factories for common things.

The database is SQLite in a temporary folder, or PostgreSQL when TEST_DATABASE_URL is
set (`make test` runs the suite on both). The schema comes from the Alembic
migrations; each test leaves the tables empty behind it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event, inspect, make_url, text

from induction import create_app
from induction.accounts.models import Organisation, Role, User
from induction.accounts.passwords import hash_password
from induction.extensions import db, limiter

from .forms import csrf_from, submit
from .mailbox import Mailbox, free_port

HERE = Path(__file__).resolve().parent
TEST_CONTENT = HERE / "content"
PASSWORD = "correct horse battery"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked `postgres` needs PostgreSQL (row locks SQLite has not got): skipped, saying so, on SQLite."""
    url = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    if item.get_closest_marker("postgres") and make_url(url).get_backend_name() != "postgresql":
        pytest.skip("needs PostgreSQL: run it with scripts/with-postgres.sh, which sets TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def _schema(database_url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "CONTENT_DIR": str(TEST_CONTENT)})
    with app.app_context():
        with db.engine.begin() as conn:
            for table in ("alembic_version", *reversed([t.name for t in db.metadata.sorted_tables])):
                conn.execute(
                    text(
                        f'DROP TABLE IF EXISTS "{table}" CASCADE'
                        if conn.dialect.name == "postgresql"
                        else f'DROP TABLE IF EXISTS "{table}"'
                    )
                )
        upgrade()
        db.engine.dispose()


def make_app(database_url: str, **overrides: Any) -> Flask:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "CONTENT_DIR": str(TEST_CONTENT),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-000",
        "BASE_URL": "http://induction.test",
        "SERVER_NAME": None,
        # Cheap scrypt parameters for the accounts the tests make (production keeps Werkzeug's default).
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override in a test module to change the app's settings."""
    return {}


@pytest.fixture
def app(_schema: None, database_url: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = make_app(database_url, **app_config)
    with app.app_context():
        limiter.reset()
        yield app
        db.session.remove()
        with db.engine.begin() as conn:
            present = set(inspect(conn).get_table_names())
            names = [t.name for t in reversed(db.metadata.sorted_tables) if t.name in present]
            if conn.dialect.name == "postgresql":
                conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
            else:
                for name in names:
                    conn.execute(text(f'DELETE FROM "{name}"'))
        db.engine.dispose()


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    """The app on a real threaded HTTP server on a free loopback port, for real clients
    (tincan, and the tests that send requests at the same moment)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


class FreshContextClient(FlaskClient):
    """Each request gets its own app context, as in production, so `g` and the
    database session do not carry over from the test or an earlier request."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


class Factory:
    """Makes organisations and people, committed, for a test."""

    def __init__(self) -> None:
        self.count = 0

    def organisation(self, name: str | None = None, sector: str = "education", **extra: Any) -> Organisation:
        self.count += 1
        organisation = Organisation(
            name=name or f"Organisation {self.count}",
            sector=sector,
            ownership=extra.pop("ownership", "statutory"),
            **extra,
        )
        db.session.add(organisation)
        db.session.commit()
        return organisation

    def user(self, role: Role = Role.LEARNER, organisation: Organisation | None = None, **extra: Any) -> User:
        self.count += 1
        user = User(
            email=extra.pop("email", f"person{self.count}@example.org"),
            name=extra.pop("name", f"Person {self.count}"),
            role=role.value,
            organisation=organisation,
            password_hash=hash_password(extra.pop("password", PASSWORD)),
            start_date=extra.pop("start_date", date.today()),
            **extra,
        )
        db.session.add(user)
        db.session.commit()
        return user

    def learner(self, organisation: Organisation | None = None, **extra: Any) -> User:
        return self.user(Role.LEARNER, organisation or self.organisation(), **extra)

    def manager(self, *organisations: Organisation, **extra: Any) -> User:
        user = self.user(Role.MANAGER, **extra)
        user.managed.extend(organisations)
        db.session.commit()
        return user


@pytest.fixture
def make(app: Flask) -> Factory:
    return Factory()


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def sign_in(self, user: User | str, password: str = PASSWORD) -> Any:
        email = user if isinstance(user, str) else user.email
        return submit(self.client, "/sign-in", {"email": email, "password": password})

    def sign_out(self) -> Any:
        page = self.client.get("/", follow_redirects=True)
        return self.client.post("/sign-out", data={"csrf_token": csrf_from(page.get_data(as_text=True))})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE opens a transaction; it asks nothing
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask) -> Iterator[QueryCounter]:
    """Counts the SQL statements run while the test uses it."""
    counter = QueryCounter()
    event.listen(db.engine, "before_cursor_execute", counter)
    yield counter
    event.remove(db.engine, "before_cursor_execute", counter)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on a loopback port; `.port` says where, `.messages` what came."""
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    yield box
    controller.stop()
