"""The induction's content as typed, frozen dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

# The local information a deployment sets once, shown where `{{ local.<key> }}` appears in a page.
LOCAL_KEYS = ("partnership", "front_door", "out_of_hours", "lado", "threshold_document", "procedures")


@dataclass(frozen=True)
class Fault:
    """One thing a trainer must fix, printed as `path:line: message`."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class QuestionType(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"


@dataclass(frozen=True)
class Outcome:
    id: str
    text: str


@dataclass(frozen=True)
class Option:
    id: str
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class Question:
    id: str
    outcome: str
    type: QuestionType
    text: str
    section: str
    options: tuple[Option, ...]
    explanation: str
    line: int = field(default=0, compare=False)  # in the quiz file, for messages

    @property
    def correct_ids(self) -> frozenset[str]:
        return frozenset(o.id for o in self.options if o.correct)

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Quiz:
    slug: str
    pass_mark: int
    questions_per_attempt: int
    max_attempts: int
    questions: tuple[Question, ...]

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def by_outcome(self) -> dict[str, tuple[Question, ...]]:
        groups: dict[str, list[Question]] = {}
        for q in self.questions:
            groups.setdefault(q.outcome, []).append(q)
        return {k: tuple(v) for k, v in groups.items()}


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    html: str
    text: str
    words: int


@dataclass(frozen=True)
class Module:
    slug: str
    position: int
    title: str
    version: str
    summary: str
    minutes: int
    refresher_months: int | None
    quiz_slug: str
    outcomes: tuple[Outcome, ...]
    intro_html: str
    sections: tuple[Section, ...]
    digest: str
    folder: str

    @property
    def major(self) -> int:
        return int(self.version.split(".", 1)[0])

    @property
    def revision(self) -> str:
        """The module's version plus a short hash of its files, as statements record it."""
        return f"{self.version}+{self.digest[:12]}"

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def section_index(self, section_id: str) -> int:
        return next(i for i, s in enumerate(self.sections) if s.id == section_id)


@dataclass(frozen=True)
class Page:
    title: str
    html: str


@dataclass(frozen=True)
class Placeholder:
    """Where a page shows one piece of local information."""

    key: str
    path: str
    line: int


@dataclass(frozen=True)
class LocalInformation:
    """The deployment's local information: the keys it sets, and where the pages use each key."""

    source: str
    values: Mapping[str, str] = field(default_factory=dict)
    demo: bool = False  # the file holds the demo's example values, not a partnership's
    uses: tuple[Placeholder, ...] = ()

    @property
    def unset(self) -> tuple[str, ...]:
        """The keys the pages use that the deployment has not set, in LOCAL_KEYS order."""
        used = {p.key for p in self.uses}
        return tuple(k for k in LOCAL_KEYS if k in used and k not in self.values)


@dataclass(frozen=True)
class Catalogue:
    """Everything under CONTENT_DIR, loaded and rendered."""

    root: str
    welcome: Page | None
    modules: tuple[Module, ...]
    quizzes: dict[str, Quiz] = field(default_factory=dict)
    local: LocalInformation = field(default_factory=lambda: LocalInformation(""))

    def module(self, slug: str) -> Module | None:
        return next((m for m in self.modules if m.slug == slug), None)

    def quiz_for(self, module: Module) -> Quiz:
        return self.quizzes[module.quiz_slug]

    def module_for_quiz(self, quiz_slug: str) -> Module | None:
        return next((m for m in self.modules if m.quiz_slug == quiz_slug), None)
