"""The xAPI 1.0.3 value formats (IRIs, UUIDs, timestamps, durations, language tags) and the error they raise."""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

VERSION = "1.0.3"

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
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise XapiError(f"the property {key!r} occurs more than once", key)
        result[key] = value
    return result


def loads(text: str | bytes, field: str = "body") -> Any:
    """Parse JSON, refusing repeated properties, NaN and Infinity, numbers beyond a double's range,
    lone surrogates and NUL characters, and nesting deeper than MAX_DEPTH; each fault names its place."""

    def _constant(name: str) -> Any:
        raise XapiError(f"{name} is not valid JSON", field)

    def _int(digits: str) -> Any:  # past a double's range either way; int() would refuse 4,300+ digits
        return math.inf if len(digits) > 320 else int(digits)

    try:
        value = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_constant, parse_int=_int)
    except RecursionError:
        raise XapiError(f"the JSON is nested more than {MAX_DEPTH} levels deep", field) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise XapiError(f"not valid JSON: {error}", field) from None
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
