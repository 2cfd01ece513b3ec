"""`flask photos gc`: remove stored files that no report, suggestion, delivery or campaign leaflet refers to."""
from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from app.photos.references import remove_orphan_photos
from app.photos.service import photo_store

photos_cli = AppGroup("photos", help="The photo store.")


@photos_cli.command("gc")
@click.option("--older-than-minutes", default=60, show_default=True,
              help="Grace period: files younger than this may belong to a submission in progress.")
def gc_command(older_than_minutes: int) -> None:
    """Delete stored files that no row (report, suggestion, delivery, leaflet) refers to."""
    removed = remove_orphan_photos(store=photo_store(), older_than=timedelta(minutes=older_than_minutes))
    # Every file deleted is counted, leftover temp files of killed writes included.
    click.echo(f"removed {removed.total} files ({len(removed.keys)} orphan photo files, "
               f"{removed.temp_files} leftover temp files)")
