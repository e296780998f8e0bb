"""`flask content check`: works without the app, so it can report content that stops the app starting."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from induction.config import Config
from induction.content.lint import lint_quiz
from induction.content.loader import display, load
from induction.content.local import warnings
from induction.content.model import Catalogue, Fault


@click.group("content", help="Check the modules and quizzes under CONTENT_DIR.")
def content() -> None:
    pass


def item_writing_faults(catalogue: Catalogue) -> list[Fault]:
    """The item-writing linter's faults for every quiz in the catalogue."""
    return [
        fault
        for slug, quiz in sorted(catalogue.quizzes.items())
        for fault in lint_quiz(quiz, display(Path(catalogue.root) / "quizzes" / f"{slug}.yml"))
    ]


@content.command("check")
@click.option("--dir", "folder", default=None, help="Content folder (default: CONTENT_DIR or content/).")
def check(folder: str | None) -> None:
    """Print every fault as path:line: message and each warning; exit 1 if there is any fault."""
    config = Config.from_env()
    root = folder or config.CONTENT_DIR
    catalogue, faults = load(root, config.LOCAL_INFORMATION or None)
    faults = faults + item_writing_faults(catalogue)
    for fault in faults:
        click.echo(str(fault))
    for warning in warnings(catalogue.local):
        click.echo(warning)
    if faults:
        click.echo(f"{len(faults)} fault(s) in {root}", err=True)
        sys.exit(1)
    sections = sum(len(m.sections) for m in catalogue.modules)
    questions = sum(len(q.questions) for q in catalogue.quizzes.values())
    click.echo(f"ok: {len(catalogue.modules)} modules, {sections} sections, {questions} questions in {root}")
