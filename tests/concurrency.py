"""Send the same request many times at the same moment to a served app, as a busy office
(or an attacker) would: each from its own connection, all released together by a barrier."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from .conftest import PASSWORD, csrf_from

TIMES = 10


class Visitor:
    """One person's browser against the served app: cookies, CSRF token, and bursts."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + path, allow_redirects=False, timeout=60)

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        page = self.session.get(self.base + "/sign-in", timeout=60)
        answer = self.session.post(
            self.base + "/sign-in",
            data={"email": email, "password": password, "csrf_token": csrf_from(page.text)},
            allow_redirects=False,
            timeout=60,
        )
        assert answer.status_code == 302, answer.text[:500]

    def token(self, path: str = "/") -> str:
        page = self.session.get(self.base + path, timeout=60)
        return csrf_from(page.text)

    def together(self, method: str, path: str, times: int = TIMES, **kwargs: Any) -> list[requests.Response]:
        """`times` copies of one request, sent at once with this visitor's cookies."""
        return burst([(method, path, kwargs)] * times, self.base, self.session.cookies)


def burst(
    requests_to_send: list[tuple[str, str, dict[str, Any]]], base: str, cookies: Any = None
) -> list[requests.Response]:
    """Send every request at the same moment, each on its own connection; answers in order."""
    gate = threading.Barrier(len(requests_to_send))

    def send(item: tuple[str, str, dict[str, Any]]) -> requests.Response:
        method, path, kwargs = item
        session = requests.Session()
        if cookies is not None:
            session.cookies.update(cookies)
        gate.wait()
        return session.request(method, base + path, allow_redirects=False, timeout=120, **kwargs)

    with ThreadPoolExecutor(len(requests_to_send)) as pool:
        return list(pool.map(send, requests_to_send))


def codes(answers: list[requests.Response]) -> list[int]:
    return [a.status_code for a in answers]


def no_server_errors(answers: list[requests.Response]) -> None:
    errors = [(a.status_code, a.text[:300]) for a in answers if a.status_code >= 500]
    assert errors == [], errors
