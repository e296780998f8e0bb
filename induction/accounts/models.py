"""People and the organisations they work in."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import cast

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from induction import clock
from induction.database import enum_type
from induction.extensions import db


class Role(enum.StrEnum):
    LEARNER = "learner"
    MANAGER = "manager"
    TRAINER = "trainer"
    ADMIN = "admin"
    PARTNERSHIP = "partnership"  # read-only: aggregate figures for its member organisations


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

partnership_organisations = Table(
    "partnership_organisations",
    db.metadata,
    Column("partnership_id", ForeignKey("partnerships.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)


class Partnership(db.Model):  # type: ignore[name-defined,misc]
    """The safeguarding partnership of an area and its member organisations."""

    __tablename__ = "partnerships"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    area: Mapped[str] = mapped_column(String(120), default="")

    organisations: Mapped[list[Organisation]] = relationship(
        secondary=partnership_organisations, order_by="Organisation.name"
    )


class Organisation(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    sector: Mapped[Sector] = mapped_column(enum_type(Sector, 40))
    ownership: Mapped[Ownership] = mapped_column(enum_type(Ownership, 20))
    induction_weeks: Mapped[int] = mapped_column(default=12)
    created_at: Mapped[datetime] = mapped_column(default=clock.utcnow)

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
    role: Mapped[Role] = mapped_column(enum_type(Role, 20), default=Role.LEARNER)
    # active_history: a change knows the organisation it replaces (accounts/organisations.py).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True, active_history=True)
    job_role: Mapped[str | None] = mapped_column(String(120))
    role_group: Mapped[int | None]
    start_date: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.utcnow)
    last_sign_in_at: Mapped[datetime | None]
    # The one set-password link that works now; a new link replaces it, setting a password clears it.
    password_link_id: Mapped[str | None] = mapped_column(String(32))
    # The partnership a user with the partnership role reads figures for.
    partnership_id: Mapped[int | None] = mapped_column(ForeignKey("partnerships.id", ondelete="SET NULL"))
    # When the account was switched off (the person left): the retention period counts from here.
    left_at: Mapped[datetime | None]
    # Erasure keeps the row and its uuid (the statement log's pseudonymous id) and removes the rest.
    erased_at: Mapped[datetime | None]
    erased_reason: Mapped[str | None] = mapped_column(Text)

    # A learner's main organisation, one of their current memberships (`Membership`): sign-in routing,
    # the certificate, the plan's due date and the statements' organisation come from it.
    organisation: Mapped[Organisation | None] = relationship(back_populates="learners")
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", order_by="Membership.joined_at", cascade="all, delete-orphan", passive_deletes=True
    )
    managed: Mapped[list[Organisation]] = relationship(secondary=managed_organisations)
    partnership: Mapped[Partnership | None] = relationship()

    # The sign-in (a `UserSession` id) this object was loaded with. Flask-Login keeps it, not the
    # user's id, in the session and remember cookies, so that the server can end each sign-in.
    session_id = cast("str | None", None)  # not a column: no annotation for the mapper to read

    def get_id(self) -> str | None:
        return self.session_id

    def __eq__(self, other: object) -> bool:  # the same person, however they were loaded
        if not isinstance(other, User):
            return NotImplemented
        return self is other or (self.id is not None and self.id == other.id)

    __hash__ = object.__hash__

    @property
    def erased(self) -> bool:
        return self.erased_at is not None

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive accounts
        return self.active

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class Membership(db.Model):  # type: ignore[name-defined,misc]
    """A learner's time in one organisation, in one job role there: from `joined_at` until `left_at`.

    A learner may be in several organisations at once; a move ends one membership and starts another.
    Ended memberships are kept (the history). At most one current membership per learner and
    organisation, whatever arrives together (a partial unique index). `users.organisation_id` is the
    main one of the current memberships (`accounts/organisations.py` keeps them in step)."""

    __tablename__ = "memberships"
    __table_args__ = (
        Index(
            "uq_memberships_current",
            "user_id",
            "organisation_id",
            unique=True,
            sqlite_where=text("left_at IS NULL"),
            postgresql_where=text("left_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    job_role: Mapped[str | None] = mapped_column(String(120))
    started_on: Mapped[date | None]  # the day they started work there: their induction there is due from it
    joined_at: Mapped[datetime] = mapped_column(default=clock.utcnow)
    left_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship()

    @property
    def current(self) -> bool:
        return self.left_at is None

    def __repr__(self) -> str:
        return f"<Membership {self.user_id} in {self.organisation_id}{'' if self.left_at is None else ' (left)'}>"


class UserSession(db.Model):  # type: ignore[name-defined,misc]
    """One sign-in on one device; deleting the row ends it, whatever cookies the device still holds."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=clock.utcnow)
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship()


class SignInAttempt(db.Model):  # type: ignore[name-defined,misc]
    """A sign-in attempt, counted by account and by address; a successful one is deleted."""

    __tablename__ = "sign_in_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=clock.utcnow, index=True)


class LimitedRequest(db.Model):  # type: ignore[name-defined,misc]
    """A request counted against a limit other than sign-in's (`throttle.count`), by a key such as
    the address a password link was asked for; kept while it may still count."""

    __tablename__ = "limited_requests"
    __table_args__ = (Index("ix_limited_requests_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column(default=clock.utcnow)


class EqualityMonitoring(db.Model):  # type: ignore[name-defined,misc]
    """Optional, self-declared answers; reported only in aggregate, small groups suppressed."""

    __tablename__ = "equality_monitoring"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    age_band: Mapped[str] = mapped_column(String(40), default="prefer not to say")
    sex: Mapped[str] = mapped_column(String(40), default="prefer not to say")
    ethnicity: Mapped[str] = mapped_column(String(60), default="prefer not to say")
    disability: Mapped[str] = mapped_column(String(40), default="prefer not to say")
    updated_at: Mapped[datetime] = mapped_column(default=clock.utcnow)


class IdentityProvider(db.Model):  # type: ignore[name-defined,misc]
    """An OpenID Connect provider that signs in the people of some organisations (accounts/oidc.py)."""

    __tablename__ = "identity_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)  # in the sign-in addresses
    name: Mapped[str] = mapped_column(String(120))  # the button reads "Sign in with <name>"
    issuer: Mapped[str] = mapped_column(String(300))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=clock.utcnow)

    organisations: Mapped[list[ProviderOrganisation]] = relationship(
        back_populates="provider", cascade="all, delete-orphan"
    )


class ProviderOrganisation(db.Model):  # type: ignore[name-defined,misc]
    """An organisation whose people sign in with a provider: which e-mail domains are theirs, whether
    a new person is added as a learner on first sign-in, and whether passwords are refused."""

    __tablename__ = "provider_organisations"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )  # one provider per organisation
    provider_id: Mapped[int] = mapped_column(ForeignKey("identity_providers.id", ondelete="CASCADE"), index=True)
    domains: Mapped[str] = mapped_column(String(500))  # lower case, separated by spaces
    create_learners: Mapped[bool] = mapped_column(default=False)
    required: Mapped[bool] = mapped_column(default=False)

    provider: Mapped[IdentityProvider] = relationship(back_populates="organisations")
    organisation: Mapped[Organisation] = relationship()

    @property
    def domain_list(self) -> list[str]:
        return self.domains.split()


class IdentityLink(db.Model):  # type: ignore[name-defined,misc]
    """An account at a provider (its issuer and stable subject) that signs in to one of our accounts."""

    __tablename__ = "identity_links"
    __table_args__ = (db.UniqueConstraint("issuer", "subject"), db.UniqueConstraint("user_id", "issuer"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=clock.utcnow)
