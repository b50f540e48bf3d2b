"""`flask --app voice worker`, `receiver` and `vapid-keys` (registered by voice.cli)."""
from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from . import push, worker
from .receiver import Receiver


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="One pass over what is due, then stop.")
@click.option("--until-idle", is_flag=True, help="Stop when nothing is due.")
@click.option("--max-seconds", type=float, default=None, help="Stop after this long.")
@click.option("--batch", type=int, default=10, show_default=True,
              help="Deliveries claimed at a time.")
@click.option("--poll", type=float, default=1.0, show_default=True,
              help="Seconds to wait when nothing is due.")
def worker_command(once, until_idle, max_seconds, batch, poll):
    """Send the outbox: webhooks to panels' case records, and Web Push messages.

    Several workers may run at once against PostgreSQL. SIGTERM stops it after the current send.
    """
    current_app.logger.setLevel(logging.INFO)  # a line per attempt: ids and outcome, no body
    tried = worker.run(batch=batch, once=once, max_seconds=max_seconds, until_idle=until_idle,
                       poll=poll, handle_signals=True)
    click.echo(f"Tried {tried} deliveries.")


@click.command("receiver")
@with_appcontext
@click.option("--secret", "secrets", multiple=True, required=True,
              help="The endpoint's signing secret (whsec_...). Give it twice while rotating.")
@click.option("--port", type=int, default=8080, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--folder", type=click.Path(file_okay=False), default="received",
              show_default=True, help="Where each event is stored as <webhook-id>.json.")
@click.option("--fail-first", type=int, default=0,
              help="Test aid: answer 500 to the first N signed requests.")
def receiver_command(secrets, port, host, folder, fail_first):
    """A reference receiver: verifies signatures, dedupes on webhook-id, stores each event."""
    server = Receiver(list(secrets), folder, host=host, port=port, fail_first=fail_first)
    click.echo(f"Receiving on {server.url} into {folder}", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@click.command("vapid-keys")
@with_appcontext
@click.option("--subject", default="mailto:you@example.org", show_default=True,
              help="A contact for push services: mailto: or https: URL of the service's operator.")
def vapid_keys_command(subject):
    """Print new VAPID keys for Web Push, as environment variables to set."""
    private, public = push.generate_vapid_keys()
    click.echo(f"VOICE_VAPID_PRIVATE_KEY={private}")
    click.echo(f"VOICE_VAPID_PUBLIC_KEY={public}")
    click.echo(f"VOICE_VAPID_SUBJECT={subject}")
    if current_app.config.get("VAPID_PRIVATE_KEY"):
        click.echo("# Keys are set already: replacing them stops every device's notifications "
                   "until it is turned on again.", err=True)


COMMANDS = (worker_command, receiver_command, vapid_keys_command)
