"""Statements posted to the LRS: conflicts, voiding, and counting a known learner's progress."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import Row, Select, bindparam, func, or_, select

from induction.accounts import scope
from induction.accounts.models import Role, User
from induction.clock import utcnow
from induction.content import catalogue
from induction.database import lock_learner
from induction.extensions import db
from induction.xapi import formats, signals
from induction.xapi import store as lrs_store
from induction.xapi.formats import XapiError
from induction.xapi.models import StatementRecord
from induction.xapi.store import VOIDED, agent_key


@dataclass(frozen=True)
class Caller:
    """Who is using the LRS: the authority their statements get and what they may do."""

    authority: dict[str, Any]
    read_only: bool = False
    organisation_ids: frozenset[int] = field(default_factory=frozenset)
    client_id: int | None = None

    @property
    def limited(self) -> bool:
        return bool(self.organisation_ids)


def _comparable(statement: dict[str, Any]) -> Any:
    """The statement less what the spec lets differ between two copies (LRS-set properties,
    verb display, activity definitions, timestamp serialisation, member order)."""

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for k, v in value.items():
                if k in ("definition", "display") or (k == "member" and isinstance(v, list)):
                    if k == "member":
                        out[k] = sorted(json.dumps(walk(m), sort_keys=True) for m in v)
                    continue
                if k in ("contextActivities",) and isinstance(v, dict):
                    out[k] = {kind: walk(items if isinstance(items, list) else [items]) for kind, items in v.items()}
                    continue
                if k == "timestamp" and isinstance(v, str):
                    moment = formats.parse_timestamp(v, k)
                    out[k] = moment.replace(microsecond=moment.microsecond // 1000 * 1000).isoformat()
                    continue
                out[k] = walk(v, k)
            return out
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    trimmed = {k: v for k, v in statement.items() if k not in ("id", "stored", "authority", "version")}
    return walk(trimmed)


def same_statement(stored: dict[str, Any], received: dict[str, Any]) -> bool:
    """True when `received` is the statement already stored, as the spec's comparison rules read it."""
    if "timestamp" not in received:
        stored = {k: v for k, v in stored.items() if k != "timestamp"}
    return bool(_comparable(stored) == _comparable(received))


def _learners(batch: list[dict[str, Any]]) -> dict[str, User]:
    """Known learners among the actors, by their account name (the user's uuid)."""
    home = current_app.config["BASE_URL"]
    names = {
        s["actor"]["account"]["name"]
        for s in batch
        if isinstance(s["actor"].get("account"), dict) and s["actor"]["account"].get("homePage") == home
    }
    if not names:
        return {}
    users = db.session.scalars(select(User).where(User.uuid.in_(names), User.role == Role.LEARNER))
    return {u.uuid: u for u in users}


_S = StatementRecord.__table__
# The statements a batch sends again, the ones it voids, and voiding statements that came before
# their target: one indexed lookup (id, voids), built once.
_STORED = select(_S.c.id, _S.c.user_id, _S.c.voids, _S.c.body).where(
    or_(_S.c.id.in_(bindparam("ids", expanding=True)), _S.c.voids.in_(bindparam("new_ids", expanding=True)))
)


def save(batch: list[dict[str, Any]], caller: Caller) -> list[str]:
    """Store a validated batch; returns the ids in order. Nothing is stored if any statement conflicts.

    A statement whose actor is a known learner is stored with that learner and their progress
    is settled in the same transaction, exactly as if it had been made in the browser."""
    if caller.read_only:
        raise XapiError("these credentials may only read", "Authorization", 403)
    now = utcnow()
    statements = [{**s, "id": str(s.get("id") or uuid.uuid4()).lower()} for s in batch]
    ids = [s["id"] for s in statements]
    for user_id in sorted(u.id for u in _learners(statements).values()):
        lock_learner(user_id)  # statements about a learner settle their progress one request at a time
    targets = [s["object"]["id"].lower() for s in statements if s["verb"]["id"] == VOIDED]
    found = db.session.execute(_STORED, {"ids": ids + targets, "new_ids": ids}).all()
    by_id = {r.id: r for r in found}
    if caller.limited:
        _check_scope(caller, statements, [by_id.get(t) for t in targets])
    new = []
    for statement in statements:
        existing = by_id.get(statement["id"])
        if existing is None:
            new.append(statement)
        elif not same_statement(json.loads(existing.body), statement):
            raise XapiError("a different statement with this id is already stored", "id", 409)
    learners = _learners(new)
    already_voided = {r.voids for r in found if r.voids and r.voids in ids}
    void_targets = [s["object"]["id"].lower() for s in new if s["verb"]["id"] == VOIDED]
    affected: dict[int, User] = {u.id: u for s in new if (u := learners.get(_account_name(s))) is not None}
    for target in void_targets:
        row = by_id.get(target)
        if row is not None and row.user_id is not None and row.user_id not in affected:
            user = db.session.get(User, row.user_id)
            if user is not None and user.role == Role.LEARNER:
                lock_learner(user.id)
                affected[user.id] = user
    prepared = []
    for statement in new:
        user = learners.get(_account_name(statement))
        data = lrs_store.prepare(statement, caller.authority, now)
        key = agent_key(data["actor"]) or f"anonymous|{data['id']}"
        prepared.append(lrs_store.Prepared(data, user.id if user else None, key))
    voided_now = {s["id"] for s in new if s["id"] in already_voided and s["verb"]["id"] != VOIDED}
    if prepared:
        lrs_store.store_many(prepared, voided_now)
        lrs_store.void(void_targets)
    signals.announce(list(affected.values()), catalogue(), now)  # settles their progress in this transaction
    return ids


def _check_scope(caller: Caller, statements: list[dict[str, Any]], targets: list[Row[Any] | None]) -> None:
    """403 unless a limited caller's statements (new or sent again) are all about learners of its
    organisations, and every statement it voids is stored and about one of them: a statement it
    cannot read, it cannot void, nor void ahead of its arrival."""
    if not may_act_on(caller, *(s["actor"] for s in statements)):
        raise XapiError(
            "these credentials may only record statements about learners of their organisations", "actor", 403
        )
    if not may_act_on_learners(caller, [row.user_id if row else None for row in targets]):
        raise XapiError(
            "these credentials may only void stored statements about learners of their organisations", "object", 403
        )


def _account_name(statement: dict[str, Any]) -> str:
    account = statement["actor"].get("account")
    return account.get("name", "") if isinstance(account, dict) else ""


def stored_statement(statement_id: str, *, voided: bool, caller: Caller) -> StatementRecord | None:
    """One statement by id: a voided one only when asked by voidedStatementId, the others only by statementId."""
    query = select(StatementRecord).where(
        StatementRecord.id == statement_id.lower(), StatementRecord.voided.is_(voided)
    )
    scoped = learner_ids_in_scope(caller)
    if scoped is not None:
        query = query.where(StatementRecord.user_id.in_(scoped))
    return db.session.scalar(query)


# The scope of organisation-limited clients, decided here for every resource and method. It is
# the managers' rule (`accounts.scope.learners_of`): a limited client may act only on learners
# of its organisations. Reads outside it find nothing; writes outside it answer 403.


def learner_ids_in_scope(caller: Caller) -> Select[Any] | None:
    """A query of the ids of the learners a limited caller may act on; None when it is not limited."""
    if not caller.limited:
        return None
    return scope.learners_of(caller.organisation_ids).with_only_columns(User.id)


def learner_uuid(agent: Any) -> str | None:
    """The uuid of the user an Agent names, when it is an account of this platform (BASE_URL)."""
    if not isinstance(agent, dict) or agent.get("objectType", "Agent") != "Agent":
        return None
    account = agent.get("account")
    if not isinstance(account, dict) or account.get("homePage") != current_app.config["BASE_URL"]:
        return None
    name = account.get("name")
    return name if isinstance(name, str) and name else None


def may_act_on(caller: Caller, *agents: Any) -> bool:
    """True when the caller may read or change what concerns every one of these Agents: always
    for an unlimited caller; for a limited one only when each is a learner of its organisations
    (a Group, or an Agent that is not one of our accounts, is outside that scope)."""
    scoped = learner_ids_in_scope(caller)
    if scoped is None:
        return True
    names = {learner_uuid(agent) for agent in agents}
    if None in names:
        return False
    found = db.session.scalar(select(func.count()).where(User.uuid.in_(names), User.id.in_(scoped)))
    return found == len(names)


def may_act_on_learners(caller: Caller, user_ids: Iterable[int | None]) -> bool:
    """True when the caller may act on every one of these users (None: a statement about no learner)."""
    scoped = learner_ids_in_scope(caller)
    if scoped is None:
        return True
    wanted = set(user_ids)
    if None in wanted:
        return False
    found = db.session.scalar(select(func.count()).where(User.id.in_(wanted), User.id.in_(scoped)))
    return found == len(wanted)
