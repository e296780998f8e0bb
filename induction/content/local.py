"""Local information: the partnership's front door, out-of-hours number, LADO contact and documents.

A deployment sets them once in a YAML file; pages write `{{ local.front_door }}` where a learner
needs one, and the loader puts the value (or an honest fallback) in its place before rendering.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from induction.content.model import LOCAL_KEYS, Fault, LocalInformation
from induction.content.render import Problem, render

FILE_NAME = "local.yml"  # beside the content, unless LOCAL_INFORMATION names another file
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_ASK = "ask your designated safeguarding lead"
# Shown where a key is unset: it says what to ask for, never a made-up number.
FALLBACK = {
    "partnership": f"your local safeguarding partnership ({_ASK} which one; this site has not set it yet)",
    "front_door": f"your local children's social care front door ({_ASK} for the number; this site has not set it yet)",
    "out_of_hours": (
        f"the out-of-hours children's social care team ({_ASK} for the number; this site has not set it yet)"
    ),
    "lado": f"your Local Authority Designated Officer, the LADO ({_ASK} for the contact; this site has not set it yet)",
    "threshold_document": (
        f"your partnership's threshold document ({_ASK} where to find it; this site has not set it yet)"
    ),
    "procedures": (
        f"your partnership's safeguarding procedures ({_ASK} where to find them; this site has not set them yet)"
    ),
}
_KNOWN = ", ".join(f"local.{k}" for k in LOCAL_KEYS)


class LocalInformationUnset(RuntimeError):
    """Production must not show learners a fallback where their partnership's contact belongs."""


def read(path: Path, shown: str) -> tuple[dict[str, str], bool, list[Fault]]:
    """The values the file sets, whether it holds the demo's values, and its faults; no file sets nothing."""
    if not path.is_file():
        return {}, False, []
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        return {}, False, [Fault(shown, mark.line + 1 if mark else 1, f"not valid YAML: {error}")]
    if data is None:
        return {}, False, []
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        return {}, False, [Fault(shown, 1, f"the file must map keys ({', '.join(LOCAL_KEYS)}) to short texts")]
    lines = {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
    values: dict[str, str] = {}
    faults: list[Fault] = []
    for key, value in data.items():
        line = lines.get(str(key), 1)
        if key == "demo":
            continue
        if key not in LOCAL_KEYS:
            faults.append(Fault(shown, line, f"unknown key '{key}': the keys are {', '.join(LOCAL_KEYS)}"))
        elif value is None or value == "":
            continue  # listed but not set yet: pages show the fallback
        elif not isinstance(value, str):
            faults.append(Fault(shown, line, f"'{key}' must be a text; put it in quotes, e.g. \"0300 123 4567\""))
        else:
            problems = value_problems(value)
            faults.extend(Fault(shown, line, f"'{key}': {p.message}") for p in problems)
            if not problems:
                values[key] = " ".join(value.split())
    return values, data.get("demo") is True, faults


def value_problems(value: str) -> list[Problem]:
    """What is wrong with a value as inline Markdown: only outside links (https, mailto) are allowed."""
    _, problems = render(" ".join(value.split()), 1, lambda _: None, lambda _: None)
    return problems


def substitute(body: str, values: Mapping[str, str]) -> tuple[str, list[tuple[str, int]], list[Problem]]:
    """`body` with each placeholder replaced by its value or fallback.

    Also returns each key used with its line offset in `body`, and a problem per unknown placeholder.
    """
    used: list[tuple[str, int]] = []
    problems: list[Problem] = []
    lines = body.splitlines(keepends=True)
    for number, line in enumerate(lines):

        def replace(match: re.Match[str], number: int = number) -> str:
            name = match.group(1)
            key = name.removeprefix("local.")
            if name.startswith("local.") and key in LOCAL_KEYS:
                used.append((key, number))
                return values.get(key) or FALLBACK[key]
            problems.append(Problem(number, f"unknown local information '{match.group(0)}': use one of {_KNOWN}"))
            return match.group(0)

        lines[number] = PLACEHOLDER.sub(replace, line)
    return "".join(lines), used, problems


def refusal(local: LocalInformation) -> str | None:
    """Why production should not start with this local information, or None when it may."""
    if local.demo:
        return (
            f"{local.source} holds the demo's example values (demo: true); production refuses to start. "
            "Set your partnership's values and remove 'demo: true', or set ALLOW_UNSET_LOCAL_INFORMATION=1."
        )
    if local.unset:
        keys = ", ".join(f"local.{k}" for k in local.unset)
        return (
            f"The pages use local information that is not set: {keys}. Production refuses to start; "
            f"set them in {local.source}, or set ALLOW_UNSET_LOCAL_INFORMATION=1 to show learners "
            f'"{_ASK}" in their place.'
        )
    return None


def warnings(local: LocalInformation) -> list[str]:
    """One line per unset key the pages use (and one for demo values), for `flask content check`."""
    lines = []
    if local.demo:
        lines.append(f"warning: {local.source} holds the demo's example values (demo: true), not a partnership's")
    for key in local.unset:
        places = [p for p in local.uses if p.key == key]
        first = places[0]
        more = f" and {len(places) - 1} more place(s)" if len(places) > 1 else ""
        lines.append(
            f'warning: local.{key} is not set in {local.source}; {first.path}:{first.line}{more} show "{_ASK}" instead'
        )
    return lines
