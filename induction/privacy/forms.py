from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length

from induction.privacy.erasure import REASON_LIMIT


class EraseForm(FlaskForm):
    reason = TextAreaField(
        "Reason for the erasure",
        description="Kept with the record of the erasure, e.g. “The person asked on 3 March 2027 (ticket 1234).” "
        "Do not write the person's name.",
        validators=[
            DataRequired("Give the reason for the erasure."),
            Length(max=REASON_LIMIT, message=f"Keep the reason to {REASON_LIMIT} characters or fewer."),
        ],
    )
    confirm = BooleanField(
        "I understand that this cannot be undone",
        validators=[DataRequired("Tick the box to confirm that the erasure cannot be undone.")],
    )
