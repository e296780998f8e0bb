"""learner_status_summary (issue 19): the database triggers keep it equal to a recount of
learner_status after any change, whoever makes it (the app's own code, bulk statements,
cascades), and the report's figures read from it equal those counted from learner_status
at any moment, the first and last instants of a month included."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from induction import clock
from induction.accounts.models import Membership, User
from induction.content import catalogue
from induction.extensions import db
from induction.learning.models import LearnerStatus, ModuleProgress
from induction.reporting import services
from induction.reporting.models import NO_DATE, LearnerStatusSummary
from induction.rules import Status

from .journey import complete_modules_at

Key = tuple[int, str, int, int, str]


def _month(moment: date | None) -> int:
    return NO_DATE if moment is None else services.month_of(moment)


def _recount() -> Counter[Key]:
    """learner_status counted by the summary's key, in Python."""
    rows = db.session.execute(
        select(
            LearnerStatus.organisation_id,
            LearnerStatus.status,
            LearnerStatus.due_date,
            LearnerStatus.next_expiry,
            LearnerStatus.done_modules,
        )
    )
    return Counter((o, str(s), _month(d), _month(e), m) for o, s, d, e, m in rows)


def _summary() -> Counter[Key]:
    rows = db.session.execute(select(LearnerStatusSummary))
    found: Counter[Key] = Counter()
    for (row,) in rows:
        assert row.learners > 0  # a key with no learners left goes
        found[(row.organisation_id, row.status, row.due_month, row.expiry_month, row.done_modules)] = row.learners
    return found


def _figures_both_ways(manager: User, wanted: services.Filters, moment: datetime) -> tuple[Any, Any]:
    slugs = [m.slug for m in catalogue().modules]
    summarised = services.figures(manager, wanted, moment, slugs)
    counted = services.figures(manager, wanted, moment, slugs, summary=False)
    return summarised, counted


def _same(a: services.Figures, b: services.Figures) -> bool:
    def shape(f: services.Figures) -> Any:
        return f.listed, f.done, [(s.organisation.id, dict(s.counts), s.learners) for s in f.summaries]

    return shape(a) == shape(b)


@pytest.fixture
def people(make: Any) -> dict[str, Any]:
    school = make.organisation("Riverside School", "education")
    club = make.organisation("Eastside Boxing Club", "sport and culture", ownership="voluntary")
    outside = make.organisation("Acorn Nursery", "early years")
    manager = make.manager(school, club, email="boss@example.org")
    learners = [make.learner((school, club, outside)[i % 3], name=f"Learner {i}") for i in range(9)]
    complete_modules_at(learners[0], clock.utcnow() - timedelta(days=3 * 365 + 40))  # a refresher expired
    complete_modules_at(learners[1], clock.utcnow() - timedelta(days=10))
    return {"manager": manager, "organisations": [school, club, outside], "learners": learners}


def test_the_summary_equals_a_recount_after_random_changes(people: dict[str, Any]) -> None:
    rng = random.Random(19)  # the same changes every run
    organisations, learners = people["organisations"], people["learners"]
    assert _summary() == _recount() and sum(_summary().values()) == len(learners)
    today = clock.today()
    slugs = [m.slug for m in catalogue().modules]

    def some_row() -> LearnerStatus:
        rows = db.session.scalars(select(LearnerStatus).order_by(LearnerStatus.user_id, LearnerStatus.organisation_id))
        return rng.choice(rows.all())

    for step in range(24):
        change = step % 6
        if change == 0:  # one row's figures, as the projection's own code would write them
            row = some_row()
            row.status = rng.choice([Status.NOT_STARTED, Status.IN_PROGRESS, Status.COMPLETED])
            row.due_date = rng.choice([None, today + timedelta(days=rng.randint(-120, 120))])
            row.next_expiry = rng.choice(
                [None, datetime.combine(today, datetime.min.time()) + timedelta(hours=rng.randint(-3000, 3000))]
            )
            row.done_modules = rng.choice(["", f"|{slugs[0]}|", "|" + "|".join(sorted(slugs)) + "|"])
        elif change == 1:  # a statement that changes many rows at once, some to the same key
            db.session.execute(
                update(LearnerStatus)
                .where(LearnerStatus.organisation_id == rng.choice(organisations).id)
                .values(due_date=today + timedelta(days=rng.randint(-40, 40)))
            )
        elif change == 2:  # a learner joins a second organisation: a row is added before the commit
            learner = rng.choice(learners)
            joined = {
                m.organisation_id
                for m in db.session.scalars(select(Membership).where(Membership.user_id == learner.id))
            }
            other = [o for o in organisations if o.id not in joined]
            if other:
                db.session.add(Membership(user_id=learner.id, organisation_id=rng.choice(other).id, started_on=today))
        elif change == 3:  # a membership ends: its row goes
            membership = rng.choice(db.session.scalars(select(Membership).where(Membership.left_at.is_(None))).all())
            membership.left_at = clock.utcnow()
        elif change == 4:  # a bulk delete and a row moved to another organisation
            row = some_row()
            db.session.execute(
                delete(LearnerStatus).where(
                    LearnerStatus.user_id == row.user_id, LearnerStatus.organisation_id == row.organisation_id
                )
            )
        elif step == 23:  # a learner who never started deleted: the cascade takes their rows
            idle = [
                u for u in learners if not db.session.scalar(select(ModuleProgress.user_id).filter_by(user_id=u.id))
            ]
            learner = rng.choice(idle)
            learners.remove(learner)
            db.session.delete(learner)
        else:  # modules completed through the app, at some moment of the last three years
            complete_modules_at(rng.choice(learners), clock.utcnow() - timedelta(days=rng.randint(0, 1200)))
        if step % 3 == 2:
            db.session.rollback() if step == 8 else db.session.commit()  # a rolled-back change leaves no trace
        else:
            db.session.flush()
        assert _summary() == _recount(), step
    db.session.commit()
    assert _summary() == _recount()


MOMENTS = [
    datetime(2026, 12, 1, 0, 0),  # the first instant of a month
    datetime(2026, 11, 30, 23, 59, 59, 999999),  # the last instant of one
    datetime(2026, 11, 15, 12, 0),
]


def test_figures_from_the_summary_equal_a_count_of_learner_status(people: dict[str, Any]) -> None:
    rng = random.Random(19)
    manager = people["manager"]
    organisation = people["organisations"][0].id
    rows = db.session.scalars(select(LearnerStatus).order_by(LearnerStatus.user_id)).all()
    for moment in MOMENTS:
        for _ in range(1 if moment.day == 15 else 2):
            for row in rows:  # dates on both sides of each line, and on it to the microsecond
                row.status = rng.choice([Status.NOT_STARTED, Status.IN_PROGRESS, Status.COMPLETED])
                row.due_date = moment.date() + timedelta(days=rng.choice([-31, -1, 0, 1, 30, 62]))
                row.next_expiry = rng.choice(
                    [None, moment, moment - timedelta(microseconds=1), moment + timedelta(microseconds=1)]
                    + [moment + services.REFRESHER_WINDOW + timedelta(microseconds=d) for d in (-1, 0, 1)]
                    + [moment + timedelta(days=d) for d in (-40, 20, 95)]
                )
            db.session.commit()
            for wanted in (
                [services.Filters(), services.Filters(organisation=organisation, status="overdue")]
                + [services.Filters(status=s) for s in services.STATUS_FILTERS]
                + [
                    services.Filters(sector="education", status="refresher due"),
                    services.Filters(ownership="voluntary"),
                ]
            ):
                summarised, counted = _figures_both_ways(manager, wanted, moment)
                assert _same(summarised, counted), (moment, wanted)
            assert services.totals(summarised.summaries)[1] == len(rows) - 3  # not the three outside


def test_the_migration_counts_the_rows_there_are_and_goes_back(tmp_path: Any) -> None:
    """Upgrade a database holding learner_status rows, change them, then downgrade it again (SQLite)."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from .conftest import make_app

    other = make_app(f"sqlite:///{tmp_path / 'before.db'}")
    with other.app_context():
        upgrade(revision="f1b3d5e7a9c2")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO organisations (id, name, sector, ownership, induction_weeks, created_at) VALUES "
                    "(1, 'Hillside Primary', 'education', 'statutory', 12, '2026-01-01 00:00:00')"
                )
            )
            for number in (1, 2, 3):
                conn.execute(
                    text(
                        "INSERT INTO users (id, uuid, email, name, role, organisation_id, active, demo, created_at) "
                        "VALUES (:id, :uuid, :email, 'Someone', 'learner', 1, 1, 0, '2026-08-20 09:00:00')"
                    ),
                    {"id": number, "uuid": f"uuid-{number}", "email": f"p{number}@example.org"},
                )
                conn.execute(
                    text(
                        "INSERT INTO learner_status (user_id, organisation_id, status, modules_done, items_done, "
                        "items_total, next_expiry, due_date, done_modules) VALUES (:id, 1, :status, 0, 0, 0, "
                        ":expiry, '2026-11-24', '')"
                    ),
                    {
                        "id": number,
                        "status": "completed" if number > 1 else "in progress",
                        "expiry": "2027-03-01 10:00:00.000000" if number > 1 else None,
                    },
                )
        upgrade()
        november, march = 2026 * 12 + 10, 2027 * 12 + 2
        assert _summary() == {(1, "in progress", november, NO_DATE, ""): 1, (1, "completed", november, march, ""): 2}
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE learner_status SET status = 'completed' WHERE user_id = 1"))
            conn.execute(text("DELETE FROM learner_status WHERE user_id = 3"))
        assert (
            _summary()
            == _recount()
            == {(1, "completed", november, NO_DATE, ""): 1, (1, "completed", november, march, ""): 1}
        )
        downgrade(revision="f1b3d5e7a9c2")
        with db.engine.connect() as conn:
            tables = conn.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'learner_status%'")).scalars()
            assert "learner_status_summary" not in set(tables)
            assert conn.execute(text("SELECT count(*) FROM learner_status")).scalar() == 2
        db.engine.dispose()
