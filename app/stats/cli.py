"""`flask stats verify|rebuild`: check the monthly and daily report totals against the reports, or recompute them."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.stats.aggregates import rebuild_totals, verify_totals

stats_cli = AppGroup("stats", help="Report statistics: check and rebuild the monthly and daily totals.")


@stats_cli.command("verify")
@click.option("--show", default=20, show_default=True, help="How many differences to print.")
def verify_command(show: int) -> None:
    """Recompute every monthly and daily total from the reports; exit 1 if any stored total differs."""
    count = 0
    for mismatch in verify_totals():
        count += 1
        if count <= show:
            values = " ".join(f"{k}={v}" for k, v in mismatch.values.items())
            click.echo(f"{mismatch.table} {mismatch.side:>7}: {values}")
    if count:
        raise click.ClickException(f"{count} totals rows differ from the reports; "
                                   "`flask stats rebuild` recomputes them.")
    click.echo("report totals match the reports")


@stats_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute the monthly and daily totals from the reports (in one transaction)."""
    click.echo(f"rebuilt {rebuild_totals()} totals rows from the reports")
