"""Adding learners one at a time or from a CSV file; each gets a sign-in link by e-mail."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from induction.accounts.models import ROLE_GROUPS, Organisation, Role, User
from induction.content import catalogue
from induction.extensions import db
from induction.learning import status as learner_status

COLUMNS = ("name", "email", "job role", "role group", "start date")
MAX_ROWS = 2000


@dataclass(frozen=True)
class NewLearner:
    line: int
    name: str
    email: str
    job_role: str
    role_group: int
    start_date: date


@dataclass
class ImportCheck:
    good: list[NewLearner] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems and bool(self.good)


def check_csv(data: bytes) -> ImportCheck:
    """Every row checked before anything is stored; problems are (line, reason)."""
    result = ImportCheck()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.problems.append((1, "The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again."))
        return result
    reader = csv.reader(io.StringIO(text))
    heading = [h.strip().lower().replace("_", " ") for h in next(reader, [])]
    if tuple(heading[: len(COLUMNS)]) != COLUMNS:
        result.problems.append((1, f"The first row must be the heading: {', '.join(COLUMNS)}."))
        return result
    seen: dict[str, int] = {}
    rows = list(reader)
    if len(rows) > MAX_ROWS:
        result.problems.append((1, f"The file has {len(rows)} rows; import at most {MAX_ROWS} at a time."))
        return result
    emails = {r[1].strip().lower() for r in rows if len(r) > 1}
    existing = set(db.session.scalars(select(func.lower(User.email)).where(func.lower(User.email).in_(emails))))
    for number, raw in enumerate(rows, start=2):
        if not any(c.strip() for c in raw):
            continue
        problem = _row_problem(raw, seen, existing, number)
        if problem:
            result.problems.append((number, problem))
            continue
        name, email, job_role, group, start = (c.strip() for c in raw[:5])
        seen[email.lower()] = number
        result.good.append(NewLearner(number, name, email, job_role, int(group), date.fromisoformat(start)))
    if not result.good and not result.problems:
        result.problems.append((2, "The file has no learners under its heading."))
    return result


def _row_problem(raw: list[str], seen: dict[str, int], existing: set[str], number: int) -> str | None:
    if len(raw) < 5:
        return f"expected 5 columns, found {len(raw)}"
    name, email, job_role, group, start = (c.strip() for c in raw[:5])
    if not name or len(name) > 200:
        return "the name is missing or longer than 200 characters"
    if "@" not in email or " " in email or len(email) > 254 or "." not in email.rsplit("@", 1)[-1]:
        return f"'{email}' is not an e-mail address"
    if email.lower() in existing:
        return f"{email} already has an account"
    if email.lower() in seen:
        return f"{email} is also on line {seen[email.lower()]}"
    if not job_role or len(job_role) > 120:
        return "the job role is missing or longer than 120 characters"
    if not group.isdigit() or int(group) not in ROLE_GROUPS:
        return f"the role group must be a number from 1 to 8, not '{group}'"
    try:
        date.fromisoformat(start)
    except ValueError:
        return f"the start date must be a date like 2026-09-01, not '{start}'"
    return None


def add_learner(organisation: Organisation, new: NewLearner) -> User:
    user = User(
        email=new.email,
        name=new.name,
        role=Role.LEARNER.value,
        organisation=organisation,
        job_role=new.job_role,
        role_group=new.role_group,
        start_date=new.start_date,
        password_hash=None,
    )
    db.session.add(user)
    db.session.flush()
    learner_status.refresh([user], catalogue())
    return user


def email_taken(email: str) -> bool:
    found = db.session.scalar(select(func.count()).select_from(User).where(func.lower(User.email) == email.lower()))
    return bool(found)
