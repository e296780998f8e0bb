"""The one place that decides which organisations and people a user may see.

Every view and report that lists or fetches organisations or learners starts from
these functions; a record outside the scope is treated as missing (404).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from flask import abort
from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select, union_all

from induction.accounts.models import (
    Membership,
    Organisation,
    Role,
    User,
    managed_organisations,
    partnership_organisations,
)
from induction.extensions import db


def visible_organisation_ids(user: User) -> Select[int]:
    """A query of the ids of the organisations `user` may see."""
    if user.role == Role.ADMIN:
        return select(Organisation.id)
    if user.role == Role.MANAGER:
        return select(managed_organisations.c.organisation_id).where(managed_organisations.c.user_id == user.id)
    if user.role == Role.LEARNER:
        return select(Membership.organisation_id).where(Membership.user_id == user.id, Membership.left_at.is_(None))
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


def memberships_in(organisation_ids: Select[int] | Iterable[int]) -> Select[int]:
    """A query of the ids of the learners with a current membership in one of these organisations."""
    return select(Membership.user_id).where(
        Membership.organisation_id.in_(organisation_ids), Membership.left_at.is_(None)
    )


def learners_of(organisation_ids: Select[int] | Iterable[int]) -> Select[User]:
    """A query of the learners of these organisations, each once: those with a current membership in
    one of them. The rule managers and organisation-limited LRS clients (`xapi.services.may_act_on`)
    both go through. A learner who has moved out of an organisation is no longer its learner."""
    return select(User).where(User.role == Role.LEARNER, User.id.in_(memberships_in(organisation_ids)))


def memberships_of(organisation_ids: Select[int] | Iterable[int]) -> Select[User, Membership]:
    """A query of (learner, membership) for each current membership in these organisations."""
    return (
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(
            User.role == Role.LEARNER,
            Membership.left_at.is_(None),
            Membership.organisation_id.in_(organisation_ids),
        )
    )


def visible_memberships(user: User) -> Select[User, Membership]:
    """A query of (learner, membership) for each current membership `user` may see: the part of a
    learner that belongs to an organisation in scope. A learner in two organisations that a manager
    both manages appears twice, once for each; a manager of one sees that one only. Reports start here."""
    query = memberships_of(visible_organisation_ids(user))
    if user.role == Role.LEARNER:
        query = query.where(User.id == user.id)
    return query


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


def plan_in_scope(user: User, learner: User) -> bool:
    """True when `user` may see the learner's main organisation, whose plan (due date, agreement) it is.
    A manager of another of the learner's organisations sees the learner but not that plan's controls."""
    if learner.organisation_id is None:
        return False
    found = db.session.scalar(
        select(func.count()).where(
            Organisation.id == learner.organisation_id, Organisation.id.in_(visible_organisation_ids(user))
        )
    )
    return bool(found)


def learner_or_404(user: User, learner_id: int) -> User:
    """The learner, if `user` may see them; otherwise the request ends with 404."""
    found = db.session.scalar(visible_learners(user).where(User.id == learner_id))
    if found is None:
        abort(404)
    return found


# What an organisation-limited LRS client may read of a learner's statements. The learner must be
# one of its organisations' (`learners_of`), and the statement must be one of:
#   - the person's own learning, which travels with them: the Common Core modules (sections,
#     quizzes, completions, waivers) and training sessions, which belong to no organisation;
#   - about a thing of one of its organisations: an organisation or role item (its sign-off), whose
#     activities the layer that keeps them declares below; or the induction as a whole (`satisfied`),
#     which is the learner's main organisation's, as their plan is (`plan_in_scope`);
#   - one the client itself posted (a statement about its own activities is its organisation's);
#   - a statement that targets (StatementRef, e.g. voids) one of the above.
# Nothing else: a shared learner's sign-off by another organisation is not there (404 by id).

OrganisationActivities = Callable[[frozenset[int]], Select[Any]]
_organisation_activities: list[OrganisationActivities] = []


def organisation_activities(provider: OrganisationActivities) -> OrganisationActivities:
    """Declare a kind of activity that belongs to an organisation: `provider(organisation_ids)` is a
    query of the IRIs of those activities in these organisations. Plans declares its items this way,
    so this rule needs no import of the layers above."""
    if provider not in _organisation_activities:
        _organisation_activities.append(provider)
    return provider


def statements_in_scope(
    organisation_ids: frozenset[int],
    statements: Any,
    *,
    own_learning: Sequence[str],
    induction: str,
    posted: Select[Any] | None = None,
) -> ColumnElement[bool]:
    """The condition on `statements` (the statements table, or an alias of it) that a client limited
    to these organisations may read a statement: see the rule above. `own_learning` are the IRI
    prefixes of the person's own learning, `induction` the IRI of the induction as a whole, `posted`
    a query of the `seq`s of the statements the client posted. One SQL condition, so a page of
    statements stays one query."""
    learners = learners_of(organisation_ids).with_only_columns(User.id)
    main_learners = select(User.id).where(User.organisation_id.in_(organisation_ids))
    things = [provider(organisation_ids) for provider in _organisation_activities]

    def allowed(t: Any) -> ColumnElement[bool]:
        arms = [t.c.object_id.startswith(prefix, autoescape=True) for prefix in own_learning]
        arms.append(and_(t.c.object_id == induction, t.c.user_id.in_(main_learners)))
        if things:
            arms.append(t.c.object_id.in_(union_all(*things) if len(things) > 1 else things[0]))
        if posted is not None:
            arms.append(t.c.seq.in_(posted))
        return or_(*arms)

    target = statements.alias("scope_target")
    refers = exists().where(target.c.id == statements.c.object_id, target.c.user_id.in_(learners), allowed(target))
    return and_(statements.c.user_id.in_(learners), or_(allowed(statements), refers))
