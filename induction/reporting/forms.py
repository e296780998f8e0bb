from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, EmailField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from induction.formtools import options


class DueDateForm(FlaskForm):
    due_date = DateField("New due date", validators=[DataRequired("Enter the new due date as a date.")])
    reason = TextAreaField(
        "Reason", validators=[DataRequired("Give a reason for the change."), Length(max=500)],
        description="For example: started part-time, or on leave for four weeks.",
    )  # fmt: skip


class WaiverForm(FlaskForm):
    module = SelectField("Module", validators=[DataRequired("Choose the module to waive.")])
    reason = TextAreaField(
        "Reason",
        validators=[DataRequired("Give the prior learning that replaces this module."), Length(max=500)],
        description="Name the course or qualification and when it was done.",
    )


class AttemptsForm(FlaskForm):
    quiz = SelectField("Quiz", validators=[DataRequired()])
    extra = IntegerField(
        "Extra attempts", default=1,
        validators=[DataRequired("Enter how many more attempts to allow."), NumberRange(1, 5, "Allow 1 to 5 more.")],
    )  # fmt: skip


class ItemForm(FlaskForm):
    title = StringField("What the learner does", validators=[DataRequired("Enter the item."), Length(max=200)])
    description = TextAreaField("More detail (optional)", validators=[Optional(), Length(max=2000)])
    job_role = StringField(
        "Job role (leave empty for everyone in the organisation)", validators=[Optional(), Length(max=120)]
    )


class LearnerForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired("Enter the learner's name."), Length(max=200)])
    email = EmailField(
        "E-mail address",
        validators=[DataRequired("Enter an e-mail address."), Email("Enter a valid e-mail address."), Length(max=254)],
    )
    organisation = SelectField("Organisation", coerce=int, validators=[DataRequired("Choose an organisation.")])
    job_role = StringField("Job role", validators=[DataRequired("Enter the job role."), Length(max=120)])
    role_group = SelectField(
        "Safeguarding role group", coerce=int, choices=options((g, f"Group {g}") for g in range(1, 9)), default=1
    )
    start_date = DateField("Start date", validators=[DataRequired("Enter the start date as a date.")])


class ImportForm(FlaskForm):
    organisation = SelectField("Organisation", coerce=int, validators=[DataRequired("Choose an organisation.")])
    file = FileField(
        "CSV file",
        validators=[FileRequired("Choose a CSV file."), FileAllowed(["csv"], "The file must be a .csv file.")],
        description="Columns: name, email, job role, role group, start date (like 01/09/2026 or 2026-09-01). "
        "The first row is the heading. Any encoding: UTF-8 or what Excel saves.",
    )


class MembershipForm(FlaskForm):
    """Move a learner to another organisation, or add them to one; the view checks the choices
    against the scope (an organisation outside it is a 404), so the fields do not."""

    change = RadioField(
        "What do you want to do?",
        choices=options(
            [
                ("move", "Move them: they leave one organisation and join another"),
                ("add", "Add them: they stay where they are and join another organisation as well"),
            ]
        ),
        default="move",
        validators=[DataRequired("Choose whether to move them or add them.")],
    )
    leaving = SelectField("The organisation they leave", coerce=int, validate_choice=False, validators=[Optional()])
    to = SelectField("The organisation they join", coerce=int, validate_choice=False, validators=[Optional()])
    job_role = StringField(
        "Their job role there",
        validators=[DataRequired("Enter their job role in the organisation they join."), Length(max=120)],
    )
    started_on = DateField(
        "The day they start there",
        validators=[DataRequired("Enter the day they start there as a date.")],
        description="Their induction there is due from this day.",
    )
