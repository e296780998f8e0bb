"""`flask content check`: works without the app, so it can report content that stops the app starting."""

from __future__ import annotations

import sys

import click

from induction.config import Config
from induction.content.loader import load


@click.group("content", help="Check the modules and quizzes under CONTENT_DIR.")
def content() -> None:
    pass


@content.command("check")
@click.option("--dir", "folder", default=None, help="Content folder (default: CONTENT_DIR or content/).")
def check(folder: str | None) -> None:
    """Print every fault as path:line: message; exit 1 if there is any."""
    root = folder or Config.from_env().CONTENT_DIR
    catalogue, faults = load(root)
    for fault in faults:
        click.echo(str(fault))
    if faults:
        click.echo(f"{len(faults)} fault(s) in {root}", err=True)
        sys.exit(1)
    sections = sum(len(m.sections) for m in catalogue.modules)
    questions = sum(len(q.questions) for q in catalogue.quizzes.values())
    click.echo(f"ok: {len(catalogue.modules)} modules, {sections} sections, {questions} questions in {root}")
