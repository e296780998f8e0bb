"""The State, Activity Profile and Agent Profile resources, with ETag concurrency (Communication 2.2-2.7, 3.1)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from flask import Response
from sqlalchemy import delete, select
from werkzeug.http import http_date

from induction.clock import utcnow
from induction.extensions import db
from induction.xapi import formats, query, services
from induction.xapi.formats import XapiError
from induction.xapi.http import XRequest, caller, current, endpoint, json_response, no_content
from induction.xapi.models import XapiDocument

STATE, ACTIVITY_PROFILE, AGENT_PROFILE = "state", "activity_profile", "agent_profile"
READS = ("GET", "HEAD")


@dataclass(frozen=True)
class Place:
    """Where documents live: the resource kind and its activity, agent and registration."""

    kind: str
    activity_id: str | None = None
    agent_key: str | None = None
    registration: str | None = None

    @property
    def scope(self) -> str:
        parts = [self.kind, self.activity_id or "", self.agent_key or "", self.registration or ""]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _activity(params: dict[str, str]) -> str:
    iri = params["activityId"]
    if not formats.is_iri(iri):
        raise XapiError("must be an absolute IRI", "activityId")
    return iri


def _since(params: dict[str, str]) -> Any:
    return formats.parse_timestamp(params["since"], "since") if "since" in params else None


def etag_of(content: bytes) -> str:
    return hashlib.sha1(content).hexdigest()  # noqa: S324 - the spec asks for SHA-1 ETags, not for security


def _find(place: Place, doc_id: str, *, for_update: bool = False) -> XapiDocument | None:
    """The document, if any; `for_update` locks its row until the transaction ends, so writers
    to one document take turns and a merge never loses another's keys."""
    query = select(XapiDocument).where(XapiDocument.scope == place.scope, XapiDocument.doc_id == doc_id)
    return db.session.scalar(query.with_for_update() if for_update else query)


def _etags(value: str) -> list[str]:
    return [t.strip().removeprefix("W/").strip('"') for t in value.split(",")]


def _preconditions(xrequest: XRequest, existing: XapiDocument | None, *, strict: bool) -> None:
    """If-Match / If-None-Match as RFC 2616 says; `strict` (profile PUT) also needs one of them when
    the document exists."""
    if_match, if_none = xrequest.header("If-Match"), xrequest.header("If-None-Match")
    if if_match is not None:
        tags = _etags(if_match)
        if existing is None or ("*" not in tags and existing.etag not in tags):
            raise XapiError("the document has changed since you read it (If-Match did not match)", "If-Match", 412)
    if if_none is not None:
        tags = _etags(if_none)
        if existing is not None and ("*" in tags or existing.etag in tags):
            raise XapiError("a document already exists here (If-None-Match)", "If-None-Match", 412)
    if strict and existing is not None and if_match is None and if_none is None:
        raise XapiError(
            "a document already exists here: check its current state, then send If-Match with its ETag",
            "If-Match",
            409,
        )


def _json_object(content: bytes, field: str) -> dict[str, Any]:
    try:
        value = formats.loads(content, field)
    except XapiError:
        value = None
    if not isinstance(value, dict):
        raise XapiError("both documents must be JSON objects to be merged", field)
    return value


def _write(place: Place, doc_id: str, xrequest: XRequest, *, merge: bool, strict: bool) -> Response:
    existing = _find(place, doc_id, for_update=True)
    _preconditions(xrequest, existing, strict=strict)
    content_type = xrequest.header("Content-Type") or "application/octet-stream"
    formats.check_text(content_type, "Content-Type", 255)  # the length of its column
    content = xrequest.body
    if merge and existing is not None:
        is_json = content_type.split(";")[0].strip().lower() == "application/json"
        was_json = existing.content_type.split(";")[0].strip().lower() == "application/json"
        if not (is_json and was_json):
            raise XapiError("POST merges JSON documents only: both must be application/json", "Content-Type")
        merged = {**_json_object(existing.content, "stored document"), **_json_object(content, "body")}
        content = json.dumps(merged, separators=(",", ":"), ensure_ascii=False).encode()
    elif merge and content_type.split(";")[0].strip().lower() == "application/json":
        _json_object(content, "body")
    if existing is None:
        existing = XapiDocument(
            scope=place.scope,
            kind=place.kind,
            activity_id=place.activity_id,
            agent_key=place.agent_key,
            registration=place.registration,
            doc_id=doc_id,
        )
        db.session.add(existing)
    existing.content_type = content_type
    existing.content = content
    existing.etag = etag_of(content)
    existing.updated = utcnow()
    db.session.flush()
    return no_content()


def _read(document: XapiDocument) -> Response:
    return Response(
        document.content,
        mimetype=None,
        content_type=document.content_type,
        headers={"ETag": f'"{document.etag}"', "Last-Modified": http_date(document.updated.replace(tzinfo=UTC))},
    )


def _ids(place: Place, since: Any, *, any_registration: bool = False) -> Response:
    statement = select(XapiDocument.doc_id, XapiDocument.updated)
    if any_registration:
        statement = statement.where(
            XapiDocument.kind == place.kind,
            XapiDocument.activity_id == place.activity_id,
            XapiDocument.agent_key == place.agent_key,
        )
    else:
        statement = statement.where(XapiDocument.scope == place.scope)
    if since is not None:
        statement = statement.where(XapiDocument.updated > since)
    rows = db.session.execute(statement.order_by(XapiDocument.doc_id)).all()
    headers = {}
    if rows:
        headers["Last-Modified"] = http_date(max(r.updated for r in rows).replace(tzinfo=UTC))
    ids = list(dict.fromkeys(r.doc_id for r in rows))
    return json_response(ids, headers=headers)


def _single(place: Place, doc_id: str, xrequest: XRequest, *, strict: bool) -> Response:
    if xrequest.method in ("GET", "HEAD"):
        document = _find(place, doc_id)
        if document is None:
            raise XapiError("no document has this id here", "id", 404)
        return _read(document)
    if xrequest.method in ("PUT", "POST"):
        return _write(
            place, doc_id, xrequest, merge=xrequest.method == "POST", strict=strict and xrequest.method == "PUT"
        )
    existing = _find(place, doc_id)
    _preconditions(xrequest, existing, strict=False)
    if existing is not None:
        db.session.delete(existing)
    return no_content()


def _writes_allowed(xrequest: XRequest) -> None:
    if xrequest.method not in READS and caller().read_only:
        raise XapiError("these credentials may only read", "Authorization", 403)


def _in_scope(xrequest: XRequest, agent: str | None) -> bool:
    """Whether the caller may use the documents of this agent (or, with None, the documents every
    organisation shares). Outside its scope a read finds nothing, and a write answers 403 and
    changes nothing (services.may_act_on decides, as for statements)."""
    who = caller()
    if agent is None:
        allowed = not who.limited or xrequest.method in READS
    else:
        allowed = services.may_act_on(who, formats.loads(agent, "agent"))
    if not allowed and xrequest.method not in READS:
        raise XapiError(
            "these credentials may only change the documents of learners of their organisations"
            if agent is not None
            else "credentials limited to organisations may not change activity profiles, which all organisations share",
            "agent" if agent is not None else "Authorization",
            403,
        )
    return allowed


def _nothing(params: dict[str, str], single: str) -> Response:
    """What a read outside the caller's scope gets: no document, or no ids."""
    if single in params:
        raise XapiError("no document has this id here", "id", 404)
    return json_response([])


ALL = {"GET", "HEAD", "PUT", "POST", "DELETE"}


@endpoint(methods=ALL)
def state() -> Response:
    xrequest = current()
    params = xrequest.params
    _writes_allowed(xrequest)
    formats.check_params(params, {"activityId", "agent", "registration", "stateId", "since"}, {"activityId", "agent"})
    registration = params.get("registration")
    if registration is not None and not formats.is_uuid(registration):
        raise XapiError("must be a UUID", "registration")
    place = Place(
        STATE,
        _activity(params),
        query.agent_param(params["agent"], groups=False),
        registration and registration.lower(),
    )
    if not _in_scope(xrequest, params["agent"]):
        return _nothing(params, "stateId")
    if "stateId" in params:
        if "since" in params:
            raise XapiError("since is only for listing state ids", "since")
        return _single(place, params["stateId"], xrequest, strict=False)
    if xrequest.method in ("GET", "HEAD"):
        return _ids(place, _since(params), any_registration=registration is None)
    if xrequest.method == "DELETE":
        if "since" in params:
            raise XapiError("since is only for listing state ids", "since")
        condition = [
            XapiDocument.kind == STATE,
            XapiDocument.activity_id == place.activity_id,
            XapiDocument.agent_key == place.agent_key,
        ]
        if registration is not None:
            condition.append(XapiDocument.registration == place.registration)
        db.session.execute(delete(XapiDocument).where(*condition))
        return no_content()
    raise XapiError("stateId is required", "stateId")


@endpoint(methods=ALL)
def activity_profile() -> Response:
    xrequest = current()
    params = xrequest.params
    _writes_allowed(xrequest)
    formats.check_params(params, {"activityId", "profileId", "since"}, {"activityId"})
    place = Place(ACTIVITY_PROFILE, activity_id=_activity(params))
    _in_scope(xrequest, None)
    return _profile(place, params, xrequest)


@endpoint(methods=ALL)
def agent_profile() -> Response:
    xrequest = current()
    params = xrequest.params
    _writes_allowed(xrequest)
    formats.check_params(params, {"agent", "profileId", "since"}, {"agent"})
    place = Place(AGENT_PROFILE, agent_key=query.agent_param(params["agent"], groups=False))
    if not _in_scope(xrequest, params["agent"]):
        return _nothing(params, "profileId")
    return _profile(place, params, xrequest)


def _profile(place: Place, params: dict[str, str], xrequest: XRequest) -> Response:
    if "profileId" in params:
        if "since" in params:
            raise XapiError("since is only for listing profile ids", "since")
        return _single(place, params["profileId"], xrequest, strict=True)
    if xrequest.method in ("GET", "HEAD"):
        return _ids(place, _since(params))
    raise XapiError("profileId is required", "profileId")
