"""The statement store announces stored statements; plans.settling settles progress in the same
transaction, so a statement and its projections are written or rolled back together."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from induction.content import catalogue
from induction.extensions import db
from induction.learning import services
from induction.learning.models import LearnerStatus, ModuleProgress
from induction.plans import settling
from induction.xapi import signals
from induction.xapi.models import StatementRecord


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_a_read_is_announced_once_and_settled_before_anything_commits(app: Flask, make: Any) -> None:
    content = catalogue()
    learner = make.learner()
    module = content.modules[0]
    heard: list[list[int]] = []

    def listen(sender: Flask, *, learners: Any, **_: Any) -> None:
        heard.append([u.id for u in learners])

    signals.statements_stored.connect(listen, sender=app)
    try:
        assert services.open_section(learner, content, module, module.sections[0])
    finally:
        signals.statements_stored.disconnect(listen, sender=app)
    assert heard == [[learner.id]]
    assert count(StatementRecord) == 1
    row = db.session.get(ModuleProgress, (learner.id, module.slug))
    assert row is not None and row.read_count == 1, "settled in the storing transaction"
    assert db.session.scalar(select(LearnerStatus.status).where(LearnerStatus.user_id == learner.id)) is not None
    db.session.rollback()  # the statement and its projections go together
    assert count(StatementRecord) == 0
    assert count(ModuleProgress) == 0


def test_a_statement_nobody_would_settle_is_refused(app: Flask, make: Any) -> None:
    content = catalogue()
    learner = make.learner()
    module = content.modules[0]
    signals.statements_stored.disconnect(settling.on_statements_stored, sender=app)
    try:
        with pytest.raises(signals.NobodySettles):
            services.open_section(learner, content, module, module.sections[0])
    finally:
        settling.init_app(app)
    db.session.rollback()
    assert count(StatementRecord) == 0
    assert services.open_section(learner, content, module, module.sections[0])
    assert db.session.get(ModuleProgress, (learner.id, module.slug)) is not None
