"""Roles, sectors, ownership and statuses are enum columns: the database keeps the same strings as
before (so no migration), the code reads enums back, and a value outside the enum is refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import StatementError

from induction.accounts.models import Ownership, Role, Sector, User
from induction.content import catalogue
from induction.extensions import db
from induction.learning import services
from induction.learning.models import LearnerStatus, ModuleProgress
from induction.rules import Status


def test_the_database_keeps_the_values_and_the_code_reads_enums(make: Any) -> None:
    organisation = make.organisation(sector="youth", ownership="voluntary")
    learner = make.learner(organisation)
    content = catalogue()
    module = content.modules[0]
    services.open_section(learner, content, module, module.sections[0])
    db.session.commit()
    stored = db.session.execute(
        text("SELECT o.sector, o.ownership, u.role FROM users u JOIN organisations o ON o.id = u.organisation_id "
             "WHERE u.id = :id"),
        {"id": learner.id},
    ).one()
    assert tuple(stored) == ("youth", "voluntary", "learner")
    assert db.session.scalar(text("SELECT state FROM module_progress WHERE user_id = :id"), {"id": learner.id}) == (
        "in progress"
    )
    db.session.expire_all()
    found = db.session.get(User, learner.id)
    assert found is not None
    assert found.role is Role.LEARNER
    assert found.organisation is not None
    assert found.organisation.sector is Sector.YOUTH
    assert found.organisation.ownership is Ownership.VOLUNTARY
    row = db.session.get(ModuleProgress, (learner.id, module.slug))
    assert row is not None and row.state is Status.IN_PROGRESS
    status = db.session.scalar(select(LearnerStatus.status).where(LearnerStatus.user_id == learner.id))
    assert status is Status.IN_PROGRESS


def test_a_role_outside_the_enum_is_refused_and_nothing_is_stored(make: Any) -> None:
    organisation = make.organisation()
    db.session.add(User(email="odd@example.org", name="Odd", role="superuser", organisation=organisation))
    with pytest.raises(StatementError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "odd@example.org")) == 0
