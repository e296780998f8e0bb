"""The manager report and the filtered learner list at scale, against the bare page of the same size.

Latency is timed over HTTP under gunicorn, one request after another as a manager would
make them; the SQL queries per page come from a SQLAlchemy `before_cursor_execute` listener
in the server (bench/wsgi_counted.py); `profile` shows where one request's time goes.
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import time
from dataclasses import dataclass

from bench_pages import Figure
from benchlib import Client, Latency, Response, fetcher, log, sample
from flask import Flask
from inprocess import counting, signed_in
from seed import MANAGER_EMAIL, PASSWORD

PAGES = [
    ("Manager report /manage/", "/manage/"),
    ("Filtered list ?status=overdue&sort=due", "/manage/?status=overdue&sort=due"),
]


@dataclass(frozen=True)
class ReportFigure(Figure):
    queries: int | None = None
    failed: str = ""


def report_latency(
    port: int, bare_port: int, learners: int, samples: tuple[int, int], budget: float, label: str = ""
) -> list[ReportFigure]:
    """Each report page timed one request after another: the report `samples[0]` times, the filtered
    list `samples[1]` times, each page fewer if `budget` seconds run out (but at least once).

    With more than three samples the first request is a warm-up and is left out; at the largest
    scale every request is too slow to spend one on warming up.

    The server is bench/wsgi_counted.py, which says in a header how many SQL queries each request made."""
    client = Client(port)
    client.sign_in(MANAGER_EMAIL, PASSWORD)
    figures: list[ReportFigure] = []
    for (name, path), wanted in zip(PAGES, samples, strict=True):
        title = f"{name}, {learners:,} learners{label}"
        queries: set[int] = set()
        times: list[float] = []
        first: Response | None = None
        end = time.monotonic() + budget
        while len(times) < wanted and (not times or time.monotonic() < end):
            start = time.perf_counter()
            answer = client.get(path)
            times.append(time.perf_counter() - start)
            queries.add(int(answer.headers.get("x-bench-queries", "-1")))
            first = first or answer
            if answer.status != 200:
                break
        assert first is not None
        if first.status != 200:
            reason = f"HTTP {first.status} after {times[0]:.1f} s"
            log(f"   {title}: {reason} ({min(queries)} queries before it failed)")
            figures.append(ReportFigure(title, "p50 latency", times[0], 0.0, "s", "", min(queries), reason))
            continue
        if wanted > 3 and len(times) > 2:
            times = times[1:]  # the first request compiled templates and warmed caches
        latency = Latency(times)
        size = len(first.body)
        reference = sample(fetcher(Client(bare_port), f"/page/{size}"), 100, 10)
        if len(queries) != 1:
            log(f"   note: the query count changed between requests: {sorted(queries)}")
        figures += _figures(title, latency, reference, size, max(queries))
    return figures


def _figures(title: str, latency: Latency, reference: Latency, size: int, queries: int) -> list[ReportFigure]:
    count = len(latency.samples)
    note = f"{size:,} B; {count} request{'s' if count > 1 else ''} one after another"
    log(
        f"   {title}: p50 {latency.p50 * 1000:.0f} ms, p95 {latency.p95 * 1000:.0f} ms "
        f"(bare {reference.p50 * 1000:.2f}/{reference.p95 * 1000:.2f} ms), {queries} queries, {size:,} bytes"
    )
    if count == 1:
        return [ReportFigure(title, "latency (1 request)", latency.p50, reference.p50, "ms", note, queries)]
    return [
        ReportFigure(title, "p50 latency", latency.p50, reference.p50, "ms", note, queries),
        ReportFigure(title, "p95 latency", latency.p95, reference.p95, "ms", note, queries),
    ]


def profile(app: Flask, path: str = "/manage/", top: int = 18) -> str:
    """Where one request's time goes: SQL, garbage collection and Python, then the functions that cost most."""
    client = signed_in(app, MANAGER_EMAIL, PASSWORD)
    client.get("/manage/learners/0")  # a cheap warm-up (404): the app and its connection are ready
    profiler = cProfile.Profile()
    collections: list[float] = []
    started = [0.0]

    def collector(phase: str, info: dict[str, int]) -> None:
        if info["generation"] == 2:
            if phase == "start":
                started[0] = time.perf_counter()
            else:
                collections.append(time.perf_counter() - started[0])

    gc.callbacks.append(collector)
    try:
        with counting(app) as counter:
            start = time.perf_counter()
            profiler.enable()
            answer = client.get(path)
            profiler.disable()
            total = time.perf_counter() - start
    finally:
        gc.callbacks.remove(collector)
    stats = pstats.Stats(profiler)
    out = io.StringIO()
    out.write(
        f"GET {path} in-process: HTTP {answer.status_code}, {total:.2f} s under cProfile.\n"
        f"  {len(counter.statements)} SQL statements took {counter.seconds:.2f} s in the driver "
        f"({counter.seconds / total:.0%});\n"
        f"  {len(collections)} full garbage collections took {sum(collections):.2f} s "
        f"({sum(collections) / total:.0%}), spread over whatever code was allocating at the time.\n"
    )
    out.write(_by_function(stats, total))
    out.write("The slowest SQL statements (time in the driver, i.e. PostgreSQL plus the round trip):\n")
    slowest = sorted(zip(counter.durations, counter.statements, strict=False), reverse=True)[:5]
    for seconds, statement in slowest:
        out.write(f"  {seconds * 1000:8.1f} ms  {' '.join(statement.split())[:150]}\n")
    if top:
        out.write("\nTop functions by own time:\n")
        stats.stream = out  # type: ignore[attr-defined]
        stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


WATCH = [
    ("reporting/views.py", "overview", "the view, all of it"),
    ("reporting/services.py", "learner_rows", "learner_rows (runs twice for a filtered list)"),
    ("reporting/services.py", "learner_page", "learner_page: one page of the list"),
    ("sqlalchemy/orm/loading.py", "_instance", "ORM: turning rows into objects"),
    ("reporting/services.py", "_row", "_row: status per learner in Python"),
    ("learning/progress.py", "status_of", "progress.status_of"),
    ("plans/items.py", "items_done_for", "items_done_for"),
    ("~", "<method 'sort' of 'list' objects>", "sorting the rows"),
    ("reporting/services.py", "summaries", "summaries per organisation"),
    ("reporting/services.py", "figures", "figures: summaries, listed total, by module"),
    ("reporting/services.py", "completions_by_month", "completions_by_month"),
    ("reporting/services.py", "job_roles", "job_roles: the roles in scope"),
    ("flask/templating.py", "render_template", "rendering the template"),
]


def _by_function(stats: pstats.Stats, total: float) -> str:
    lines = ["Cumulative time of the parts of the report:"]
    raw = stats.stats  # type: ignore[attr-defined]
    for file_part, function, label in WATCH:
        cumulative = 0.0
        calls = 0
        for (filename, _, name), (_, primitive, _, cum, _) in raw.items():
            if file_part in filename and name == function:
                cumulative = max(cumulative, cum)
                calls += primitive
        if calls:
            lines.append(f"  {label:46} {cumulative:7.2f} s  {cumulative / total:5.0%}  ({calls:,} calls)")
    return "\n".join(lines) + "\n"
