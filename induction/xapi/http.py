"""The LRS blueprint's plumbing: the alternate request syntax, version and auth checks, JSON errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from induction.clock import utcnow
from induction.database import retry_conflicts
from induction.extensions import db
from induction.xapi import attachments, clients, formats
from induction.xapi.formats import VERSION, XapiError
from induction.xapi.services import Caller

bp = Blueprint("lrs", __name__, url_prefix="/xapi")
F = TypeVar("F", bound=Callable[..., Any])

HEADER_PARAMS = {
    "Authorization",
    "X-Experience-API-Version",
    "Content-Type",
    "Content-Length",
    "If-Match",
    "If-None-Match",
}
METHODS = {"GET", "HEAD", "PUT", "POST", "DELETE"}


@dataclass(frozen=True)
class XRequest:
    """An xAPI request after undoing the alternate syntax: method, query parameters, headers and body."""

    method: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        if self.content_type.startswith("multipart/"):
            raise XapiError("multipart/mixed is only for statements with attachments", "Content-Type")
        if self.content_type != "application/json":
            raise XapiError("statements must be sent as application/json", "Content-Type")
        if not self.body:
            raise XapiError("the request has no content", "body")
        return formats.loads(self.body)

    def statements(self) -> tuple[Any, list[attachments.Part]]:
        """The statements of a PUT or POST and the attachment parts that came with them: a
        multipart/mixed body (Communication 1.5.2) is read with the email parser, JSON as JSON."""
        if self.content_type == "multipart/mixed":
            first, parts = attachments.parse(self.header("Content-Type") or "", self.body)
            return formats.loads(first), parts
        return self.json(), []


def _params(pairs: list[tuple[str, str]]) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise XapiError(f"the parameter {name!r} is given more than once", name)
        params[name] = value
    return params


def current() -> XRequest:
    """This request in xAPI terms; POST with ?method=X is the alternate request syntax (Communication 1.3)."""
    found = g.get("xrequest")
    if found is not None:
        return found  # type: ignore[no-any-return]
    query = parse_qsl(request.query_string.decode("utf-8", "replace"), keep_blank_values=True)
    headers = {k.lower(): v for k, v in request.headers.items()}
    if any(name == "method" for name, _ in query):
        if request.method != "POST":
            raise XapiError("the alternate request syntax (a method parameter) must be sent with POST", "method")
        if len(query) != 1:
            raise XapiError("with the method parameter, every other parameter goes in the form", "method")
        method = query[0][1].upper()
        if method not in METHODS:
            raise XapiError(f"{method!r} is not an HTTP method the LRS knows", "method")
        if not (headers.get("content-type") or "").lower().startswith("application/x-www-form-urlencoded"):
            raise XapiError("the alternate request syntax needs a form body", "Content-Type")
        form = parse_qsl(request.get_data(as_text=True), keep_blank_values=True)
        params, body = {}, b""
        for name, value in form:
            if name == "content":
                body = value.encode()
            elif name in HEADER_PARAMS:
                headers[name.lower()] = value
            else:
                params[name] = value
        headers.pop("content-length", None)
        if body and "content-type" not in {n.lower() for n, _ in form}:
            headers["content-type"] = "application/json"
        xrequest = XRequest(method, _params(list(params.items())), headers, body)
    else:
        xrequest = XRequest(request.method, _params(query), headers, request.get_data())
    g.xrequest = xrequest
    return xrequest


def caller() -> Caller:
    found: Caller = g.xapi_caller
    return found


def endpoint(*, methods: set[str]) -> Callable[[F], F]:
    """Wrap a resource view: check the version header and credentials, answer XapiError as JSON,
    and commit what the view did (one commit per request)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                xrequest = current()
                if xrequest.method not in methods:
                    raise XapiError(f"{xrequest.method} is not allowed here", "method", 405)
                formats.check_version_header(xrequest.header("X-Experience-API-Version"))
                g.xapi_caller = clients.authenticate(xrequest.header("Authorization"))
                if xrequest.method in ("GET", "HEAD"):
                    response = view(*args, **kwargs)
                    db.session.commit()
                    return response
                return retry_conflicts(lambda: view(*args, **kwargs))
            except XapiError as error:
                db.session.rollback()
                return error_response(error)

        return wrapped  # type: ignore[return-value]

    return decorate


def error_response(error: XapiError) -> Response:
    body = {"error": error.message, "field": error.field}
    response = Response(json.dumps(body), status=error.status, mimetype="application/json")
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="xAPI"'
    return response


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, mimetype="application/json", headers=headers)


def no_content(headers: dict[str, str] | None = None) -> Response:
    return Response(status=204, headers=headers)


@bp.after_app_request
def _version_header(response: Response) -> Response:
    if request.path.startswith("/xapi/") or request.path == "/xapi":
        response.headers["X-Experience-API-Version"] = VERSION
        if request.path == "/xapi/statements" and "X-Experience-API-Consistent-Through" not in response.headers:
            response.headers["X-Experience-API-Consistent-Through"] = formats.format_timestamp(utcnow())
        response.headers["Access-Control-Expose-Headers"] = (
            "ETag, Last-Modified, X-Experience-API-Version, X-Experience-API-Consistent-Through"
        )
    return response


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    if error.code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        message = f"the request is larger than this LRS takes (at most {limit} bytes); send fewer statements at a time"
        return error_response(XapiError(message, "body", 413))
    return error_response(XapiError(error.description or error.name, None, error.code or 500))
