"""Adding learners one at a time or from a CSV file; each gets a sign-in link by e-mail."""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from charset_normalizer import from_bytes
from sqlalchemy import delete, func, select, update

from induction import clock
from induction.accounts.models import ROLE_GROUPS, Organisation, Role, User
from induction.content import catalogue
from induction.extensions import db
from induction.plans import status as learner_status
from induction.reporting.models import CsvUpload

COLUMNS = ("name", "email", "job role", "role group", "start date")
MAX_ROWS = 2000
TEMPLATE = (
    "name,email,job role,role group,start date\r\n"
    "Asha Khan,asha.khan@example.org,Youth worker,1,01/09/2026\r\n"
    "Ben Ola,ben.ola@example.org,Sports coach,2,2026-09-08\r\n"
)
UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_date(text: str) -> date | None:
    """A date written the UK way (01/12/2026, day first) or as ISO (2026-12-01); None if neither."""
    text = text.strip()
    uk = UK_DATE.fullmatch(text)
    try:
        if uk:
            day, month, year = (int(g) for g in uk.groups())
            return date(year, month, day)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        return None
    return None


def decode(data: bytes) -> str | None:
    """The file's text: UTF-8 (with or without a byte-order mark) if it is, else the encoding
    charset-normalizer finds (Excel's "CSV" is often Windows-1252); None if it is not text."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    matches = from_bytes(data)
    # Spreadsheets in the UK save Windows-1252; among equally likely readings, prefer it.
    chosen = next((m for m in matches if m.encoding == "cp1252"), None) or matches.best()
    return str(chosen) if chosen is not None else None


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 learner', '3 learners': counts in words, never 'learner(s)'."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


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
    text = decode(data)
    if text is None or "\x00" in text:
        result.problems.append((1, "The file is not text. Save the spreadsheet as CSV and try again."))
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
        result.good.append(NewLearner(number, name, email, job_role, int(group), parse_date(start)))  # type: ignore[arg-type]
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
    if parse_date(start) is None:
        return f"the start date must be a date like 01/09/2026 or 2026-09-01, not '{start}'"
    return None


def add_learner(organisation: Organisation, new: NewLearner) -> User:
    user = User(
        email=new.email,
        name=new.name,
        role=Role.LEARNER,
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


UPLOAD_LIFETIME = timedelta(hours=1)


def keep_upload(manager: User, organisation: Organisation, filename: str, data: bytes) -> CsvUpload:
    """Store an uploaded file under a random token until it is imported or expires; clears expired ones."""
    moment = clock.utcnow()
    db.session.execute(delete(CsvUpload).where(CsvUpload.uploaded_at < moment - UPLOAD_LIFETIME * 24))
    upload = CsvUpload(
        token=secrets.token_urlsafe(32),
        manager_id=manager.id,
        organisation_id=organisation.id,
        filename=filename[:255],
        content=data,
        uploaded_at=moment,
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def upload_of(manager: User, token: str) -> CsvUpload | None:
    """The manager's own upload with this token, if there is one."""
    upload = db.session.get(CsvUpload, token[:64])
    return upload if upload is not None and upload.manager_id == manager.id else None


def expired(upload: CsvUpload) -> bool:
    return upload.imported_at is None and upload.uploaded_at < clock.utcnow() - UPLOAD_LIFETIME


def claim(upload: CsvUpload) -> bool:
    """Mark the upload imported; True for exactly one request however many confirm it at once."""
    claimed = db.session.execute(
        update(CsvUpload)
        .where(CsvUpload.token == upload.token, CsvUpload.imported_at.is_(None))
        .values(imported_at=clock.utcnow())
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined]


def import_upload(upload: CsvUpload, organisation: Organisation) -> tuple[list[User], ImportCheck]:
    """Add the rows without problems, checked again now; the ids added are kept on the upload."""
    check = check_csv(upload.content)
    added = [add_learner(organisation, new) for new in check.good]
    upload.added = json.dumps([u.id for u in added])
    db.session.flush()
    return added, check
