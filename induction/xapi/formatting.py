"""Statements as GET returns them: `exact`, `ids` or `canonical` (one language per map, by Accept-Language)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select

from induction.extensions import db
from induction.xapi import formats
from induction.xapi.models import ActivityDefinition
from induction.xapi.validation import IFIS


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
    keys = {formats.short_key(a["id"]) for s in statements for part in _walk_parts(s) for a in _activities(part)}
    found = {}
    if keys:
        for row in db.session.scalars(select(ActivityDefinition).where(ActivityDefinition.key.in_(keys))):
            found[row.key] = json.loads(row.definition)
    return lambda iri: found.get(formats.short_key(iri))


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
