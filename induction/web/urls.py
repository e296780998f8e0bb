"""The templates' `url_for`, remembered: a page builds the same few dozen addresses on every request.

An address depends only on the app, the endpoint, its arguments and where the app is mounted (the
script root), so each is built once per app and process, then looked up. Anything else (an endpoint
relative to the current blueprint, `_external` and the other options, arguments that are not plain
strings or numbers, no request) goes to Flask's `url_for` as before. The cache is bounded, so
addresses built from values that vary without end (page numbers, searches) cannot make it grow
without limit.

`module_urls(module)` gives the learner pages every address of one module at once (its page, its
sections, their "Next" forms, its quiz), built once per module revision and script root.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import Flask, url_for
from flask.globals import _cv_request  # the request context itself: no LocalProxy on this hot path

from induction.content.model import Module

Remembered = Callable[[str, str, tuple[tuple[str, Any], ...]], str]


def _remembering() -> Remembered:
    @lru_cache(maxsize=4096)
    def remembered(script_root: str, endpoint: str, values: tuple[tuple[str, Any], ...]) -> str:
        arguments: dict[str, Any] = dict(values)
        return url_for(endpoint, **arguments)

    return remembered


def template_url_for(endpoint: str, **values: Any) -> str:
    context = _cv_request.get(None)
    if context is None or endpoint.startswith("."):
        return url_for(endpoint, **values)
    for key, value in values.items():
        if key.startswith("_") or type(value) not in (str, int):
            return url_for(endpoint, **values)
    remembered: Remembered = context.app.extensions["remembered_urls"]
    # The arguments in the order the call gives them: each call site always gives the same order.
    return remembered(context.request.script_root, endpoint, tuple(values.items()))


@dataclass(frozen=True, slots=True)
class ModuleUrls:
    """Every address of one module's pages."""

    module: str
    quiz: str
    sections: dict[str, str]  # section id: its page
    read: dict[str, str]  # section id: the POST of its "Next" button
    pages: str  # the module's page and its sections', space-separated, for reading offline


def _build(module: Module) -> ModuleUrls:
    sections = {s.id: url_for("learning.section", slug=module.slug, section_id=s.id) for s in module.sections}
    page = url_for("learning.module", slug=module.slug)
    return ModuleUrls(
        module=page,
        quiz=url_for("learning.quiz", slug=module.quiz_slug),
        sections=sections,
        read={s.id: url_for("learning.mark_read", slug=module.slug, section_id=s.id) for s in module.sections},
        pages=" ".join([page, *sections.values()]),
    )


MODULE_URLS_KEPT = 512  # (script root, module revision) pairs; the cache starts again past this


def module_urls(module: Module) -> ModuleUrls:
    """The addresses of `module`'s pages, built once per module revision, app and script root."""
    context = _cv_request.get(None)
    if context is None:
        return _build(module)
    kept: dict[tuple[str, str, str], ModuleUrls] = context.app.extensions["module_urls"]
    # Keyed by the slug and the content's digest, not the module, whose hash would walk all its HTML.
    key = (context.request.script_root, module.slug, module.digest)
    found = kept.get(key)
    if found is None:
        if len(kept) >= MODULE_URLS_KEPT:
            kept.clear()
        found = kept[key] = _build(module)
    return found


def init_app(app: Flask) -> None:
    app.extensions["remembered_urls"] = _remembering()  # one cache per app: each has its own URL map
    app.extensions["module_urls"] = {}
    app.jinja_env.globals["url_for"] = template_url_for
    app.jinja_env.globals["module_urls"] = module_urls
