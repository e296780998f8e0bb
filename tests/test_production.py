"""Production settings: secrets, cookies, demo accounts, logs and HTTPS headers."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from induction import DemoAccountsInProduction, create_app
from induction.config import Config, ConfigError

from .conftest import TEST_CONTENT, make_app


def test_production_needs_a_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Config.from_env()
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError):
        Config.from_env()


def test_production_cookies_are_secure_and_demo_sign_ins_are_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    config = Config.from_env().as_flask()
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["ALLOW_DEMO_SIGN_INS"] is False


def test_production_refuses_to_start_with_demo_accounts(make: Any, database_url: str) -> None:
    make.learner(demo=True)
    with pytest.raises(DemoAccountsInProduction, match="1 demo accounts"):
        make_app(database_url, ENV="production")


def test_production_starts_without_demo_accounts(make: Any, database_url: str) -> None:
    make.learner()
    app = make_app(database_url, ENV="production")
    assert app.config["ENV"] == "production"
    with app.app_context():
        from induction.extensions import db

        db.engine.dispose()


def test_logs_are_json_lines_with_the_request_id(
    make: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(database_url, ENV="production")
    try:
        with app.test_request_context("/somewhere", headers={"X-Request-Id": "abc123"}):
            app.preprocess_request()
            logging.getLogger("induction").warning("something to note")
        line = capsys.readouterr().err.strip().splitlines()[-1]
        entry = json.loads(line)
        assert entry["message"] == "something to note"
        assert entry["request_id"] == "abc123"
        assert entry["path"] == "/somewhere"
    finally:
        for name in ("induction", "flask.app"):
            logging.getLogger(name).handlers = []
            logging.getLogger(name).propagate = True
        with app.app_context():
            from induction.extensions import db

            db.engine.dispose()


def test_hsts_only_over_https(client: Any) -> None:
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers
    secure = client.get("/sign-in", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_wsgi_module_builds_the_app(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CONTENT_DIR", str(TEST_CONTENT))
    app = create_app()
    assert app.name == "induction"
    with app.app_context():
        from induction.extensions import db

        db.engine.dispose()
