"""Run every benchmark: `make bench` (or `.venv/bin/python bench/run.py --help`).

Starts a throwaway PostgreSQL cluster with scripts/with-postgres.sh, migrates it with the
app's Alembic migrations, seeds it in bulk, and measures under gunicorn (2 sync workers on
loopback ports), each figure as a ratio to a reference measured in the same run:

1. learner module and section pages, requests per second against a bare Flask page of
   the same size (bench/bare_app.py);
2. first reads of sections and a quiz submit (GET the quiz, POST the answers), latency
   against the bare page;
3. the manager report /manage/ and the filtered learner list at 10,000 and 100,000
   learners: latency p50/p95 against the bare page, SQL queries per page, and a cProfile
   of /manage/ at both scales (where a request's time goes);
4. bench/bench_xapi.py (our LRS against Ralph) when .venv-ralph exists (`make ralph`).

Every server and the cluster are stopped however the run ends. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType

import seed
from bench_pages import Figure, page_throughput, write_latency
from bench_report import ReportFigure, profile, report_latency
from benchlib import BENCH, ROOT, VENV_BIN, Server, app_env, ensure_wrk, log, python, stage
from inprocess import (
    PageCost,
    check_projections,
    count_get,
    count_quiz_submit,
    count_section_read,
    make_app,
    modules_of,
    page_costs,
    quiz_keys,
    refresh_projections,
    signed_in,
)

RALPH = ROOT / ".venv-ralph" / "bin" / "ralph"


def arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", default="10000,100000", help="report scales, comma-separated (ascending)")
    parser.add_argument("--seconds", type=float, default=5, help="length of each throughput run")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections for throughput")
    parser.add_argument("--quiz-learners", type=int, default=20, help="learners who each submit the quiz twice")
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator even if wrk is there")
    parser.add_argument("--no-xapi", action="store_true", help="skip bench_xapi.py")
    parser.add_argument("--no-profile", action="store_true", help="skip the profiles of /manage/")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--watch-pid", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- the outer process: a cluster of our own, and signals passed on ---------------------------


def outer(argv: Sequence[str]) -> int:
    """Run this script again inside scripts/with-postgres.sh, in a process group of its own."""
    command = [str(ROOT / "scripts" / "with-postgres.sh"), python(), str(BENCH / "run.py"), "--inner"]
    command += ["--watch-pid", str(os.getpid()), *argv]
    started = time.monotonic()
    child = subprocess.Popen(command, cwd=ROOT, start_new_session=True)

    def forward(signum: int, _: FrameType | None) -> None:
        # The inner run stops its servers; the script's trap then removes the cluster.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGTERM if signum != signal.SIGINT else signal.SIGINT)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    code = child.wait()
    log(f"\nmake bench took {time.monotonic() - started:.0f} s in all (exit {code}).")
    return code


# --- the inner process: the benchmarks --------------------------------------------------------


def _exit_on_signal(signum: int, _: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _watch(pid: int) -> None:
    """End this run if the outer process vanished (killed with SIGKILL, say): servers must not outlive it."""
    while True:
        time.sleep(1)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os.kill(os.getpid(), signal.SIGTERM)
            return


def machine() -> dict[str, str]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    memory = next(
        (line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "0"
    )
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": model,
        "cpus": str(os.cpu_count()),
        "memory": f"{int(memory) / 1024 / 1024:.0f} GiB",
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load average": _load(),
    }


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def _busy() -> bool:
    """Something else keeps the CPUs busy: the ratios will be noisier than usual."""
    return os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1)


def code_stamp() -> str:
    """When the app's code last changed: a run during which it changes measured a moving target."""
    files = [path for folder in ("induction", "templates", "migrations") for path in (ROOT / folder).rglob("*")]
    newest = max((p.stat().st_mtime for p in files if p.is_file() and "__pycache__" not in p.parts), default=0.0)
    return datetime.fromtimestamp(newest, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def schema_revision(database_url: str) -> str:
    import psycopg

    with psycopg.connect(seed.psycopg_dsn(database_url)) as connection:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else "?"


def server_version(database_url: str) -> str:
    import psycopg

    with psycopg.connect(seed.psycopg_dsn(database_url)) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0] if row else '?'}"


def migrate(database_url: str) -> None:
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "induction", "db", "upgrade"],
        env=app_env(database_url), cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip


def create_database(database_url: str, name: str) -> str:
    """A fresh database on the same cluster; returns its URL."""
    import psycopg

    with psycopg.connect(seed.psycopg_dsn(database_url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return database_url.rsplit("/", 1)[0] + "/" + name


def run_xapi(database_url: str) -> tuple[str, list[Figure]]:
    """bench_xapi.py on a database of its own, in a process group that is ended with this run."""
    env = app_env(create_database(database_url, "bench_xapi"))
    env["TEST_DATABASE_URL"] = env["DATABASE_URL"]
    with tempfile.TemporaryDirectory(prefix="bench-xapi-out-") as folder:
        results = Path(folder) / "xapi.json"
        process = subprocess.Popen(
            [python(), str(BENCH / "bench_xapi.py"), "--json", str(results)], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        try:
            out, _ = process.communicate(timeout=600)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(20)
        print(out, end="")
        rows = json.loads(results.read_text()) if results.exists() else []
    figures = [
        Figure(f"xAPI: {name}", "time per request", ours, ralph, "s", "reference: Ralph, not bare Flask")
        for name, ours, ralph in rows
    ]
    return out, figures


def inner(args: argparse.Namespace) -> int:
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _exit_on_signal)
    if args.watch_pid:
        threading.Thread(target=_watch, args=(args.watch_pid,), daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="induction-bench-") as logs:
        return benchmarks(args, os.environ["TEST_DATABASE_URL"], Path(logs))


def benchmarks(args: argparse.Namespace, database_url: str, logs: Path) -> int:
    scales = sorted(int(n) for n in args.learners.split(","))
    facts = machine()
    facts["database"] = server_version(database_url)
    facts["code last changed"] = code_stamp()
    if _busy():
        log("Warning: other processes are keeping the CPUs busy; the figures will be noisier than usual.")
    wrk = None if args.python_load else ensure_wrk()
    facts["load generator"] = "wrk (Debian)" if wrk else "Python threads + http.client"
    log("Machine: " + "; ".join(f"{k} {v}" for k, v in facts.items()))
    figures: list[Figure] = []
    counts: dict[str, int] = {}
    costs: list[PageCost] = []
    profiles: dict[int, str] = {}
    seeding: dict[int, float] = {}  # learners added: seconds, COPY, projections, checks and ANALYZE included
    today = date.today()

    with stage("Schema (flask db upgrade) and seed data"):
        migrate(database_url)
        facts["schema revision"] = schema_revision(database_url)
        log(f"   schema at Alembic revision {facts['schema revision']}")
        app = make_app(database_url)
        modules = modules_of(app)
        hashed = seed.password_hash()
        organisations = seed.prepare(database_url, hashed, today)
        written = seed.add_learners(database_url, organisations, modules, 0, scales[0], hashed, today)
        seeded = scales[0]
        log(f"   {scales[0]:,} learners: " + ", ".join(f"{v:,} {k}" for k, v in written.items()))
        log(f"   {refresh_projections(app)}")
        log(f"   {check_projections(app)}")
        seed.analyze(database_url)

    env = app_env(database_url)
    module = modules[1] if len(modules) > 1 else modules[0]
    keys = quiz_keys(app, module.quiz_slug)
    with Server("bare_app:app", env, logs / "bare.log") as bare:
        with Server("wsgi:app", env, logs / "app.log") as ours:
            with stage(f"Learner pages, throughput ({args.connections} connections, 2 rounds of {args.seconds:.0f} s)"):
                figures += page_throughput(
                    ours.port, bare.port, wrk, "learner0@bench.example.org", module, args.seconds, args.connections
                )
            with stage("Writes: first reads of sections and quiz submits, latency"):
                emails = [f"learner{i}@bench.example.org" for i in range(1, 1 + args.quiz_learners)]
                figures += write_latency(ours.port, bare.port, emails, module, keys)
        with stage("Learner pages in-process: SQL queries and time per request, no HTTP"):
            learner = args.quiz_learners + 1
            client = signed_in(app, f"learner{learner}@bench.example.org", seed.PASSWORD)
            section_path = f"/modules/{module.slug}/{module.sections[0]}"
            counts["module page"] = count_get(app, client, f"/modules/{module.slug}").queries
            counts["section GET + first read POST"] = count_section_read(app, client, section_path).queries
            counts["section page, re-read"] = count_get(app, client, section_path).queries
            counts["quiz GET + POST"] = count_quiz_submit(app, client, module.quiz_slug, keys).queries
            costs = page_costs(app, f"learner{learner + 1}@bench.example.org", seed.PASSWORD, module)
            log("   queries: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
            for cost in costs:
                log(f"   {cost.name:24} {cost.milliseconds:6.2f} ms, of which SQL {cost.sql_milliseconds:5.2f} ms")

        for scale in scales:
            if scale > seeded:
                began, before = time.monotonic(), seeded
                with stage(f"Seed up to {scale:,} learners"):
                    written = seed.add_learners(
                        database_url, organisations, modules, seeded, scale - seeded, hashed, today
                    )
                    seeded = scale
                    log("   added " + ", ".join(f"{v:,} {k}" for k, v in written.items()))
                    log(f"   {refresh_projections(app)}")
                    log(f"   {check_projections(app)}")
                    seed.analyze(database_url)
                seeding[scale - before] = time.monotonic() - began
            with (
                stage(f"Manager report at {scale:,} learners"),
                Server("wsgi_counted:app", env, logs / "report.log") as report,
            ):
                shipped = report_latency(report.port, bare.port, scale, (12, 8), 45)
                figures += shipped
            failed = any(isinstance(f, ReportFigure) and f.failed for f in shipped)
            if failed:
                bound_env = {**env, "BENCH_CLIENT_BINDING": "1"}
                with (
                    stage(f"Manager report at {scale:,} learners, psycopg binding on the client side"),
                    Server("wsgi_counted:app", bound_env, logs / "report-client-binding.log") as bound,
                ):
                    label = " (client-side binding)"
                    figures += report_latency(bound.port, bare.port, scale, (2, 1), 90, label)
            if not args.no_profile and scale in (scales[0], scales[-1]):
                with stage(f"Profile of /manage/ at {scale:,} learners (cProfile, in-process)"):
                    target = (
                        make_app(database_url, {"connect_args": {"cursor_factory": _client_cursor()}})
                        if failed
                        else app
                    )
                    text = profile(target, "/manage/", 18 if scale == scales[-1] else 0)
                    profiles[scale] = text
                    log(text)

    xapi_out = ""
    if args.no_xapi:
        log("\n(bench_xapi.py skipped: --no-xapi)")
    elif not RALPH.exists():
        log("\n(bench_xapi.py skipped: .venv-ralph is missing; `make ralph` creates it)")
    else:
        with stage("xAPI statements: our LRS against Ralph (bench/bench_xapi.py)"):
            xapi_out, xapi_figures = run_xapi(database_url)
            figures += xapi_figures

    facts["load average at the end"] = _load()
    if code_stamp() != facts["code last changed"]:
        log(f"\nWarning: the app's code changed during the run ({code_stamp()}); run again for one version's figures.")
    summary = table(figures, counts, costs)
    log("\n" + summary)
    log("\n" + goals(figures, counts, scales, seeding))
    log(f"\nLoad average at the start: {facts['load average']}; at the end: {facts['load average at the end']}.")
    if args.json:
        payload = {
            "machine": facts, "figures": [asdict(f) | {"ratio": f.ratio} for f in figures], "queries": counts,
            "in-process": [asdict(c) for c in costs], "profiles": profiles, "xapi": xapi_out,
        }  # fmt: skip
        args.json.write_text(json.dumps(payload, indent=2, default=str))
    return 0


def _client_cursor() -> type:
    from psycopg import ClientCursor

    return ClientCursor


def _value(figure: Figure, value: float) -> str:
    if figure.unit == "ms":
        return f"{value * 1000:,.1f} ms"
    if figure.unit == "s":
        return f"{value:,.2f} s"
    return f"{value:,.0f} {figure.unit}"


def table(figures: Sequence[Figure], counts: dict[str, int], costs: Sequence[PageCost]) -> str:
    """The results as a Markdown table, ready for docs/performance.md."""
    lines = [
        "| benchmark | measure | ours | reference | ratio | queries | notes |",
        "|---|---|--:|--:|--:|--:|---|",
    ]
    for f in figures:
        queries = getattr(f, "queries", None)
        failed = getattr(f, "failed", "")
        ratio = "fails" if failed else ("n/a" if math.isnan(f.ratio) else f"{f.ratio:,.2f}")
        ours = failed or _value(f, f.ours)
        reference = "" if failed else _value(f, f.reference)
        lines.append(
            f"| {f.name} | {f.measure} | {ours} | {reference} | {ratio} | {'' if queries is None else queries} |"
            f" {f.note} |"
        )
    lines.append("")
    lines.append("Reference: the bare Flask page of the same size under the same gunicorn (xAPI rows: Ralph).")
    lines.append("Ratio: ours / reference; for req/s higher is better, for latency and time lower is better.")
    lines.append("")
    lines.append("SQL queries per learner request (in-process): " + "; ".join(f"{k}: {v}" for k, v in counts.items()))
    lines.append(
        "In-process cost per request (mean, no HTTP): "
        + "; ".join(f"{c.name} {c.milliseconds:.2f} ms (SQL {c.sql_milliseconds:.2f} ms)" for c in costs)
    )
    return "\n".join(lines)


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def goals(
    figures: Sequence[Figure],
    counts: dict[str, int],
    scales: Sequence[int] = (),
    seeding: dict[int, float] | None = None,
) -> str:
    """Issue 19's and issue 13's goals, each with the figure of this run that decides it."""
    import runpy

    by_name = {(f.name, f.measure): f for f in figures}
    lines = ["Goals (issues 19 and 13), from this run:"]
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    recycle, preload = conf.get("max_requests", 0), conf.get("preload_app", False)
    lines.append(
        f"1. gunicorn.conf.py: max_requests {recycle} (0 = no recycling), preload_app {preload}: "
        + _verdict(not recycle and bool(preload))
    )
    for page, key in (("Section page (re-read)", "section page, re-read"), ("Module page", "module page")):
        found = by_name.get((f"{page}, against the bare page + 1 query", "req/s"))
        queries = counts.get(key)
        if found is not None:
            lines.append(
                f"2. {page}: {found.ratio:.2f}x the bare page with 1 query (goal >= 0.50x):"
                f" {_verdict(found.ratio >= 0.5)};"
                f" {queries} queries (goal <= 2): {_verdict(queries is not None and queries <= 2)}"
            )
    first, quiz = counts.get("section GET + first read POST"), counts.get("quiz GET + POST")
    if first is not None and quiz is not None:
        lines.append(
            f"3. First read of a section (GET + Next): {first} queries (goal <= 8): {_verdict(first <= 8)}; "
            f"quiz GET + POST: {quiz} queries (goal <= 15): {_verdict(quiz <= 15)}"
        )
    report_queries: set[int] = set()
    for f in figures:
        if isinstance(f, ReportFigure) and f.queries is not None:
            report_queries.add(f.queries)
        if isinstance(f, ReportFigure) and f.measure == "p95 latency" and "learners" in f.name:
            scale = int(f.name.rsplit(", ", 1)[-1].split()[0].replace(",", ""))
            limit = 0.3 if scale <= 100_000 else 1.0
            if scale >= 100_000:
                lines.append(
                    f"4. {f.name}: p95 {f.ours * 1000:,.0f} ms (goal < {limit * 1000:,.0f} ms):"
                    f" {_verdict(f.ours < limit)}"
                )
    if report_queries:
        lines.append(
            f"4. Report query counts across scales and pages: {sorted(report_queries)}"
            f" (goal: constant in the number of learners)"
        )
    if scales and max(scales) < 1_000_000:
        lines.append("4. 1,000,000 learners: not measured in this run (`make bench-national` measures it)")
    for added, seconds in (seeding or {}).items():
        lines.append(f"4. Seeding {added:,} more learners with COPY: {seconds:,.0f} s (goal: a few minutes)")
    for f in figures:
        if f.name.startswith("xAPI: "):
            speed = f.reference / f.ours if f.ours else float("nan")
            lines.append(f"5. {f.name}: {speed:.1f}x Ralph's speed (goal >= 10x): {_verdict(speed >= 10)}")
    return "\n".join(lines)


def main() -> int:
    args = arguments(sys.argv[1:])
    if not args.inner:
        return outer(sys.argv[1:])
    if not os.environ.get("TEST_DATABASE_URL"):
        sys.exit("--inner runs under scripts/with-postgres.sh, which sets TEST_DATABASE_URL")
    return inner(args)


if __name__ == "__main__":
    sys.exit(main())
