from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from induction.formtools import options

RATINGS = options(
    [("5", "Very useful"), ("4", "Useful"), ("3", "Neither"), ("2", "Not very useful"), ("1", "Not useful")]
)
PREFER_NOT = "prefer not to say"
AGE_BANDS = ["under 18", "18 to 24", "25 to 34", "35 to 49", "50 to 64", "65 or over", PREFER_NOT]
SEXES = ["female", "male", "other", PREFER_NOT]
ETHNICITIES = [
    "Asian or Asian British", "Black, Black British, Caribbean or African", "Mixed or multiple ethnic groups",
    "White", "Other ethnic group", PREFER_NOT,
]  # fmt: skip
DISABILITY = ["yes", "no", PREFER_NOT]


class EvaluationForm(FlaskForm):
    change = TextAreaField("What would you change about the induction?", validators=[Optional(), Length(max=2000)])
    comments = TextAreaField("Anything else you would like to tell us?", validators=[Optional(), Length(max=2000)])

    @classmethod
    def for_modules(cls, modules: list[tuple[str, str]]) -> Any:
        """A form with one rating question per module."""

        class Form(cls):  # type: ignore[valid-type,misc]
            pass

        for slug, title in modules:
            field = RadioField(
                f"How useful was “{title}”?",
                choices=RATINGS,
                validators=[DataRequired(f"Rate “{title}”.")],
            )
            setattr(Form, f"rate_{slug.replace('-', '_')}", field)
        return Form()


def _choices(values: list[str]) -> list[SelectChoice]:
    return options((v, v[0].upper() + v[1:]) for v in values)


class MonitoringForm(FlaskForm):
    age_band = SelectField("Age", choices=_choices(AGE_BANDS), default=PREFER_NOT)
    sex = SelectField("Sex", choices=_choices(SEXES), default=PREFER_NOT)
    ethnicity = SelectField("Ethnic group", choices=_choices(ETHNICITIES), default=PREFER_NOT)
    disability = SelectField(
        "Do you consider yourself to have a disability?", choices=_choices(DISABILITY), default=PREFER_NOT
    )
