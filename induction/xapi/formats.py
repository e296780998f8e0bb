"""The xAPI 1.0.3 formats: values (IRIs, UUIDs, timestamps, durations, language tags) and the error
they raise, strict JSON in and out, and statements as GET returns them (`exact`, `ids`, `canonical`)."""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import select

from induction.extensions import db
from induction.xapi.models import ActivityDefinition

VERSION = "1.0.3"
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")  # an Agent's inverse functional identifiers

# Limits on what the LRS accepts (docs/xapi.md, "Limits"): whatever passes them can be stored,
# read back and computed with (refresher dates included) on SQLite and PostgreSQL alike.
MAX_DEPTH = 48  # nesting of any JSON the LRS reads; extension values get 32 of these (validation.py)
EARLIEST_YEAR, LATEST_YEAR = 1900, 9000  # timestamps, in local time and in UTC
# Query parameters that become database columns, by their column's length.
PARAM_LENGTHS = {"stateId": 600, "profileId": 600, "activityId": 600, "registration": 36}
MAX_PARAM_LENGTH = 8000  # any other parameter (an agent's JSON, an IRI, a token)


class XapiError(Exception):
    """A request the LRS refuses: `status` is the HTTP code, `field` names the part that is wrong."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# An IRI never holds spaces or control characters (RFC 3987), so NUL cannot reach the database either.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f]+$")
_MAILTO = re.compile(r"^mailto:[^@\s:/]+@[^@\s/]+\.?[^@\s/]*$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$")
# ISO 8601 durations; only the smallest (last) part given may have a fraction (checked in is_duration).
_DURATION = re.compile(
    r"^P(?=\d|T\d)(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?=\d)(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$"
)
# RFC 5646 language tags, checked for the shape of each subtag (best effort, as the spec allows).
_LANGTAG = re.compile(
    r"^(?:(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?"
    r"(?:-(?:[A-Za-z]{2}|\d{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|\d[A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[xX](?:-[A-Za-z0-9]{1,8})+)?"
    r"|[xX](?:-[A-Za-z0-9]{1,8})+"
    r"|[iI]-[A-Za-z]{2,8}|[A-Za-z]{2,3}-[A-Za-z]{2,3}-[A-Za-z]{2,8})$"
)
_VERSION = re.compile(r"^1\.0(?:\.\d+)?$")


def check_params(params: dict[str, str], allowed: set[str], required: set[str], where: str = "this resource") -> None:
    """Refuse a parameter the resource does not take, a missing required one, or a value the
    database could not hold (too long, a NUL character), naming it."""
    for name in params:
        if name not in allowed:
            raise XapiError(f"{name!r} is not a parameter of {where}", name)
    check_values(params)
    for name in sorted(required):
        if name not in params:
            raise XapiError(f"{name} is required", name)


def check_values(params: Mapping[str, str]) -> None:
    """Refuse a parameter value longer than its column (PARAM_LENGTHS) or holding a NUL character."""
    for name, value in params.items():
        check_text(value, name, PARAM_LENGTHS.get(name, MAX_PARAM_LENGTH))


def check_text(value: str, field: str, limit: int) -> None:
    """Refuse a string longer than `limit` characters or one that holds a NUL character."""
    if len(value) > limit:
        raise XapiError(f"must be at most {limit} characters long (it has {len(value)})", field)
    if "\x00" in value:
        raise XapiError("must not contain a NUL character", field)


def is_uuid(value: object) -> bool:
    return isinstance(value, str) and bool(_UUID.match(value))


def is_iri(value: object) -> bool:
    """An absolute IRI: a scheme, a colon and something after it, no spaces."""
    return isinstance(value, str) and bool(_SCHEME.match(value))


def is_mailto(value: object) -> bool:
    return isinstance(value, str) and bool(_MAILTO.match(value))


def is_sha1(value: object) -> bool:
    return isinstance(value, str) and bool(_SHA1.match(value))


def is_duration(value: object) -> bool:
    """An ISO 8601 duration such as PT1H30M or P1DT0.5S; a fraction only in its last part."""
    found = _DURATION.match(value) if isinstance(value, str) else None
    if not found:
        return False
    parts = [part for part in found.groups() if part is not None]
    return not any("." in part or "," in part for part in parts[:-1])


def is_language_tag(value: object) -> bool:
    return isinstance(value, str) and bool(_LANGTAG.match(value))


def is_version(value: object) -> bool:
    return isinstance(value, str) and bool(_VERSION.match(value))


def parse_timestamp(value: object, field: str) -> datetime:
    """An ISO 8601 timestamp as naive UTC; refuses the "unknown offset" forms -00, -0000 and -00:00."""
    if not isinstance(value, str):
        raise XapiError("must be an ISO 8601 timestamp string", field)
    found = _TIMESTAMP.match(value.strip())
    if not found:
        raise XapiError(f"{value!r} is not an ISO 8601 timestamp", field)
    offset = found.group(8) or "Z"
    if offset.startswith("-") and set(offset[1:].replace(":", "")) == {"0"}:
        raise XapiError("a timestamp must not use the offset -00:00 (unknown local offset)", field)
    fraction = (found.group(7) or ".0")[1:]
    micro = int((fraction + "000000")[:6])
    year, month, day, hour, minute, second = (int(found.group(i)) for i in range(1, 7))
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:  # checked before any arithmetic can overflow
        raise XapiError(f"{value!r} is outside the years {EARLIEST_YEAR} to {LATEST_YEAR} this LRS keeps", field)
    try:
        moment = datetime(year, month, day, hour, minute, second, micro)
    except ValueError as error:
        raise XapiError(f"{value!r} is not a valid date and time: {error}", field) from None
    if offset not in ("Z", "z"):
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or "0")
        if hours > 23 or minutes > 59:
            raise XapiError(f"{value!r} has an impossible time zone offset", field)
        moment -= sign * timedelta(hours=hours, minutes=minutes)
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise XapiError(f"{value!r} is outside the years {EARLIEST_YEAR} to {LATEST_YEAR} in UTC", field)
    return moment


def format_timestamp(moment: datetime) -> str:
    """A naive-UTC or aware moment as an RFC 3339 UTC string with milliseconds (or microseconds when needed)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond % 1000:
        return f"{text}.{moment.microsecond:06d}Z"
    return f"{text}.{moment.microsecond // 1000:03d}Z"


def check_version_header(value: str | None) -> None:
    """Refuse a request without a supported X-Experience-API-Version (1.0, 1.0.x)."""
    if not value:
        raise XapiError("the X-Experience-API-Version header is required", "X-Experience-API-Version")
    if not _VERSION.match(value.strip()):
        raise XapiError(f"version {value!r} is not supported; this LRS speaks {VERSION}", "X-Experience-API-Version")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise XapiError(f"the property {key!r} occurs more than once", key)
            seen.add(key)
    return result


# For a quick look at JSON's nesting: escaped backslashes and quotes taken out, then every byte
# but brackets and quotes deleted (UTF-8 never uses these bytes inside another character); the
# quotes then pair up in order, so the strings are every other piece.
_SHAPE_BYTES = bytes(c for c in range(256) if c not in b'[]{}"')
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def _may_be_deeper(raw: bytes, limit: int) -> bool:
    """False when JSON (UTF-8, already parsed, so well formed) nests at most `limit` levels."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    shape = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _SHAPE_BYTES)
    shape = b"".join(shape.split(b'"')[::2])
    return len(shape) > limit and max(accumulate(map(_STEP.__getitem__, shape))) > limit


def _has_surrogate(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


def loads(text: str | bytes, field: str = "body") -> Any:
    """Parse JSON, refusing repeated properties, NaN and Infinity, numbers beyond a double's range,
    lone surrogates and NUL characters, and nesting deeper than MAX_DEPTH; each fault names its place.

    The walk that finds a fault's place (check_json) runs only when the text may hold one: a \\u
    escape (the only way to write NUL or a lone surrogate in valid JSON), a raw surrogate, a number
    past a double's range, or more than MAX_DEPTH brackets deep. Most bodies have none of these."""
    suspect: list[str] = []

    def _constant(name: str) -> Any:
        raise XapiError(f"{name} is not valid JSON", field)

    def _int(digits: str) -> Any:  # past a double's range either way; int() would refuse 4,300+ digits
        if len(digits) > 308:
            suspect.append(digits)
        return math.inf if len(digits) > 320 else int(digits)

    def _float(number: str) -> float:
        value = float(number)
        if math.isinf(value):
            suspect.append(number)
        return value

    try:
        if isinstance(text, bytes | bytearray):  # as json.loads would read them
            encoding = json.detect_encoding(text)
            raw, text = bytes(text), text.decode(encoding, "surrogatepass")
            if encoding not in ("utf-8", "utf-8-sig"):
                raw = text.encode("utf-8", "surrogatepass")
        else:
            raw = text.encode("utf-8", "surrogatepass")
        value = json.loads(
            text, object_pairs_hook=_no_duplicate_keys, parse_constant=_constant, parse_int=_int, parse_float=_float
        )
    except RecursionError:
        raise XapiError(f"the JSON is nested more than {MAX_DEPTH} levels deep", field) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise XapiError(f"not valid JSON: {error}", field) from None
    if suspect or "\\u" in text or (not text.isascii() and _has_surrogate(text)) or _may_be_deeper(raw, MAX_DEPTH):
        check_json(value, field)
    return value


def _place(path: tuple[Any, ...] | None, root: str) -> str:
    """A field name such as result.score.raw or [1].actor from the links of a walk."""
    names: list[str] = []
    while path is not None:
        path, key = path
        names.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    text = "".join(reversed(names))
    if root == "body":  # a request body's fields are named as the statement's: result.score.raw, [1].actor
        return text.removeprefix(".") or root
    return root + text


def _check_string(text: str, path: tuple[Any, ...] | None, root: str) -> None:
    if "\x00" in text:
        raise XapiError("must not contain a NUL character", _place(path, root))
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            raise XapiError("holds a lone surrogate (\\ud800-\\udfff): not valid Unicode", _place(path, root)) from None


def check_json(value: Any, root: str = "body", max_depth: int = MAX_DEPTH) -> None:
    """Refuse what a strict JSON reader, the database or our own code could not take back:
    nesting past `max_depth`, numbers that are not finite doubles, invalid Unicode, NUL characters."""
    stack: list[tuple[Any, tuple[Any, ...] | None, int]] = [(value, None, 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise XapiError(f"nested more than {max_depth} levels deep", _place(path, root))
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(key, str):
                    _check_string(key, path, root)
                stack.append((child, (path, key), depth + 1))
        elif isinstance(item, str):
            _check_string(item, path, root)
        elif isinstance(item, int | float) and not isinstance(item, bool) and not abs(item) <= sys.float_info.max:
            raise XapiError("must be a finite number (a double's range)", _place(path, root))


def dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def short_key(value: str) -> str:
    """A value short enough for an index: itself up to 255 characters, else its SHA-256."""
    return value if len(value) <= 255 else "sha256:" + hashlib.sha256(value.encode()).hexdigest()


# --- statements as GET returns them: `exact`, `ids` or `canonical` (one language per map, by Accept-Language)


def accepted_languages(header: str | None) -> list[str]:
    """Language ranges from an Accept-Language header, best first."""
    ranges = []
    for index, part in enumerate((header or "").split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip()
        if not tag:
            continue
        weight = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.strip().partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight > 0:
            ranges.append((-weight, index, tag.lower()))
    return [tag for _, _, tag in sorted(ranges)]


def pick_language(value: dict[str, str], languages: list[str]) -> dict[str, str]:
    """The one entry of a language map that best fits the accepted languages (RFC 2616 matching)."""
    if not value:
        return value
    lowered = {k.lower(): k for k in value}
    for wanted in languages:
        if wanted == "*":
            break
        if wanted in lowered:
            key = lowered[wanted]
            return {key: value[key]}
        for tag, key in lowered.items():
            if tag.startswith(wanted + "-"):
                return {key: value[key]}
    key = next(iter(value))
    return {key: value[key]}


def _agent_ids(agent: dict[str, Any]) -> dict[str, Any]:
    out = {k: agent[k] for k in ("objectType", *IFIS) if k in agent}
    if agent.get("objectType") == "Group" and not any(k in agent for k in IFIS):
        out["member"] = [_agent_ids(m) for m in agent.get("member", [])]
    return out


def _walk_parts(statement: dict[str, Any]) -> Iterable[dict[str, Any]]:
    yield statement
    inner = statement.get("object") or {}
    if inner.get("objectType") == "SubStatement":
        yield inner


def _activities(part: dict[str, Any]) -> Iterable[dict[str, Any]]:
    inner = part.get("object") or {}
    if inner.get("objectType", "Activity") == "Activity" and "id" in inner:
        yield inner
    for items in ((part.get("context") or {}).get("contextActivities") or {}).values():
        yield from items if isinstance(items, list) else [items]


def as_ids(statement: dict[str, Any]) -> dict[str, Any]:
    """Agents, Groups, Activities and Verbs cut down to what identifies them."""
    out = copy.deepcopy(statement)
    for part in _walk_parts(out):
        part["verb"] = {"id": part["verb"]["id"]}
        part["actor"] = _agent_ids(part["actor"])
        inner = part["object"]
        if inner.get("objectType") in ("Agent", "Group"):
            part["object"] = _agent_ids(inner)
        context = part.get("context") or {}
        for key in ("instructor", "team"):
            if key in context:
                context[key] = _agent_ids(context[key])
        for activity in _activities(part):
            activity.pop("definition", None)
    if "authority" in out:
        out["authority"] = _agent_ids(out["authority"])
    return out


def _filter_definition(definition: dict[str, Any], languages: list[str]) -> dict[str, Any]:
    out = dict(definition)
    for key in ("name", "description"):
        if isinstance(out.get(key), dict):
            out[key] = pick_language(out[key], languages)
    for key in ("choices", "scale", "source", "target", "steps"):
        if isinstance(out.get(key), list):
            out[key] = [
                {**c, "description": pick_language(c["description"], languages)} if "description" in c else c
                for c in out[key]
            ]
    return out


def canonical_lookup(statements: Iterable[dict[str, Any]]) -> Callable[[str], dict[str, Any] | None]:
    """The LRS's canonical definitions of every activity in the statements, loaded in one query."""
    keys = {short_key(a["id"]) for s in statements for part in _walk_parts(s) for a in _activities(part)}
    found = {}
    if keys:
        for row in db.session.scalars(select(ActivityDefinition).where(ActivityDefinition.key.in_(keys))):
            found[row.key] = json.loads(row.definition)
    return lambda iri: found.get(short_key(iri))


def as_canonical(
    statement: dict[str, Any], languages: list[str], lookup: Callable[[str], dict[str, Any] | None]
) -> dict[str, Any]:
    """Activities with the LRS's canonical definitions and verbs' display, each map in one language."""
    out = copy.deepcopy(statement)
    for part in _walk_parts(out):
        verb = part["verb"]
        if isinstance(verb.get("display"), dict):
            verb["display"] = pick_language(verb["display"], languages)
        for activity in _activities(part):
            definition = lookup(activity["id"]) or activity.get("definition")
            if definition:
                activity["definition"] = _filter_definition(definition, languages)
    return out


def render(statements: list[dict[str, Any]], fmt: str, accept_language: str | None) -> list[dict[str, Any]]:
    """The statements in the asked format."""
    if fmt == "ids":
        return [as_ids(s) for s in statements]
    if fmt == "canonical":
        lookup = canonical_lookup(statements)
        languages = accepted_languages(accept_language)
        return [as_canonical(s, languages, lookup) for s in statements]
    return statements
