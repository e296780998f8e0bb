"""Content: modules, sections and quizzes read from Markdown and YAML."""

from __future__ import annotations

from flask import Flask, current_app

from induction.content.model import Catalogue


def init_app(app: Flask) -> None:
    """Load and render the content once; the app refuses to start if it has faults."""
    from induction.content.loader import load_or_raise

    app.extensions["catalogue"] = load_or_raise(app.config["CONTENT_DIR"])


def catalogue() -> Catalogue:
    """The content loaded at start-up."""
    found: Catalogue = current_app.extensions["catalogue"]
    return found
