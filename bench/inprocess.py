"""The app in this process, for what HTTP cannot show: the SQL queries a page makes, and profiles."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from benchlib import SECRET_KEY, USER_AGENT, csrf_token
from flask import Flask
from flask.testing import FlaskClient
from seed import ModuleInfo
from sqlalchemy import event


def make_app(database_url: str, engine_options: Mapping[str, Any] | None = None) -> Flask:
    os.environ.update(DATABASE_URL=database_url, SECRET_KEY=SECRET_KEY, BASE_URL="http://127.0.0.1")
    os.environ["SIGN_IN_LIMIT"] = "10000 per minute"
    os.environ.pop("LRS_ENDPOINT", None)
    from induction import create_app

    config: dict[str, Any] = {}
    if engine_options:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, **engine_options}
    return create_app(config)


def modules_of(app: Flask) -> list[ModuleInfo]:
    from induction.content import catalogue

    with app.app_context():
        return [
            ModuleInfo(m.slug, tuple(s.id for s in m.sections), m.refresher_months, m.quiz_slug, m.revision, m.title)
            for m in catalogue().modules
        ]


def quiz_keys(app: Flask, quiz_slug: str) -> dict[str, list[str]]:
    """The right option ids of every question of the quiz, for answering it correctly."""
    from induction.content import catalogue

    with app.app_context():
        return {q.id: sorted(q.correct_ids) for q in catalogue().quizzes[quiz_slug].questions}


@dataclass
class QueryCounter:
    statements: list[str] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    seconds: float = 0.0
    _started: float = 0.0

    def before(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.statements.append(statement)
        self._started = time.perf_counter()

    def after(self, *_: Any) -> None:
        took = time.perf_counter() - self._started
        self.durations.append(took)
        self.seconds += took


@contextmanager
def counting(app: Flask) -> Iterator[QueryCounter]:
    """Counts (and times) every SQL statement the app runs inside the block."""
    from induction.extensions import db

    counter = QueryCounter()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter.before)
    event.listen(engine, "after_cursor_execute", counter.after)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter.before)
        event.remove(engine, "after_cursor_execute", counter.after)


def signed_in(app: Flask, email: str, password: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    answer = client.post("/sign-in", data={"csrf_token": token, "email": email, "password": password})
    if answer.status_code != 302:
        raise RuntimeError(f"in-process sign-in as {email} answered {answer.status_code}")
    return client


@dataclass(frozen=True)
class Counted:
    status: int
    queries: int
    seconds: float
    sql_seconds: float
    size: int


def count_get(app: Flask, client: FlaskClient, path: str) -> Counted:
    with counting(app) as counter:
        start = time.perf_counter()
        answer = client.get(path)
        elapsed = time.perf_counter() - start
    return Counted(answer.status_code, len(counter.statements), elapsed, counter.seconds, len(answer.data))


def count_section_read(app: Flask, client: FlaskClient, path: str) -> Counted:
    """GET a section, then POST its "Next" button (which records the reading): both requests' queries."""
    with counting(app) as counter:
        start = time.perf_counter()
        page = client.get(path).get_data(as_text=True)
        answer = client.post(f"{path}/read", data={"csrf_token": csrf_token(page)})
        elapsed = time.perf_counter() - start
    return Counted(answer.status_code, len(counter.statements), elapsed, counter.seconds, len(page))


def count_quiz_submit(app: Flask, client: FlaskClient, quiz_slug: str, keys: dict[str, list[str]]) -> Counted:
    """GET the quiz then POST right answers: the queries of both requests together."""
    with counting(app) as counter:
        start = time.perf_counter()
        page = client.get(f"/quizzes/{quiz_slug}").get_data(as_text=True)
        form = quiz_form(page, keys)
        answer = client.post(f"/quizzes/{quiz_slug}", data=form)
        elapsed = time.perf_counter() - start
    return Counted(answer.status_code, len(counter.statements), elapsed, counter.seconds, len(page))


def quiz_form(html: str, keys: Mapping[str, list[str]] | None) -> dict[str, str | list[str]]:
    """The answers to the quiz in `html`: the right ones from `keys`, or each question's first option."""
    attempt = re.search(r'name="attempt" value="(\d+)"', html)
    if attempt is None:
        raise RuntimeError(f"no quiz attempt in the page: {html[:300]}")
    options: dict[str, list[str]] = {}
    for name, value in re.findall(r'name="q-([^"]+)" id="[^"]*" value="([^"]+)"', html):
        options.setdefault(name, []).append(value)
    form: dict[str, str | list[str]] = {"csrf_token": csrf_token(html), "attempt": attempt.group(1)}
    for question, values in options.items():
        form[f"q-{question}"] = list(keys[question]) if keys is not None else [values[0]]
    return form


@dataclass(frozen=True)
class PageCost:
    name: str
    queries: int
    milliseconds: float  # mean, in this process: no HTTP, no gunicorn, no load
    sql_milliseconds: float


def page_costs(app: Flask, email: str, password: str, module: ModuleInfo, repeat: int = 100) -> list[PageCost]:
    """What each learner page costs in-process, with the bare page's cost the same way."""
    import bare_app

    client = signed_in(app, email, password)
    for section in module.sections:
        page = client.get(f"/modules/{module.slug}/{section}").get_data(as_text=True)
        client.post(f"/modules/{module.slug}/{section}/read", data={"csrf_token": csrf_token(page)})
    middle = module.sections[len(module.sections) // 2]
    costs = []
    for name, target, path in [
        ("module page", client, f"/modules/{module.slug}"),
        ("section page, re-read", client, f"/modules/{module.slug}/{middle}"),
        ("bare Flask page, 8 kB", bare_app.app.test_client(), "/page/8000"),
        # The same after one primary-key query through its own pool (its SQL is not counted here).
        ("bare Flask page + 1 query, 8 kB", bare_app.app.test_client(), "/query-page/8000"),
    ]:
        for _ in range(10):
            target.get(path)
        with counting(app) as counter:
            start = time.perf_counter()
            for _ in range(repeat):
                if target.get(path).status_code != 200:
                    raise RuntimeError(f"in-process GET {path} failed")
            elapsed = time.perf_counter() - start
        costs.append(
            PageCost(name, len(counter.statements) // repeat, elapsed / repeat * 1000, counter.seconds / repeat * 1000)
        )
    return costs


def refresh_projections(app: Flask, batch: int = 5000) -> str:
    """Fill the app's per-learner projections for seeded learners who have none, with the app's own code.

    The seed writes the tables that events write (progress, plans, items, certificates); a
    projection derived from them (the learner_status table, where the app has one) is
    computed here by the app itself, in batches, as a backfill would. Says what it did."""
    try:
        from induction.learning.models import LearnerStatus
        from induction.plans import status
    except ImportError:
        return "no learner_status projection in this version of the app"
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from induction.accounts.models import Role, User
    from induction.content import catalogue
    from induction.extensions import db

    done = 0
    with app.app_context():
        missing = (
            select(User.id)
            .outerjoin(LearnerStatus, LearnerStatus.user_id == User.id)
            .where(User.role == Role.LEARNER, LearnerStatus.user_id.is_(None))
            .order_by(User.id)
        )
        ids = list(db.session.scalars(missing))
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            users = db.session.scalars(
                select(User).where(User.id.in_(chunk)).options(selectinload(User.organisation))
            ).all()
            status.refresh(users, catalogue())
            db.session.commit()
            db.session.expunge_all()
            done += len(chunk)
    return f"learner_status computed by the app for {done:,} learners"


def check_projections(app: Flask, sample: int = 2000) -> str:
    """Recompute the learner_status rows of `sample` seeded learners, picked at random, with the app's
    own code, and compare them with the rows the seed wrote with COPY; raises if any differ. Says
    what it did. Nothing is kept: the transaction is rolled back."""
    from sqlalchemy import func, select

    from induction.accounts.models import Role, User
    from induction.content import catalogue
    from induction.extensions import db
    from induction.learning.models import LearnerStatus
    from induction.plans import status

    columns = list(LearnerStatus.__table__.columns)
    with app.app_context():
        users = db.session.scalars(
            select(User).where(User.role == Role.LEARNER).order_by(func.random()).limit(sample)
        ).all()
        ids = [u.id for u in users]

        def rows() -> set[tuple[object, ...]]:
            found = db.session.execute(select(*columns).where(LearnerStatus.user_id.in_(ids)))
            return {tuple(r) for r in found}

        seeded = rows()
        status.refresh(users, catalogue())
        computed = rows()
        db.session.rollback()
    if seeded != computed:
        wrong = sorted(seeded ^ computed, key=str)[:6]
        raise AssertionError(f"the seed's learner_status differs from the app's: {wrong}")
    return f"learner_status as seeded equals the app's own refresh for {len(ids):,} learners picked at random"
