"""The test OpenID provider: oidc-provider from npm, run by Node on a loopback port."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import requests

from ..mailbox import free_port

HERE = Path(__file__).resolve().parent


@dataclass
class LoopbackProvider:
    issuer: str
    control_token: str
    _accounts: int = field(default=0)

    def _control(self, path: str, body: dict[str, Any]) -> None:
        answer = requests.post(
            f"{self.issuer}/__test/{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.control_token}"},
            timeout=5,
        )
        answer.raise_for_status()

    def account(self, email: str, name: str = "Ada Lovelace", verified: bool = True) -> str:
        """An account the provider's login form accepts; returns its subject (what to type as login)."""
        self._accounts += 1
        sub = f"subject-{self._accounts}-{secrets.token_hex(4)}"
        self._control("accounts", {"sub": sub, "email": email, "email_verified": verified, "name": name})
        return sub

    def tamper_next_id_token(self, **claims: Any) -> None:
        """The next ID token the provider issues carries these claims instead, signed with its real key."""
        self._control("tamper", claims)

    def register_client(self, app_url: str, key: str) -> tuple[str, str]:
        """Register the served app as a client (RFC 7591); its id and secret."""
        answer = requests.post(
            f"{self.issuer}/reg",
            json={
                "redirect_uris": [f"{app_url}/sign-in/with/{key}/callback"],
                "post_logout_redirect_uris": [f"{app_url}/sign-in"],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
            },
            timeout=5,
        )
        answer.raise_for_status()
        client = answer.json()
        return client["client_id"], client["client_secret"]


@contextmanager
def running_provider() -> Iterator[LoopbackProvider]:
    """Start the provider (node_modules installed by `make test`); skip only if Node is missing."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed, so the test OpenID provider cannot run (apt-get install nodejs).")
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        npm = ["npm", "ci", "--no-audit", "--no-fund", "--silent"]  # `make test` does this first
        subprocess.run(npm, cwd=HERE, check=True, timeout=300)  # noqa: S603,S607
    token = secrets.token_urlsafe(16)
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [node, str(HERE / "provider.js"), str(port)],
        env={**os.environ, "CONTROL_TOKEN": token},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("ready "), f"the test OpenID provider did not start: {line!r}"
        yield LoopbackProvider(issuer=line.split()[1], control_token=token)
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def submit_login(browser: requests.Session, page: requests.Response, login: str) -> requests.Response:
    """Fill in oidc-provider's development login form as a person would, following the redirects."""
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    assert action, f"no login form at {page.url}: {page.text[:300]}"
    url = requests.compat.urljoin(page.url, unescape(action.group(1)))
    return browser.post(url, data={"prompt": "login", "login": login, "password": "any"}, timeout=10)
