"""`flask integrations ...`: the status-callback deliverer."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.integrations.callbacks import HttpCallbackSender, deliver_due_callbacks
from app.notifications.delivery import DeliveryPolicy

integrations_cli = AppGroup("integrations", help="Hotlines and third parties.")


@integrations_cli.command("callbacks")
@click.option("--once", is_flag=True, help="Send what is due now, then exit (for cron or tests).")
@click.option("--max-batch", default=50, show_default=True, type=click.IntRange(1, 1000),
              help="Callbacks claimed per round.")
@click.option("--sleep", "sleep_seconds", default=2.0, show_default=True, type=click.FloatRange(0.05, 300),
              help="Pause when nothing is due.")
def callbacks_command(once: bool, max_batch: int, sleep_seconds: float) -> None:
    """POST queued status callbacks to integrations, signed, with retries and backoff."""
    config = current_app.config
    timeout = float(config["CALLBACK_TIMEOUT_SECONDS"])
    sender = HttpCallbackSender(timeout_seconds=timeout)
    policy = DeliveryPolicy(max_attempts=int(config["CALLBACK_MAX_ATTEMPTS"]),
                            retry_base_seconds=float(config["CALLBACK_RETRY_BASE_SECONDS"]),
                            retry_max_seconds=float(config["CALLBACK_RETRY_MAX_SECONDS"]),
                            lease_seconds=max_batch * timeout + 60)
    while True:
        try:
            result = deliver_due_callbacks(sender=sender, max_batch=max_batch, policy=policy)
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
