from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from induction.accounts.models import Ownership, Role, Sector
from induction.formtools import options


class OrganisationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the organisation's name."), Length(max=200)])
    sector = SelectField("Sector", choices=options((s.value, s.value.capitalize()) for s in Sector))
    ownership = SelectField("Ownership", choices=options((o.value, o.value.capitalize()) for o in Ownership))
    induction_weeks = IntegerField(
        "Weeks allowed for induction",
        default=12,
        validators=[DataRequired("Enter the number of weeks."), NumberRange(1, 104, "Allow 1 to 104 weeks.")],
    )


class UserForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired("Enter the name."), Length(max=200)])
    email = EmailField(
        "E-mail address",
        validators=[DataRequired("Enter an e-mail address."), Email("Enter a valid e-mail address."), Length(max=254)],
    )
    role = SelectField("Role", choices=options((r.value, r.value.capitalize()) for r in Role))
    organisation = SelectField("Organisation (learners)", coerce=int, validators=[Optional()])
    managed = SelectMultipleField("Organisations managed (managers)", coerce=int, validators=[Optional()])
    job_role = StringField("Job role (learners)", validators=[Optional(), Length(max=120)])
    active = BooleanField("Account switched on", default=True)
