"""The completion rules, as pure functions: no database, no app."""

from __future__ import annotations

from datetime import datetime, timedelta

from induction.rules import (
    Kind,
    LearningEvent,
    ModuleSpec,
    Status,
    add_months,
    induction_status,
    module_state,
    score,
)

SPEC = ModuleSpec("safe", 2, ("a", "b"), refresher_months=36)
T0 = datetime(2026, 1, 10, 9, 0)


def ev(kind: Kind, minutes: int, section: str | None = None, major: int = 2, reg: str = "r1") -> LearningEvent:
    return LearningEvent(kind, "safe", T0 + timedelta(minutes=minutes), major, section, reg)


def test_nothing_done_is_not_started() -> None:
    assert module_state(SPEC, [], T0).status is Status.NOT_STARTED


def test_reading_some_is_in_progress() -> None:
    state = module_state(SPEC, [ev(Kind.READ, 1, "a")], T0)
    assert state.status is Status.IN_PROGRESS
    assert state.read == {"a"}
    assert state.first_unread(SPEC.sections) == "b"


def test_complete_when_all_read_and_passed_at_the_moment_of_the_last_one() -> None:
    events = [ev(Kind.READ, 1, "a"), ev(Kind.PASSED, 2), ev(Kind.READ, 3, "b")]
    state = module_state(SPEC, events, T0 + timedelta(days=1))
    assert state.status is Status.COMPLETED
    assert state.completed_at == T0 + timedelta(minutes=3)
    assert state.expires_at == datetime(2029, 1, 10, 9, 3)


def test_a_failed_quiz_does_not_complete() -> None:
    events = [ev(Kind.READ, 1, "a"), ev(Kind.READ, 2, "b"), ev(Kind.FAILED, 3)]
    assert module_state(SPEC, events, T0).status is Status.IN_PROGRESS


def test_events_of_an_older_major_version_do_not_count_and_flag_an_update() -> None:
    events = [ev(Kind.READ, 1, "a", major=1), ev(Kind.READ, 2, "b", major=1), ev(Kind.PASSED, 3, major=1)]
    state = module_state(SPEC, events, T0)
    assert state.status is Status.NOT_STARTED
    assert state.outdated


def test_the_completion_expires_after_the_refresher_period() -> None:
    events = [ev(Kind.READ, 1, "a"), ev(Kind.READ, 2, "b"), ev(Kind.PASSED, 3)]
    assert module_state(SPEC, events, datetime(2029, 1, 10, 9, 2)).status is Status.COMPLETED
    assert module_state(SPEC, events, datetime(2029, 1, 10, 9, 3)).status is Status.EXPIRED


def test_an_event_after_expiry_starts_a_new_cycle() -> None:
    done = [ev(Kind.READ, 1, "a"), ev(Kind.READ, 2, "b"), ev(Kind.PASSED, 3)]
    later = LearningEvent(Kind.READ, "safe", datetime(2029, 6, 1), 2, "a", "r2")
    state = module_state(SPEC, [*done, later], datetime(2029, 6, 2))
    assert state.status is Status.IN_PROGRESS
    assert state.read == {"a"}
    assert not state.passed
    assert state.registration == "r2"


def test_a_module_without_refresher_never_expires() -> None:
    spec = ModuleSpec("safe", 2, ("a",))
    state = module_state(spec, [ev(Kind.READ, 1, "a"), ev(Kind.PASSED, 2)], datetime(2100, 1, 1))
    assert state.status is Status.COMPLETED
    assert state.expires_at is None


def test_a_waived_module_counts_as_done() -> None:
    state = module_state(SPEC, [ev(Kind.WAIVED, 1)], T0)
    assert state.status is Status.WAIVED
    assert induction_status([state]) is Status.COMPLETED


def test_induction_status() -> None:
    done = module_state(SPEC, [ev(Kind.READ, 1, "a"), ev(Kind.READ, 2, "b"), ev(Kind.PASSED, 3)], T0)
    fresh = module_state(SPEC, [], T0)
    expired = module_state(
        SPEC, [ev(Kind.READ, 1, "a"), ev(Kind.READ, 2, "b"), ev(Kind.PASSED, 3)], datetime(2030, 1, 1)
    )
    assert induction_status([fresh, fresh]) is Status.NOT_STARTED
    assert induction_status([done, fresh]) is Status.IN_PROGRESS
    assert induction_status([done, done]) is Status.COMPLETED
    assert induction_status([done, done], items_done=False) is Status.IN_PROGRESS
    assert induction_status([done, expired]) is Status.EXPIRED


def test_add_months_keeps_the_day_or_takes_the_last_of_the_month() -> None:
    assert add_months(datetime(2026, 1, 31), 1) == datetime(2026, 2, 28)
    assert add_months(datetime(2024, 2, 29), 36) == datetime(2027, 2, 28)
    assert add_months(datetime(2026, 11, 25), 36) == datetime(2029, 11, 25)


def test_a_question_scores_only_when_exactly_the_right_options_are_chosen() -> None:
    keys = {"q1": frozenset({"a"}), "q2": frozenset({"a", "b"}), "q3": frozenset({"true"}), "q4": frozenset({"c"})}
    answers = {"q1": frozenset({"a"}), "q2": frozenset({"a"}), "q3": frozenset({"true"}), "q4": frozenset({"c", "a"})}
    result = score(answers, keys, 80)
    assert (result.raw, result.max, result.percent, result.passed) == (2, 4, 50, False)
    assert score(keys, keys, 80).passed
    four_of_five = {**keys, "q5": frozenset({"x"})}
    assert score(keys, four_of_five, 80).passed
    assert not score(keys, four_of_five, 81).passed
