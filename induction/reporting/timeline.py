"""A learner's record of learning in plain words, from their xAPI statements."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from induction.extensions import db
from induction.xapi import statements as xs
from induction.xapi.models import StatementRecord

PAGE_SIZE = 15
# One line per thing the learner did: each question's answer is in its quiz's line.
LEFT_OUT = (xs.ANSWERED, xs.VOIDED)


@dataclass(frozen=True)
class Entry:
    when: datetime
    text: str
    withdrawn: bool


def describe(verb: str, object_id: str, body: dict[str, Any]) -> str:
    """What a statement says, as a sentence a manager reads: "Read section …", "Passed the quiz 8/10 …"."""
    definition = (body.get("object") or {}).get("definition") or {}
    names = definition.get("name") or {}
    name = names.get("en-GB") or next(iter(names.values()), "") or object_id.rsplit("/", 1)[-1]
    score = ((body.get("result") or {}).get("score")) or {}
    marks = f" {int(score['raw'])}/{int(score['max'])}" if "raw" in score and "max" in score else ""
    quiz = name.removeprefix("Quiz: ")
    if verb == xs.EXPERIENCED:
        return f"Read section “{name}”"
    if verb == xs.PASSED:
        return f"Passed the quiz{marks}: {quiz}"
    if verb == xs.FAILED:
        return f"Did not pass the quiz{marks}: {quiz}"
    if verb == xs.COMPLETED and "/items/" in object_id:
        return f"Item signed off: {name}"
    if verb == xs.COMPLETED:
        return f"Completed the module {name}"
    if verb == xs.WAIVED:
        return f"Module waived for prior learning: {name}"
    if verb == xs.SATISFIED:
        return "Completed the induction"
    display = (body.get("verb") or {}).get("display") or {}
    said = display.get("en-GB") or next(iter(display.values()), "") or verb.rsplit("/", 1)[-1]
    return f"{said[:1].upper()}{said[1:]} {name}".strip()


def page_of(
    learner_id: int, page: int, moves: Sequence[Entry] = (), hidden_items: Iterable[int] = ()
) -> tuple[list[Entry], int, int]:
    """One page of the learner's record, newest first: (entries, page, pages).

    `moves` (joining and leaving organisations) are shown among the statements of the page whose
    time span they fall in; the sign-offs of `hidden_items` (another organisation's) are left out."""
    query = select(StatementRecord).where(
        StatementRecord.user_id == learner_id, StatementRecord.verb_id.not_in(LEFT_OUT)
    )
    hidden = [xs.activity_iri(f"items/{item}") for item in hidden_items]
    if hidden:
        query = query.where(StatementRecord.object_id.not_in(hidden))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    rows = db.session.scalars(
        query.order_by(StatementRecord.timestamp.desc(), StatementRecord.seq.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    entries = [Entry(r.timestamp, describe(r.verb_id, r.object_id, json.loads(r.body)), r.voided) for r in rows]
    newest = rows[0].timestamp if rows and page > 1 else None
    oldest = rows[-1].timestamp if rows and page < pages else None
    shown = [m for m in moves if (newest is None or m.when <= newest) and (oldest is None or m.when > oldest)]
    return sorted([*entries, *shown], key=lambda e: e.when, reverse=True), page, pages
