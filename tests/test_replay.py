"""Replaying the statements gives back exactly the projections that were written live."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from induction.content import catalogue
from induction.extensions import db
from induction.learning import progress, services
from induction.learning.models import LearnerStatus, ModuleProgress
from induction.plans import status as learner_status
from induction.rules import Kind, LearningEvent, ModuleSpec, ReplayNeeded, Status, advance, module_state

read = st.tuples(st.just("read"), st.integers(0, 1), st.integers(0, 1))
quiz = st.tuples(st.just("quiz"), st.integers(0, 1), st.booleans())
wait = st.tuples(st.just("wait"), st.integers(1, 800), st.just(0))
actions = st.lists(st.one_of(read, quiz, wait), max_size=25)


def snapshot(user_id: int) -> set[tuple[Any, ...]]:
    rows = db.session.scalars(select(ModuleProgress).where(ModuleProgress.user_id == user_id))
    return {
        (
            r.module_slug,
            r.state,
            r.read_sections,
            r.read_count,
            r.passed,
            r.completed_at,
            r.expires_at,
            r.last_activity_at,
            r.outdated,
            r.registration,
        )
        for r in rows
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=actions)
def test_live_projections_equal_rebuilt_ones(make: Any, steps: list[tuple[str, int, Any]]) -> None:
    content = catalogue()
    learner = make.learner()
    moment = datetime(2026, 1, 1, 9, 0)
    for kind, a, b in steps:
        moment += timedelta(minutes=7)
        module = content.modules[a] if kind != "wait" else None
        if kind == "wait":
            moment += timedelta(days=a)
        elif kind == "read" and module is not None:
            section = module.sections[min(b, len(module.sections) - 1)]
            services.open_section(learner, content, module, section, now=moment)
        elif module is not None:
            quiz = content.quiz_for(module)
            attempt = services.open_attempt(learner, quiz, module, now=moment)
            if attempt is None:
                continue
            drawn = services.drawn_questions(quiz, attempt)
            answers = {
                d.question.id: d.question.correct_ids
                if b
                else frozenset({next(o.id for o in d.question.options if not o.correct)})
                for d in drawn
            }
            services.submit(learner, content, module, quiz, attempt, answers, now=moment)
    learner_status.refresh([learner], content)  # a learner who did nothing has the row made when they are added
    db.session.commit()
    live = snapshot(learner.id)
    db.session.execute(delete(LearnerStatus).where(LearnerStatus.user_id == learner.id))
    progress.rebuild([learner.id], content, now=moment)
    learner_status.refresh([learner], content)
    db.session.commit()
    assert snapshot(learner.id) == live


# Applying new events to the stored state (`rules.advance`, what settling does after a read or a
# quiz) must give exactly what a replay of every event gives, or say that only a replay will do.

SPEC = ModuleSpec("m", 2, ("a", "b", "c"), refresher_months=12)
EVENT = st.tuples(
    st.sampled_from([Kind.READ, Kind.PASSED, Kind.FAILED, Kind.WAIVED]),
    st.sampled_from(["a", "b", "c", "gone"]),
    st.one_of(st.integers(0, 3), st.integers(0, 500)),  # days after the previous event
    st.sampled_from([2, 2, 2, 1]),  # mostly the current major version, sometimes an older one
    st.sampled_from([None, "r1", "r2"]),
)


def _events(raw: list[tuple[Kind, str, int, int, str | None]]) -> list[LearningEvent]:
    moment, events = datetime(2025, 1, 1, 9, 0), []
    for kind, section, days, major, registration in raw:
        moment += timedelta(days=days, minutes=1)
        events.append(LearningEvent(kind, "m", moment, major, section, registration))
    return events


@settings(max_examples=400, deadline=None)
@given(raw=st.lists(EVENT, max_size=12), split=st.integers(0, 12), later=st.integers(0, 900))
def test_applying_new_events_to_the_stored_state_equals_a_replay(
    raw: list[tuple[Kind, str, int, int, str | None]], split: int, later: int
) -> None:
    events = _events(raw)
    old, new = events[:split], events[split:]
    now = (events[-1].at if events else datetime(2025, 1, 1)) + timedelta(days=later)
    stored = module_state(SPEC, old, now)  # as the stored row reads at `now` (perhaps expired)
    try:
        advanced = advance(SPEC, stored, new, now)
    except ReplayNeeded:
        return
    assert advanced == module_state(SPEC, events, now)


def test_most_reads_and_quizzes_are_applied_without_a_replay() -> None:
    """The common cases take the quick way: reading on in a cycle, passing, completing."""
    events = _events([(Kind.READ, s, 1, 2, "r1") for s in ("a", "b", "c")] + [(Kind.PASSED, "a", 1, 2, "r1")])
    state = module_state(SPEC, [], events[0].at)
    for index, event in enumerate(events):
        state = advance(SPEC, state, [event], event.at)
        assert state == module_state(SPEC, events[: index + 1], event.at)
    assert state.status is Status.COMPLETED


def test_a_learning_event_is_settled_by_applying_it_not_by_replaying(make: Any, monkeypatch: Any) -> None:
    content = catalogue()
    learner = make.learner()
    module = content.modules[0]
    replays: list[int] = []
    original = progress.refresh
    monkeypatch.setattr(progress, "refresh", lambda *a, **k: replays.append(1) or original(*a, **k))
    moment = datetime(2026, 1, 1, 9, 0)
    services.open_section(learner, content, module, module.sections[0], now=moment)  # makes the status row
    replays.clear()
    services.open_section(learner, content, module, module.sections[1], now=moment + timedelta(minutes=5))
    db.session.commit()
    assert replays == []
    live = snapshot(learner.id)
    progress.rebuild([learner.id], content, now=moment + timedelta(minutes=5))
    db.session.commit()
    assert snapshot(learner.id) == live
