"""Console pages for reports: the list, one report, its actions, the map and the statistics."""
from __future__ import annotations

from flask import render_template

from app.auth.models import Role
from app.console.blueprint import blp
from app.console.session import desk_page


@blp.get("/reports")
@desk_page()
def reports(me):  # type: ignore[no-untyped-def]
    return render_template("console/error.html", me=me, text="", status=200)


@blp.get("/reports/<int:report_id>")
@desk_page()
def report(me, report_id):  # type: ignore[no-untyped-def]
    return render_template("console/error.html", me=me, text="", status=200)


@blp.get("/map")
@desk_page(Role.SECRETARY, Role.DISPATCHER, Role.ADMIN)
def area_map(me):  # type: ignore[no-untyped-def]
    return render_template("console/error.html", me=me, text="", status=200)


@blp.get("/stats")
@desk_page(Role.SECRETARY, Role.DISPATCHER, Role.ADMIN)
def stats(me):  # type: ignore[no-untyped-def]
    return render_template("console/error.html", me=me, text="", status=200)
