"""Sign-in throttling, counted in the database so every worker and every restart shares it.

The policy (docs/operations.md, "Sign-in limits"), with SIGN_IN_LIMIT = N per W:

- An address with more than N failed sign-ins on one account within W is refused for that
  account until those failures age past W.
- An address with more than SHARED_ADDRESS x N failed sign-ins within W, on any accounts, is
  refused for every account (someone trying many accounts). The allowance is larger than
  one account's because a school or office signs in from one public address, and one
  person's guessing must not lock out their colleagues.
- An account with more than N failed sign-ins within W (from anywhere) is guarded: it
  is refused from any address that has itself failed within W, but an address with no
  recent failures may still try. So one address cannot guess an account's password more
  than N times per W, and nobody can lock the owner out: the owner, from an address that
  has not been failing, still signs in.
- Refused attempts are not counted, so a lock ends W after the last counted failure.

Each attempt is stored (and committed) before the counts are read, so parallel attempts in
several workers see one another; a successful attempt is deleted again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from limits import parse
from sqlalchemy import and_, case, delete, func, or_, select

from induction.accounts.models import LimitedRequest, SignInAttempt
from induction.clock import utcnow
from induction.extensions import db

SHARED_ADDRESS = 5  # an address's allowance across all accounts, in multiples of one account's
KEEP_COUNTED = timedelta(days=1)  # no counted request (it names an address) is kept longer than this


@dataclass(frozen=True)
class Limit:
    attempts: int
    window: timedelta

    @classmethod
    def parse(cls, text: str) -> Limit:
        """`10 per 5 minutes` and the like (the `limits` library's notation)."""
        item = parse(text)
        return cls(item.amount, timedelta(seconds=item.get_expiry()))


def normalise(email: str) -> str:
    return email.strip().lower()[:254]


def record(email: str, address: str, limit: Limit) -> SignInAttempt:
    """Count an attempt (as failed until `forget` says otherwise); attempts too old to count are deleted."""
    now = utcnow()
    db.session.execute(delete(SignInAttempt).where(SignInAttempt.at <= now - limit.window))
    attempt = SignInAttempt(email=normalise(email), address=address[:64], at=now)
    db.session.add(attempt)
    db.session.flush()
    return attempt


def refused(attempt: SignInAttempt, limit: Limit) -> bool:
    """Whether `attempt`, already recorded and committed, is over the limit (see the module's policy)."""
    since = attempt.at - limit.window
    here, mine = SignInAttempt.address == attempt.address, SignInAttempt.email == attempt.email
    by_address, by_account, by_pair = db.session.execute(
        select(
            func.coalesce(func.sum(case((here, 1), else_=0)), 0),
            func.coalesce(func.sum(case((mine, 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(here, mine), 1), else_=0)), 0),
        ).where(SignInAttempt.at > since, or_(here, mine))
    ).one()
    if by_pair > limit.attempts or by_address > SHARED_ADDRESS * limit.attempts:
        return True
    address_failing = by_address > 1  # other attempts from here besides this one
    return by_account > limit.attempts and address_failing


def forget(attempt: SignInAttempt) -> None:
    """A refused or successful attempt does not count."""
    db.session.execute(delete(SignInAttempt).where(SignInAttempt.id == attempt.id))
    db.session.flush()


def count(key: str, limit: Limit) -> LimitedRequest:
    """Count a request against another limit, by `key` ("Forgot your password?" per address asked
    about and per address asking); rows of that key too old to count are deleted, and every row
    older than `KEEP_COUNTED`. Like a sign-in attempt, it is committed before `over` counts, so
    parallel requests in any worker see each other and at most `limit.attempts` get through."""
    if limit.window > KEEP_COUNTED:
        raise ValueError(f"a limit's window may be at most {KEEP_COUNTED}")
    now = utcnow()
    stale = or_(
        and_(LimitedRequest.key == key, LimitedRequest.at <= now - limit.window),
        LimitedRequest.at <= now - KEEP_COUNTED,
    )
    db.session.execute(delete(LimitedRequest).where(stale))
    counted = LimitedRequest(key=key[:320], at=now)
    db.session.add(counted)
    db.session.flush()
    return counted


def over(counted: LimitedRequest, limit: Limit) -> bool:
    """Whether `counted`, already committed, is over the limit."""
    since = counted.at - limit.window
    within = select(func.count()).where(LimitedRequest.key == counted.key, LimitedRequest.at > since)
    return int(db.session.scalar(within) or 0) > limit.attempts


def uncount(counted: LimitedRequest) -> None:
    """A refused request does not count, so a limit ends a window after the last request let through."""
    db.session.execute(delete(LimitedRequest).where(LimitedRequest.id == counted.id))
    db.session.flush()
