"""The managers' pages: the whole URL map of the `reporting` blueprint, under /manage.

The overview, exports and equality report are in `views.py`, one learner's page and the changes
made from it in `learners.py`, moving them between organisations in `moves.py`, actions on ticked
learners and items in `actions.py`, the
organisation's items and adding and importing learners in `setup.py`."""

from flask import Blueprint

from induction.reporting import actions, learners, moves, setup, views
from induction.routing import BOTH, GET, POST, Route, register

bp = Blueprint("reporting", __name__, url_prefix="/manage")

ROUTES: list[Route] = [
    ("/", views.overview, GET),
    ("/export.csv", views.export_csv, GET),
    ("/certificates.zip", views.certificates_zip, GET),
    ("/equality", views.equality, GET),
    ("/selected", actions.selected, POST),
    ("/learners/new", setup.add_learner, BOTH),
    ("/learners/<int:learner_id>", learners.learner, GET),
    ("/learners/<int:learner_id>/due-date", learners.change_due_date, POST),
    ("/learners/<int:learner_id>/waive", learners.waive, POST),
    ("/learners/<int:learner_id>/waivers/<int:waiver_id>/undo", learners.undo_waiver, BOTH),
    ("/learners/<int:learner_id>/attempts", learners.allow_attempts, POST),
    ("/learners/<int:learner_id>/remind", actions.remind, BOTH),
    ("/learners/<int:learner_id>/agree", actions.agree, BOTH),
    ("/learners/<int:learner_id>/items/<int:item_id>/sign-off", actions.sign_off, BOTH),
    ("/learners/<int:learner_id>/sign-off", actions.sign_off_selected, POST),
    ("/learners/<int:learner_id>/invite", setup.reinvite, POST),
    ("/learners/<int:learner_id>/organisations", moves.organisations, BOTH),
    ("/organisations/<int:organisation_id>/items", setup.items, BOTH),
    ("/organisations/<int:organisation_id>/items/<int:item_id>/remove", setup.remove_item, BOTH),
    ("/import", setup.import_learners, BOTH),
    ("/import/template.csv", setup.import_template, GET),
    ("/import/<token>", setup.import_check, BOTH),
    ("/import/<token>/added", setup.import_done, GET),
]
register(bp, ROUTES)
