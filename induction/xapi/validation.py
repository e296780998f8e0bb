"""Validating statements and agents to the xAPI 1.0.3 data rules; each fault names its field and why."""

from __future__ import annotations

from typing import Any

from induction.xapi import formats as f
from induction.xapi.formats import IFIS, XapiError
from induction.xapi.store import agent_key

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
INTERACTION_TYPES = {
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
}
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
CONTEXT_KINDS = ("parent", "grouping", "category", "other")
# Lengths of the columns these values are kept in (docs/xapi.md, "Limits").
MAX_VERB_ID, MAX_ACTIVITY_ID, MAX_AGENT_KEY = 400, 600, 600
EXTENSION_DEPTH = 32  # levels of nesting inside one extension's value

STATEMENT_KEYS = {
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
}
SUBSTATEMENT_KEYS = {"objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"}


def _obj(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise XapiError("must be a JSON object", field)
    for key, item in value.items():
        if item is None:
            raise XapiError("must not be null", f"{field}.{key}")
    return value


def _keys(value: dict[str, Any], allowed: set[str] | tuple[str, ...], field: str) -> None:
    for key in value:
        if key not in allowed:
            raise XapiError(f"{key!r} is not a property allowed here", f"{field}.{key}")


def _string(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise XapiError("must be a string", field)
    return value


def _iri(value: Any, field: str) -> str:
    if not f.is_iri(value):
        raise XapiError(f"{value!r} is not an absolute IRI (a scheme such as https: is needed)", field)
    return str(value)


def _uuid(value: Any, field: str) -> str:
    if not f.is_uuid(value):
        raise XapiError(f"{value!r} is not a UUID in standard form", field)
    return str(value)


def _bool(value: Any, field: str) -> None:
    if not isinstance(value, bool):
        raise XapiError("must be true or false", field)


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise XapiError("must be a number", field)
    return float(value)


def language_map(value: Any, field: str) -> None:
    _obj(value, field)
    for tag, text in value.items():
        if not f.is_language_tag(tag):
            raise XapiError(f"{tag!r} is not an RFC 5646 language tag", f"{field}.{tag}")
        _string(text, f"{field}.{tag}")


def extensions(value: Any, field: str) -> None:
    if not isinstance(value, dict):
        raise XapiError("must be a JSON object", field)
    for key, item in value.items():  # values may be any JSON, null included, up to EXTENSION_DEPTH deep
        _iri(key, f"{field}.{key}")
        f.check_json(item, f"{field}.{key}", EXTENSION_DEPTH)


def agent(value: Any, field: str, *, object_type_required: bool = False) -> None:
    """An Agent: optional objectType 'Agent', optional name, exactly one inverse functional identifier."""
    _obj(value, field)
    kind = value.get("objectType")
    if object_type_required and kind is None:
        raise XapiError("objectType is required when an Agent is the object", f"{field}.objectType")
    if kind is not None and kind != "Agent":
        raise XapiError("objectType must be 'Agent'", f"{field}.objectType")
    _keys(value, {"objectType", "name", *IFIS}, field)
    _ifi(value, field, required=True)
    if "name" in value:
        _string(value["name"], f"{field}.name")


def _ifi(value: dict[str, Any], field: str, *, required: bool) -> None:
    found = [k for k in IFIS if k in value]
    if len(found) > 1:
        raise XapiError(f"only one identifier is allowed, found {', '.join(found)}", field)
    if not found:
        if required:
            raise XapiError("an identifier is required: one of mbox, mbox_sha1sum, openid, account", field)
        return
    key = found[0]
    item = value[key]
    where = f"{field}.{key}"
    if key == "mbox" and not f.is_mailto(item):
        raise XapiError(f"{item!r} is not a mailto: IRI with an e-mail address", where)
    if key == "mbox_sha1sum" and not f.is_sha1(item):
        raise XapiError("must be the 40 hexadecimal digits of a SHA-1 hash", where)
    if key == "openid":
        _iri(item, where)
    if key == "account":
        _obj(item, where)
        _keys(item, {"homePage", "name"}, where)
        if "homePage" not in item:
            raise XapiError("homePage is required", f"{where}.homePage")
        if "name" not in item:
            raise XapiError("name is required", f"{where}.name")
        _iri(item["homePage"], f"{where}.homePage")
        _string(item["name"], f"{where}.name")
    key_length = len(agent_key(value) or "")
    if key_length > MAX_AGENT_KEY:  # the identifier is kept in a column of this length
        if key == "account":
            longer = "name" if len(item["name"]) >= len(item["homePage"]) else "homePage"
            where = f"{where}.{longer}"
        raise XapiError(f"the identifier is too long: at most {MAX_AGENT_KEY} characters in all", where)


def group(value: Any, field: str) -> None:
    """A Group: objectType 'Group'; anonymous (members, no identifier) or identified (one identifier)."""
    _obj(value, field)
    if value.get("objectType") != "Group":
        raise XapiError("objectType must be 'Group'", f"{field}.objectType")
    _keys(value, {"objectType", "name", "member", *IFIS}, field)
    _ifi(value, field, required=False)
    identified = any(k in value for k in IFIS)
    if "name" in value:
        _string(value["name"], f"{field}.name")
    if "member" in value:
        members = value["member"]
        if not isinstance(members, list):
            raise XapiError("must be an array of Agents", f"{field}.member")
        for index, member in enumerate(members):
            where = f"{field}.member[{index}]"
            if isinstance(member, dict) and member.get("objectType") == "Group":
                raise XapiError("a Group cannot be a member of a Group", where)
            agent(member, where)
        if not identified and not members:
            raise XapiError("an anonymous Group needs at least one member", f"{field}.member")
    elif not identified:
        raise XapiError("an anonymous Group must list its members", f"{field}.member")


def actor(value: Any, field: str, *, object_type_required: bool = False) -> None:
    if isinstance(value, dict) and value.get("objectType") == "Group":
        group(value, field)
    else:
        agent(value, field, object_type_required=object_type_required)


def verb(value: Any, field: str) -> None:
    _obj(value, field)
    _keys(value, {"id", "display"}, field)
    if "id" not in value:
        raise XapiError("id is required", f"{field}.id")
    _iri(value["id"], f"{field}.id")
    if len(value["id"]) > MAX_VERB_ID:
        raise XapiError(f"must be at most {MAX_VERB_ID} characters long", f"{field}.id")
    if "display" in value:
        language_map(value["display"], f"{field}.display")


def activity(value: Any, field: str) -> None:
    _obj(value, field)
    _keys(value, {"objectType", "id", "definition"}, field)
    if value.get("objectType", "Activity") != "Activity":
        raise XapiError("objectType must be 'Activity'", f"{field}.objectType")
    if "id" not in value:
        raise XapiError("id is required", f"{field}.id")
    _iri(value["id"], f"{field}.id")
    if len(value["id"]) > MAX_ACTIVITY_ID:
        raise XapiError(f"must be at most {MAX_ACTIVITY_ID} characters long", f"{field}.id")
    if "definition" in value:
        definition(value["definition"], f"{field}.definition")


def definition(value: Any, field: str) -> None:
    _obj(value, field)
    allowed = {"name", "description", "type", "moreInfo", "extensions", "interactionType", "correctResponsesPattern"}
    _keys(value, allowed | set(COMPONENT_LISTS), field)
    for key in ("name", "description"):
        if key in value:
            language_map(value[key], f"{field}.{key}")
    for key in ("type", "moreInfo"):
        if key in value:
            _iri(value[key], f"{field}.{key}")
    if "extensions" in value:
        extensions(value["extensions"], f"{field}.extensions")
    kind = value.get("interactionType")
    if kind is not None and _string(kind, f"{field}.interactionType") not in INTERACTION_TYPES:
        raise XapiError(f"{kind!r} is not an interaction type", f"{field}.interactionType")
    if "correctResponsesPattern" in value:
        pattern = value["correctResponsesPattern"]
        if not isinstance(pattern, list) or not all(isinstance(p, str) for p in pattern):
            raise XapiError("must be an array of strings", f"{field}.correctResponsesPattern")
    for key in COMPONENT_LISTS:
        if key in value:
            _components(value[key], f"{field}.{key}")
    if kind is None and ("correctResponsesPattern" in value or any(k in value for k in COMPONENT_LISTS)):
        raise XapiError("interactionType is required for an interaction", f"{field}.interactionType")


def _components(value: Any, field: str) -> None:
    if not isinstance(value, list):
        raise XapiError("must be an array of interaction components", field)
    seen: set[str] = set()
    for index, component in enumerate(value):
        where = f"{field}[{index}]"
        _obj(component, where)
        _keys(component, {"id", "description"}, where)
        if "id" not in component:
            raise XapiError("id is required", f"{where}.id")
        ident = _string(component["id"], f"{where}.id")
        if ident in seen:
            raise XapiError(f"the id {ident!r} is used twice in this list", f"{where}.id")
        seen.add(ident)
        if "description" in component:
            language_map(component["description"], f"{where}.description")


def statement_ref(value: Any, field: str) -> None:
    _obj(value, field)
    _keys(value, {"objectType", "id"}, field)
    if value.get("objectType") != "StatementRef":
        raise XapiError("objectType must be 'StatementRef'", f"{field}.objectType")
    if "id" not in value:
        raise XapiError("id is required", f"{field}.id")
    _uuid(value["id"], f"{field}.id")


def statement_object(value: Any, field: str, *, sub: bool) -> None:
    _obj(value, field)
    kind = value.get("objectType", "Activity")
    if "objectType" not in value and any(k in value for k in (*IFIS, "member")):
        raise XapiError("objectType is required when the object is an Agent or a Group", f"{field}.objectType")
    if kind == "Activity":
        activity(value, field)
    elif kind in ("Agent", "Group"):
        actor(value, field, object_type_required=True)
    elif kind == "StatementRef":
        statement_ref(value, field)
    elif kind == "SubStatement":
        if sub:
            raise XapiError("a SubStatement cannot contain another SubStatement", f"{field}.objectType")
        substatement(value, field)
    else:
        raise XapiError(f"{kind!r} is not an objectType", f"{field}.objectType")


def result(value: Any, field: str) -> None:
    _obj(value, field)
    _keys(value, {"score", "success", "completion", "response", "duration", "extensions"}, field)
    for key in ("success", "completion"):
        if key in value:
            _bool(value[key], f"{field}.{key}")
    if "response" in value:
        _string(value["response"], f"{field}.response")
    if "duration" in value and not f.is_duration(value["duration"]):
        raise XapiError(f"{value['duration']!r} is not an ISO 8601 duration", f"{field}.duration")
    if "extensions" in value:
        extensions(value["extensions"], f"{field}.extensions")
    if "score" in value:
        score(value["score"], f"{field}.score")


def score(value: Any, field: str) -> None:
    _obj(value, field)
    _keys(value, {"scaled", "raw", "min", "max"}, field)
    numbers = {k: _number(value[k], f"{field}.{k}") for k in ("scaled", "raw", "min", "max") if k in value}
    if "scaled" in numbers and not -1 <= numbers["scaled"] <= 1:
        raise XapiError("must be between -1 and 1", f"{field}.scaled")
    low, high, raw = numbers.get("min"), numbers.get("max"), numbers.get("raw")
    if low is not None and high is not None and low >= high:
        raise XapiError("min must be less than max", f"{field}.min")
    if raw is not None and low is not None and raw < low:
        raise XapiError("raw must not be less than min", f"{field}.raw")
    if raw is not None and high is not None and raw > high:
        raise XapiError("raw must not be more than max", f"{field}.raw")


def context(value: Any, field: str, object_is_activity: bool) -> None:
    _obj(value, field)
    allowed = {
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    }
    _keys(value, allowed, field)
    if "registration" in value:
        _uuid(value["registration"], f"{field}.registration")
    if "instructor" in value:
        actor(value["instructor"], f"{field}.instructor")
    if "team" in value:
        group(value["team"], f"{field}.team")
    for key in ("revision", "platform"):
        if key in value:
            _string(value[key], f"{field}.{key}")
            if not object_is_activity:
                raise XapiError(f"{key} may only be used when the object is an Activity", f"{field}.{key}")
    if "language" in value and not f.is_language_tag(value["language"]):
        raise XapiError(f"{value['language']!r} is not an RFC 5646 language tag", f"{field}.language")
    if "statement" in value:
        statement_ref(value["statement"], f"{field}.statement")
    if "extensions" in value:
        extensions(value["extensions"], f"{field}.extensions")
    if "contextActivities" in value:
        activities = _obj(value["contextActivities"], f"{field}.contextActivities")
        for kind, items in activities.items():
            where = f"{field}.contextActivities.{kind}"
            if kind not in CONTEXT_KINDS:
                raise XapiError(f"{kind!r} is not one of parent, grouping, category, other", where)
            for index, item in enumerate(items if isinstance(items, list) else [items]):
                activity(item, f"{where}[{index}]" if isinstance(items, list) else where)


def attachments(value: Any, field: str) -> None:
    if not isinstance(value, list):
        raise XapiError("must be an array of Attachment objects", field)
    for index, item in enumerate(value):
        where = f"{field}[{index}]"
        _obj(item, where)
        _keys(item, {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"}, where)
        for key in ("usageType", "display", "contentType", "length", "sha2"):
            if key not in item:
                raise XapiError(f"{key} is required", f"{where}.{key}")
        _iri(item["usageType"], f"{where}.usageType")
        language_map(item["display"], f"{where}.display")
        if "description" in item:
            language_map(item["description"], f"{where}.description")
        _string(item["contentType"], f"{where}.contentType")
        if isinstance(item["length"], bool) or not isinstance(item["length"], int) or item["length"] < 0:
            raise XapiError("must be a whole number of octets", f"{where}.length")
        _string(item["sha2"], f"{where}.sha2")
        if "fileUrl" in item:
            _iri(item["fileUrl"], f"{where}.fileUrl")


def _core(value: dict[str, Any], field: str, *, sub: bool) -> None:
    for key in ("actor", "verb", "object"):
        if key not in value:
            raise XapiError(f"{key} is required", f"{field}{key}")
    actor(value["actor"], f"{field}actor")
    verb(value["verb"], f"{field}verb")
    statement_object(value["object"], f"{field}object", sub=sub)
    if "result" in value:
        result(value["result"], f"{field}result")
    if "context" in value:
        is_activity = value["object"].get("objectType", "Activity") == "Activity"
        context(value["context"], f"{field}context", is_activity)
    if "timestamp" in value:
        f.parse_timestamp(value["timestamp"], f"{field}timestamp")
    if "attachments" in value:
        attachments(value["attachments"], f"{field}attachments")


def substatement(value: dict[str, Any], field: str) -> None:
    _keys(value, SUBSTATEMENT_KEYS, field)
    _core(value, f"{field}.", sub=True)


def statement(value: Any, field: str = "") -> None:
    """Check one statement; raises XapiError naming the first fault's field."""
    where = f"{field}." if field else ""
    _obj(value, field or "statement")
    _keys(value, STATEMENT_KEYS, field or "statement")
    if "id" in value:
        _uuid(value["id"], f"{where}id")
    _core(value, where, sub=False)
    if "stored" in value:
        f.parse_timestamp(value["stored"], f"{where}stored")
    if "authority" in value:
        authority = value["authority"]
        actor(authority, f"{where}authority")
        is_group = isinstance(authority, dict) and authority.get("objectType") == "Group"
        if is_group and len(authority.get("member", [])) != 2:
            raise XapiError("an authority Group must have exactly two members", f"{where}authority.member")
    if "version" in value and not f.is_version(value["version"]):
        raise XapiError(f"{value['version']!r} is not a 1.0.x version", f"{where}version")
    if value["verb"]["id"] == VOIDED and value["object"].get("objectType") != "StatementRef":
        raise XapiError("a voiding statement's object must be a StatementRef", f"{where}object.objectType")


def statements(value: Any) -> list[dict[str, Any]]:
    """A POST body: one statement or an array of them, each checked; repeated ids are refused."""
    batch = value if isinstance(value, list) else [value]
    seen: set[str] = set()
    for index, item in enumerate(batch):
        field = f"[{index}]" if isinstance(value, list) else ""
        statement(item, field)
        ident = item.get("id")
        if ident is not None:
            if ident.lower() in seen:
                raise XapiError("the batch has two statements with this id", f"{field}.id" if field else "id")
            seen.add(ident.lower())
    return batch
