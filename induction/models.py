"""Every model, imported in one place so that Alembic sees the whole schema."""

from induction.accounts.models import (
    EqualityMonitoring,
    Organisation,
    SignInAttempt,
    User,
    UserSession,
    managed_organisations,
)
from induction.completion.models import Certificate
from induction.learning.models import AttemptAllowance, Evaluation, LearnerStatus, ModuleProgress, QuizAttempt
from induction.plans.models import InductionItem, InductionPlan, ItemProgress, Waiver
from induction.reminders.models import ReminderSent
from induction.reporting.models import CsvUpload
from induction.xapi.models import (
    ActivityDefinition,
    AttachmentData,
    ForwardItem,
    LrsClient,
    StatementLink,
    StatementRecord,
    XapiDocument,
)

__all__ = [
    "ActivityDefinition",
    "AttachmentData",
    "AttemptAllowance",
    "Certificate",
    "CsvUpload",
    "EqualityMonitoring",
    "Evaluation",
    "ForwardItem",
    "InductionItem",
    "InductionPlan",
    "ItemProgress",
    "LearnerStatus",
    "LrsClient",
    "ModuleProgress",
    "Organisation",
    "QuizAttempt",
    "ReminderSent",
    "SignInAttempt",
    "StatementLink",
    "StatementRecord",
    "User",
    "UserSession",
    "Waiver",
    "XapiDocument",
    "managed_organisations",
]
