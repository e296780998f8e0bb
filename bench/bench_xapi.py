"""Benchmark /xapi/statements against Ralph on the same machine, in the same run.

    .venv/bin/python bench/bench_xapi.py [--singles 300] [--batches 20] [--gets 200] [--stored 6000]

Starts our app under gunicorn (2 workers; PostgreSQL when TEST_DATABASE_URL or
DATABASE_URL is set, e.g. under scripts/with-postgres.sh, else SQLite in a temporary
folder) and Ralph (from .venv-ralph, `make ralph`; its filesystem backend with the verb and
activity filters mended, see scripts/ralph_server.py), both on loopback ports; then, against
each in alternating rounds, POSTs single statements, POSTs batches of 50, fills the store to
6,000 statements and GETs 100 of them with a verb filter. Prints every figure as a speed-up
over Ralph (Ralph's time divided by ours; issue 13 asks for 10x); the absolute times are
printed only beside it, for context. Not part of the tests.
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
from urllib.parse import quote

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
        for attempt in (1, 2):
            try:
                self.connection.request(method, self.base + path, body=data, headers=headers)
                response = self.connection.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.RemoteDisconnected):
                # a keep-alive connection the server closed while the other LRS was measured
                self.connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

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


VERBS = [
    "http://adlnet.gov/expapi/verbs/experienced",
    "http://adlnet.gov/expapi/verbs/answered",
    "http://adlnet.gov/expapi/verbs/passed",
    "http://adlnet.gov/expapi/verbs/failed",
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/attempted",
]
FILTERED_VERB = VERBS[0]
NOTES: list[str] = []  # what the figures do not say, printed after them


def statement(learner: int, verb: str = VERBS[0]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": f"mailto:learner{learner}@example.com", "name": f"Learner {learner}"},
        "verb": {"id": verb, "display": {"en-GB": verb.rsplit("/", 1)[-1]}},
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


def _actions(target: Target, returned: list[int]) -> dict[str, Callable[[int], None]]:
    def post_one(index: int) -> None:
        status, body = target.request("POST", "/statements", statement(index % 40))
        assert status == 200, (target.name, status, body[:200])

    def post_batch(index: int) -> None:
        batch = [statement((index * 50 + i) % 40, VERBS[i % len(VERBS)]) for i in range(50)]
        status, body = target.request("POST", "/statements", batch)
        assert status == 200, (target.name, status, body[:200])

    def get_filtered(index: int) -> None:
        status, body = target.request("GET", f"/statements?verb={quote(FILTERED_VERB)}&limit=100")
        assert status == 200, (target.name, status, body[:200])
        returned.append(len(json.loads(body)["statements"]))

    return {"one": post_one, "batch": post_batch, "get": get_filtered}


def workloads(
    targets: list[Target], singles: int, batches: int, gets: int, stored: int, rounds: int = 4
) -> dict[str, dict[str, float]]:
    """Seconds per request of each workload, for each target. Each workload runs in `rounds`
    rounds that alternate between the targets (A B B A ...), so a change in the machine's load
    during the run weighs on both alike. Before the GETs each store is filled up to `stored`
    statements, one verb in six being the filtered one, so each GET picks 100 of about
    `stored` / 6 matches."""
    returned: dict[str, list[int]] = {t.name: [] for t in targets}
    actions = {t.name: _actions(t, returned[t.name]) for t in targets}
    results: dict[str, dict[str, float]] = {t.name: {} for t in targets}

    def alternate(label: str, key: str, count: int) -> int:
        per_round = max(1, count // rounds)
        totals = dict.fromkeys(actions, 0.0)
        for turn in range(rounds):
            for target in targets if turn % 2 == 0 else targets[::-1]:
                act, offset = actions[target.name][key], turn * per_round

                def step(i: int, act: Callable[[int], None] = act, offset: int = offset) -> None:
                    act(offset + i)

                totals[target.name] += timed(step, per_round)
        for name, total in totals.items():
            results[name][label] = total / (per_round * rounds)
        return per_round * rounds

    have = alternate("POST one statement", "one", singles)
    sent = alternate("POST a batch of 50", "batch", batches)
    have += sent * 50
    for target in targets:  # untimed: fill the store
        for index in range(max(0, stored - have) // 50):
            actions[target.name]["batch"](sent + index)
    alternate(f"GET verb filter, 100 of {stored:,} stored", "get", gets)
    for name, counts in returned.items():
        NOTES.append(f"{name}: each filtered GET returned {min(counts)}-{max(counts)} statements")
    ours = next(t for t in targets if t.name == "induction")

    def about(_: int) -> None:
        status, _body = ours.request("GET", "/about")
        assert status == 200

    floor = timed(about, 200) / 200
    NOTES.append(
        f"induction: GET /xapi/about (no database, same server and client) took {floor * 1000:.1f} ms:"
        " the floor of any request here"
    )
    return results


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
    # The production settings (gthread, 2 workers x 4 threads here), without the access log lines.
    command = [str(VENV / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "-w", "2", "--threads", "4"]
    command += ["-b", f"127.0.0.1:{port}", "--access-logfile", "/dev/null", "--log-level", "warning", "wsgi:app"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
    return process, Target("induction", port, "/xapi", lines["key"], lines["secret"])


def start_ralph(workdir: Path) -> tuple[subprocess.Popen[bytes], Target]:
    if not RALPH_PYTHON.exists():
        sys.exit("Ralph is not installed: run `make ralph` first.")
    port = free_port()
    command = [str(RALPH_PYTHON), str(ROOT / "scripts" / "ralph_server.py"), "--port", str(port)]
    command += ["--dir", str(workdir / "ralph"), "--user", "bench", "--password", "bench-password", "--mend-filters"]
    (workdir / "ralph").mkdir()
    with (workdir / "ralph" / "server.log").open("ab") as log:  # Ralph warns on every statement
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    return process, Target("ralph", port, "/xAPI", "bench", "bench-password")


def run(singles: int = 300, batches: int = 20, gets: int = 200, stored: int = 6000) -> list[tuple[str, float, float]]:
    """(workload, our seconds per request, Ralph's seconds per request), measured in this run."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-xapi-"))
    processes, targets = [], []
    try:
        app, ours = start_app(workdir)
        processes.append(app)
        targets.append(ours)
        ralph_process, ralph = start_ralph(workdir)
        processes.append(ralph_process)
        targets.append(ralph)
        ours.wait()
        ralph.wait()
        results = workloads([ralph, ours], singles, batches, gets, stored)
        return [(name, results["induction"][name], reference) for name, reference in results["ralph"].items()]
    finally:
        for target in targets:
            target.connection.close()  # a gthread worker waits for its keep-alive connections before it stops
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--singles", type=int, default=300)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--gets", type=int, default=200)
    parser.add_argument("--stored", type=int, default=6000, help="statements stored before the filtered GETs")
    parser.add_argument("--json", type=Path, help="also write [workload, ours s, Ralph s] rows to this file")
    args = parser.parse_args()
    rows = run(args.singles, args.batches, args.gets, args.stored)
    if args.json:
        args.json.write_text(json.dumps(rows))
    print(f"{'workload':40} {'speed-up':>9}   (ours ms, Ralph ms per request)  goal: 10x Ralph")
    for name, mine, reference in rows:
        print(f"{name:40} {reference / mine:8.1f}x   ({mine * 1000:.1f}, {reference * 1000:.1f})")
    print("Speed-up: Ralph's time divided by ours for the same requests; above 1 means our LRS is faster.")
    for note in NOTES:
        print(note)
    print(
        "Ralph's filesystem backend reads its file from the start and stops at the 100th match, so it"
        " answers with the oldest matches (xAPI asks for the newest first) and its GET does not grow"
        " with the store; ours walks the verb index from the newest."
    )


if __name__ == "__main__":
    main()
