"""`flask areas ...`: load a grid map from a GeoJSON file."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.errors import AppError
from app.geo import service
from app.geo.datums import COORD_SYSTEMS

areas_cli = AppGroup("areas", help="The grid map.")


@areas_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--coord-sys", type=click.Choice(COORD_SYSTEMS), default="wgs84", show_default=True,
              help="Datum the map was drawn in (gcj02 for AMap/Tencent, bd09 for Baidu).")
def import_command(file: Path, coord_sys: str) -> None:
    """Import a GeoJSON FeatureCollection of areas (all or nothing; re-import is a no-op)."""
    try:
        result = service.import_areas(source=file.read_bytes(), coord_sys=coord_sys)
    except AppError as exc:
        for entry in exc.details.get("file", []):
            click.echo(f"  file: {entry['message']}", err=True)
        for entry in exc.details.get("features", []):
            for problem in entry["problems"]:
                click.echo(
                    f"  {entry.get('code') or '#' + str(entry.get('index'))}: {problem['message']}",
                    err=True,
                )
        raise click.ClickException(exc.message) from None
    click.echo(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}")
