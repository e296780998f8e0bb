"""The item-writing linter: patterns in a quiz that let a test-wise learner pass without reading.

Each rule is a pure function from a quiz (and its file's path) to faults. Per-question faults point
at the question's line; per-quiz faults point at line 1 and name the questions concerned.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from difflib import SequenceMatcher
from fractions import Fraction

from induction.content.model import Fault, Question, QuestionType, Quiz

ABSOLUTE = re.compile(
    r"\b(always|never|all|none|every|everyone|nobody|nothing|only|completely|guaranteed)\b", re.IGNORECASE
)
ACKNOWLEDGEMENT = re.compile(r"^\s*(?:right|correct|yes|no|not quite|wrong|incorrect)\s*[.!,:;—–-]\s*", re.IGNORECASE)
WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)*")
MIN_NEW_WORDS = 4  # feedback and explanations must add at least this many words of their own
SIMILAR_STEMS = 0.9  # difflib ratio from which two stems count as the same question
MIN_FOR_BALANCE = 4  # the balance rules apply once a quiz has this many questions of the type

Rule = Callable[[Quiz, str], list[Fault]]


def _where(questions: Iterable[Question]) -> str:
    return ", ".join(f"{q.id} (line {q.line})" for q in questions)


def _of_type(quiz: Quiz, kind: QuestionType) -> list[Question]:
    return [q for q in quiz.questions if q.type is kind]


def key_length(quiz: Quiz, path: str) -> list[Fault]:
    """Rule 1: the key is strictly the longest option in at most 1.5/n of single-answer questions."""
    single = _of_type(quiz, QuestionType.SINGLE)
    if not single:
        return []
    longest = [
        q
        for q in single
        if any(o.correct for o in q.options)
        and min(len(o.text) for o in q.options if o.correct)
        > max((len(o.text) for o in q.options if not o.correct), default=0)
    ]
    mean_options = Fraction(sum(len(q.options) for q in single), len(single))
    limit = Fraction(3, 2) / mean_options
    share = Fraction(len(longest), len(single))
    if share <= limit:
        return []
    return [
        Fault(
            path,
            1,
            f"key-length bias: the correct option is the longest in {len(longest)} of {len(single)} "
            f"single-answer questions ({float(share):.0%}); the limit is {float(limit):.1%} "
            f"(1.5 / {float(mean_options):.1f} options on average, at most {math.floor(limit * len(single))} "
            f"questions): {_where(longest)}",
        )
    ]


def correct_counts(quiz: Quiz, path: str) -> list[Fault]:
    """Rule 2: multiple-answer questions vary how many options are correct, and never all or none."""
    multiple = _of_type(quiz, QuestionType.MULTIPLE)
    faults = [
        Fault(
            path,
            q.line,
            f"question '{q.id}': a multiple-answer question needs at least one correct and one incorrect option",
        )
        for q in multiple
        if all(o.correct for o in q.options) or not any(o.correct for o in q.options)
    ]
    if len(multiple) < MIN_FOR_BALANCE:
        return faults
    counts = Counter(len(q.correct_ids) for q in multiple)
    number, times = counts.most_common(1)[0]
    if 2 * times > len(multiple):
        spread = ", ".join(f"{c} correct in {n}" for c, n in sorted(counts.items()))
        same = [q for q in multiple if len(q.correct_ids) == number]
        faults.append(
            Fault(
                path,
                1,
                f"uniform number of correct options: {times} of {len(multiple)} multiple-answer questions have "
                f"exactly {number} correct ({spread}); no number may cover more than half: {_where(same)}",
            )
        )
    return faults


def true_false_balance(quiz: Quiz, path: str) -> list[Fault]:
    """Rule 3: between a third and two thirds of true/false questions are keyed True."""
    statements = _of_type(quiz, QuestionType.TRUE_FALSE)
    if len(statements) < MIN_FOR_BALANCE:
        return []
    true = [q for q in statements if "true" in q.correct_ids]
    share = Fraction(len(true), len(statements))
    if Fraction(1, 3) <= share <= Fraction(2, 3):
        return []
    majority = true if share > Fraction(2, 3) else [q for q in statements if q not in true]
    low, high = math.ceil(len(statements) / 3), math.floor(2 * len(statements) / 3)
    return [
        Fault(
            path,
            1,
            f"true/false balance: {len(true)} of {len(statements)} true/false questions are keyed True "
            f"({float(share):.0%}); keep it between a third and two thirds ({low} to {high}); "
            f"keyed {'True' if majority is true else 'False'}: {_where(majority)}",
        )
    ]


def absolute_words(quiz: Quiz, path: str) -> list[Fault]:
    """Rule 4: options and true/false statements with always, never, only... are not all wrong."""
    found: list[tuple[Question, str, str, bool]] = []  # question, what, word, correct
    for q in quiz.questions:
        if q.type is QuestionType.TRUE_FALSE:
            match = ABSOLUTE.search(q.text)
            if match:
                found.append((q, "statement", match.group(0), "true" in q.correct_ids))
            continue
        for option in q.options:
            match = ABSOLUTE.search(option.text)
            if match:
                found.append((q, f"option {option.id}", match.group(0), option.correct))
    correct = sum(1 for *_, right in found if right)
    if len(found) < 3 or 4 * correct >= len(found):
        return []
    items = ", ".join(f"{q.id} {what} '{word}' (line {q.line})" for q, what, word, right in found if not right)
    return [
        Fault(
            path,
            1,
            f"absolute words: {len(found)} options or true/false statements use always, never, only or the like, "
            f"with {correct} of them correct; at least a quarter ({math.ceil(len(found) / 4)}) must be, "
            f"or the word gives the answer away. Wrong ones: {items}",
        )
    ]


def _stem(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", text.lower()).split())


def duplicate_stems(quiz: Quiz, path: str) -> list[Fault]:
    """Rule 5: no two questions in a pool ask the same thing in (nearly) the same words."""
    ordered = sorted(quiz.questions, key=lambda q: q.line)
    stems = [_stem(q.text) for q in ordered]
    faults = []
    for later in range(1, len(ordered)):
        for earlier in range(later):
            matcher = SequenceMatcher(None, stems[earlier], stems[later])
            if matcher.quick_ratio() >= SIMILAR_STEMS and matcher.ratio() >= SIMILAR_STEMS:
                first, second = ordered[earlier], ordered[later]
                faults.append(
                    Fault(
                        path,
                        second.line,
                        f"duplicate stem: question '{second.id}' asks the same as '{first.id}' "
                        f"(line {first.line}, {matcher.ratio():.0%} alike); reword or remove one",
                    )
                )
                break
    return faults


def _words(text: str) -> set[str]:
    return set(WORD.findall(text.lower()))


def _new_words(text: str, known: set[str]) -> int:
    return len(_words(ACKNOWLEDGEMENT.sub("", text, count=1)) - known)


def echoing_feedback(quiz: Quiz, path: str) -> list[Fault]:
    """Rule 6: feedback and explanations say why, not just the option again."""
    faults = []
    for q in quiz.questions:
        for option in q.options:
            added = _new_words(option.feedback, _words(option.text))
            if added < MIN_NEW_WORDS:
                faults.append(
                    Fault(
                        path,
                        q.line,
                        f"echoing feedback: question '{q.id}', option '{option.id}': the feedback adds {added} "
                        f"word(s) to the option's own; say why it is right or wrong ({MIN_NEW_WORDS} or more)",
                    )
                )
        keys = set().union(*(_words(o.text) for o in q.options if o.correct))
        added = _new_words(q.explanation, keys)
        if added < MIN_NEW_WORDS:
            faults.append(
                Fault(
                    path,
                    q.line,
                    f"echoing feedback: question '{q.id}': the explanation adds {added} word(s) to the correct "
                    f"options' text; explain the reason ({MIN_NEW_WORDS} or more)",
                )
            )
    return faults


RULES: tuple[Rule, ...] = (
    key_length,
    correct_counts,
    true_false_balance,
    absolute_words,
    duplicate_stems,
    echoing_feedback,
)


def lint_quiz(quiz: Quiz, path: str) -> list[Fault]:
    """Every item-writing fault in `quiz`, whose file is shown as `path`, in line order."""
    return sorted((f for rule in RULES for f in rule(quiz, path)), key=lambda f: f.line)
