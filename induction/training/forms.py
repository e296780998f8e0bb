from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from induction.formtools import options


class SessionForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Enter the session's title."), Length(max=200)])
    topic = StringField(
        "Topic",
        validators=[DataRequired("Enter the topic."), Length(max=200)],
        description="Sessions on one topic count alike: attending any of them signs off a plan item for the topic.",
        render_kw={"list": "topics", "autocomplete": "off"},
    )
    module = SelectField("Module (optional)", validators=[Optional()])
    description = TextAreaField("What to expect (optional)", validators=[Optional(), Length(max=2000)])
    day = DateField("Date", validators=[DataRequired("Enter the date as a date.")])
    starts = TimeField("Starts (UK time)", validators=[DataRequired("Enter the start time, e.g. 09:30.")])
    ends = TimeField("Ends (UK time)", validators=[DataRequired("Enter the end time, e.g. 16:00.")])
    mode = RadioField(
        "Where",
        choices=options([("venue", "In person"), ("online", "Online")]),
        default="venue",
        validators=[DataRequired("Choose in person or online.")],
    )
    # No Optional(): it would stop the checks below, which depend on the choice of where.
    venue = StringField("Venue address (in person)", validators=[Length(max=300)])
    online_link = StringField("Joining link (online)", validators=[Length(max=500)])
    capacity = IntegerField(
        "Places",
        default=20,
        validators=[DataRequired("Enter the number of places."), NumberRange(1, 500, "Offer 1 to 500 places.")],
    )
    max_sector_share = IntegerField(
        "Most places one sector should fill (per cent)",
        default=34,
        description="The mix to aim for: 34 means no more than about a third from one sector.",
        validators=[DataRequired("Enter a percentage."), NumberRange(10, 100, "Enter 10 to 100.")],
    )

    def validate_venue(self, field: Any) -> None:
        if self.mode.data == "venue" and not (field.data or "").strip():
            raise ValidationError("Enter the venue's address.")

    def validate_online_link(self, field: Any) -> None:
        if self.mode.data == "online" and not (field.data or "").strip():
            raise ValidationError("Enter the joining link.")
        link = (field.data or "").strip()
        if link and (not link.startswith("https://") or len(link) < 12 or any(c.isspace() for c in link)):
            raise ValidationError("Enter the joining link, starting https://")


class BookForForm(FlaskForm):
    learner = SelectField("Learner", coerce=int, validators=[DataRequired("Choose a learner.")])


class PlanItemForm(FlaskForm):
    organisation = SelectField("Organisation", coerce=int, validators=[DataRequired("Choose an organisation.")])
