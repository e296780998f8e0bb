"""Command-line tasks: demo data and rebuilding projections."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from induction.accounts.models import Organisation, Role, User, utcnow
from induction.accounts.passwords import hash_password
from induction.content import catalogue
from induction.extensions import db
from induction.learning import progress, services

DEMO_PASSWORD = "induction-demo"  # noqa: S105 - published demo password, refused in production
FIRST = [
    "Amara",
    "Ben",
    "Chloe",
    "Dev",
    "Ella",
    "Farah",
    "George",
    "Hana",
    "Isaac",
    "Jade",
    "Kai",
    "Leah",
    "Mo",
    "Nia",
    "Owen",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
]
LAST = ["Ahmed", "Brown", "Clarke", "Davies", "Evans", "Green", "Hughes", "Khan", "Lewis", "Patel"]
JOBS = {
    "education": ["Teaching assistant", "Lunchtime supervisor", "Class teacher", "Office manager"],
    "youth": ["Youth worker", "Sessional youth worker", "Volunteer mentor"],
    "early years": ["Nursery practitioner", "Room leader", "Apprentice"],
}


def demo_accounts() -> list[tuple[str, str]]:
    return [
        ("admin@example.org", "admin"),
        ("trainer@example.org", "trainer"),
        ("manager@example.org", "manager of Riverside Primary School and Northside Youth Project"),
        ("other.manager@example.org", "manager of Little Acorns Day Nursery"),
        ("learner@example.org", "learner, part-way through"),
        ("new.starter@example.org", "learner, nothing done yet"),
    ]


def _user(email: str, name: str, role: Role, organisation: Organisation | None = None, **extra: object) -> User:
    user = User(
        email=email,
        name=name,
        role=role.value,
        organisation=organisation,
        password_hash=hash_password(DEMO_PASSWORD),
        demo=True,
        **extra,
    )
    db.session.add(user)
    return user


def _work_through(user: User, steps: int, start: datetime, rng: random.Random) -> None:
    """Read sections and take quizzes in order, `steps` events in all, spread over days."""
    content = catalogue()
    moment = start
    for module in content.modules:
        for section in module.sections:
            if steps <= 0:
                return
            moment += timedelta(minutes=rng.randint(5, 60 * 30))
            services.open_section(user, content, module, section, now=moment)
            steps -= 1
        if steps <= 0:
            return
        quiz = content.quiz_for(module)
        for _ in range(2):
            moment += timedelta(minutes=rng.randint(10, 90))
            attempt = services.open_attempt(user, quiz, module, now=moment)
            if attempt is None:
                return
            drawn = services.drawn_questions(quiz, attempt)
            strong = rng.random() < 0.8
            answers = {
                d.question.id: d.question.correct_ids
                if strong or rng.random() < 0.6
                else frozenset([d.option_order[0]])
                for d in drawn
            }
            outcome = services.submit(user, content, module, quiz, attempt, answers, now=moment + timedelta(minutes=8))
            if outcome.score.passed:
                break
        steps -= 1


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Load demo organisations, people and progress into an empty database."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("Demo data is never loaded in production.")
    if db.session.scalar(select(func.count()).select_from(User)):
        raise click.ClickException("The database already has users; demo data goes into an empty database only.")
    rng = random.Random(2026)  # noqa: S311 - repeatable demo data, not security
    school = Organisation(name="Riverside Primary School", sector="education", ownership="statutory")
    youth = Organisation(name="Northside Youth Project", sector="youth", ownership="voluntary", induction_weeks=8)
    nursery = Organisation(name="Little Acorns Day Nursery", sector="early years", ownership="private")
    db.session.add_all([school, youth, nursery])
    _user("admin@example.org", "Alex Admin", Role.ADMIN)
    _user("trainer@example.org", "Tia Trainer", Role.TRAINER)
    _user("manager@example.org", "Morgan Manager", Role.MANAGER).managed.extend([school, youth])
    _user("other.manager@example.org", "Olu Manager", Role.MANAGER).managed.append(nursery)
    today = date.today()
    learner = _user(
        "learner@example.org",
        "Lee Learner",
        Role.LEARNER,
        school,
        job_role="Teaching assistant",
        role_group=2,
        start_date=today - timedelta(days=20),
    )
    _user(
        "new.starter@example.org",
        "Nadia Starter",
        Role.LEARNER,
        youth,
        job_role="Sessional youth worker",
        role_group=1,
        start_date=today,
    )
    db.session.flush()
    now = utcnow()
    _work_through(learner, 9, now - timedelta(days=18), rng)
    total = sum(len(m.sections) + 1 for m in catalogue().modules)
    for index in range(42):
        organisation = (school, youth, nursery)[index % 3]
        name = f"{FIRST[index % len(FIRST)]} {LAST[(index * 7) % len(LAST)]}"
        started = rng.randint(5, 200)
        person = _user(
            f"learner{index + 1:02d}@example.org",
            name,
            Role.LEARNER,
            organisation,
            job_role=rng.choice(JOBS[organisation.sector]),
            role_group=rng.choice([1, 1, 2, 2, 3]),
            start_date=today - timedelta(days=started),
        )
        db.session.flush()
        steps = rng.choice([0, rng.randint(1, total), total, total])
        _work_through(person, steps, now - timedelta(days=started), rng)
    db.session.commit()
    click.echo("Demo data loaded. Sign in with any of these; the password is " + DEMO_PASSWORD)
    for email, who in demo_accounts():
        click.echo(f"  {email:28} {who}")


@click.group("progress")
def progress_group() -> None:
    """Learners' progress."""


@progress_group.command("rebuild")
@with_appcontext
def rebuild() -> None:
    """Recompute every learner's progress from the statements."""
    ids = db.session.scalars(select(User.id).where(User.role == Role.LEARNER.value)).all()
    count = progress.rebuild(ids, catalogue())
    db.session.commit()
    click.echo(f"Rebuilt progress of {count} learners from the statements.")
