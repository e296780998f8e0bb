"""How the platform uses its database so that every write happens exactly once.

Two requests that change the same learner's record must not both act on what they read
before the other wrote. The rule here: a service that changes a learner's record first
calls `lock_learner`, then reads what it needs. On PostgreSQL that is a row lock
(`SELECT … FOR UPDATE` on the learner); on SQLite, where a lock covers the whole file, every
request that may write runs in an immediate transaction (`BEGIN IMMEDIATE`), so writers take
turns. Unique constraints stay as the last guard; `retry_conflicts` turns a conflict that
still slips through (two inserts of one new row) into a rerun that sees the winner's row.

Connections that stop being able to write (a database switched to read-only, then back)
are thrown away instead of being kept in the pool, so writes recover as soon as the
database does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from flask import Flask, g, has_request_context, request
from sqlalchemy import Engine, Enum, event, select
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.orm import joinedload

from induction.extensions import db

MAX_ID = 2**31 - 1  # the largest id a column of PostgreSQL's integer holds; ids beyond it are not found

log = logging.getLogger("induction")


def enum_type(enum: type[StrEnum], length: int) -> Enum:
    """A column of one of the platform's enums (roles, sectors, ownership, statuses): stored as the
    member's value in a plain VARCHAR of `length`, exactly as a String column (no CHECK constraint, so
    no migration), read back as the member; writing or comparing with a value outside the enum raises."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
T = TypeVar("T")

# SQLSTATEs after which a PostgreSQL connection is not worth keeping or a transaction is worth rerunning.
_READ_ONLY = {"25006"}  # read_only_sql_transaction: the session may still be read-only when the database is not
_RETRYABLE = {"40001", "40P01"}  # serialization_failure, deadlock_detected


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _sqlite(engine)
    _ping_after_idle(engine)
    _recover_from_read_only(engine)


IDLE_PING_SECONDS = 10.0


def _ping_after_idle(engine: Engine) -> None:
    """Check a pooled connection before use when it has been idle for `IDLE_PING_SECONDS`: one that
    the database dropped meanwhile (a restart, an idle timeout) is replaced before a request uses
    it. A connection back in use within seconds is not checked, since a check is a round trip to
    the database on every request (SQLAlchemy's `pool_pre_ping`, used before, cost every page one)."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):  # type: ignore[arg-type]
                raise DisconnectionError("the connection was lost while it was idle") from error
            raise


def _sqlite(engine: Engine) -> None:
    """A writing request begins IMMEDIATE, so it holds the write lock from its first read.
    Elsewhere the driver begins a transaction just before the first write, as it always does."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        # Write-ahead logging: a reader's open transaction never blocks a writer's commit.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # Only the request's first transaction: once its change is committed, reads while the
        # page renders must not hold the write lock until the request ends.
        immediate = has_request_context() and request.method not in SAFE_METHODS and not g.get("began_writing")
        if immediate:
            g.began_writing = True
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        # Whatever this transaction reads, it reads holding the write lock: `lock_learner` need not expire it.
        connection.info["locked_from_start"] = immediate


def _recover_from_read_only(engine: Engine) -> None:
    """After a write fails because the database is read-only, the pool is thrown away, and each
    connection handed out is first checked to accept writes, until one does. A connection that
    was opened while the database was read-only is replaced; a brand-new one is kept even if the
    database still refuses writes, so that reading pages goes on working meanwhile."""
    suspect = {"read_only": False}

    @event.listens_for(engine, "handle_error")
    def _failed(context: ExceptionContext) -> None:
        error = context.original_exception
        message = str(error).lower()
        code = getattr(getattr(error, "diag", None), "sqlstate", None) or getattr(error, "sqlstate", None)
        if code in _READ_ONLY or "readonly database" in message or "read-only transaction" in message:
            suspect["read_only"] = True
            context.is_disconnect = True  # drops this connection and every one opened before it

    @event.listens_for(engine, "connect")
    def _opened(_dbapi_connection: Any, record: Any) -> None:
        record.info["fresh"] = True

    @event.listens_for(engine, "checkout")
    def _handed_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        fresh = record.info.pop("fresh", False)
        if not suspect["read_only"]:
            return
        if _accepts_writes(dbapi_connection):
            suspect["read_only"] = False
        elif not fresh:
            raise DisconnectionError("this connection was opened while the database was read-only")


def _accepts_writes(dbapi_connection: Any) -> bool:
    """Write a row's value back to itself, then roll back: nothing changes, but a read-only
    database or connection refuses it."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("UPDATE alembic_version SET version_num = version_num")
        return True
    except Exception:  # any refusal means "not writable"
        return False
    finally:
        dbapi_connection.rollback()
        cursor.close()


def lock_learner(user_id: int) -> None:
    """Take the write lock for this learner's record until the transaction ends.

    Call it before reading what a change depends on. Objects already loaded are expired,
    so every read after the lock sees what the previous holder committed; the learner, when
    loaded, is read again with their organisation by the locking query itself. On SQLite, a
    transaction that took the write lock before its first read (a writing request's) has
    nothing older to expire."""
    from induction.accounts.models import User

    if become_writer():
        if not db.session.connection().info.get("locked_from_start"):
            db.session.expire_all()
        return
    db.session.expire_all()
    if db.session.identity_key(User, user_id) in db.session.identity_map:
        # Loaded already (the signed-in learner, say): the locking query reads them again.
        refreshing = select(User).options(joinedload(User.organisation)).with_for_update(of=User)
        db.session.execute(refreshing.where(User.id == user_id)).all()  # read, so the learner is loaded
    else:
        db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def become_writer() -> bool:
    """On SQLite, hold the database's write lock from here to the end of the transaction and
    answer True (the one lock SQLite has covers every row); elsewhere answer False, and the
    caller locks the rows it means to change. Pending changes are flushed first."""
    session = db.session
    session.flush()
    if session.get_bind().dialect.name != "sqlite":
        return False
    connection = session.connection()
    if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        # Nothing written yet (e.g. a GET that records something): become the writer now.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    return True


def is_conflict(error: Exception) -> bool:
    """True for an error that a rerun of the same request can resolve: a duplicate insert that
    lost a race, a deadlock, a serialization failure, or SQLite's busy lock."""
    if isinstance(error, IntegrityError):
        return True
    if isinstance(error, DBAPIError):
        code = getattr(getattr(error.orig, "diag", None), "sqlstate", None)
        if code in _RETRYABLE:
            return True
        return isinstance(error, OperationalError) and "database is locked" in str(error).lower()
    return False


def retry_conflicts(work: Callable[[], T], attempts: int = 3) -> T:
    """Run `work` and commit; if it loses a race, roll back and run it again (it then sees the
    winner's rows and answers as a repeat does). The last conflict is raised."""
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            db.session.commit()
            return result
        except Exception as error:
            db.session.rollback()
            if attempt == attempts or not is_conflict(error):
                raise
            log.info("rerunning after a conflict (%s): %s", attempt, type(error).__name__)
    raise AssertionError("unreachable")
