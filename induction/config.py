"""Typed configuration, read from the environment."""

from __future__ import annotations

import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class ConfigError(RuntimeError):
    """The environment does not describe a configuration the app can run with."""


@dataclass(frozen=True)
class Config:
    """Settings the app reads once at start-up. Names match the environment variables."""

    ENV: str
    SECRET_KEY: str
    SQLALCHEMY_DATABASE_URI: str
    CONTENT_DIR: str
    LOCAL_INFORMATION: str  # empty: local.yml in CONTENT_DIR
    ALLOW_UNSET_LOCAL_INFORMATION: bool
    BASE_URL: str
    SESSION_COOKIE_SECURE: bool
    REMEMBER_COOKIE_SECURE: bool
    RATELIMIT_STORAGE_URI: str
    SIGN_IN_LIMIT: str
    ALLOW_DEMO_SIGN_INS: bool
    PERMANENT_SESSION_LIFETIME: int
    LRS_ENDPOINT: str
    LRS_KEY: str
    LRS_SECRET: str
    LRS_BATCH_SIZE: int
    LRS_RETRY_BASE_SECONDS: float
    LRS_RETRY_MAX_SECONDS: float
    LRS_STATEMENT_LIMIT: int
    SMTP_HOST: str
    SMTP_PORT: int
    MAIL_FROM: str
    TRUST_PROXY: bool
    LOG_FILE: str  # empty: stderr
    CREDENTIAL_KEY_FILE: str  # empty: credential-signing-key.pem in the instance folder
    CREDENTIAL_ISSUERS: str  # addresses of other deployments whose credentials are accepted, space-separated

    @property
    def production(self) -> bool:
        return self.ENV == "production"

    @classmethod
    def from_env(cls) -> Config:
        env = os.environ.get("FLASK_ENV") or os.environ.get("INDUCTION_ENV") or "development"
        production = env == "production"
        secret = os.environ.get("SECRET_KEY", "")
        if production and len(secret) < 32:
            raise ConfigError("SECRET_KEY must be set to at least 32 characters in production.")
        database = os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'instance' / 'induction.db'}"
        return cls(
            ENV=env,
            SECRET_KEY=secret or secrets.token_hex(32),
            SQLALCHEMY_DATABASE_URI=database,
            CONTENT_DIR=os.environ.get("CONTENT_DIR") or str(ROOT / "content"),
            LOCAL_INFORMATION=os.environ.get("LOCAL_INFORMATION", ""),
            ALLOW_UNSET_LOCAL_INFORMATION=_flag("ALLOW_UNSET_LOCAL_INFORMATION", False),
            BASE_URL=os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
            SESSION_COOKIE_SECURE=_flag("SESSION_COOKIE_SECURE", production),
            REMEMBER_COOKIE_SECURE=_flag("SESSION_COOKIE_SECURE", production),
            RATELIMIT_STORAGE_URI=os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
            SIGN_IN_LIMIT=os.environ.get("SIGN_IN_LIMIT", "10 per 5 minutes"),
            ALLOW_DEMO_SIGN_INS=not production,
            PERMANENT_SESSION_LIFETIME=int(os.environ.get("IDLE_TIMEOUT_SECONDS", "3600")),
            LRS_ENDPOINT=os.environ.get("LRS_ENDPOINT", ""),
            LRS_KEY=os.environ.get("LRS_KEY", ""),
            LRS_SECRET=os.environ.get("LRS_SECRET", ""),
            LRS_BATCH_SIZE=int(os.environ.get("LRS_BATCH_SIZE", "50")),
            LRS_RETRY_BASE_SECONDS=float(os.environ.get("LRS_RETRY_BASE_SECONDS", "2")),
            LRS_RETRY_MAX_SECONDS=float(os.environ.get("LRS_RETRY_MAX_SECONDS", "300")),
            LRS_STATEMENT_LIMIT=int(os.environ.get("LRS_STATEMENT_LIMIT", "100")),
            SMTP_HOST=os.environ.get("SMTP_HOST", "localhost"),
            SMTP_PORT=int(os.environ.get("SMTP_PORT", "25")),
            MAIL_FROM=os.environ.get("MAIL_FROM", "induction@localhost"),
            TRUST_PROXY=_flag("TRUST_PROXY", False),
            LOG_FILE=os.environ.get("LOG_FILE", ""),
            CREDENTIAL_KEY_FILE=os.environ.get("CREDENTIAL_KEY_FILE", ""),
            CREDENTIAL_ISSUERS=os.environ.get("CREDENTIAL_ISSUERS", ""),
        )

    def as_flask(self) -> dict[str, object]:
        """The settings as Flask config keys, with the fixed ones the app always uses."""
        values: dict[str, object] = asdict(self)
        values.update(
            SQLALCHEMY_ENGINE_OPTIONS={},
            SESSION_REFRESH_EACH_REQUEST=False,
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            REMEMBER_COOKIE_HTTPONLY=True,
            REMEMBER_COOKIE_SAMESITE="Lax",
            REMEMBER_COOKIE_DURATION=14 * 24 * 3600,
            WTF_CSRF_TIME_LIMIT=None,
            MAX_CONTENT_LENGTH=5 * 1024 * 1024,
        )
        return values
