"""The item-writing linter: each rule faults a pool that breaks it, at the right line, and passes one that keeps it."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from induction.content.cli import content as content_cli
from induction.content.lint import (
    absolute_words,
    correct_counts,
    duplicate_stems,
    echoing_feedback,
    key_length,
    lint_quiz,
    true_false_balance,
)
from induction.content.loader import load
from induction.content.model import Option, Question, QuestionType, Quiz

from .conftest import TEST_CONTENT

PATH = "quizzes/pool.yml"
REASON = "because the section explains why this choice helps or harms a child"
STEMS = (
    "A child at nursery arrives with a bruise on the cheek. What do you do?",
    "At youth club a boy says his uncle hits him. What do you say first?",
    "In the GP surgery a parent shouts at a crying baby. Who do you tell?",
    "A teenager on the ward asks you to keep a secret. How do you answer?",
    "A coach sends private messages to a player. What is the concern?",
)


def option(oid: str, text: str, correct: bool = False, feedback: str = "") -> Option:
    return Option(oid, text, correct, feedback or f"{text}: {REASON}.")


def question(
    qid: str,
    line: int,
    options: list[Option],
    kind: QuestionType = QuestionType.SINGLE,
    text: str = "",
    explanation: str = "",
) -> Question:
    return Question(
        id=qid,
        outcome="know",
        type=kind,
        text=text or STEMS[line // 10 % len(STEMS)],
        section="hello",
        options=tuple(options),
        explanation=explanation or f"The reason for {qid} is taught in the section, with a worked example.",
        line=line,
    )


def pool(*questions: Question) -> Quiz:
    return Quiz("pool", 80, 3, 3, tuple(questions))


def single(qid: str, line: int, key: str, others: tuple[str, ...] = ("Wait", "Ask", "Leave")) -> Question:
    return question(qid, line, [option("a", key, correct=True), *(option(f"o{i}", t) for i, t in enumerate(others))])


def multiple(qid: str, line: int, correct: int, total: int = 5) -> Question:
    return question(
        qid,
        line,
        [option(f"o{i}", f"Choice {i} of {qid}", correct=i < correct) for i in range(total)],
        QuestionType.MULTIPLE,
    )


def true_false(qid: str, line: int, true: bool, text: str = "") -> Question:
    return question(
        qid,
        line,
        [option("true", "True", correct=true), option("false", "False", correct=not true)],
        QuestionType.TRUE_FALSE,
        text=text or f"Statement {qid} about a setting.",
    )


def test_the_question_line_comes_from_the_quiz_file() -> None:
    catalogue, _ = load(TEST_CONTENT)
    quiz = catalogue.quizzes["first-steps"]
    assert [(q.id, q.line) for q in quiz.questions][:2] == [("k1", 6), ("k2", 24)]


# Rule 1: key length


def test_the_key_being_the_longest_option_too_often_is_a_fault() -> None:
    # 4 options each, so the limit is 1.5 / 4 = 37.5%: the longest key in 2 of 4 (50%) is too many.
    quiz = pool(
        single("q1", 10, "Tell the designated safeguarding lead at once"),
        single("q2", 20, "Record it and tell the lead today"),
        single("q3", 30, "Go"),
        single("q4", 40, "Act"),
    )
    faults = key_length(quiz, PATH)
    assert [str(f).split(": key-length")[0] for f in faults] == [f"{PATH}:1"]
    message = faults[0].message
    assert "longest in 2 of 4 single-answer questions (50%)" in message
    assert "the limit is 37.5%" in message
    assert "q1 (line 10), q2 (line 20)" in message


def test_the_key_as_longest_in_one_of_n_questions_passes() -> None:
    quiz = pool(
        single("q1", 10, "Tell the designated safeguarding lead at once"),
        single("q2", 20, "Wait"),  # ties with the longest distractor: not strictly longest
        single("q3", 30, "Go"),
        single("q4", 40, "Act"),
    )
    assert key_length(quiz, PATH) == []


# Rule 2: number of correct options


def test_the_same_number_of_correct_options_in_most_questions_is_a_fault() -> None:
    quiz = pool(multiple("m1", 10, 3), multiple("m2", 20, 3), multiple("m3", 30, 3), multiple("m4", 40, 2))
    faults = correct_counts(quiz, PATH)
    assert len(faults) == 1
    assert faults[0].line == 1
    assert "3 of 4 multiple-answer questions have exactly 3 correct" in faults[0].message
    assert "m1 (line 10), m2 (line 20), m3 (line 30)" in faults[0].message


def test_a_varied_number_of_correct_options_passes() -> None:
    quiz = pool(multiple("m1", 10, 3), multiple("m2", 20, 3), multiple("m3", 30, 2), multiple("m4", 40, 4))
    assert correct_counts(quiz, PATH) == []


def test_a_multiple_answer_question_with_every_option_correct_is_a_fault() -> None:
    faults = correct_counts(pool(multiple("m1", 10, 2), multiple("m2", 20, 3, total=3)), PATH)
    assert [(f.line, f.message) for f in faults] == [
        (20, "question 'm2': a multiple-answer question needs at least one correct and one incorrect option")
    ]


# Rule 3: true/false balance


def test_true_false_keyed_mostly_false_is_a_fault() -> None:
    quiz = pool(true_false("t1", 10, False), true_false("t2", 20, False), true_false("t3", 30, False))
    assert true_false_balance(quiz, PATH) == []  # fewer than 4: no balance to keep yet
    quiz = pool(*quiz.questions, true_false("t4", 40, True))
    faults = true_false_balance(quiz, PATH)
    assert len(faults) == 1
    assert faults[0].line == 1
    assert "1 of 4 true/false questions are keyed True (25%)" in faults[0].message
    assert "keyed False: t1 (line 10), t2 (line 20), t3 (line 30)" in faults[0].message


def test_true_false_between_a_third_and_two_thirds_passes() -> None:
    quiz = pool(
        true_false("t1", 10, False),
        true_false("t2", 20, True),
        true_false("t3", 30, False),
        true_false("t4", 40, True),
    )
    assert true_false_balance(quiz, PATH) == []


# Rule 4: absolute words


def test_absolute_words_only_in_wrong_options_are_a_fault() -> None:
    quiz = pool(
        single("q1", 10, "Tell the lead", ("Always wait a week", "Do nothing", "Ask the parent")),
        true_false("t1", 20, False, text="You must NEVER share without consent."),
        single("q2", 30, "Record it", ("Tell everyone", "Ask a friend", "Phone a relative")),
    )
    faults = absolute_words(quiz, PATH)
    assert len(faults) == 1
    assert faults[0].line == 1
    message = faults[0].message
    assert "4 options or true/false statements use always, never, only or the like, with 0 of them correct" in message
    assert "q1 option o0 'Always' (line 10)" in message
    assert "t1 statement 'NEVER' (line 20)" in message


def test_absolute_words_in_a_quarter_of_correct_answers_pass() -> None:
    quiz = pool(
        single("q1", 10, "Tell the lead", ("Always wait a week", "Do nothing", "Ask the parent")),
        true_false("t1", 20, True, text="Only a court can make a care order."),  # keyed True: counts as correct
        single("q2", 30, "Record it", ("Tell everyone", "Ask a friend", "Phone a relative")),
        single("q3", 40, "Allowed as a treat", ("Ask", "Wait", "Go")),  # 'allowed' is not 'all'
    )
    assert absolute_words(quiz, PATH) == []


# Rule 5: duplicate stems


def test_a_repeated_stem_is_reported_at_the_later_question() -> None:
    quiz = pool(
        replace(single("q1", 10, "Tell the lead"), text="Who should you tell about a bruise?"),
        single("q2", 20, "Ask"),
        replace(single("q3", 30, "Tell the lead"), text="Who should you tell, about a bruise"),
    )
    faults = duplicate_stems(quiz, PATH)
    assert [f.line for f in faults] == [30]
    assert "question 'q3' asks the same as 'q1' (line 10" in faults[0].message


def test_different_stems_pass() -> None:
    quiz = pool(single("q1", 10, "Tell the lead"), single("q2", 20, "Ask"))
    assert duplicate_stems(quiz, PATH) == []


# Rule 6: feedback that only echoes


def test_feedback_that_repeats_the_option_is_a_fault() -> None:
    echo = question(
        "q1",
        10,
        [
            option("a", "Tell the designated lead", correct=True, feedback="Right. Tell the designated lead."),
            option("b", "Wait and see", feedback="Not quite: waiting lets harm go on unseen."),
        ],
        explanation="Correct. Tell the designated lead, always.",
    )
    faults = echoing_feedback(pool(echo), PATH)
    assert [f.line for f in faults] == [10, 10]
    assert "question 'q1', option 'a': the feedback adds 0 word(s)" in faults[0].message
    assert "question 'q1': the explanation adds 1 word(s)" in faults[1].message


def test_feedback_that_says_why_passes() -> None:
    good = question(
        "q1",
        10,
        [
            option(
                "a",
                "Tell the designated lead",
                correct=True,
                feedback="Right. The lead knows the local procedure and who to call.",
            ),
            option("b", "Wait and see", feedback="Not quite: waiting lets harm go on unseen."),
        ],
    )
    assert echoing_feedback(pool(good), PATH) == []


# All the rules, through `flask content check`


def test_lint_quiz_runs_every_rule_and_sorts_the_faults_by_line() -> None:
    echo = option("b", "Stop", feedback="No. Stop.")
    longest_key = question("q1", 10, [option("a", "Go now and tell the lead", correct=True), echo])
    quiz = pool(multiple("m1", 50, 5, total=5), longest_key)
    faults = lint_quiz(quiz, PATH)
    assert [(f.line, f.message.split(":")[0]) for f in faults] == [
        (1, "key-length bias"),
        (10, "echoing feedback"),
        (50, "question 'm1'"),
    ]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, target)
    return target


def test_content_check_reports_item_writing_faults_and_exits_1(tree: Path) -> None:
    path = tree / "quizzes/first-steps.yml"
    path.write_text(
        path.read_text().replace("feedback: fb-k1-a says why this choice is right or wrong.", "feedback: a")
    )
    result = CliRunner().invoke(content_cli, ["check", "--dir", str(tree)])
    assert result.exit_code == 1
    assert "quizzes/first-steps.yml:6: echoing feedback: question 'k1', option 'a'" in result.output
