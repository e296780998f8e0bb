"""Every model, imported in one place so that Alembic sees the whole schema."""

from induction.accounts.models import EqualityMonitoring, Organisation, User, managed_organisations
from induction.completion.models import Certificate
from induction.learning.models import AttemptAllowance, Evaluation, LearnerStatus, ModuleProgress, QuizAttempt
from induction.plans.models import InductionItem, InductionPlan, ItemProgress, Waiver
from induction.reminders.models import ReminderSent
from induction.xapi.models import (
    ActivityDefinition,
    ForwardItem,
    LrsClient,
    StatementLink,
    StatementRecord,
    XapiDocument,
)

__all__ = [
    "ActivityDefinition",
    "ForwardItem",
    "LrsClient",
    "StatementLink",
    "XapiDocument",
    "AttemptAllowance",
    "Certificate",
    "EqualityMonitoring",
    "Evaluation",
    "InductionItem",
    "InductionPlan",
    "ItemProgress",
    "LearnerStatus",
    "ModuleProgress",
    "Organisation",
    "QuizAttempt",
    "ReminderSent",
    "StatementRecord",
    "User",
    "Waiver",
    "managed_organisations",
]
