"""The append-only statements table (the source of truth for every learning event) and the LRS's own tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from induction.clock import utcnow
from induction.extensions import db


class StatementRecord(db.Model):  # type: ignore[name-defined,misc]
    """One xAPI statement as stored; `body` is its full JSON, as the LRS returns it."""

    __tablename__ = "statements"
    __table_args__ = (
        Index("ix_statements_user_stored", "user_id", "stored"),
        # every GET pages by (stored, seq); each filter walks an index in that order (migration c4e6a8b0d2f1)
        Index("ix_statements_stored_seq", "stored", "seq"),
        Index("ix_statements_verb_stored_seq", "verb_id", "stored", "seq"),
        Index("ix_statements_registration_stored_seq", "registration", "stored", "seq"),
        # a voiding statement that came before its target; only voiding statements are in it
        Index(
            "ix_statements_voids",
            "voids",
            sqlite_where=text("voids IS NOT NULL"),
            postgresql_where=text("voids IS NOT NULL"),
        ),
    )

    seq: Mapped[int] = mapped_column(primary_key=True)
    # The id (set by the client or by `prepare`) tells the rows of a batch INSERT ... RETURNING apart,
    # so a batch of statements goes in as one INSERT on SQLite too.
    id: Mapped[str] = mapped_column(String(36), unique=True, insert_sentinel=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_key: Mapped[str] = mapped_column(String(600), index=True)
    verb_id: Mapped[str] = mapped_column(String(400))
    object_id: Mapped[str] = mapped_column(String(600))
    registration: Mapped[str | None] = mapped_column(String(36))
    timestamp: Mapped[datetime]
    stored: Mapped[datetime] = mapped_column(default=utcnow)
    voided: Mapped[bool] = mapped_column(default=False)
    voids: Mapped[str | None] = mapped_column(String(36))
    body: Mapped[str] = mapped_column(Text)


class StatementLink(db.Model):  # type: ignore[name-defined,misc]
    """What a statement mentions, for the GET filters: `kind` is one of
    agent (actor, or object when an Agent or Group, with group members), related_agent,
    activity (the object), related_activity, or ref (the statement a StatementRef object targets)."""

    __tablename__ = "xapi_statement_links"
    __table_args__ = (Index("ix_xapi_statement_links_kind_value", "kind", "value", "statement_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_seq: Mapped[int] = mapped_column(ForeignKey("statements.seq", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(300))


class LrsClient(db.Model):  # type: ignore[name-defined,misc]
    """Credentials an admin issued for another system to use the LRS with HTTP Basic auth."""

    __tablename__ = "xapi_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    read_only: Mapped[bool] = mapped_column(default=False)
    # JSON list of organisation ids the client is limited to; empty means every organisation.
    organisation_ids: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class XapiDocument(db.Model):  # type: ignore[name-defined,misc]
    """A State, Activity Profile or Agent Profile document.

    `scope` is a digest of (kind, activity, agent, registration) so that one short unique
    index covers every resource; the parts are kept too, for listing and multi-delete."""

    __tablename__ = "xapi_documents"
    __table_args__ = (UniqueConstraint("scope", "doc_id", name="uq_xapi_documents_scope_doc_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    activity_id: Mapped[str | None] = mapped_column(Text)
    agent_key: Mapped[str | None] = mapped_column(String(600))
    registration: Mapped[str | None] = mapped_column(String(36))
    doc_id: Mapped[str] = mapped_column(String(600))
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(40))
    updated: Mapped[datetime] = mapped_column(default=utcnow)


class ActivityDefinition(db.Model):  # type: ignore[name-defined,misc]
    """The LRS's canonical definition of an activity, merged from the statements it receives."""

    __tablename__ = "xapi_activities"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    iri: Mapped[str] = mapped_column(Text)
    definition: Mapped[str] = mapped_column(Text, default="{}")


class ForwardItem(db.Model):  # type: ignore[name-defined,misc]
    """One statement waiting to be sent to the external LRS (a transactional outbox row).

    Rows are deleted once the external LRS has the statement; a refused one is parked
    with the LRS's reason until an admin retries it."""

    __tablename__ = "xapi_outbox"
    __table_args__ = (Index("ix_xapi_outbox_waiting", "parked", "next_attempt_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_seq: Mapped[int] = mapped_column(ForeignKey("statements.seq", ondelete="CASCADE"))
    statement_id: Mapped[str] = mapped_column(String(36))
    actor_key: Mapped[str] = mapped_column(String(600), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    parked: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(Text)


class AttachmentData(db.Model):  # type: ignore[name-defined,misc]
    """The bytes of an xAPI attachment received in a multipart/mixed request, kept once per SHA-2
    hash (the hex digest, lower case) whichever statements declare it."""

    __tablename__ = "xapi_attachments"

    sha2: Mapped[str] = mapped_column(String(128), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(255))
    length: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored: Mapped[datetime] = mapped_column(default=utcnow)
