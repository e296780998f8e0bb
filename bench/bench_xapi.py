"""Benchmark /xapi/statements against Ralph on the same machine, in the same run.

    .venv/bin/python bench/bench_xapi.py [--singles 300] [--batches 20] [--gets 200]

Starts our app under gunicorn (2 workers; PostgreSQL when TEST_DATABASE_URL or
DATABASE_URL is set, e.g. under scripts/with-postgres.sh, else SQLite in a temporary
folder) and Ralph (from .venv-ralph, `make ralph`), both on loopback ports; then, against
each, POSTs single statements, POSTs batches of 50, and GETs with an agent filter and a
limit. Prints every figure as a ratio to Ralph's (below 1.0 means we are faster); the
absolute times are printed only beside the ratio, for context. Not part of the tests.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
RALPH_PYTHON = ROOT / ".venv-ralph" / "bin" / "python"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Target:
    """An LRS under test: where it is and the credentials to use."""

    def __init__(self, name: str, port: int, base: str, key: str, secret: str) -> None:
        self.name, self.port, self.base = name, port, base
        token = base64.b64encode(f"{key}:{secret}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.connection.request(method, self.base + path, body=data, headers=headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def wait(self, deadline: float = 60) -> None:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            try:
                status, _ = self.request("GET", "/statements?limit=1")
                if status == 200:
                    return
            except OSError:
                self.connection.close()
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start")


def statement(learner: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": f"mailto:learner{learner}@example.com", "name": f"Learner {learner}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-GB": "experienced"}},
        "object": {
            "id": f"http://example.com/activities/section-{learner % 7}",
            "definition": {"name": {"en-GB": "A section"}},
        },
        "context": {"registration": str(uuid.uuid4())},
        "timestamp": "2026-11-25T10:00:00.000Z",
    }


def timed(action: Callable[[int], None], count: int) -> float:
    start = time.perf_counter()
    for index in range(count):
        action(index)
    return time.perf_counter() - start


def workloads(target: Target, singles: int, batches: int, gets: int) -> dict[str, float]:
    def post_one(index: int) -> None:
        status, body = target.request("POST", "/statements", statement(index % 40))
        assert status == 200, (target.name, status, body[:200])

    def post_batch(index: int) -> None:
        status, body = target.request("POST", "/statements", [statement((index * 50 + i) % 40) for i in range(50)])
        assert status == 200, (target.name, status, body[:200])

    def get_filtered(index: int) -> None:
        agent = json.dumps({"mbox": f"mailto:learner{index % 40}@example.com"})
        from urllib.parse import quote

        status, body = target.request("GET", f"/statements?agent={quote(agent)}&limit=10")
        assert status == 200, (target.name, status, body[:200])

    return {
        f"POST one statement x{singles}": timed(post_one, singles),
        f"POST batch of 50 x{batches}": timed(post_batch, batches),
        f"GET agent filter, limit 10 x{gets}": timed(get_filtered, gets),
    }


def start_app(workdir: Path) -> tuple[subprocess.Popen[bytes], Target]:
    env = dict(os.environ)
    env["DATABASE_URL"] = env.get("TEST_DATABASE_URL") or env.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    env.update(SECRET_KEY="bench-" + "x" * 40, FLASK_APP="induction", BASE_URL="http://127.0.0.1")
    env.pop("LRS_ENDPOINT", None)
    subprocess.run(
        [str(VENV / "flask"), "--app", "induction", "db", "upgrade"], env=env, check=True, capture_output=True
    )  # noqa: S603
    created = subprocess.run(  # noqa: S603
        [str(VENV / "flask"), "--app", "induction", "xapi", "client", "create", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = dict(line.split(": ", 1) for line in created.splitlines() if ": " in line)
    port = free_port()
    command = [str(VENV / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
    return process, Target("induction", port, "/xapi", lines["key"], lines["secret"])


def start_ralph(workdir: Path) -> tuple[subprocess.Popen[bytes], Target]:
    if not RALPH_PYTHON.exists():
        sys.exit("Ralph is not installed: run `make ralph` first.")
    port = free_port()
    command = [str(RALPH_PYTHON), str(ROOT / "scripts" / "ralph_server.py"), "--port", str(port)]
    command += ["--dir", str(workdir / "ralph"), "--user", "bench", "--password", "bench-password"]
    (workdir / "ralph").mkdir()
    with (workdir / "ralph" / "server.log").open("ab") as log:  # Ralph warns on every statement
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    return process, Target("ralph", port, "/xAPI", "bench", "bench-password")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--singles", type=int, default=300)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--gets", type=int, default=200)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-xapi-"))
    processes = []
    try:
        app, ours = start_app(workdir)
        processes.append(app)
        ralph_process, ralph = start_ralph(workdir)
        processes.append(ralph_process)
        ours.wait()
        ralph.wait()
        results = {t.name: workloads(t, args.singles, args.batches, args.gets) for t in (ralph, ours)}
        print(f"{'workload':38} {'ours / Ralph':>12}   (ours s, Ralph s)")
        for name, reference in results["ralph"].items():
            mine = results["induction"][name]
            print(f"{name:38} {mine / reference:12.2f}   ({mine:.2f}, {reference:.2f})")
        print("A ratio below 1.00 means our LRS took less time than Ralph for the same work.")
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
