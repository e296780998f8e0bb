"""Every model, imported in one place so that Alembic sees the whole schema."""

from induction.accounts.models import Organisation, User, managed_organisations
from induction.completion.models import Certificate
from induction.learning.models import AttemptAllowance, ModuleProgress, QuizAttempt
from induction.xapi.models import StatementRecord

__all__ = [
    "AttemptAllowance",
    "Certificate",
    "ModuleProgress",
    "Organisation",
    "QuizAttempt",
    "StatementRecord",
    "User",
    "managed_organisations",
]
