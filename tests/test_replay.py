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
