"""`flask notifications ...`: the Web Push deliverer and VAPID key generation."""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.notifications.delivery import DeliveryPolicy, deliver_due
from app.notifications.push import WebPushSender, generate_vapid_keys
from app.notifications.settings import allowed_push_hosts, setting

notifications_cli = AppGroup("notifications", help="Push delivery.")


@notifications_cli.command("deliver")
@click.option("--once", is_flag=True, help="Drain what is due now, then exit (for cron or tests).")
@click.option("--max-batch", default=50, show_default=True, type=click.IntRange(1, 1000),
              help="Deliveries claimed per round.")
@click.option("--sleep", "sleep_seconds", default=2.0, show_default=True, type=click.FloatRange(0.05, 300),
              help="Pause when nothing is due.")
def deliver_command(once: bool, max_batch: int, sleep_seconds: float) -> None:
    """Send queued notifications to Web Push subscriptions, with retries and backoff."""
    private_key = setting("VAPID_PRIVATE_KEY")
    if not private_key:
        raise click.ClickException(
            "Set VAPID_PRIVATE_KEY first (`flask notifications vapid-keys` makes one).")
    timeout = float(setting("PUSH_TIMEOUT_SECONDS"))
    sender = WebPushSender(private_key=private_key, subject=setting("VAPID_SUBJECT"),
                           ttl_seconds=int(setting("PUSH_TTL_SECONDS")), timeout_seconds=timeout,
                           allowed=allowed_push_hosts())
    policy = DeliveryPolicy(max_attempts=int(setting("PUSH_MAX_ATTEMPTS")),
                            retry_base_seconds=float(setting("PUSH_RETRY_BASE_SECONDS")),
                            retry_max_seconds=float(setting("PUSH_RETRY_MAX_SECONDS")),
                            lease_seconds=max_batch * timeout + 60)
    while True:
        try:
            result = deliver_due(sender=sender, max_batch=max_batch, policy=policy)
        except OperationalError as exc:  # database restarting or locked too long: try again later
            if once:
                raise
            db.session.rollback()
            click.echo(f"database unavailable, retrying: {exc.orig}", err=True)
            time.sleep(sleep_seconds)
            continue
        if result.claimed:
            click.echo(result.summary())
        if result.claimed < max_batch:
            if once:
                return
            time.sleep(sleep_seconds)


@notifications_cli.command("vapid-keys")
def vapid_keys_command() -> None:
    """Print a fresh VAPID key pair as environment lines for .env / the README."""
    private_key, public_key = generate_vapid_keys()
    click.echo(f"VAPID_PRIVATE_KEY={private_key}")
    click.echo(f"VAPID_PUBLIC_KEY={public_key}")


@notifications_cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5001, show_default=True, type=click.IntRange(0, 65535))
@click.option("--wsgi-threads", default=16, show_default=True, type=click.IntRange(1, 256),
              help="Threads for the paths the Flask app serves (all but the stream).")
def serve_command(host: str, port: int, wsgi_threads: int) -> None:
    """Serve the notification stream (asyncio, no thread per stream) and, on the same port, the app."""
    from flask import current_app

    from app.notifications.stream_server import make_server

    make_server(current_app._get_current_object(), host=host, port=port, log_level="info",
                wsgi_threads=wsgi_threads).run()
