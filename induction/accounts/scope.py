"""The one place that decides which organisations and people a user may see.

Every view and report that lists or fetches organisations or learners starts from
these functions; a record outside the scope is treated as missing (404).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import abort
from sqlalchemy import Select, false, select

from induction.accounts.models import Organisation, Role, User, managed_organisations, partnership_organisations
from induction.extensions import db


def visible_organisation_ids(user: User) -> Select[int]:
    """A query of the ids of the organisations `user` may see."""
    if user.role == Role.ADMIN:
        return select(Organisation.id)
    if user.role == Role.MANAGER:
        return select(managed_organisations.c.organisation_id).where(managed_organisations.c.user_id == user.id)
    if user.role == Role.LEARNER and user.organisation_id is not None:
        return select(Organisation.id).where(Organisation.id == user.organisation_id)
    return select(Organisation.id).where(false())


def aggregate_organisation_ids(user: User) -> Select[int]:
    """A query of the ids of the organisations whose figures a partnership user may read, in
    aggregate only: its member organisations. Such a user sees no people, so
    `visible_organisation_ids` and `visible_learners` give them nothing."""
    if user.role == Role.PARTNERSHIP and user.partnership_id is not None:
        return select(partnership_organisations.c.organisation_id).where(
            partnership_organisations.c.partnership_id == user.partnership_id
        )
    return select(Organisation.id).where(false())


def visible_organisations(user: User) -> Select[Organisation]:
    """A query of the organisations `user` may see, by name."""
    return select(Organisation).where(Organisation.id.in_(visible_organisation_ids(user))).order_by(Organisation.name)


def learners_of(organisation_ids: Select[int] | Iterable[int]) -> Select[User]:
    """A query of the learners of these organisations: the rule managers and
    organisation-limited LRS clients (`xapi.services.may_act_on`) both go through."""
    return select(User).where(User.role == Role.LEARNER.value, User.organisation_id.in_(organisation_ids))


def visible_learners(user: User) -> Select[User]:
    """A query of the learners `user` may see: those in the organisations in scope."""
    query = learners_of(visible_organisation_ids(user))
    if user.role == Role.LEARNER:
        query = query.where(User.id == user.id)
    return query


def organisation_or_404(user: User, organisation_id: int) -> Organisation:
    """The organisation, if `user` may see it; otherwise the request ends with 404."""
    found = db.session.scalar(visible_organisations(user).where(Organisation.id == organisation_id))
    if found is None:
        abort(404)
    return found


def learner_or_404(user: User, learner_id: int) -> User:
    """The learner, if `user` may see them; otherwise the request ends with 404."""
    found = db.session.scalar(visible_learners(user).where(User.id == learner_id))
    if found is None:
        abort(404)
    return found
