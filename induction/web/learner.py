"""The learner's pages: the whole URL map of the `learning` blueprint in one place.

The views live in the layer whose data they show: reading and quizzes in `learning/views.py`,
the plan, evaluation and monitoring in `plans/views.py`, the home page in `web/home.py`."""

from __future__ import annotations

from flask import Blueprint

from induction.learning import views as learning
from induction.plans import views as plans
from induction.routing import BOTH, GET, POST, Route, register
from induction.web import home

bp = Blueprint("learning", __name__)

ROUTES: list[Route] = [
    ("/", home.home, GET),
    ("/welcome", learning.welcome, GET),
    ("/modules", learning.modules, GET),
    ("/modules/<slug>", learning.module, GET),
    ("/modules/<slug>/<section_id>", learning.section, GET),
    ("/modules/<slug>/<section_id>/read", learning.mark_read, POST),
    ("/quizzes/<slug>", learning.quiz, BOTH),
    ("/quizzes/<slug>/attempts/<int:attempt_id>", learning.attempt, GET),
    ("/content-media/<path:filename>", learning.media, GET),
    ("/sw.js", learning.service_worker, GET),
    ("/plan", plans.plan, GET),
    ("/plan/items/<int:item_id>/done", plans.mark_done, POST),
    ("/evaluation", plans.evaluation, BOTH),
    ("/about-you", plans.monitoring, BOTH),
]
register(bp, ROUTES)
