from __future__ import annotations

import click
from flask.cli import with_appcontext

from induction import clock
from induction.reminders.services import send_reminders


@click.group("reminders")
def reminders() -> None:
    """E-mail reminders."""


@reminders.command("send")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Act as if it were this day.")
@with_appcontext
def send_command(today: object) -> None:
    """Send every reminder owed today; each condition is e-mailed once, however often this runs."""
    day = today.date() if today is not None else clock.today()  # type: ignore[attr-defined]
    outcome = send_reminders(day)
    click.echo(f"sent {outcome.sent}, already sent {outcome.skipped}, failed {outcome.failed}")
    if outcome.failed:
        raise SystemExit(1)
