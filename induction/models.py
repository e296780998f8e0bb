"""Every model, imported in one place so that Alembic sees the whole schema."""

from induction.accounts import organisations  # noqa: F401 - its listener keeps the main membership in step
from induction.accounts.models import (
    EqualityMonitoring,
    Membership,
    Organisation,
    Partnership,
    SignInAttempt,
    User,
    UserSession,
    managed_organisations,
    partnership_organisations,
)
from induction.completion.models import Certificate
from induction.learning.models import AttemptAllowance, Evaluation, LearnerStatus, ModuleProgress, QuizAttempt
from induction.learning.periods import RefresherPeriod
from induction.plans.models import InductionItem, InductionPlan, ItemProgress, Waiver
from induction.privacy.models import AuditEntry
from induction.reminders.models import ReminderSent
from induction.reporting.models import CsvUpload, LearnerStatusSummary
from induction.training.models import Booking, TrainingItem, TrainingSession
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
    "AuditEntry",
    "Booking",
    "Certificate",
    "CsvUpload",
    "EqualityMonitoring",
    "Evaluation",
    "ForwardItem",
    "InductionItem",
    "InductionPlan",
    "ItemProgress",
    "LearnerStatus",
    "LearnerStatusSummary",
    "LrsClient",
    "Membership",
    "ModuleProgress",
    "Organisation",
    "Partnership",
    "QuizAttempt",
    "RefresherPeriod",
    "ReminderSent",
    "SignInAttempt",
    "StatementLink",
    "StatementRecord",
    "TrainingItem",
    "TrainingSession",
    "User",
    "UserSession",
    "Waiver",
    "XapiDocument",
    "managed_organisations",
    "partnership_organisations",
]
