"""Honour-point endpoints: my points, leaderboards and their export, adjustments."""
from __future__ import annotations

from flask import Response
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from app.auth.models import Role
from app.common.auth import roles_required
from app.common.pagination import CursorArgsSchema
from app.points import service, standings
from app.points.schemas import (
    AdjustmentSchema,
    ExportArgsSchema,
    LeaderboardArgsSchema,
    LeaderboardSchema,
    LedgerEntrySchema,
    MyPointsSchema,
)

blp = Blueprint("points", __name__, url_prefix="/api/v1",
                description="Honour points (荣誉积分), leaderboards and adjustments.")

BOARD_VIEWERS = (Role.RIDER, Role.SECRETARY, Role.DISPATCHER, Role.ADMIN)


@blp.route("/me/points", methods=["GET"])
@roles_required(Role.RIDER)
@blp.arguments(CursorArgsSchema, location="query")
@blp.response(200, MyPointsSchema)
def my_points(args):
    """Your balance, this month's points, ranks, level and ledger entries (newest first; follow `next`)."""
    return standings.my_points(rider=current_user, **args)


@blp.route("/leaderboards", methods=["GET"])
@roles_required(*BOARD_VIEWERS)
@blp.arguments(LeaderboardArgsSchema, location="query")
@blp.response(200, LeaderboardSchema)
def leaderboard(args):
    """Top riders of a community, street, district or everyone, this week/month/year or all time."""
    return standings.leaderboard(actor=current_user, scope=args["scope"], area_code=args["area"],
                                 period=args["period"], limit=args["limit"])


@blp.route("/leaderboards/export.csv", methods=["GET"])
@roles_required(Role.SECRETARY, Role.ADMIN)
@blp.arguments(ExportArgsSchema, location="query")
@blp.doc(responses={"200": {"description": "CSV, UTF-8 with BOM",
                            "content": {"text/csv": {"schema": {"type": "string"}}}}})
def export_leaderboard(args):
    """The leaderboard as a CSV file for Excel (same filters)."""
    filename, body = standings.leaderboard_csv(actor=current_user, scope=args["scope"],
                                               area_code=args["area"], period=args["period"],
                                               limit=args["limit"])
    return Response(body, mimetype="text/csv", headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{filename}"',
    })


@blp.route("/points/adjustments", methods=["POST"])
@roles_required(Role.SECRETARY, Role.ADMIN)
@blp.arguments(AdjustmentSchema)
@blp.response(201, LedgerEntrySchema)
def adjust(form):
    """Add or remove a rider's points with a reason they will read (secretary of their community)."""
    return service.adjust_points(actor=current_user, rider_id=form["rider_id"], delta=form["delta"],
                                 reason=form["reason"])
