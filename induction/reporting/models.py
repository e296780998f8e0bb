from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from induction.clock import utcnow
from induction.extensions import db


class CsvUpload(db.Model):  # type: ignore[name-defined,misc]
    """A CSV file a manager uploaded, kept on the server between its check and the confirmation,
    so the file is chosen once; `imported_at` is set by the one request that imports it."""

    __tablename__ = "csv_uploads"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    imported_at: Mapped[datetime | None]
    added: Mapped[str] = mapped_column(Text, default="[]")  # the ids of the learners it added, as JSON


class LearnerStatusSummary(db.Model):  # type: ignore[name-defined,misc]
    """How many learner_status rows there are for each organisation, stored status, month of the due
    date, month of the next expiry and set of modules done. Kept by database triggers on
    learner_status in the same transaction as the rows (migration a7c9e1b3d5f7), so the report adds
    up these rows instead of counting every learner (reporting/services.py). A month is
    `year * 12 + month - 1`; `NO_DATE` stands for no date. Nothing in Python writes it."""

    __tablename__ = "learner_status_summary"

    organisation_id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    due_month: Mapped[int] = mapped_column(primary_key=True)
    expiry_month: Mapped[int] = mapped_column(primary_key=True)
    done_modules: Mapped[str] = mapped_column(Text, primary_key=True)
    learners: Mapped[int]


NO_DATE = 999999
