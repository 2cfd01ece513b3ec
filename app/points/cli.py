"""`flask points verify|rebuild`: check the totals against the ledger, or recompute them."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.points.totals import rebuild_totals, verify_totals

points_cli = AppGroup("points", help="Honour points: check and rebuild the leaderboard totals.")


@points_cli.command("verify")
@click.option("--show", default=20, show_default=True, help="How many differences to print.")
def verify_command(show: int) -> None:
    """Recompute every total from the ledger; exit 1 if any stored total differs."""
    count = 0
    for mismatch in verify_totals():
        count += 1
        if count <= show:
            click.echo(f"{mismatch.side:>6}: scope={mismatch.scope_code} {mismatch.period_kind} "
                       f"{mismatch.period_start} rider={mismatch.rider_id} points={mismatch.points} "
                       f"reports={mismatch.reports} valid={mismatch.valid_reports}")
    if count:
        raise click.ClickException(f"{count} totals rows differ from the ledger; "
                                   "`flask points rebuild` recomputes them.")
    click.echo("points totals match the ledger")


@points_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute the totals from the ledger (in one transaction)."""
    click.echo(f"rebuilt {rebuild_totals()} totals rows from the ledger")
