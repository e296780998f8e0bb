from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from induction.accounts.passwords import MAX_LENGTH, password_problem


class SignInForm(FlaskForm):
    email = EmailField(
        "E-mail address",
        validators=[DataRequired("Enter your e-mail address."), Email("Enter a valid e-mail address.")],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password.")], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField("Keep me signed in on this device")


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "E-mail address",
        validators=[DataRequired("Enter your e-mail address."), Email("Enter a valid e-mail address.")],
        description="The address you sign in with.",
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"autocomplete": "email"},
    )


class NewPasswordForm(FlaskForm):
    """A new password, typed twice, checked against the password rules for this person."""

    new = PasswordField(
        "Choose a password",
        validators=[DataRequired("Enter a password."), Length(max=MAX_LENGTH)],
        description="At least 10 characters. Three random words work well.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "The same password again",
        validators=[DataRequired("Enter the password again."), EqualTo("new", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )

    def __init__(self, email: str, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._email = email

    def validate_new(self, field: PasswordField) -> None:
        problem = password_problem(field.data or "", self._email)
        if problem:
            raise ValidationError(problem)


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )

    def __init__(self, email: str, *args: object, **kwargs: object) -> None:
        super().__init__(email, *args, **kwargs)
        self.new.label.text = "New password"
        self.confirm.label.text = "New password again"


class SetPasswordForm(NewPasswordForm):
    """Setting the first password from a sign-in link."""
