"""Reading sections and taking quizzes: each records statements and settles progress."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select

from induction.accounts.models import User
from induction.clock import utcnow
from induction.content.model import Catalogue, Module, Question, Quiz, Section
from induction.database import lock_learner
from induction.extensions import db
from induction.learning import progress
from induction.learning.models import AttemptAllowance, ModuleProgress, QuizAttempt
from induction.rules import Score, Status, score
from induction.xapi import signals
from induction.xapi import statements as xs
from induction.xapi.models import StatementRecord


class StatementIdTaken(ValueError):
    """The statement id given for a read belongs to a statement about something else; nothing is recorded."""


def open_section(
    user: User,
    catalogue: Catalogue,
    module: Module,
    section: Section,
    now: datetime | None = None,
    statement_id: str | None = None,
) -> bool:
    """Record that the learner read `section`, once per registration; True if it was new.

    `statement_id` is the id a browser made for a read it queued while offline: sending it again
    (or after the section was read another way) records nothing more. An id already used by a
    statement other than this learner's read of this section raises `StatementIdTaken`."""
    now = now or utcnow()
    if statement_id is not None:
        statement_id = str(uuid.UUID(statement_id))  # one spelling per id; ValueError if it is not a UUID
    object_path = f"modules/{module.slug}/sections/{section.id}"
    lock_learner(user.id)  # first, so that what is read next is what the last change left
    if statement_id is not None and _same_read_stored(statement_id, user, object_path):
        return False
    rows = progress.remember_rows(user.id, progress.progress_rows(user.id))  # settling reads them from here
    registration = progress.registration_for(user, module, now, rows)
    row = rows.get(module.slug)
    if row is not None and row.registration == registration and section.id in progress.read_sections(row):
        return False  # read already in this cycle (perhaps by a request that arrived together)
    event = xs.Event(
        xs.EXPERIENCED,
        object_path,
        section.title,
        registration=registration,
        parent_path=f"modules/{module.slug}",
        revision=module.revision,
    )
    data = xs.build(user, event, now)
    if statement_id is not None:
        data["id"] = statement_id
    batch = xs.Batch()
    batch.add_data(data, user.id, xs.actor_key_for_uuid(user.uuid))
    signals.announce([user], catalogue, now, batch=batch)  # settles progress, then stores the batch
    return True


def _same_read_stored(statement_id: str, user: User, object_path: str) -> bool:
    """True if `statement_id` is stored already as this learner's read of this section."""
    found = db.session.scalar(select(StatementRecord).where(StatementRecord.id == statement_id))
    if found is None:
        return False
    if found.user_id != user.id or found.verb_id != xs.EXPERIENCED or found.object_id != xs.activity_iri(object_path):
        raise StatementIdTaken(statement_id)
    return True


@dataclass(frozen=True)
class DrawnQuestion:
    question: Question
    option_order: tuple[str, ...]

    @property
    def options(self) -> list[tuple[str, str]]:
        """(id, text) pairs in the order this attempt shows them; never the key."""
        return [(oid, self.question.option(oid).text) for oid in self.option_order]  # type: ignore[union-attr]


def draw(quiz: Quiz, rng: random.Random) -> list[dict[str, Any]]:
    """Questions for one attempt: one from each outcome, then random others, options shuffled."""
    groups = quiz.by_outcome()
    chosen = [rng.choice(list(qs)) for qs in groups.values()]
    rest = [q for q in quiz.questions if q not in chosen]
    chosen += rng.sample(rest, max(0, quiz.questions_per_attempt - len(chosen)))
    rng.shuffle(chosen)
    drawn = []
    for q in chosen:
        order = [o.id for o in q.options]
        if q.type.value != "true_false":
            rng.shuffle(order)
        drawn.append({"q": q.id, "o": order})
    return drawn


def drawn_questions(quiz: Quiz, attempt: QuizAttempt) -> list[DrawnQuestion]:
    result = []
    for item in json.loads(attempt.draw):
        question = quiz.question(item["q"])
        if question is not None:
            result.append(DrawnQuestion(question, tuple(item["o"])))
    return result


def attempts_used(user_id: int, quiz_slug: str) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(QuizAttempt)
            .where(
                QuizAttempt.user_id == user_id,
                QuizAttempt.quiz_slug == quiz_slug,
                QuizAttempt.submitted_at.is_not(None),
            )
        )
        or 0
    )


def attempts_allowed(user_id: int, quiz: Quiz) -> int:
    allowance = db.session.get(AttemptAllowance, (user_id, quiz.slug))
    return quiz.max_attempts + (allowance.extra if allowance else 0)


def _attempt_columns(user_id: Any, quiz: Quiz, quiz_slug: Any = None) -> tuple[Any, Any]:
    """Scalar subqueries: the attempts used at `quiz`, and the extra attempts allowed (0 if none)."""
    slug = quiz.slug if quiz_slug is None else quiz_slug
    used = (
        select(func.count())
        .select_from(QuizAttempt)
        .where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.quiz_slug == slug,
            QuizAttempt.submitted_at.is_not(None),
        )
        .scalar_subquery()
    )
    extra = (
        select(AttemptAllowance.extra)
        .where(AttemptAllowance.user_id == user_id, AttemptAllowance.quiz_slug == slug)
        .scalar_subquery()
    )
    return used, func.coalesce(extra, 0)


@cache
def _overview() -> Select[Any]:
    """The module page's query, built once of the tables' plain columns (no ORM object to build):
    its values are bound when it runs."""
    attempts, allowances = QuizAttempt.__table__.c, AttemptAllowance.__table__.c
    mine = ModuleProgress.__table__.c
    learner: Any = bindparam("user_id")
    quiz_slug: Any = bindparam("quiz_slug")
    used = (
        select(func.count())
        .select_from(QuizAttempt.__table__)
        .where(attempts.user_id == learner, attempts.quiz_slug == quiz_slug, attempts.submitted_at.is_not(None))
        .scalar_subquery()
    )
    extra = (
        select(allowances.extra)
        .where(allowances.user_id == learner, allowances.quiz_slug == quiz_slug)
        .scalar_subquery()
    )
    users = User.__table__.c
    started = (mine.user_id == users.id) & (mine.module_slug == bindparam("module_slug"))
    return (
        select(
            mine.state, mine.read_sections, mine.passed, mine.outdated, mine.expires_at, used, func.coalesce(extra, 0)
        )
        .select_from(User.__table__)
        .outerjoin(ModuleProgress.__table__, started)
        .where(users.id == learner)
    )


@dataclass(frozen=True, slots=True)
class ModuleOverview:
    """What the module page shows of a learner's progress on one module: the columns of their
    progress row it reads (read as `progress.status_of` and `progress.read_sections` read a row), and
    the attempts they have used at its quiz and are allowed."""

    state: Status
    read_sections: str
    passed: bool
    outdated: bool
    expires_at: datetime | None


def module_overview(user_id: int, module: Module, quiz: Quiz) -> tuple[ModuleOverview | None, int, int]:
    """The learner's progress on `module` (None if not started), the attempts they have used at its
    quiz and the attempts they are allowed, in one query of plain columns."""
    state, read, passed, outdated, expires_at, used, extra = (
        db.session.connection()
        .execute(_overview(), {"user_id": user_id, "quiz_slug": quiz.slug, "module_slug": module.slug})
        .one()
    )
    row = None if state is None else ModuleOverview(state, read, passed, outdated, expires_at)
    return row, int(used or 0), quiz.max_attempts + int(extra or 0)


@dataclass(frozen=True)
class QuizEntry:
    """What opening a quiz page finds: the attempt passed in this cycle (the quiz does not open
    again), else the open attempt (None when none are left), and the attempts used and allowed."""

    passed: QuizAttempt | None
    attempt: QuizAttempt | None
    used: int
    allowed: int


def enter_quiz(user: User, quiz: Quiz, module: Module, now: datetime | None = None) -> QuizEntry:
    """The quiz page's state in one query, opening an attempt (one more, under the learner's lock)
    when there is no open one at the module's current revision and attempts are left."""
    user_id = user.id  # read before any lock, which may expire it
    attempt, row, used, extra = db.session.execute(
        _entry_query(quiz, module), {"user_id": user_id, "quiz_slug": quiz.slug, "module_slug": module.slug}
    ).one()
    passed = _passing_attempt(user_id, module) if _passed_in_cycle(row, now) else None
    if passed is not None:
        return QuizEntry(passed, None, 0, 0)
    if attempt is not None and attempt.module_revision == module.revision:
        return QuizEntry(None, attempt, int(used or 0), quiz.max_attempts + int(extra or 0))
    attempt, used_count, allowed = _open_new_attempt(user, user_id, quiz, module, now)
    return QuizEntry(None, attempt, used_count, allowed)


def _entry_query(quiz: Quiz, module: Module) -> Select[Any]:
    used, extra = _attempt_columns(bindparam("user_id"), quiz, bindparam("quiz_slug"))
    return (
        select(QuizAttempt, ModuleProgress, used, extra)
        .select_from(User)
        .outerjoin(QuizAttempt, _open_attempt_of(quiz))
        .outerjoin(
            ModuleProgress,
            (ModuleProgress.user_id == User.id) & (ModuleProgress.module_slug == bindparam("module_slug")),
        )
        .where(User.id == bindparam("user_id"))
    )


def _passed_in_cycle(row: ModuleProgress | None, now: datetime | None) -> bool:
    return not (row is None or not row.passed or row.outdated or progress.status_of(row, now) is Status.EXPIRED)


def _passing_attempt(user_id: int, module: Module) -> QuizAttempt | None:
    return db.session.scalar(
        select(QuizAttempt)
        .where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.quiz_slug == module.quiz_slug,
            QuizAttempt.passed.is_(True),
        )
        .order_by(QuizAttempt.submitted_at.desc())
        .limit(1)
    )


def open_attempt(user: User, quiz: Quiz, module: Module, now: datetime | None = None) -> QuizAttempt | None:
    """The learner's unsubmitted attempt at the current revision, or a new one; None if none are left.

    A learner has at most one open attempt per quiz (the database enforces it), so opening the
    quiz in several tabs at once shows the same questions and counts once."""
    attempt = _open_attempt(user, quiz)
    if attempt is not None and attempt.module_revision == module.revision:
        return attempt
    return _open_new_attempt(user, user.id, quiz, module, now)[0]


def _open_new_attempt(
    user: User, user_id: int, quiz: Quiz, module: Module, now: datetime | None
) -> tuple[QuizAttempt | None, int, int]:
    """Under the learner's lock: their open attempt at the current revision, or a new one (None if
    none are left), with the attempts used and allowed."""
    lock_learner(user_id)
    used, extra = _attempt_columns(user_id, quiz)
    attempt, row, used_count, extra_count = db.session.execute(  # what opening one depends on, in one query
        select(QuizAttempt, ModuleProgress, used, extra)
        .select_from(User)
        .outerjoin(QuizAttempt, _open_attempt_of(quiz))
        .outerjoin(ModuleProgress, (ModuleProgress.user_id == User.id) & (ModuleProgress.module_slug == module.slug))
        .where(User.id == user_id)
    ).one()
    allowed = quiz.max_attempts + int(extra_count or 0)
    used_count = int(used_count or 0)
    if attempt is not None:
        if attempt.module_revision == module.revision:
            return attempt, used_count, allowed
        db.session.delete(attempt)  # drawn from an older revision of the module: draw again
        db.session.flush()
    if used_count >= allowed:
        return None, used_count, allowed
    attempt = QuizAttempt(
        user_id=user_id,
        quiz_slug=quiz.slug,
        module_revision=module.revision,
        registration=progress.registration_for(user, module, now, {module.slug: row} if row is not None else {}),
        draw=json.dumps(draw(quiz, random.SystemRandom())),
        started_at=now or utcnow(),
    )
    db.session.add(attempt)
    db.session.flush()
    return attempt, used_count, allowed


def _open_attempt_of(quiz: Quiz) -> Any:
    """The join condition of a learner (users) and their unsubmitted attempt at `quiz`."""
    return (QuizAttempt.user_id == User.id) & (QuizAttempt.quiz_slug == quiz.slug) & QuizAttempt.submitted_at.is_(None)


def _open_attempt(user: User, quiz: Quiz) -> QuizAttempt | None:
    return db.session.scalar(
        select(QuizAttempt).where(
            QuizAttempt.user_id == user.id, QuizAttempt.quiz_slug == quiz.slug, QuizAttempt.submitted_at.is_(None)
        )
    )


class AlreadySubmitted(ValueError):
    """The attempt was submitted already (e.g. by a request sent at the same moment); nothing more is recorded."""


class NoAttemptsLeft(ValueError):
    """Every allowed attempt has been used; nothing is recorded."""


class QuizFormError(ValueError):
    """The submitted answers cannot be scored; `missing` lists the unanswered question ids."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(f"{len(missing)} question(s) not answered")


class ForgedAnswers(ValueError):
    """The form holds answers this attempt never offered; nothing is scored or recorded."""


@dataclass(frozen=True)
class Outcome:
    attempt: QuizAttempt
    score: Score
    certificate_issued: bool  # the submit completed the induction (or renewed its certificate)


def submit(
    user: User,
    catalogue: Catalogue,
    module: Module,
    quiz: Quiz,
    attempt: QuizAttempt,
    answers: dict[str, frozenset[str]],
    now: datetime | None = None,
) -> Outcome:
    """Score the attempt and record one `answered` per question and a `passed` or `failed`."""
    drawn = drawn_questions(quiz, attempt)
    drawn_ids = {d.question.id for d in drawn}
    strangers = sorted(set(answers) - drawn_ids)
    if strangers:
        raise ForgedAnswers(f"question {strangers[0]!r} is not part of this attempt")
    for d in drawn:
        forged = sorted(answers.get(d.question.id, frozenset()) - set(d.option_order))
        if forged:
            raise ForgedAnswers(f"{forged[0]!r} is not an option of question {d.question.id!r}")
        if d.question.type.value != "multiple" and len(answers.get(d.question.id, frozenset())) > 1:
            raise ForgedAnswers(f"question {d.question.id!r} takes one answer")
    missing = [d.question.id for d in drawn if not answers.get(d.question.id)]
    if missing:
        raise QuizFormError(missing)
    now = now or utcnow()
    attempt_id, user_id = attempt.id, user.id  # read before the lock, which may expire them
    lock_learner(user_id)
    used, allowed = _after_lock(user_id, quiz, attempt_id)
    if attempt.submitted_at is not None:
        raise AlreadySubmitted("this attempt was submitted already")
    if used >= allowed:
        raise NoAttemptsLeft("every allowed attempt has been used")
    keys = {d.question.id: d.question.correct_ids for d in drawn}
    valid = {d.question.id: answers[d.question.id] for d in drawn}
    result = score(valid, keys, quiz.pass_mark)
    events = [
        xs.Event(
            xs.ANSWERED,
            f"quizzes/{quiz.slug}/questions/{d.question.id}",
            d.question.text[:200],
            registration=attempt.registration,
            parent_path=f"quizzes/{quiz.slug}",
            revision=module.revision,
            success=valid[d.question.id] == d.question.correct_ids,
            response="[,]".join(sorted(valid[d.question.id])),
        )
        for d in drawn
    ]
    events.append(
        xs.Event(
            xs.PASSED if result.passed else xs.FAILED,
            f"quizzes/{quiz.slug}",
            f"Quiz: {module.title}",
            registration=attempt.registration,
            parent_path=f"modules/{module.slug}",
            revision=module.revision,
            success=result.passed,
            score_raw=result.raw,
            score_max=result.max,
            duration=now - attempt.started_at,
        )
    )
    batch = xs.Batch()
    batch.add(user, events, now)  # stored as one batch, whatever the number of questions
    attempt.submitted_at = now
    attempt.responses = json.dumps({k: sorted(v) for k, v in valid.items()})
    attempt.score_raw, attempt.score_max, attempt.passed = result.raw, result.max, result.passed
    # settles progress, adds the `completed` statement the submit earns, then stores the batch
    issued = signals.announce([user], catalogue, now, batch=batch)
    return Outcome(attempt, result, certificate_issued=any(c is not None for c in issued))


def _after_lock(user_id: int, quiz: Quiz, attempt_id: int) -> tuple[int, int]:
    """After the learner's lock, in one query: the attempt read again (another request may have
    submitted it meanwhile), the attempts used and allowed, and the learner's progress rows, kept
    for settling the submit (`progress.remember_rows`)."""
    used, extra = _attempt_columns(user_id, quiz)
    found = db.session.execute(
        select(ModuleProgress, QuizAttempt, used, extra)
        .select_from(User)
        .outerjoin(QuizAttempt, QuizAttempt.id == attempt_id)
        .outerjoin(ModuleProgress, ModuleProgress.user_id == User.id)
        .where(User.id == user_id)
    ).all()
    progress.remember_rows(user_id, {row.module_slug: row for row, *_ in found if row is not None})
    return int(found[0][2] or 0), quiz.max_attempts + int(found[0][3] or 0)


def attempt_answers(attempt: QuizAttempt) -> dict[str, list[str]]:
    return json.loads(attempt.responses or "{}")


def allow_more_attempts(user_id: int, quiz_slug: str, extra: int, granted_by: int | None) -> AttemptAllowance:
    """Let the learner have `extra` more attempts at the quiz than it allows."""
    lock_learner(user_id)
    allowance = db.session.get(AttemptAllowance, (user_id, quiz_slug))
    if allowance is None:
        allowance = AttemptAllowance(user_id=user_id, quiz_slug=quiz_slug, extra=0)
        db.session.add(allowance)
    allowance.extra += extra
    allowance.granted_by_id = granted_by
    allowance.granted_at = utcnow()
    db.session.flush()
    return allowance
