"""GET /xapi/statements with filters: parsing the parameters, the query, and `more` paging."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import aliased

from induction.extensions import db
from induction.xapi import formats, validation
from induction.xapi.formats import XapiError
from induction.xapi.models import StatementLink, StatementRecord
from induction.xapi.store import agent_key

FILTERS = {
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
}
SINGLE = {"statementId", "voidedStatementId"}
FORMATS = ("exact", "ids", "canonical")


@dataclass(frozen=True)
class Query:
    """A statements query; `after` is the paging cursor: the (stored, seq) of the last one sent."""

    agent: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: str | None = None
    until: str | None = None
    limit: int = 0
    format: str = "exact"
    attachments: bool = False
    ascending: bool = False
    after: tuple[str, int] | None = None


def boolean(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name)
    if value is None:
        return False
    if value not in ("true", "false"):
        raise XapiError("must be true or false", name)
    return value == "true"


def output_format(params: Mapping[str, str]) -> str:
    value = params.get("format", "exact")
    if value not in FORMATS:
        raise XapiError("must be one of ids, exact, canonical", "format")
    return value


def agent_param(text: str, name: str = "agent", *, groups: bool = True) -> str:
    """The key of the Agent (or identified Group) given as JSON in a query parameter."""
    value = formats.loads(text, name)
    if groups:
        validation.actor(value, name)
    else:
        if isinstance(value, dict) and value.get("objectType") == "Group":
            raise XapiError("must be an Agent, not a Group", name)
        validation.agent(value, name)
    key = agent_key(value)
    if key is None:
        raise XapiError("an identified Agent or Group is needed", name)
    return key


def parse(params: Mapping[str, str], max_limit: int) -> Query:
    """The query the parameters ask for; refuses unknown parameters and bad values with 400."""
    if "more" in params:
        if len(params) > 1:
            raise XapiError("the more parameter cannot be combined with others", "more")
        return decode_more(params["more"], max_limit)
    for name in params:
        if name not in FILTERS:
            raise XapiError(f"{name!r} is not a parameter of GET statements", name)
    formats.check_values(params)
    limit_text = params.get("limit", "0")
    if not (limit_text.isascii() and limit_text.isdigit()) or len(limit_text) > 9:
        raise XapiError("must be a whole number from 0 (as many as allowed) to 999999999", "limit")
    query = Query(
        agent=agent_param(params["agent"]) if "agent" in params else None,
        verb=params.get("verb"),
        activity=params.get("activity"),
        registration=params.get("registration"),
        related_activities=boolean(params, "related_activities"),
        related_agents=boolean(params, "related_agents"),
        since=params.get("since"),
        until=params.get("until"),
        limit=min(int(limit_text) or max_limit, max_limit),
        format=output_format(params),
        attachments=boolean(params, "attachments"),
        ascending=boolean(params, "ascending"),
    )
    for name in ("verb", "activity"):
        if getattr(query, name) is not None and not formats.is_iri(getattr(query, name)):
            raise XapiError("must be an absolute IRI", name)
    if query.registration is not None and not formats.is_uuid(query.registration):
        raise XapiError("must be a UUID", "registration")
    for name in ("since", "until"):
        if getattr(query, name) is not None:
            formats.parse_timestamp(getattr(query, name), name)
    return query


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="xapi-statements-more")


def encode_more(query: Query) -> str:
    """The `more` token for the next page: the query and its cursor, signed so that it cannot be forged."""
    data = {k: v for k, v in asdict(query).items() if v not in (None, False) and not (k == "format" and v == "exact")}
    return str(_serializer().dumps(data))


def decode_more(token: str, max_limit: int) -> Query:
    """The query a `more` token carries; refuses a token this LRS did not sign (or one altered since)."""
    try:
        data = _serializer().loads(token)
    except BadData:
        raise XapiError("this more link is not one this LRS made, or it has been altered", "more") from None
    try:
        after = data.pop("after", None)
        query = Query(**data, after=(str(after[0]), int(after[1])) if after else None)
        if query.after:
            datetime.fromisoformat(query.after[0])
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise XapiError("this more link is not one this LRS made", "more") from None
    if not 0 < query.limit <= max_limit:  # e.g. a token made before the page size was lowered
        query = replace(query, limit=max_limit)
    return query


def _matching(query: Query) -> Select[Any] | None:
    """Seqs of statements meeting the non-time filters, directly or through StatementRefs to them."""
    S, L = StatementRecord, StatementLink
    conditions = []
    if query.verb:
        conditions.append(S.verb_id == query.verb)
    if query.registration:
        conditions.append(S.registration == query.registration.lower())
    if query.agent:
        kind = "related_agent" if query.related_agents else "agent"
        value = formats.short_key(query.agent)
        conditions.append(S.seq.in_(select(L.statement_seq).where(L.kind == kind, L.value == value)))
    if query.activity:
        kind = "related_activity" if query.related_activities else "activity"
        value = formats.short_key(query.activity)
        conditions.append(S.seq.in_(select(L.statement_seq).where(L.kind == kind, L.value == value)))
    if not conditions:
        return None
    base = select(S.seq.label("seq"), S.id.label("id")).where(*conditions).cte("matched", recursive=True)
    targeting, link = aliased(S), aliased(L)
    step = (
        select(targeting.seq, targeting.id)
        .join(link, and_(link.statement_seq == targeting.seq, link.kind == "ref"))
        .join(base, link.value == base.c.id)
    )
    matched = base.union(step)
    return select(matched.c.seq)


def run(query: Query, within: Select[Any] | None = None) -> tuple[list[Any], str | None]:
    """The page of statements (rows of seq, stored, body) and the `more` token for the next page, if any;
    `within` limits them to the learners whose ids it selects (services.learner_ids_in_scope)."""
    S = StatementRecord
    statement = select(S.seq, S.stored, S.body).where(S.voided.is_(False))
    matching = _matching(query)
    if matching is not None:
        statement = statement.where(S.seq.in_(matching))
    if within is not None:
        statement = statement.where(S.user_id.in_(within))
    if query.since:
        statement = statement.where(S.stored > formats.parse_timestamp(query.since, "since"))
    if query.until:
        statement = statement.where(S.stored <= formats.parse_timestamp(query.until, "until"))
    if query.after:
        stored, seq = datetime.fromisoformat(query.after[0]), query.after[1]
        if query.ascending:
            statement = statement.where(or_(S.stored > stored, and_(S.stored == stored, S.seq > seq)))
        else:
            statement = statement.where(or_(S.stored < stored, and_(S.stored == stored, S.seq < seq)))
    order = (S.stored.asc(), S.seq.asc()) if query.ascending else (S.stored.desc(), S.seq.desc())
    rows = list(db.session.execute(statement.order_by(*order).limit(query.limit + 1)))
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[: query.limit]
    last = rows[-1]
    return rows, encode_more(replace(query, after=(last.stored.isoformat(), last.seq)))
