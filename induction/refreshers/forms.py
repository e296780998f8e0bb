"""The forms of the refresher periods page. Choices are not checked by WTForms: the view finds the
organisation in the user's scope (404 outside it) and the service checks the module and the months,
each with a message that says what is wrong."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField


class OrganisationPeriodForm(FlaskForm):
    organisation = SelectField("Organisation", validate_choice=False)
    module = SelectField("Module", validate_choice=False)
    months = StringField(
        "Refresher period in months",
        description="Shorter than the module's own period. Learners' refresher dates change at once.",
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


class SectorPeriodForm(FlaskForm):
    sector = SelectField("Sector", validate_choice=False)
    # Its own ids: the organisation form on the same page has fields of the same names.
    module = SelectField("Module", validate_choice=False, id="sector-module")
    months = StringField(
        "Refresher period in months",
        id="sector-months",
        description="Applies to every organisation of the sector that has not set its own period.",
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
