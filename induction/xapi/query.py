"""GET /xapi/statements with filters: parsing the parameters, the query, and `more` paging."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import ColumnElement, Row, Select, bindparam, func, select, tuple_, union_all

from induction.accounts import scope
from induction.extensions import db
from induction.xapi import formats, validation
from induction.xapi import statements as xs
from induction.xapi.formats import XapiError
from induction.xapi.models import StatementLink, StatementRecord
from induction.xapi.services import Caller
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


# The page is read by walking one index in the page's order, (stored, seq), and stopping after
# limit + 1 rows: `verb` and `registration` have (column, stored, seq) indexes, `agent` and
# `activity` the links' (kind, value, statement_seq) index, no filter (stored, seq). Statements
# that target a matching statement with a StatementRef match too, recursively (Communication
# 2.1.3); they are found from the "ref" links, which only StatementRef objects have, so a store
# without them pays nothing, and they form a second arm of the page, merged in `run`.
_Shape = tuple[bool, bool, str | None, str | None, bool, bool, bool, bool, int]


def _shape(query: Query) -> _Shape:
    return (
        query.verb is not None,
        query.registration is not None,
        ("related_agent" if query.related_agents else "agent") if query.agent else None,
        ("related_activity" if query.related_activities else "activity") if query.activity else None,
        query.since is not None,
        query.until is not None,
        query.after is not None,
        query.ascending,
        query.limit,
    )


def _params(query: Query) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if query.verb:
        params["verb"] = query.verb
    if query.registration:
        params["registration"] = query.registration.lower()
    if query.agent:
        params["agent"] = formats.short_key(query.agent)
    if query.activity:
        params["activity"] = formats.short_key(query.activity)
    if query.since:
        params["since"] = formats.parse_timestamp(query.since, "since")
    if query.until:
        params["until"] = formats.parse_timestamp(query.until, "until")
    if query.after:
        params["after_stored"], params["after_seq"] = datetime.fromisoformat(query.after[0]), query.after[1]
    return params


def _build(shape: _Shape, within: ColumnElement[bool] | None = None) -> Select[Any]:
    """The page's statement for queries of this shape, its values left as bound parameters."""
    verb, registration, agent_kind, activity_kind, since, until, after, ascending, limit = shape
    S, L = StatementRecord.__table__, StatementLink.__table__

    def matches(t: Any) -> list[Any]:
        found = []
        if verb:
            found.append(t.c.verb_id == bindparam("verb"))
        if registration:
            found.append(t.c.registration == bindparam("registration"))
        for kind, name in ((agent_kind, "agent"), (activity_kind, "activity")):
            if kind:
                linked = select(L.c.statement_seq).where(L.c.kind == kind, L.c.value == bindparam(name))
                found.append(t.c.seq.in_(linked))
        return found

    page = select(S.c.seq, S.c.stored, S.c.body).where(S.c.voided.is_(False))
    if within is not None:
        page = page.where(within)
    if since:
        page = page.where(S.c.stored > bindparam("since", type_=S.c.stored.type))
    if until:
        page = page.where(S.c.stored <= bindparam("until", type_=S.c.stored.type))
    if after:
        cursor = tuple_(bindparam("after_stored", type_=S.c.stored.type), bindparam("after_seq", type_=S.c.seq.type))
        key = tuple_(S.c.stored, S.c.seq)
        page = page.where(key > cursor if ascending else key < cursor)
    order = (S.c.stored.asc(), S.c.seq.asc()) if ascending else (S.c.stored.desc(), S.c.seq.desc())
    conditions = matches(S)
    if not conditions:
        return page.order_by(*order).limit(limit + 1)
    matched, link, targeting = S.alias("matched"), L.alias("ref_link"), S.alias("targeting")
    refs = (
        select(targeting.c.seq, targeting.c.id)
        .select_from(link.join(targeting, targeting.c.seq == link.c.statement_seq))
        .join(matched, matched.c.id == link.c.value)
        .where(link.c.kind == "ref", *matches(matched))
        .cte("refs", recursive=True)
    )
    link2, targeting2 = L.alias("ref_link2"), S.alias("targeting2")
    refs = refs.union(
        select(targeting2.c.seq, targeting2.c.id)
        .select_from(link2.join(targeting2, targeting2.c.seq == link2.c.statement_seq))
        .join(refs, link2.c.value == refs.c.id)
        .where(link2.c.kind == "ref")
    )
    direct = page.where(*conditions).order_by(*order).limit(limit + 1).subquery("direct")
    targeting_page = page.where(S.c.seq.in_(select(refs.c.seq))).order_by(*order).limit(limit + 1).subquery("refd")
    return union_all(select(direct), select(targeting_page))  # type: ignore[return-value]


_cached = lru_cache(maxsize=256)(_build)


def in_scope(caller: Caller) -> ColumnElement[bool] | None:
    """The condition on the statements table that a limited caller may read a statement (the rule is
    `accounts.scope.statements_in_scope`); None when the caller is not limited."""
    if not caller.limited:
        return None
    S, L = StatementRecord.__table__, StatementLink.__table__
    key = agent_key(caller.authority)
    posted = (
        select(L.c.statement_seq).where(L.c.kind == "related_agent", L.c.value == formats.short_key(key))
        if key
        else None
    )
    return scope.statements_in_scope(
        caller.organisation_ids,
        S,
        own_learning=(xs.activity_iri("modules/"), xs.activity_iri("training/")),
        induction=xs.activity_iri("induction"),
        posted=posted,
    )


def single(statement_id: str, *, voided: bool, within: ColumnElement[bool] | None = None) -> Row[Any] | None:
    """One statement (seq, stored, body) by id: a voided one only when asked for as voided, the others
    only when not; None when there is none, or none that `within` (`in_scope`) lets the caller see."""
    S = StatementRecord.__table__
    found = select(S.c.seq, S.c.stored, S.c.body).where(S.c.id == statement_id.lower(), S.c.voided.is_(voided))
    if within is not None:
        found = found.where(within)
    return db.session.execute(found).first()


def readable(statement_ids: set[str], within: ColumnElement[bool]) -> int:
    """How many of these statements (voided or not) `within` (`in_scope`) lets the caller read."""
    S = StatementRecord.__table__
    found = select(func.count()).select_from(S).where(S.c.id.in_(statement_ids), within)
    return db.session.scalar(found) or 0


def run(query: Query, within: ColumnElement[bool] | None = None) -> tuple[list[Any], str | None]:
    """The page of statements (rows of seq, stored, body) and the `more` token for the next page, if any;
    `within` (`in_scope`) limits them to the statements a limited caller may read."""
    shape = _shape(query)
    statement = _cached(shape) if within is None else _build(shape, within)
    rows = list(db.session.execute(statement, _params(query)).all())
    if any(shape[:4]):  # two arms, which may share rows: merged here in the page's order
        rows = sorted({r.seq: r for r in rows}.values(), key=lambda r: (r.stored, r.seq), reverse=not query.ascending)
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[: query.limit]
    last = rows[-1]
    return rows, encode_more(replace(query, after=(last.stored.isoformat(), last.seq)))
