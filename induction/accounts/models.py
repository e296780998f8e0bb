"""People and the organisations they work in."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from induction.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Role(enum.StrEnum):
    LEARNER = "learner"
    MANAGER = "manager"
    TRAINER = "trainer"
    ADMIN = "admin"


class Sector(enum.StrEnum):
    EDUCATION = "education"
    HEALTH = "health"
    SOCIAL_CARE = "social care and family support"
    YOUTH = "youth"
    JUSTICE = "justice"
    SPORT = "sport and culture"
    EARLY_YEARS = "early years"


class Ownership(enum.StrEnum):
    STATUTORY = "statutory"
    PRIVATE = "private"
    VOLUNTARY = "voluntary"
    INDEPENDENT = "independent"


ROLE_GROUPS = tuple(range(1, 9))

managed_organisations = Table(
    "managed_organisations",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    sector: Mapped[str] = mapped_column(String(40))
    ownership: Mapped[str] = mapped_column(String(20))
    induction_weeks: Mapped[int] = mapped_column(default=12)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    learners: Mapped[list[User]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.LEARNER.value)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    job_role: Mapped[str | None] = mapped_column(String(120))
    role_group: Mapped[int | None]
    start_date: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]

    organisation: Mapped[Organisation | None] = relationship(back_populates="learners")
    managed: Mapped[list[Organisation]] = relationship(secondary=managed_organisations)

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive accounts
        return self.active

    def has_role(self, *roles: Role) -> bool:
        return self.role in {r.value for r in roles}

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class EqualityMonitoring(db.Model):  # type: ignore[name-defined,misc]
    """Optional, self-declared answers; reported only in aggregate, small groups suppressed."""

    __tablename__ = "equality_monitoring"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    age_band: Mapped[str] = mapped_column(String(40), default="prefer not to say")
    sex: Mapped[str] = mapped_column(String(40), default="prefer not to say")
    ethnicity: Mapped[str] = mapped_column(String(60), default="prefer not to say")
    disability: Mapped[str] = mapped_column(String(40), default="prefer not to say")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
