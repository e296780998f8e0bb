"""Learner pages and the quiz under gunicorn, each against the bare Flask page of the same size.

Throughput: the module page and a section page for a signed-in learner who has read the
module (re-reading: the common case, no write), alternated with the bare page, two rounds
each; the section page also against a bare page that makes one SQL query. Latency, one
request after another: opening sections for the first time (each records a statement and
settles progress) and a quiz (GET the quiz, POST the answers, which records a statement per
question and one for the result), against sequential GETs of a bare page as big as the
page the learner got.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

from benchlib import Client, Latency, Response, Throughput, csrf_token, expect, fetcher, log, sample, throughput
from inprocess import quiz_form
from seed import PASSWORD, ModuleInfo


@dataclass(frozen=True)
class Figure:
    """One line of the results: ours against the reference measured alongside it."""

    name: str
    measure: str  # what the ratio compares, e.g. "req/s" or "p50 latency"
    ours: float
    reference: float
    unit: str
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.ours / self.reference if self.reference else float("nan")


def _rounds(
    wrk: str | None, targets: Sequence[tuple[int, str, str]], seconds: float, connections: int
) -> list[Throughput]:
    """Each (port, path, cookie) in turn, two rounds, so that drift hits them alike; the mean of each."""
    runs: list[list[Throughput]] = [[] for _ in targets]
    for _ in range(2):
        for index, (port, path, cookie) in enumerate(targets):
            runs[index].append(throughput(wrk, port, path, cookie, seconds, connections))
    return [_mean(r) for r in runs]


def _mean(runs: Sequence[Throughput]) -> Throughput:
    return Throughput(
        statistics.fmean(r.requests_per_second for r in runs),
        statistics.fmean(r.p50 for r in runs),
        statistics.fmean(r.p99 for r in runs),
        sum(r.requests for r in runs),
        sum(r.bad for r in runs),
        runs[0].tool,
    )


def page_throughput(
    port: int, bare_port: int, wrk: str | None, email: str, module: ModuleInfo, seconds: float, connections: int
) -> list[Figure]:
    """The module page and a section page against the bare page, and against the bare page that
    makes one primary-key SQL query, the floor for any page that reads the database (issue 19's
    goal: at least 0.5x of that one)."""
    client = Client(port)
    client.sign_in(email, PASSWORD)
    for section in module.sections:  # read the whole module once, so the measured GETs are re-reads
        page = expect(client.get(f"/modules/{module.slug}/{section}"), 200, "section page")
        read = client.post(f"/modules/{module.slug}/{section}/read", {"csrf_token": csrf_token(page.text)})
        expect(read, 302, "first read of a section")
    pages = [
        ("Module page", f"/modules/{module.slug}", True),
        ("Section page (re-read)", f"/modules/{module.slug}/{module.sections[len(module.sections) // 2]}", True),
    ]
    figures = []
    for name, path, with_query in pages:
        size = len(expect(client.get(path), 200, name).body)
        references = [f"/page/{size}"] + ([f"/query-page/{size}"] if with_query else [])
        for url in references:
            expect(Client(bare_port).get(url), 200, "bare page")
        targets = [(bare_port, url, "") for url in references] + [(port, path, client.cookie_header)]
        *bare, ours = _rounds(wrk, targets, seconds, connections)
        expect(client.get(path), 200, f"{name} after the load (is the session still good?)")
        if ours.bad or any(b.bad for b in bare):
            raise RuntimeError(f"{name}: {ours.bad} bad answers from ours, {[b.bad for b in bare]} from the bare page")
        for label, reference in zip(("bare page", "bare page + 1 query"), bare, strict=False):
            log(
                f"   {name:24} {ours.requests_per_second:8.0f} req/s  {label} {reference.requests_per_second:8.0f}"
                f" req/s  ratio {ours.requests_per_second / reference.requests_per_second:.2f}  ({size} bytes)"
            )
            note = (
                f"{size:,} B; p50 {ours.p50 * 1000:.1f} vs {reference.p50 * 1000:.1f} ms; "
                f"{connections} connections, {ours.tool}"
            )
            title = name if label == "bare page" else f"{name}, against the {label}"
            figures.append(
                Figure(title, "req/s", ours.requests_per_second, reference.requests_per_second, "req/s", note)
            )
    return figures


def _bare_latency(bare_port: int, size: int, count: int = 200) -> Latency:
    return sample(fetcher(Client(bare_port), f"/page/{size}"), count, 20)


def _timed(
    client: Client, method: str, path: str, form: dict[str, str | list[str]] | None = None
) -> tuple[Response, float]:
    start = time.perf_counter()
    answer = client.request(method, path, form)
    return answer, time.perf_counter() - start


def write_latency(
    port: int, bare_port: int, emails: Sequence[str], module: ModuleInfo, keys: dict[str, list[str]]
) -> list[Figure]:
    """First reads of sections, then two quiz attempts each (first option everywhere, then right answers)."""
    reads: list[float] = []
    gets: list[float] = []
    posts: list[float] = []
    section_size = quiz_size = questions = 0
    for email in emails:
        client = Client(port)
        client.sign_in(email, PASSWORD)
        for section in module.sections[:3]:
            page = expect(client.get(f"/modules/{module.slug}/{section}"), 200, "section page")
            section_size = len(page.body)
            form = {"csrf_token": csrf_token(page.text)}
            read, seconds = _timed(client, "POST", f"/modules/{module.slug}/{section}/read", form)
            expect(read, 302, "first read of a section (the Next button)")
            reads.append(seconds)
        for keys_or_none in (None, keys):
            page, seconds = _timed(client, "GET", f"/quizzes/{module.quiz_slug}")
            expect(page, 200, "quiz page")
            gets.append(seconds)
            quiz_size = len(page.body)
            form = quiz_form(page.text, keys_or_none)
            questions = sum(1 for name in form if name.startswith("q-"))
            answer, seconds = _timed(client, "POST", f"/quizzes/{module.quiz_slug}", form)
            expect(answer, 302, "quiz submit")
            posts.append(seconds)
    bare_section = _bare_latency(bare_port, section_size)
    bare_quiz = _bare_latency(bare_port, quiz_size)
    both = Latency([g + p for g, p in zip(gets, posts, strict=True)])
    first_reads, quiz_get, quiz_post = Latency(reads), Latency(gets), Latency(posts)
    figures = [
        Figure(
            "Section first read (Next, records a statement)", "p50 latency", first_reads.p50, bare_section.p50, "ms",
            f"{len(reads)} reads; p95 {first_reads.p95 * 1000:.1f} vs {bare_section.p95 * 1000:.1f} ms",
        ),
        Figure(
            "Quiz: GET the quiz (opens an attempt)", "p50 latency", quiz_get.p50, bare_quiz.p50, "ms",
            f"{quiz_size:,} B; p95 {quiz_get.p95 * 1000:.1f} ms",
        ),
        Figure(
            f"Quiz: POST the answers ({questions + 1} statements)", "p50 latency", quiz_post.p50, bare_quiz.p50,
            "ms",
            f"p95 {quiz_post.p95 * 1000:.1f} ms",
        ),
        Figure(
            "Quiz submit, GET + POST", "p50 latency", both.p50, bare_quiz.p50, "ms",
            f"{len(both.samples)} submits by {len(emails)} learners; p95 {both.p95 * 1000:.1f} vs "
            f"{bare_quiz.p95 * 1000:.1f} ms",
        ),
    ]  # fmt: skip
    for figure in figures:
        log(f"   {figure.name:48} {figure.ours * 1000:7.1f} ms  bare {figure.reference * 1000:6.2f} ms"
            f"  ratio {figure.ratio:5.1f}")  # fmt: skip
    return figures
