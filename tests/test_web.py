"""Health check, error pages and security headers."""

from __future__ import annotations

from typing import Any


def test_healthz_answers_when_the_database_does(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_unknown_pages_get_a_useful_404(client: Any, auth: Any, make: Any) -> None:
    auth.sign_in(make.learner())
    for url in (
        "/nowhere",
        "/modules/no-such-module",
        "/modules/first-steps/no-such-section",
        "/quizzes/no-such-quiz",
        "/certificates/999999",
        "/quizzes/first-steps/attempts/abc",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in response.get_data(as_text=True)
        assert "Traceback" not in response.get_data(as_text=True)


def test_security_headers_are_on_every_page(client: Any) -> None:
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Request-Id"]


def test_session_cookie_is_httponly_and_lax(client: Any, auth: Any, make: Any) -> None:
    response = auth.sign_in(make.learner())
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
