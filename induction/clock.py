"""The one clock: every "now" and "today" of the platform, in UTC.

Naive UTC datetimes throughout (the database columns hold them so). Tests move time with
`frozen(moment)` instead of patching `datetime`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime

_fixed: ContextVar[datetime | None] = ContextVar("fixed_now", default=None)


def utcnow() -> datetime:
    """The current moment in UTC, as a naive datetime."""
    return _fixed.get() or datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """Today's date in UTC: the date every due date and report is compared with."""
    return utcnow().date()


@contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    """Within the block, utcnow() answers `moment`."""
    token = _fixed.set(moment)
    try:
        yield
    finally:
        _fixed.reset(token)
