"""The real induction content: complete, checkable and in plain English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import textstat

from induction.config import ROOT
from induction.content.loader import load
from induction.content.model import Catalogue, QuestionType

CONTENT = ROOT / "content"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    loaded, faults = load(CONTENT)
    assert [str(f) for f in faults] == []
    return loaded


def test_there_are_the_five_common_core_modules_and_an_opening_page(catalogue: Catalogue) -> None:
    assert [m.slug for m in catalogue.modules] == [
        "principles-values-legislation",
        "child-development",
        "relationships-and-communication",
        "keeping-children-safe",
        "integrated-working",
    ]
    assert catalogue.welcome is not None
    for words in ("three Elements", "Common Core"):
        assert words.lower() in catalogue.welcome.html.lower()


def test_safeguarding_is_refreshed_every_three_years(catalogue: Catalogue) -> None:
    assert catalogue.module("keeping-children-safe").refresher_months == 36  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("slug", "themes"),
    [
        ("principles-values-legislation", ["principled", "equality", "children act"]),
        ("child-development", ["need", "attachment", "behaviour", "poverty"]),
        ("relationships-and-communication", ["relationship", "supervision", "transition"]),
        ("keeping-children-safe", ["abuse", "designated", "risk assessment", "health and safety"]),
        ("integrated-working", ["early help", "lead professional", "information sharing", "agencies"]),
    ],
)
def test_each_module_covers_its_themes(catalogue: Catalogue, slug: str, themes: list[str]) -> None:
    module = catalogue.module(slug)
    assert module is not None
    titles = " ".join(s.title.lower() + " " + s.text.lower() for s in module.sections)
    for theme in themes:
        assert theme in titles, f"{slug} does not cover {theme!r}"


def test_module_shape(catalogue: Catalogue) -> None:
    for module in catalogue.modules:
        assert 3 <= len(module.outcomes) <= 6, module.slug
        assert 4 <= len(module.sections) <= 10, module.slug
        assert module.minutes > 0
        for section in module.sections:
            assert 300 <= section.words <= 900, f"{module.slug}/{section.id} has {section.words} words"
            assert 'class="admonition example"' in section.html, f"{module.slug}/{section.id} has no worked example"
            assert "Check your understanding" in section.html, f"{module.slug}/{section.id} has no check prompt"


def test_every_section_is_plain_english(catalogue: Catalogue) -> None:
    scores = []
    for module in catalogue.modules:
        for section in module.sections:
            score = textstat.flesch_reading_ease(section.text)
            assert score >= 55, f"{module.slug}/{section.id} reads at {score}"
            scores.append(score)
    assert sum(scores) / len(scores) >= 60


def test_quizzes_have_enough_questions_for_every_draw(catalogue: Catalogue) -> None:
    for module in catalogue.modules:
        quiz = catalogue.quiz_for(module)
        assert quiz.pass_mark == 80
        assert 8 <= quiz.questions_per_attempt <= 10
        assert len(quiz.questions) >= 15
        groups = quiz.by_outcome()
        assert set(groups) == {o.id for o in module.outcomes}
        assert all(len(qs) >= 3 for qs in groups.values()), module.slug
        assert {q.type for q in quiz.questions} == set(QuestionType), module.slug
        for question in quiz.questions:
            assert question.explanation
            assert all(o.feedback for o in question.options)
            for option in question.options:
                assert not re.search(r"\b(all|none) of the above\b", option.text, re.IGNORECASE)


def test_safeguarding_quiz_has_scenarios(catalogue: Catalogue) -> None:
    quiz = catalogue.quizzes["keeping-children-safe"]
    scenarios = [
        q for q in quiz.questions if re.search(r"\b(tells you|you notice|you see|you are|a child)\b", q.text, re.I)
    ]
    assert len(scenarios) >= 3


def test_outdated_bodies_appear_only_as_history() -> None:
    for path in sorted(Path(CONTENT).rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        for name in (
            "ContactPoint",
            "CWDC",
            "Children's Workforce Development Council",
            "Independent Safeguarding Authority",
        ):
            for match in re.finditer(re.escape(name), text):
                window = text[max(0, match.start() - 600) : match.end() + 600].lower()
                assert any(
                    w in window
                    for w in ("history", "closed", "switched off", "replaced", "no longer", "used to", "was ")
                ), f"{path.name} mentions {name} without presenting it as history"


def test_every_image_has_alt_text_and_exists(catalogue: Catalogue) -> None:
    pages = [catalogue.welcome.html] if catalogue.welcome else []
    pages += [s.html for m in catalogue.modules for s in m.sections] + [m.intro_html for m in catalogue.modules]
    images = [img for html in pages for img in re.findall(r"<img [^>]+>", html)]
    assert images, "the content should have its diagrams"
    for img in images:
        assert re.search(r'alt="[^"]{10,}"', img), img
        src = re.search(r'src="/content-media/([^"]+)"', img)
        assert src
        assert (CONTENT / src.group(1)).is_file()
