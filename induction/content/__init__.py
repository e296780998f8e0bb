"""Content: modules, sections and quizzes read from Markdown and YAML."""

from __future__ import annotations

from flask import Flask, current_app

from induction.content.model import Catalogue


def init_app(app: Flask) -> None:
    """Load and render the content once; the app refuses to start if it has faults.

    Production also refuses to start while the pages use local information that is not set
    (or holds the demo's values), unless ALLOW_UNSET_LOCAL_INFORMATION is on.
    """
    from induction.content.loader import load_or_raise
    from induction.content.local import LocalInformationUnset, refusal

    found = load_or_raise(app.config["CONTENT_DIR"], app.config.get("LOCAL_INFORMATION") or None)
    if app.config["ENV"] == "production" and not app.config.get("ALLOW_UNSET_LOCAL_INFORMATION"):
        reason = refusal(found.local)
        if reason:
            raise LocalInformationUnset(reason)
    app.extensions["catalogue"] = found


def catalogue() -> Catalogue:
    """The content loaded at start-up."""
    found: Catalogue = current_app.extensions["catalogue"]
    return found
