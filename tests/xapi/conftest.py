"""Fixtures for the LRS tests: credentials, a client that speaks xAPI, a live server and Ralph."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from induction.extensions import db
from induction.xapi import clients

VERSION = {"X-Experience-API-Version": "1.0.3"}


class Api:
    """Requests to /xapi/ with Basic credentials and the version header."""

    def __init__(self, client: FlaskClient, key: str, secret: str) -> None:
        self.client = client
        self.auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": self.auth, **VERSION, **(extra or {})}

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(path, query_string=params or {}, headers=self.headers(_names(headers)))

    def head(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.head(path, query_string=params or {}, headers=self.headers())

    def post(self, path: str, body: Any = None, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self._send("post", path, body, params, headers)

    def put(self, path: str, body: Any = None, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self._send("put", path, body, params, headers)

    def delete(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.delete(path, query_string=params or {}, headers=self.headers(_names(headers)))

    def _send(self, method: str, path: str, body: Any, params: Any, headers: dict[str, str]) -> Any:
        extra = _names(headers)
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        extra.setdefault("Content-Type", "application/json")
        return getattr(self.client, method)(path, data=data, query_string=params or {}, headers=self.headers(extra))


def _names(headers: dict[str, str]) -> dict[str, str]:
    return {k.replace("_", "-"): v for k, v in headers.items()}


@pytest.fixture
def credentials(app: Flask) -> tuple[str, str]:
    issued = clients.create("Test tool")
    db.session.commit()
    return issued.client.key, issued.secret


@pytest.fixture
def api(client: FlaskClient, credentials: tuple[str, str]) -> Api:
    return Api(client, *credentials)


def statement(**extra: Any) -> dict[str, Any]:
    """A small valid statement; keyword arguments replace its properties."""
    body: dict[str, Any] = {
        "actor": {"objectType": "Agent", "mbox": "mailto:ada@example.com", "name": "Ada"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-GB": "experienced"}},
        "object": {"id": "http://example.com/activities/one", "definition": {"name": {"en-GB": "One"}}},
    }
    body.update(extra)
    return body


ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
RALPH_PYTHON = ROOT / ".venv-ralph" / "bin" / "python"
RALPH_USER, RALPH_PASSWORD = "induction", "ralph-test-password"


class Ralph:
    """Ralph on a free loopback port, started from .venv-ralph; its statements are in one JSONL file."""

    def __init__(self, directory: Any) -> None:
        self.directory = directory
        self.port = _free_port()
        self.process: Any = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI"

    @property
    def store(self) -> Any:
        return self.directory / "fs_lrs.jsonl"

    def start(self) -> None:
        import subprocess
        import time
        import urllib.request

        command = [str(RALPH_PYTHON), str(ROOT / "scripts" / "ralph_server.py"), "--port", str(self.port)]
        command += ["--dir", str(self.directory), "--user", RALPH_USER, "--password", RALPH_PASSWORD]
        with (self.directory / "ralph.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        token = base64.b64encode(f"{RALPH_USER}:{RALPH_PASSWORD}".encode()).decode()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Ralph stopped at start-up; see {self.directory / 'ralph.log'}")
            request = urllib.request.Request(  # noqa: S310 - loopback
                f"{self.endpoint}/statements?limit=1",
                headers={"Authorization": f"Basic {token}", **VERSION},
            )
            try:
                with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 - loopback
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("Ralph did not answer within 30 seconds")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def clear(self) -> None:
        self.store.write_text("")

    def statements(self) -> list[dict[str, Any]]:
        """Every statement Ralph keeps, in the order it received them."""
        return [json.loads(line) for line in self.store.read_text().splitlines() if line.strip()]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def ralph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ralph]:
    if not RALPH_PYTHON.exists():
        pytest.fail(
            f"Ralph is not installed: {RALPH_PYTHON} is missing. Run `make ralph` "
            "(it creates .venv-ralph with ralph-malph[lrs,cli], requests and uvicorn).",
            pytrace=False,
        )
    server = Ralph(tmp_path_factory.mktemp("ralph"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ralph(ralph_server: Ralph) -> Ralph:
    """Ralph running with an empty store."""
    if not ralph_server.running:
        ralph_server.start()
    ralph_server.clear()
    return ralph_server


@pytest.fixture
def forwarding_config(ralph: Ralph) -> dict[str, Any]:
    return {
        "LRS_ENDPOINT": ralph.endpoint,
        "LRS_KEY": RALPH_USER,
        "LRS_SECRET": RALPH_PASSWORD,
        "LRS_RETRY_BASE_SECONDS": 0.05,
        "LRS_RETRY_MAX_SECONDS": 0.2,
    }
