"""`flask partnership`: set up a partnership, its member organisations and its read-only sign-ins."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from induction.accounts import services as accounts
from induction.accounts.models import Organisation, Partnership, Role, User
from induction.extensions import db


@click.group("partnership")
def partnership_group() -> None:
    """The safeguarding partnership's read-only figures."""


@partnership_group.command("set")
@click.argument("name")
@click.option("--area", default="", help="The area the partnership covers.")
@click.option(
    "--organisation",
    "organisations",
    multiple=True,
    required=True,
    help="A member organisation's name; repeat for each.",
)
@with_appcontext
def set_members(name: str, area: str, organisations: tuple[str, ...]) -> None:
    """Create the partnership NAME, or replace its member organisations, with those named."""
    found = db.session.scalars(select(Organisation).where(Organisation.name.in_(organisations))).all()
    missing = sorted(set(organisations) - {o.name for o in found})
    if missing:
        raise click.ClickException(f"No organisation is called: {', '.join(missing)}. Nothing was changed.")
    partnership = db.session.scalar(select(Partnership).where(Partnership.name == name.strip()))
    if partnership is None:
        partnership = Partnership(name=name.strip(), area=area.strip())
        db.session.add(partnership)
    elif area:
        partnership.area = area.strip()
    partnership.organisations = list(found)
    db.session.commit()
    click.echo(f"{partnership.name}: {len(found)} member organisations.")


@partnership_group.command("add-user")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--partnership", "partnership_name", required=True, help="The partnership whose figures they read.")
@with_appcontext
def add_user(email: str, name: str, partnership_name: str) -> None:
    """Add a read-only partnership sign-in and print the link where they set their password."""
    from induction.accounts.invitations import link_for

    partnership = db.session.scalar(select(Partnership).where(Partnership.name == partnership_name.strip()))
    if partnership is None:
        raise click.ClickException(f"No partnership is called '{partnership_name}'.")
    if "@" not in email:
        raise click.ClickException(f"'{email}' is not an e-mail address.")
    if accounts.find_user_by_email(email) is not None:
        raise click.ClickException(f"{email} already has an account.")
    user = User(email=email.strip(), name=name.strip(), role=Role.PARTNERSHIP, partnership_id=partnership.id)
    db.session.add(user)
    link = link_for(user)
    db.session.commit()
    click.echo(f"{email} can read {partnership.name}'s figures. Set the password here within 7 days:\n{link}")
