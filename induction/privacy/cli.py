"""`flask retention apply`: erase the people whose accounts were switched off long enough ago."""

from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import with_appcontext

from induction import clock
from induction.privacy import erasure

DEFAULT_YEARS = 6


def retention_years() -> int:
    """RETENTION_YEARS from the app's settings or the environment (6 unless set): a whole number of years."""
    raw = current_app.config.get("RETENTION_YEARS")
    if raw is None or raw == "":
        raw = os.environ.get("RETENTION_YEARS") or DEFAULT_YEARS
    try:
        years = int(raw)
    except ValueError:
        raise click.ClickException(f"RETENTION_YEARS must be a whole number of years, not {raw!r}.") from None
    if years < 1:
        raise click.ClickException(f"RETENTION_YEARS must be at least 1, not {years}.")
    return years


@click.group("retention")
def retention_group() -> None:
    """The retention policy for people who have left (RETENTION_YEARS)."""


@retention_group.command("apply")
@click.option("--apply", "really", is_flag=True, help="Erase them. Without it, only report who would be erased.")
@with_appcontext
def apply(really: bool) -> None:
    """Report, or with --apply erase, accounts switched off more than RETENTION_YEARS years ago.

    Running it again erases no one twice. The report names people by account number and
    pseudonymous id only, so that logs of scheduled runs hold no names."""
    years = retention_years()
    now = clock.utcnow()
    due = erasure.due_for_erasure(now, years)
    limit = erasure.cutoff(now, years)
    click.echo(
        f"Retention: {years} years after an account is switched off (switched off on or before {limit:%Y-%m-%d})."
    )
    if not due:
        click.echo("No one is due for erasure.")
        return
    for item in due:
        click.echo(f"  account {item.user_id} ({item.role}, {item.uuid}), switched off {item.left_at:%Y-%m-%d}")
    if not really:
        click.echo(f"Dry run: {len(due)} account(s) would be erased. Run again with --apply to erase them.")
        return
    done = erasure.apply_retention(due, years, now)
    click.echo(f"Erased {done} account(s).")
