"""What the benchmarks share: gunicorn servers, a signed-in HTTP client and the load generators.

Every figure a benchmark reports is a ratio against a reference measured in the same run,
so the helpers here return raw measurements and leave the ratios to the callers.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = ROOT / ".venv" / "bin"
USER_AGENT = "induction-bench/1"  # one agent for sign-in and load: Flask-Login's strong protection checks it
SECRET_KEY = "bench-secret-" + "k" * 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """Runs in a child before exec: the kernel sends it SIGTERM if the benchmark process dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def log(message: str) -> None:
    print(message, flush=True)


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment our app runs with in every benchmark: PostgreSQL, a fixed secret, quiet."""
    env = dict(os.environ)
    for name in ("LRS_ENDPOINT", "FLASK_ENV", "INDUCTION_ENV"):
        env.pop(name, None)
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET_KEY,
        FLASK_APP="induction",
        BASE_URL="http://127.0.0.1",
        SIGN_IN_LIMIT="10000 per minute",  # the benchmark signs in dozens of learners from one address
    )
    env.update(extra)
    return env


class Server:
    """A gunicorn server on a loopback port, stopped when the `with` block ends, however it ends."""

    def __init__(self, app: str, env: Mapping[str, str], log_file: Path, workers: int = 2, timeout: int = 300) -> None:
        self.port = free_port()
        self.log_file = log_file
        self.command = [
            str(VENV_BIN / "gunicorn"), "-c", str(BENCH / "gunicorn_bench.py"), "-w", str(workers),
            "-b", f"127.0.0.1:{self.port}", "--timeout", str(timeout), "--chdir", str(ROOT),
            "--pythonpath", str(BENCH), app,
        ]  # fmt: skip
        self.env = dict(env)
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        # The app logs each unhandled error with its SQL; at 100,000 learners that is megabytes a request.
        with self.log_file.open("ab") as log_output:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log_output, stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_file.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}: {' '.join(self.command)}\n{tail}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not start listening within 60 s")

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Client:
    """A keep-alive HTTP client with a cookie jar, for one signed-in person."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def request(self, method: str, path: str, form: Mapping[str, str | list[str]] | None = None) -> Response:
        headers = {"User-Agent": USER_AGENT}
        if self.cookies:
            headers["Cookie"] = self.cookie_header
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            answer = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.connection.close()  # the server closed a kept-alive connection; try once more
            self.connection.request(method, path, body=body, headers=headers)
            answer = self.connection.getresponse()
        data = answer.read()
        for value in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, data)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, form: Mapping[str, str | list[str]]) -> Response:
        return self.request("POST", path, form)

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def sign_in(self, email: str, password: str) -> None:
        """Sign in through the real form, CSRF token and all; the session cookie lands in the jar."""
        page = self.get("/sign-in")
        answer = self.post("/sign-in", {"csrf_token": csrf_token(page.text), "email": email, "password": password})
        if answer.status != 302:
            raise RuntimeError(f"sign-in as {email} answered {answer.status}: {answer.text[:300]}")


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if found is None:
        raise RuntimeError("no CSRF token in the page")
    return found.group(1)


def expect(response: Response, status: int, what: str) -> Response:
    if response.status != status:
        raise RuntimeError(f"{what}: expected {status}, got {response.status}: {response.text[:300]}")
    return response


def fetcher(client: Client, path: str, status: int = 200) -> Callable[[], None]:
    """An action that GETs `path` and fails unless it answers `status`."""

    def fetch() -> None:
        expect(client.get(path), status, path)

    return fetch


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` (0..1) of `values` fall, interpolating between ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = share * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Latency:
    """Sequential request times in seconds."""

    samples: list[float]

    @property
    def p50(self) -> float:
        return percentile(self.samples, 0.5)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 0.95)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples)


def sample(action: Callable[[], None], count: int, budget: float) -> Latency:
    """Time `action` one after another, `count` times or until `budget` seconds are spent (at least twice)."""
    samples: list[float] = []
    end = time.monotonic() + budget
    while len(samples) < count and (len(samples) < 2 or time.monotonic() < end):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return Latency(samples)


@dataclass(frozen=True)
class Throughput:
    requests_per_second: float
    p50: float
    p99: float
    requests: int
    bad: int
    tool: str


def wrk_path() -> str | None:
    return shutil.which("wrk")


def ensure_wrk() -> str | None:
    """wrk if it is installed or Debian's package can be installed here; None means use the Python generator."""
    if wrk_path():
        return wrk_path()
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        return None
    log("Installing Debian's wrk for the throughput runs (apt-get install -y wrk) ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

    def apt_get(*words: str) -> int:
        return subprocess.run([apt, *words], check=False, env=env, capture_output=True).returncode

    if apt_get("install", "-y", "-qq", "wrk") != 0:
        apt_get("update", "-qq")
        apt_get("install", "-y", "-qq", "wrk")
    return wrk_path()


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _seconds(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:
        raise RuntimeError(f"wrk printed a time this script cannot read: {text!r}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def _field(pattern: str, out: str) -> str:
    found = re.search(pattern, out, re.M)
    if found is None:
        raise RuntimeError(f"no {pattern!r} in wrk's output:\n{out}")
    return found.group(1)


def run_wrk(wrk: str, port: int, path: str, cookie: str, seconds: float, connections: int) -> Throughput:
    command = [
        wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
        "-H", f"User-Agent: {USER_AGENT}", "-H", f"Cookie: {cookie}", f"http://127.0.0.1:{port}{path}",
    ]  # fmt: skip
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    # gunicorn's sync workers close every connection after answering; wrk reconnects, and
    # may count that as a read error, so only timeouts count as failures here.
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failures = (int(bad.group(1)) if bad else 0) + (int(errors.group(4)) if errors else 0)
    return Throughput(
        float(_field(r"Requests/sec:\s+([\d.]+)", out)),
        _seconds(_field(r"^\s+50%\s+(\S+)$", out)),
        _seconds(_field(r"^\s+99%\s+(\S+)$", out)),
        int(_field(r"(\d+) requests in", out)),
        failures,
        "wrk",
    )


def run_threads(port: int, path: str, cookie: str, seconds: float, connections: int) -> Throughput:
    """The fallback load generator: threads, each with its own keep-alive http.client connection."""
    times: list[float] = []
    bad = [0]
    lock = threading.Lock()
    end = time.monotonic() + seconds
    headers = {"User-Agent": USER_AGENT, "Cookie": cookie}

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        wrong = 0
        while time.monotonic() < end:
            start = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                answer = connection.getresponse()
                answer.read()
                if answer.status != 200:
                    wrong += 1
            except (OSError, http.client.HTTPException):
                connection.close()
                wrong += 1
                continue
            mine.append(time.perf_counter() - start)
        with lock:
            times.extend(mine)
            bad[0] += wrong

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return Throughput(
        len(times) / elapsed, percentile(times, 0.5), percentile(times, 0.99), len(times), bad[0], "python threads"
    )


def throughput(wrk: str | None, port: int, path: str, cookie: str, seconds: float, connections: int) -> Throughput:
    if wrk:
        return run_wrk(wrk, port, path, cookie, seconds, connections)
    return run_threads(port, path, cookie, seconds, connections)


@contextmanager
def stage(title: str) -> Iterator[None]:
    log(f"\n== {title}")
    start = time.monotonic()
    yield
    log(f"   ({time.monotonic() - start:.0f} s)")


def python() -> str:
    return str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
