"""The xAPI 1.0.3 resources at /xapi/: statements, about, activities and agents (documents in documents.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, request
from werkzeug.http import http_date

from induction.clock import utcnow
from induction.extensions import db
from induction.xapi import formats, query, services, validation
from induction.xapi.attachments import Part
from induction.xapi.attachments import check as check_attachments
from induction.xapi.attachments import response as multipart_response
from induction.xapi.attachments import store as store_attachments
from induction.xapi.formats import VERSION, XapiError
from induction.xapi.http import caller, current, endpoint, json_response, no_content
from induction.xapi.models import ActivityDefinition
from induction.xapi.store import VOIDED

READ = {"GET", "HEAD"}


def _consistent_through() -> dict[str, str]:
    return {"X-Experience-API-Consistent-Through": formats.format_timestamp(utcnow())}


def about() -> Response:
    """Open to all, whatever the version header says (Communication 2.8)."""
    return json_response({"version": [VERSION, "1.0.0"], "extensions": {}})


@endpoint(methods={"GET", "HEAD", "PUT", "POST"})
def statements() -> Response:
    xrequest = current()
    if xrequest.method == "PUT":
        return _put(xrequest.params, *xrequest.statements())
    if xrequest.method == "POST":
        if xrequest.params:
            raise XapiError(f"{next(iter(xrequest.params))!r} is not a parameter of POST statements", "params")
        body, parts = xrequest.statements()
        batch = validation.statements(body)
        received = check_attachments(batch, parts, listed=isinstance(body, list))
        ids = _save(batch)
        store_attachments(received)
        return json_response(ids, headers=_consistent_through())
    return _get(xrequest.params)


def _put(params: dict[str, str], body: Any, parts: list[Part]) -> Response:
    formats.check_params(params, {"statementId"}, {"statementId"}, "PUT statements")
    statement_id = params["statementId"]
    if not formats.is_uuid(statement_id):
        raise XapiError("must be a UUID", "statementId")
    if isinstance(body, list):
        raise XapiError("PUT takes one statement, not an array", "body")
    validation.statement(body)
    if "id" in body and body["id"].lower() != statement_id.lower():
        raise XapiError("the statement's id differs from the statementId parameter", "id")
    received = check_attachments([body], parts, listed=False)
    _save([{**body, "id": statement_id}])
    store_attachments(received)
    return no_content(_consistent_through())


def _save(batch: list[dict[str, Any]]) -> list[str]:
    """Store the batch (`services.save`). A limited client voids only statements it may read: services
    checks that each is about one of its learners; here, that it is their part it may see (a shared
    learner's sign-off by another organisation is not), or nothing of the batch is stored."""
    who = caller()
    within = query.in_scope(who)
    targets = {s["object"]["id"].lower() for s in batch if s["verb"]["id"] == VOIDED}
    if within is not None and targets and not who.read_only and query.readable(targets, within) < len(targets):
        raise XapiError("these credentials may only void stored statements that they may read", "object", 403)
    return services.save(batch, who)


def _get(params: dict[str, str]) -> Response:
    single = query.SINGLE & params.keys()
    if single:
        if len(single) > 1:
            raise XapiError("use statementId or voidedStatementId, not both", "voidedStatementId")
        name = single.pop()
        for other in params:
            if other not in (name, "format", "attachments"):
                raise XapiError(f"{other!r} cannot be used with {name}", other)
        fmt, attachments = query.output_format(params), query.boolean(params, "attachments")
        if not formats.is_uuid(params[name]):
            raise XapiError("must be a UUID", name)
        row = query.single(params[name], voided=name == "voidedStatementId", within=query.in_scope(caller()))
        if row is None:
            raise XapiError(
                "no statement has this id" if name == "statementId" else "no voided statement has this id", name, 404
            )
        body: Any = row.body
        if fmt != "exact":
            body = formats.render([json.loads(row.body)], fmt, request.headers.get("Accept-Language"))[0]
        headers = {**_consistent_through(), "Last-Modified": _http_date(row.stored)}
        return _statement_response(body, attachments, headers, [row.body])
    found = query.parse(params, current_app.config.get("LRS_STATEMENT_LIMIT", 100))
    rows, more = query.run(found, query.in_scope(caller()))
    link = json.dumps(f"{request.script_root}/xapi/statements?more={more}" if more else "")
    if found.format == "exact":  # the stored JSON is what we send: no need to parse it
        bodies = ",".join(r.body for r in rows)
    else:
        rendered = formats.render(
            [json.loads(r.body) for r in rows], found.format, request.headers.get("Accept-Language")
        )
        bodies = ",".join(json.dumps(b, ensure_ascii=False) for b in rendered)
    result = f'{{"statements":[{bodies}],"more":{link}}}'
    headers = _consistent_through()
    if rows:
        headers["Last-Modified"] = _http_date(max(r.stored for r in rows))
    return _statement_response(result, found.attachments, headers, [r.body for r in rows])


def _http_date(moment: datetime) -> str:
    return http_date(moment.replace(tzinfo=UTC))


def _statement_response(body: Any, attachments: bool, headers: dict[str, str], stored: list[str]) -> Response:
    """JSON alone, or with attachments=true multipart/mixed: the statements, then the data of each
    attachment the statements (as `stored`) declare and the LRS holds (Communication 1.5.2)."""
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    if not attachments:
        return Response(text, mimetype="application/json", headers=headers)
    return multipart_response(text, stored, headers)


@endpoint(methods=READ)
def activities() -> Response:
    params = current().params
    formats.check_params(params, {"activityId"}, {"activityId"}, "the Activities resource")
    iri = params["activityId"]
    if not formats.is_iri(iri):
        raise XapiError("must be an absolute IRI", "activityId")
    row = db.session.get(ActivityDefinition, formats.short_key(iri))
    activity: dict[str, Any] = {"objectType": "Activity", "id": iri}
    if row is not None and row.definition != "{}":
        activity["definition"] = json.loads(row.definition)
    return json_response(activity)


@endpoint(methods=READ)
def agents() -> Response:
    params = current().params
    formats.check_params(params, {"agent"}, {"agent"}, "the Agents resource")
    query.agent_param(params["agent"], groups=False)
    agent = json.loads(params["agent"])
    # The Person is what the request already says: this LRS gives no learner's name to another
    # system (statements carry none), so its own accounts are answered by their identifier only.
    person: dict[str, Any] = {"objectType": "Person"}
    if "name" in agent:
        person["name"] = [agent["name"]]
    for key in formats.IFIS:
        if key in agent:
            person[key] = [agent[key]]
    return json_response(person)
