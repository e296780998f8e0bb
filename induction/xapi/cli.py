"""`flask xapi ...`: LRS clients and the forwarding worker."""

from __future__ import annotations

import signal
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from induction.extensions import db
from induction.xapi import clients, forwarding
from induction.xapi.models import LrsClient


@click.group("xapi")
def xapi_group() -> None:
    """The platform as an LRS: clients and forwarding."""


@xapi_group.group("client")
def client_group() -> None:
    """Credentials for systems that use the LRS."""


@client_group.command("create")
@click.argument("name")
@click.option("--read-only", is_flag=True, help="May read statements and documents, not write.")
@click.option("--organisation", "organisations", type=int, multiple=True, help="Limit to this organisation id.")
@with_appcontext
def create_client(name: str, read_only: bool, organisations: tuple[int, ...]) -> None:
    """Issue a client; prints its key and secret (the secret is shown only now)."""
    issued = clients.create(name, read_only=read_only, organisation_ids=organisations)
    db.session.commit()
    click.echo(f"key: {issued.client.key}")
    click.echo(f"secret: {issued.secret}")


@client_group.command("list")
@with_appcontext
def list_clients() -> None:
    """Every client, with its access and whether it is revoked."""
    for client in db.session.scalars(clients.clients_query()):
        access = "read-only" if client.read_only else "read/write"
        state = f"revoked {client.revoked_at:%Y-%m-%d}" if client.revoked_at else "active"
        click.echo(f"{client.key}  {access:10}  {state:18}  {client.name}")


@client_group.command("revoke")
@click.argument("key")
@with_appcontext
def revoke_client(key: str) -> None:
    """Revoke the client with this key at once."""
    client = db.session.scalar(select(LrsClient).where(LrsClient.key == key))
    if client is None:
        raise click.ClickException(f"No client has the key {key}.")
    clients.revoke(client)
    db.session.commit()
    click.echo(f"Revoked {client.name} ({key}).")


@xapi_group.command("forward")
@click.option("--once", is_flag=True, help="Send what is due now, then stop.")
@with_appcontext
def forward(once: bool) -> None:
    """Send statements from the outbox to LRS_ENDPOINT, in batches, retrying with back-off."""
    if not current_app.config.get("LRS_ENDPOINT"):
        raise click.ClickException("LRS_ENDPOINT is not set, so there is nowhere to forward to.")
    sender = forwarding.sender_from_config()
    if once:
        total = forwarding.forward_due(sender)
        waiting = forwarding.status()
        click.echo(f"Sent {total.sent}, parked {total.parked}.")
        click.echo(f"Waiting for a later attempt: {waiting.waiting}; parked in all: {len(waiting.parked)}.")
        return
    stopping = {"now": False}

    def _stop(*_: Any) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo("Forwarding statements; stop with Ctrl-C or SIGTERM.")
    forwarding.run_worker(sender, should_stop=lambda: stopping["now"])


@xapi_group.command("queue")
@with_appcontext
def queue() -> None:
    """The forwarding queue: how many wait, since when, and the parked ones."""
    found = forwarding.status()
    oldest = f"{found.oldest_waiting:%Y-%m-%d %H:%M:%S} UTC" if found.oldest_waiting else "none"
    click.echo(f"waiting: {found.waiting}, oldest waiting: {oldest}, parked: {len(found.parked)}")
    for item in found.parked:
        click.echo(f"  parked {item.statement_id}: {item.last_error}")


@xapi_group.command("retry")
@with_appcontext
def retry() -> None:
    """Put every parked statement back in the queue."""
    count = forwarding.retry()
    db.session.commit()
    click.echo(f"{count} parked statement(s) queued again.")
