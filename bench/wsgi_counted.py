"""The app as wsgi.py builds it, plus a response header with the SQL queries each request made.

    X-Bench-Queries: 10        X-Bench-Sql-Ms: 41.2

For gunicorn's sync workers (one request at a time per process), as bench/run.py starts it.
With BENCH_CLIENT_BINDING=1, psycopg binds parameters on the client side instead: PostgreSQL's
protocol allows at most 65,535 bound parameters in one statement, and the manager report
puts one per learner into `IN (...)` lists, so with the default server-side binding it fails
once a manager can see more learners than that. That switch exists only so that the
benchmark can still time the report's work at 100,000 learners; the app is unchanged.
"""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Response
from sqlalchemy import event

from induction import create_app
from induction.extensions import db

_config: dict[str, Any] = {}
if os.environ.get("BENCH_CLIENT_BINDING") == "1":
    from psycopg import ClientCursor

    _config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "connect_args": {"cursor_factory": ClientCursor}}

app = create_app(_config)
_count = [0, 0.0, 0.0]  # queries, seconds in the driver, when the current one started


def _before(*_: Any) -> None:
    _count[0] += 1
    _count[2] = time.perf_counter()


def _after(*_: Any) -> None:
    _count[1] += time.perf_counter() - _count[2]


with app.app_context():
    event.listen(db.engine, "before_cursor_execute", _before)
    event.listen(db.engine, "after_cursor_execute", _after)


def _reset() -> None:
    _count[0], _count[1] = 0, 0.0


app.before_request_funcs.setdefault(None, []).insert(0, _reset)  # first, before the user is loaded


@app.after_request
def _header(response: Response) -> Response:
    response.headers["X-Bench-Queries"] = str(_count[0])
    response.headers["X-Bench-Sql-Ms"] = f"{_count[1] * 1000:.1f}"
    return response
