"""`flask notifications ...`: the deliverer (Web Push, SMS, WeChat) and VAPID key generation."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.notifications.push import generate_vapid_keys
from app.notifications.worker import NothingToDeliver, deliverer_from

notifications_cli = AppGroup("notifications", help="Push delivery.")


@notifications_cli.command("deliver")
@click.option("--once", is_flag=True, help="Drain what is due now, then exit (for cron or tests).")
@click.option("--max-batch", default=50, show_default=True, type=click.IntRange(1, 1000),
              help="Deliveries claimed per round.")
@click.option("--sleep", "sleep_seconds", default=2.0, show_default=True, type=click.FloatRange(0.05, 300),
              help="Pause when nothing is due.")
def deliver_command(once: bool, max_batch: int, sleep_seconds: float) -> None:
    """Send queued notifications by Web Push, SMS and WeChat, with retries and backoff."""
    try:
        deliverer = deliverer_from(current_app.config, max_batch=max_batch)
    except NothingToDeliver as exc:
        raise click.ClickException(str(exc)) from None
    while True:
        try:
            results = deliverer.run_round()
        except OperationalError as exc:  # database restarting or locked too long: try again later
            if once:
                raise
            db.session.rollback()
            click.echo(f"database unavailable, retrying: {exc.orig}", err=True)
            time.sleep(sleep_seconds)
            continue
        for result in results:
            if result.claimed:
                click.echo(result.summary())
        if all(result.claimed < max_batch for result in results):
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
