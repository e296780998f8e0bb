"""Command-line tasks: demo data and rebuilding projections."""

from __future__ import annotations

import contextlib
import json
import random
from datetime import datetime, time, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from induction import clock
from induction.accounts import services as services_accounts
from induction.accounts.models import Organisation, Partnership, Role, User
from induction.accounts.passwords import hash_password
from induction.clock import utcnow
from induction.content import catalogue
from induction.extensions import db
from induction.learning import progress, services
from induction.learning.models import Evaluation
from induction.plans import services as plans
from induction.plans import status as learner_status
from induction.plans.models import InductionItem
from induction.training import services as training
from induction.training.models import Booking, TrainingItem

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
        ("partnership@example.org", "safeguarding partnership: figures for all three organisations, no names"),
    ]


def _user(email: str, name: str, role: Role, organisation: Organisation | None = None, **extra: object) -> User:
    user = User(
        email=email,
        name=name,
        role=role,
        organisation=organisation,
        password_hash=hash_password(DEMO_PASSWORD),
        demo=True,
        **extra,
    )
    db.session.add(user)
    return user


def _work_through(user: User, steps: int, start: datetime, rng: random.Random) -> datetime:
    """Read sections and take quizzes in order, `steps` events in all, spread over days; returns the last moment."""
    content = catalogue()
    moment = start
    # Spread the events over the time since the start, never past now.
    gap = max((utcnow() - start) / max(steps * 2, 1), timedelta(minutes=10))
    for module in content.modules:
        for section in module.sections:
            if steps <= 0:
                return moment
            moment = min(moment + gap * rng.uniform(0.3, 1.7), utcnow() - timedelta(hours=1))
            services.open_section(user, content, module, section, now=moment)
            steps -= 1
        if steps <= 0:
            return moment
        quiz = content.quiz_for(module)
        for _ in range(2):
            moment = min(moment + timedelta(minutes=rng.randint(10, 90)), utcnow() - timedelta(minutes=30))
            attempt = services.open_attempt(user, quiz, module, now=moment)
            if attempt is None:
                return moment
            drawn = services.drawn_questions(quiz, attempt)
            strong = rng.random() < 0.8
            answers = {
                d.question.id: d.question.correct_ids
                if strong or rng.random() < 0.6
                else frozenset([d.option_order[0]])
                for d in drawn
            }
            taken = timedelta(seconds=rng.randint(180, 1200))  # people take between 3 and 20 minutes
            outcome = services.submit(user, content, module, quiz, attempt, answers, now=moment + taken)
            if outcome.score.passed:
                break
        steps -= 1
    return moment


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
    today = clock.today()
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
    managers = {
        school.id: "manager@example.org",
        youth.id: "manager@example.org",
        nursery.id: "other.manager@example.org",
    }
    items = _demo_items(school, youth, nursery)
    items[youth.id].append(_demo_session_item(youth))
    now = utcnow()
    _work_through(learner, 9, now - timedelta(days=18), rng)
    for item in items[school.id][:2]:
        plans.mark_item_done(learner, item)
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
        finished_at = _work_through(person, steps, now - timedelta(days=started), rng)
        manager = services_accounts.find_user_by_email(managers[organisation.id])
        if manager is not None:
            signed_at = min(finished_at + timedelta(days=rng.randint(1, 6)), now)
            _items_and_plan(person, manager, items[organisation.id], steps >= total, signed_at, rng)
    _demo_sessions(rng)
    partnership = Partnership(name="Riverside Safeguarding Children Partnership", area="Riverside")
    partnership.organisations.extend([school, youth, nursery])
    db.session.add(partnership)
    db.session.flush()
    _user("partnership@example.org", "Pat Partnership", Role.PARTNERSHIP, partnership_id=partnership.id)
    learner_status.refresh(db.session.scalars(select(User).where(User.role == Role.LEARNER)).all(), catalogue())
    db.session.commit()
    click.echo("Demo data loaded. Sign in with any of these; the password is " + DEMO_PASSWORD)
    for email, who in demo_accounts():
        click.echo(f"  {email:28} {who}")


def _demo_items(*organisations: Organisation) -> dict[int, list[InductionItem]]:
    """Organisation (Element 1) and role (Element 2) items for each demo organisation."""
    common = [
        "Read the safeguarding and child protection policy",
        "Fire safety walk-round",
        "Meet the designated safeguarding lead",
    ]
    by_role = {
        "education": ("Teaching assistant", "Shadow a class teacher for a day"),
        "youth": ("Youth worker", "Detached youth work briefing"),
        "early years": ("Nursery practitioner", "Book paediatric first aid training"),
    }
    items: dict[int, list[InductionItem]] = {}
    for organisation in organisations:
        role, title = by_role[organisation.sector]
        made = [InductionItem(organisation_id=organisation.id, title=t) for t in common]
        made.append(InductionItem(organisation_id=organisation.id, title=title, job_role=role))
        db.session.add_all(made)
        items[organisation.id] = made
    db.session.flush()
    return items


DEMO_TOPIC = "Integrated induction day 1"


def _demo_session_item(youth: Organisation) -> InductionItem:
    """A role item that attending any session on the demo topic signs off."""
    item = InductionItem(
        organisation_id=youth.id,
        job_role="Sessional youth worker",
        title=f"Attend a training session: {DEMO_TOPIC}",
        description="Signed off when the trainer records you as present at any session on this topic.",
    )
    db.session.add(item)
    db.session.flush()
    db.session.add(TrainingItem(item_id=item.id, topic=DEMO_TOPIC))
    return item


def _demo_sessions(rng: random.Random) -> None:
    """A session held last week with its register taken (some no-shows), one coming up with
    places, and a full online one with a waiting list."""
    trainer = services_accounts.find_user_by_email("trainer@example.org")
    assert trainer is not None  # noqa: S101 - made above
    now = utcnow()
    today = clock.today()

    def at(days: int, hour: int, minutes: int = 0) -> datetime:
        return training.from_local(datetime.combine(today + timedelta(days=days), time(hour, minutes)))

    held, coming, online = (
        training.schedule(trainer, training.NewSession(title, topic, None, about, at(days, 9, 30), at(days, end),
                                                       venue, link, capacity, 34), now - timedelta(days=30))
        for title, topic, about, days, end, venue, link, capacity in (
            ("Integrated induction: day 1", DEMO_TOPIC, "Meet colleagues from schools, youth work and early years.",
             -8, 16, "Riverside Civic Centre, Room 3", "", 12),
            ("Integrated induction: day 1", DEMO_TOPIC, "Meet colleagues from schools, youth work and early years.",
             9, 16, "Riverside Civic Centre, Room 3", "", 12),
            ("Information sharing in practice", "Information sharing", "The seven golden rules, with cases.",
             16, 12, "", "https://meet.example.org/information-sharing", 3),
        )
    )  # fmt: skip
    learners = db.session.scalars(select(User).where(User.role == Role.LEARNER).order_by(User.id)).all()
    # Only people who had started by then were at last week's session.
    started = [p for p in learners if p.start_date is not None and p.start_date <= today - timedelta(days=8)]
    came = rng.sample(started, 9)
    for person in came:
        db.session.add(Booking(session_id=held.id, user_id=person.id, status="booked", booked_by_id=person.id,
                               requested_at=now - timedelta(days=20), changed_at=now - timedelta(days=20)))  # fmt: skip
    db.session.flush()
    training.take_register(held.id, trainer, {p.id: i >= 2 for i, p in enumerate(came)}, at(-8, 16))
    for person in [p for p in learners if p.email == "learner@example.org"] + rng.sample(list(learners), 4):
        with contextlib.suppress(training.TrainingError):
            training.book(coming.id, person, person, now)
    for person in rng.sample(list(learners), 4):
        training.book(online.id, person, person, now)


def _items_and_plan(
    person: User, manager: User, items: list[InductionItem], finished: bool, now: datetime, rng: random.Random
) -> None:
    """Sign off the items of those who finished the modules (which completes them); some progress for others."""
    mine = [i for i in items if plans.applies_to(i, person)]
    if finished:
        for item in mine:
            plans.sign_off_item(manager, person, item, catalogue(), now=now)
        if rng.random() < 0.5:
            db.session.add(
                Evaluation(
                    user_id=person.id,
                    ratings=json.dumps({m.slug: rng.choice([3, 4, 4, 5, 5]) for m in catalogue().modules}),
                    change=rng.choice(["", "More scenarios from youth work, please.", "Shorter sections on a phone."]),
                )
            )
    else:
        for item in mine[: rng.randint(0, len(mine))]:
            plans.mark_item_done(person, item)
    if rng.random() < 0.6:
        plans.agree_plan(manager, person)


@click.group("progress")
def progress_group() -> None:
    """Learners' progress."""


@progress_group.command("rebuild")
@with_appcontext
def rebuild() -> None:
    """Recompute every learner's progress from the statements."""
    ids = db.session.scalars(select(User.id).where(User.role == Role.LEARNER)).all()
    count = progress.rebuild(ids, catalogue())
    learner_status.refresh(db.session.scalars(select(User).where(User.id.in_(ids))).all(), catalogue())
    db.session.commit()
    click.echo(f"Rebuilt progress of {count} learners from the statements.")


@click.command("create-admin")
@click.argument("email")
@click.option("--name", required=True, help="The admin's full name.")
@with_appcontext
def create_admin(email: str, name: str) -> None:
    """Add an admin and print the link where they set their password."""
    from induction.accounts.invitations import link_for

    if services_accounts.find_user_by_email(email) is not None:
        raise click.ClickException(f"{email} already has an account.")
    if "@" not in email:
        raise click.ClickException(f"'{email}' is not an e-mail address.")
    user = User(email=email.strip(), name=name.strip(), role=Role.ADMIN, password_hash=None)
    db.session.add(user)
    link = link_for(user)
    db.session.commit()
    click.echo(f"Admin {email} added. Set the password here within 7 days:\n{link}")
