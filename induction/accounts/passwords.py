"""Password rules, after the NCSC's advice: length, not composition, and no common passwords."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 10
MAX_LENGTH = 128
_COMMON = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    lines = _COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def password_problem(password: str, email: str = "") -> str | None:
    """Why `password` may not be used, in words for the user; None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters. Three random words make a strong password."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in common_passwords():
        return "That password is too common. Choose one that others are unlikely to use."
    local = email.split("@", 1)[0].lower()
    if len(local) >= 4 and local in lowered:
        return "Do not use your e-mail address in your password."
    return None


def _method() -> str:
    """Werkzeug's scrypt; PASSWORD_HASH_METHOD may name cheaper scrypt parameters, which only the
    test suite does (thousands of accounts made and signed in, on two cores)."""
    method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
    return str(method or "scrypt")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=_method())


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not-a-real-password-at-all", method=method)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether `password` is the one hashed; always runs one hash check, even without a hash.

    Without a real hash (an unknown address, or an account whose password is not set yet) a
    dummy of the same method is checked, so every sign-in costs the same and timing tells nothing."""
    matches = check_password_hash(password_hash or _dummy_hash(_method()), password)
    return bool(password_hash) and matches
