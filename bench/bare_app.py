"""The references: bare Flask apps that answer with an HTML page of any size and do nothing else.

    gunicorn -w 2 -k sync --pythonpath bench bare_app:app

GET /page/<bytes>: no database, no session, no templates, only what Flask and gunicorn
cost for a page of that size. GET /query-page/<bytes>: the same page after one primary-key
SELECT through a pooled SQLAlchemy engine (DATABASE_URL), the least a page that reads the
database pays for the round trip.
"""

from __future__ import annotations

import os
from functools import cache

from flask import Flask, Response
from sqlalchemy import Engine, create_engine, text

app = Flask(__name__)

_HEAD = '<!doctype html>\n<html lang="en-GB"><head><meta charset="utf-8"><title>Bare</title></head><body><main>\n'
_TAIL = "\n</main></body></html>\n"
_TEXT = "<p>Every child you meet is growing and changing, and every page here is just text.</p>\n"


@cache
def _page(size: int) -> bytes:
    filler = size - len(_HEAD) - len(_TAIL)
    body = (_TEXT * (filler // len(_TEXT) + 1))[: max(filler, 0)]
    return (_HEAD + body + _TAIL).encode()[:size] if size >= len(_HEAD) + len(_TAIL) else b"x" * size


@cache
def _engine() -> Engine:
    return create_engine(os.environ["DATABASE_URL"], pool_size=2)


@app.get("/page/<int:size>")
def page(size: int) -> Response:
    """Exactly `size` bytes of HTML."""
    return Response(_page(min(size, 50_000_000)), mimetype="text/html")


@app.get("/query-page/<int:size>")
def query_page(size: int) -> Response:
    """Exactly `size` bytes of HTML, after reading one row of the users table."""
    with _engine().connect() as connection:
        connection.execute(text("SELECT id, name, email FROM users WHERE id = :id"), {"id": 1}).all()
    return Response(_page(min(size, 50_000_000)), mimetype="text/html")
