"""Flask commands: first admin, demo data, and each domain's own groups."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.auth import service as auth_service
from app.auth.models import Role
from app.auth.phones import normalize_phone
from app.dispatch.cli import sla_cli
from app.errors import AppError
from app.geo.cli import areas_cli
from app.integrations.cli import integrations_cli
from app.notifications.cli import notifications_cli
from app.photos.cli import photos_cli
from app.points.cli import points_cli
from app.stats.cli import stats_cli

users_cli = AppGroup("users", help="Manage accounts.")
seed_cli = AppGroup("seed", help="Load data.")


@users_cli.command("create")
@click.option("--role", type=click.Choice([Role.ADMIN.value]), default=Role.ADMIN.value, show_default=True)
@click.option("--phone", required=True)
@click.option("--password", required=True)
@click.option("--name", required=True)
def create_user_command(role: str, phone: str, password: str, name: str) -> None:
    """Create the first admin (other staff are created through the API)."""
    normalized = normalize_phone(phone)
    if normalized is None:
        raise click.BadParameter("not a mainland mobile number", param_hint="--phone")
    try:
        user = auth_service.create_admin(phone=normalized, password=password, name=name)
    except AppError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"created {role} #{user.id} {user.phone}")


@seed_cli.command("demo")
def seed_demo_command() -> None:
    """Load the demo world once (a district of Yinchuan, staff and riders)."""
    from app.demo import seed_demo

    for line in seed_demo():
        click.echo(line)


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_cli)
    app.cli.add_command(sla_cli)
    app.cli.add_command(areas_cli)
    app.cli.add_command(photos_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(points_cli)
    app.cli.add_command(integrations_cli)
    app.cli.add_command(stats_cli)
