"""Read CONTENT_DIR into a Catalogue, collecting every fault as `path:line: message`."""

from __future__ import annotations

import hashlib
import posixpath
import re
from pathlib import Path
from typing import Any

import yaml

from induction.content import local
from induction.content.model import (
    Catalogue,
    Fault,
    LocalInformation,
    Module,
    Option,
    Outcome,
    Page,
    Placeholder,
    Question,
    QuestionType,
    Quiz,
    Section,
)
from induction.content.render import plain_text, render

NUMBERED = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$")
IDENT = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
VERSION = re.compile(r"^\d+\.\d+$")
LINE = "__line__"
KEYS = "__keys__"


class ContentError(RuntimeError):
    """The content has faults; the message lists each one as `path:line: message`."""

    def __init__(self, faults: list[Fault]) -> None:
        self.faults = faults
        super().__init__("the content has faults:\n" + "\n".join(str(f) for f in faults))


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that records the line of every mapping under LINE."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    mapping[KEYS] = {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
    return mapping


def line_of(data: dict[str, Any], key: str) -> int:
    """The line of `key` in the YAML the mapping came from, or of the mapping itself."""
    line: int = data.get(KEYS, {}).get(key) or data.get(LINE, 1)
    return line


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def url_for_section(module_slug: str, section_id: str) -> str:
    return f"/modules/{module_slug}/{section_id}"


def url_for_media(relative: str) -> str:
    return f"/content-media/{relative}"


class _Reader:
    """Collects faults while reading one content tree."""

    def __init__(self, root: Path, local_values: dict[str, str] | None = None) -> None:
        self.root = root
        self.faults: list[Fault] = []
        self.local_values = local_values or {}
        self.placeholders: list[Placeholder] = []

    def fault(self, path: Path, line: int, message: str) -> None:
        self.faults.append(Fault(display(path), line, message))

    def yaml(self, path: Path, text: str, first_line: int = 1) -> Any:
        try:
            # Leading newlines make the parser's line numbers those of the file.
            return yaml.load("\n" * (first_line - 1) + text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 if mark else first_line
            self.fault(path, line, f"not valid YAML: {getattr(error, 'problem', error)}")
            return None

    def front_matter(self, path: Path) -> tuple[dict[str, Any], str, int] | None:
        """The front matter, the body and the body's first line number."""
        text = path.read_text(encoding="utf-8")
        if not text.startswith("---\n"):
            self.fault(path, 1, "missing front matter: the file must start with a line '---'")
            return None
        end = text.find("\n---\n", 3)
        if end == -1:
            self.fault(path, 1, "front matter is not closed by a line '---'")
            return None
        data = self.yaml(path, text[4 : end + 1], first_line=2)
        if data is None:
            return None
        if not isinstance(data, dict):
            self.fault(path, 2, "front matter must be a mapping of keys to values")
            return None
        body_first_line = text[: end + 5].count("\n") + 1
        return data, text[end + 5 :], body_first_line

    def text_field(self, path: Path, data: dict[str, Any], key: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fault(path, line_of(data, key), f"'{key}' must be a non-empty text")
            return ""
        return value.strip()

    def int_field(self, path: Path, data: dict[str, Any], key: str, low: int, high: int) -> int:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fault(path, line_of(data, key), f"'{key}' must be a whole number from {low} to {high}")
            return low
        return value


def display(path: Path) -> str:
    """`path` as messages show it: relative to the working folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load(root: str | Path, local_information: str | Path | None = None) -> tuple[Catalogue, list[Fault]]:
    """The catalogue under `root` and every fault found; the catalogue is usable only if there are none.

    Local information comes from `local_information`, by default the file local.yml in `root`.
    """
    local_path = Path(local_information) if local_information else Path(root) / local.FILE_NAME
    values, demo, local_faults = local.read(local_path, display(local_path))
    reader = _Reader(Path(root), values)
    reader.faults.extend(local_faults)
    base = reader.root
    if not (base / "modules").is_dir():
        reader.fault(base, 1, "no 'modules' folder in the content folder")
        return Catalogue(str(base), None, ()), reader.faults
    folders = sorted(p for p in (base / "modules").iterdir() if p.is_dir())
    section_ids = _section_index(reader, folders)
    raw_modules = [m for m in (_read_module(reader, folder, section_ids) for folder in folders) if m]
    quizzes: dict[str, Quiz] = {}
    used: set[str] = set()
    for module in raw_modules:
        quiz_path = base / "quizzes" / f"{module.quiz_slug}.yml"
        if not quiz_path.is_file():
            reader.fault(
                base / "modules" / module.folder / "module.md",
                1,
                f"unknown quiz '{module.quiz_slug}': no file {display(quiz_path)}",
            )
            continue
        used.add(module.quiz_slug)
        quiz = _read_quiz(reader, quiz_path, module)
        if quiz:
            quizzes[quiz.slug] = quiz
    for path in sorted((base / "quizzes").glob("*.yml")) if (base / "quizzes").is_dir() else []:
        if path.stem not in used:
            reader.fault(path, 1, "no module uses this quiz")
    slugs = [m.slug for m in raw_modules]
    for slug in {s for s in slugs if slugs.count(s) > 1}:
        reader.fault(base / "modules", 1, f"two module folders share the slug '{slug}'")
    modules = tuple(_with_digest(base, m) for m in raw_modules)
    welcome = _read_welcome(reader, base / "induction.md", section_ids)
    information = LocalInformation(display(local_path), values, demo, tuple(reader.placeholders))
    return Catalogue(str(base), welcome, modules, quizzes, information), reader.faults


def load_or_raise(root: str | Path, local_information: str | Path | None = None) -> Catalogue:
    catalogue, faults = load(root, local_information)
    if faults:
        raise ContentError(faults)
    return catalogue


def _section_index(reader: _Reader, folders: list[Path]) -> dict[Path, tuple[str, str]]:
    """Each section file's (module slug, section id), so links can be resolved before rendering."""
    index: dict[Path, tuple[str, str]] = {}
    for folder in folders:
        match = NUMBERED.match(folder.name)
        if not match:
            reader.fault(folder, 1, "a module folder is named NN-slug, e.g. 01-principles-values-legislation")
            continue
        for path in sorted(folder.glob("*.md")):
            if path.name == "module.md":
                continue
            section = NUMBERED.match(path.stem)
            if not section:
                reader.fault(path, 1, "a section file is named NN-slug.md, e.g. 01-working-together.md")
                continue
            text = path.read_text(encoding="utf-8")
            found = re.search(r"^id:\s*(\S+)\s*$", text.split("\n---\n", 1)[0], re.MULTILINE)
            index[path.resolve()] = (match.group(2), found.group(1) if found else section.group(2))
    return index


def _resolvers(reader: _Reader, path: Path, section_ids: dict[Path, tuple[str, str]]) -> tuple[Any, Any]:
    def link(href: str) -> str | None:
        target, _, anchor = href.partition("#")
        if not target.endswith(".md"):
            return None
        resolved = (path.parent / target).resolve()
        if resolved not in section_ids:
            return None
        slug, section_id = section_ids[resolved]
        return url_for_section(slug, section_id) + (f"#{anchor}" if anchor else "")

    def image(src: str) -> str | None:
        resolved = (path.parent / src).resolve()
        try:
            relative = resolved.relative_to(reader.root.resolve())
        except ValueError:
            return None
        if "media" not in relative.parts[:-1] or not resolved.is_file():
            return None
        return url_for_media(posixpath.join(*relative.parts))

    return link, image


def _render(reader: _Reader, path: Path, body: str, first_line: int, section_ids: dict[Path, tuple[str, str]]) -> str:
    link, image = _resolvers(reader, path, section_ids)
    body, used, unknown = local.substitute(body, reader.local_values)
    reader.placeholders.extend(Placeholder(key, display(path), first_line + offset) for key, offset in used)
    for problem in unknown:
        reader.fault(path, first_line + problem.line, problem.message)
    html, problems = render(body, first_line, link, image)
    for problem in problems:
        reader.fault(path, problem.line, problem.message)
    return html


def _read_welcome(reader: _Reader, path: Path, section_ids: dict[Path, tuple[str, str]]) -> Page | None:
    if not path.is_file():
        return None
    parsed = reader.front_matter(path)
    if parsed is None:
        return None
    data, body, first_line = parsed
    title = reader.text_field(path, data, "title")
    return Page(title, _render(reader, path, body, first_line, section_ids))


def _read_module(reader: _Reader, folder: Path, section_ids: dict[Path, tuple[str, str]]) -> Module | None:
    match = NUMBERED.match(folder.name)
    path = folder / "module.md"
    if not match:
        return None
    if not path.is_file():
        reader.fault(folder, 1, "module folder has no module.md")
        return None
    parsed = reader.front_matter(path)
    if parsed is None:
        return None
    data, body, first_line = parsed
    slug = match.group(2)
    if data.get("id") != slug:
        reader.fault(path, line_of(data, "id"), f"'id' must be '{slug}', the folder's name without its number")
    version = str(data.get("version", ""))
    if not VERSION.match(version):
        reader.fault(path, line_of(data, "version"), "'version' must be MAJOR.MINOR in quotes, e.g. \"1.0\"")
    refresher = data.get("refresher_months")
    if refresher is not None:
        refresher = reader.int_field(path, data, "refresher_months", 1, 120)
    outcomes = _read_outcomes(reader, path, data)
    sections = tuple(
        s
        for s in (
            _read_section(reader, p, section_ids)
            for p in sorted(folder.glob("*.md"))
            if p.name != "module.md" and p.resolve() in section_ids
        )
        if s
    )
    if not sections:
        reader.fault(path, 1, "module has no sections: add files named NN-slug.md beside module.md")
    ids = [s.id for s in sections]
    for duplicate in {i for i in ids if ids.count(i) > 1}:
        reader.fault(path, 1, f"two sections share the id '{duplicate}'")
    return Module(
        slug=slug,
        position=int(match.group(1)),
        title=reader.text_field(path, data, "title"),
        version=version,
        summary=reader.text_field(path, data, "summary"),
        minutes=reader.int_field(path, data, "minutes", 1, 600),
        refresher_months=refresher,
        quiz_slug=reader.text_field(path, data, "quiz"),
        outcomes=outcomes,
        intro_html=_render(reader, path, body, first_line, section_ids),
        sections=sections,
        digest="",
        folder=folder.name,
    )


def _read_outcomes(reader: _Reader, path: Path, data: dict[str, Any]) -> tuple[Outcome, ...]:
    raw = data.get("outcomes")
    if not isinstance(raw, list) or not 1 <= len(raw) <= 6:
        reader.fault(path, line_of(data, "outcomes"), "'outcomes' must be a list of 1 to 6 items with 'id' and 'text'")
        return ()
    outcomes = []
    for item in raw:
        if not isinstance(item, dict) or not IDENT.match(str(item.get("id", ""))):
            line = item.get(LINE, 1) if isinstance(item, dict) else data.get(LINE, 1)
            reader.fault(path, line, "each outcome needs an 'id' of lower-case letters, digits and hyphens")
            continue
        outcomes.append(Outcome(str(item["id"]), reader.text_field(path, item, "text")))
    ids = [o.id for o in outcomes]
    for duplicate in {i for i in ids if ids.count(i) > 1}:
        reader.fault(path, data.get(LINE, 1), f"two outcomes share the id '{duplicate}'")
    return tuple(outcomes)


def _read_section(reader: _Reader, path: Path, section_ids: dict[Path, tuple[str, str]]) -> Section | None:
    parsed = reader.front_matter(path)
    if parsed is None:
        return None
    data, body, first_line = parsed
    section_id = section_ids[path.resolve()][1]
    if not IDENT.match(section_id):
        reader.fault(path, data.get(LINE, 1), "'id' must be lower-case letters, digits and hyphens")
    title = reader.text_field(path, data, "title")
    html = _render(reader, path, body, first_line, section_ids)
    text = plain_text(html)
    return Section(section_id, title, html, text, len(text.split()))


def _read_quiz(reader: _Reader, path: Path, module: Module) -> Quiz | None:
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if local.PLACEHOLDER.search(line):
            reader.fault(path, number, "a quiz cannot show local information: put it in the section it links to")
    data = reader.yaml(path, text)
    if data is None:
        return None
    if not isinstance(data, dict):
        reader.fault(
            path, 1, "a quiz file must be a mapping with pass_mark, questions_per_attempt, max_attempts and questions"
        )
        return None
    pass_mark = reader.int_field(path, data, "pass_mark", 1, 100)
    per_attempt = reader.int_field(path, data, "questions_per_attempt", 1, 50)
    max_attempts = reader.int_field(path, data, "max_attempts", 1, 20)
    groups = data.get("questions")
    if not isinstance(groups, dict):
        reader.fault(path, line_of(data, "questions"), "'questions' must map each outcome id to a list of questions")
        return None
    outcome_ids = {o.id for o in module.outcomes}
    section_ids = {s.id for s in module.sections}
    questions: list[Question] = []
    for outcome, items in groups.items():
        if outcome in (LINE, KEYS):
            continue
        if outcome not in outcome_ids:
            reader.fault(
                path,
                line_of(groups, outcome),
                f"unknown outcome '{outcome}': module '{module.slug}' has {sorted(outcome_ids)}",
            )
        if not isinstance(items, list) or not items:
            reader.fault(path, line_of(groups, outcome), f"outcome '{outcome}' must have a list of questions")
            continue
        for item in items:
            question = _read_question(reader, path, str(outcome), item, section_ids)
            if question:
                questions.append(question)
    ids = [q.id for q in questions]
    for duplicate in {i for i in ids if ids.count(i) > 1}:
        reader.fault(path, 1, f"two questions share the id '{duplicate}'")
    for outcome in sorted(outcome_ids - set(groups)):
        reader.fault(
            path,
            line_of(data, "questions"),
            f"outcome '{outcome}' has no questions; every attempt draws one per outcome",
        )
    if len(questions) < per_attempt:
        reader.fault(
            path,
            line_of(data, "questions_per_attempt"),
            f"the pool has {len(questions)} questions, fewer than the {per_attempt} drawn per attempt",
        )
    if per_attempt < len(outcome_ids):
        reader.fault(
            path,
            line_of(data, "questions_per_attempt"),
            f"questions_per_attempt ({per_attempt}) is less than the {len(outcome_ids)} outcomes; "
            "each attempt draws one per outcome",
        )
    return Quiz(path.stem, pass_mark, per_attempt, max_attempts, tuple(questions))


def _read_question(reader: _Reader, path: Path, outcome: str, item: Any, section_ids: set[str]) -> Question | None:
    if not isinstance(item, dict):
        reader.fault(path, 1, f"a question under '{outcome}' must be a mapping")
        return None
    line = item[LINE]
    qid = str(item.get("id", ""))
    if not IDENT.match(qid):
        reader.fault(path, line, "each question needs an 'id' of lower-case letters, digits and hyphens")
        return None
    try:
        qtype = QuestionType(str(item.get("type")))
    except ValueError:
        reader.fault(path, line_of(item, "type"), f"question '{qid}': 'type' must be single, multiple or true_false")
        return None
    section = str(item.get("section", ""))
    if section not in section_ids:
        reader.fault(path, line_of(item, "section"), f"question '{qid}': unknown section '{section}'")
    options = []
    for raw in item.get("options") or []:
        if not isinstance(raw, dict) or not IDENT.match(str(raw.get("id", ""))):
            reader.fault(path, line, f"question '{qid}': each option needs an 'id'")
            continue
        correct = raw.get("correct", False)
        if not isinstance(correct, bool):
            reader.fault(path, line_of(raw, "correct"), f"question '{qid}': 'correct' must be true or false")
        options.append(
            Option(
                str(raw["id"]),
                reader.text_field(path, raw, "text"),
                correct is True,
                reader.text_field(path, raw, "feedback"),
            )
        )
    option_ids = [o.id for o in options]
    if len(options) < 2:
        reader.fault(path, line, f"question '{qid}': needs at least two options")
    if len(set(option_ids)) != len(option_ids):
        reader.fault(path, line, f"question '{qid}': two options share an id")
    correct_count = sum(o.correct for o in options)
    if qtype is QuestionType.SINGLE and correct_count != 1:
        reader.fault(
            path,
            line,
            f"question '{qid}': a single-answer question has exactly one correct option, not {correct_count}",
        )
    if qtype is QuestionType.MULTIPLE and correct_count < 2:
        reader.fault(path, line, f"question '{qid}': a multiple-answer question has two or more correct options")
    if qtype is QuestionType.TRUE_FALSE and (sorted(option_ids) != ["false", "true"] or correct_count != 1):
        reader.fault(
            path, line, f"question '{qid}': a true/false question has options 'true' and 'false', one of them correct"
        )
    return Question(
        id=qid,
        outcome=outcome,
        type=qtype,
        text=reader.text_field(path, item, "text"),
        section=section,
        options=tuple(options),
        explanation=reader.text_field(path, item, "explanation"),
        line=line,
    )


def _with_digest(root: Path, module: Module) -> Module:
    digest = hashlib.sha256()
    folder = root / "modules" / module.folder
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    quiz = root / "quizzes" / f"{module.quiz_slug}.yml"
    for path in [*files, quiz] if quiz.is_file() else files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return Module(**{**module.__dict__, "digest": digest.hexdigest()})
