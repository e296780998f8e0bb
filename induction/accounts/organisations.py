"""The organisations a learner belongs to: the one place that answers it.

Rules that depend on a learner's organisations (the refresher period that applies to them,
for one) ask `organisations_of`, so that a learner in several organisations at once is handled
in one place.
"""

from __future__ import annotations

from induction.accounts.models import User


def organisations_of(user: User) -> list[int]:
    """The ids of the organisations `user` belongs to now, main organisation first; empty for none."""
    return [user.organisation_id] if user.organisation_id is not None else []
