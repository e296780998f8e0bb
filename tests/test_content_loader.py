"""The content loader: what it reads, and each fault it reports as path:line: message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from induction import create_app
from induction.content.cli import content as content_cli
from induction.content.loader import ContentError, load
from induction.content.model import QuestionType

from .conftest import TEST_CONTENT


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the test content tree that a test may break."""
    target = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, target)
    return target


def faults_of(root: Path) -> list[str]:
    return [str(f) for f in load(root)[1]]


def test_loads_the_test_tree_into_frozen_dataclasses() -> None:
    catalogue, faults = load(TEST_CONTENT)
    assert faults == []
    assert [m.slug for m in catalogue.modules] == ["first-steps", "staying-safe"]
    first = catalogue.modules[0]
    assert [s.id for s in first.sections] == ["hello", "next"]
    assert first.major == 1
    assert catalogue.modules[1].major == 2
    assert catalogue.modules[1].refresher_months == 36
    assert first.revision.startswith("1.0+")
    assert len(first.revision) == len("1.0+") + 12
    quiz = catalogue.quiz_for(first)
    assert quiz.questions_per_attempt == 3
    assert {q.type for q in quiz.questions} == set(QuestionType)
    with pytest.raises(AttributeError):
        first.title = "changed"  # type: ignore[misc]


def test_renders_tables_footnotes_admonitions_anchors_and_images() -> None:
    catalogue, _ = load(TEST_CONTENT)
    html = catalogue.modules[0].sections[0].html
    assert "<table>" in html
    assert 'class="admonition example"' in html
    assert 'class="footnotes' in html
    assert '<h2 id="start">' in html
    assert 'src="/content-media/modules/01-first-steps/media/square.svg"' in html
    assert 'alt="A green square"' in html


def test_links_to_sections_become_urls_and_raw_html_is_not_rendered() -> None:
    catalogue, _ = load(TEST_CONTENT)
    html = catalogue.modules[0].sections[1].html
    assert 'href="/modules/first-steps/hello#start"' in html
    assert 'href="/modules/staying-safe/safety"' in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_a_minor_edit_changes_the_revision_but_not_the_major(tree: Path) -> None:
    before = load(tree)[0].modules[0]
    path = tree / "modules/01-first-steps/01-hello.md"
    path.write_text(path.read_text() + "\nOne more line.\n")
    after = load(tree)[0].modules[0]
    assert after.revision != before.revision
    assert after.major == before.major


@pytest.mark.parametrize(
    ("relative", "old", "new", "expected"),
    [
        (
            "modules/01-first-steps/module.md",
            "---\nid: first-steps",
            "id: first-steps",
            "modules/01-first-steps/module.md:1: missing front matter",
        ),
        (
            "modules/01-first-steps/module.md",
            'version: "1.0"',
            "version: one",
            "modules/01-first-steps/module.md:4: 'version' must be MAJOR.MINOR",
        ),
        ("modules/01-first-steps/module.md", "quiz: first-steps", "quiz: nothing-here", "unknown quiz 'nothing-here'"),
        ("modules/01-first-steps/module.md", "minutes: 10", "minutes: [10", "modules/01-first-steps/module.md:"),
        (
            "modules/01-first-steps/02-next.md",
            "### Detail",
            "#### Detail",
            "modules/01-first-steps/02-next.md:9: heading level skips from 2 to 4",
        ),
        (
            "modules/01-first-steps/02-next.md",
            "## Going on",
            "# Going on",
            "modules/01-first-steps/02-next.md:5: heading level 1 is reserved",
        ),
        (
            "modules/01-first-steps/01-hello.md",
            "![A green square]",
            "![]",
            "modules/01-first-steps/01-hello.md:13: image 'media/square.svg' has no alt text",
        ),
        (
            "modules/01-first-steps/01-hello.md",
            "(media/square.svg)",
            "(media/missing.svg)",
            "image 'media/missing.svg' is not in this module's media folder",
        ),
        (
            "modules/01-first-steps/02-next.md",
            "(01-hello.md#start)",
            "(09-gone.md)",
            "modules/01-first-steps/02-next.md:7: broken link '09-gone.md'",
        ),
        (
            "modules/01-first-steps/02-next.md",
            "Back to [the start]",
            "[Bad](javascript:alert(1)) Back to [the start]",
            "uses a scheme that is not allowed",
        ),
        (
            "quizzes/first-steps.yml",
            "questions_per_attempt: 3",
            "questions_per_attempt: 9",
            "the pool has 5 questions, fewer than the 9 drawn",
        ),
        ("quizzes/first-steps.yml", "questions_per_attempt: 3", "questions_per_attempt: 1", "less than the 2 outcomes"),
        ("quizzes/first-steps.yml", "section: hello", "section: nowhere", "unknown section 'nowhere'"),
        ("quizzes/first-steps.yml", "  know:", "  knowing:", "unknown outcome 'knowing'"),
        ("quizzes/first-steps.yml", "type: single", "type: essay", "'type' must be single, multiple or true_false"),
        (
            "quizzes/first-steps.yml",
            "pass_mark: 80",
            "pass_mark: 180",
            "'pass_mark' must be a whole number from 1 to 100",
        ),
    ],
)
def test_each_fault_names_the_file_and_line(tree: Path, relative: str, old: str, new: str, expected: str) -> None:
    path = tree / relative
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    faults = faults_of(tree)
    assert any(expected in f for f in faults), faults
    assert all(f.split(":", 2)[1].isdigit() for f in faults)


def test_a_single_answer_question_with_two_keys_is_a_fault(tree: Path) -> None:
    path = tree / "quizzes/first-steps.yml"
    text = path.read_text()
    # d1 has option b correct; make option a correct too
    start = text.index("id: d1")
    head, tail = text[:start], text[start:]
    tail = tail.replace("correct: false", "correct: true", 1)
    path.write_text(head + tail)
    faults = faults_of(tree)
    assert any("question 'd1': a single-answer question has exactly one correct option, not 2" in f for f in faults)
    line = next(f for f in faults if "'d1'" in f).split(":")[1]
    assert text.splitlines()[int(line) - 1].strip().startswith("- id: d1")


def test_a_quiz_no_module_uses_is_a_fault(tree: Path) -> None:
    shutil.copy(tree / "quizzes/first-steps.yml", tree / "quizzes/orphan.yml")
    assert "quizzes/orphan.yml:1: no module uses this quiz" in "\n".join(faults_of(tree))


def test_check_command_prints_faults_and_exits_1(tree: Path) -> None:
    from click.testing import CliRunner

    path = tree / "modules/02-staying-safe/01-safety.md"
    path.write_text(path.read_text().replace("## Safety first", "### Safety first"))
    result = CliRunner().invoke(content_cli, ["check", "--dir", str(tree)])
    assert result.exit_code == 1
    assert "01-safety.md:5: heading level skips from 1 to 3" in result.output


def test_check_command_passes_on_good_content() -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(content_cli, ["check", "--dir", str(TEST_CONTENT)])
    assert result.exit_code == 0
    assert "ok: 2 modules, 3 sections, 8 questions" in result.output


def test_the_app_refuses_to_start_on_broken_content_and_names_the_file(tree: Path, database_url: str) -> None:
    (tree / "modules/01-first-steps/module.md").write_text("no front matter")
    with pytest.raises(ContentError, match=r"01-first-steps/module.md:1: missing front matter"):
        create_app({"CONTENT_DIR": str(tree), "SQLALCHEMY_DATABASE_URI": database_url})
