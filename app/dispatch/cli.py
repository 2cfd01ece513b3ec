"""`flask sla sweep`: enforce deadlines once (cron it every minute)."""
from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from app.dispatch.sla import sweep

sla_cli = AppGroup("sla", help="Deadlines of reports.")


@sla_cli.command("sweep")
def sweep_command() -> None:
    """Reassign, escalate, flag overdue and auto-close reports whose deadlines passed; repair stranded ones."""
    result = sweep(auto_close_after=timedelta(days=current_app.config["AUTO_CLOSE_DAYS"]))
    click.echo(f"reassigned {len(result.reassigned)}, escalated {len(result.escalated)}, "
               f"overdue {len(result.overdue)}, closed {len(result.closed)}, repaired {len(result.repaired)}")
