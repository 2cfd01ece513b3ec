"""Statistics endpoint for secretaries, dispatchers and admins."""
from __future__ import annotations

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from app.auth.models import Role
from app.common.auth import roles_required
from app.stats import service
from app.stats.schemas import (
    StatsArgsSchema,
    StatsSchema,
    TrendArgsSchema,
    TrendSchema,
    WorkerAssessmentPageSchema,
)

blp = Blueprint("stats", __name__, url_prefix="/api/v1/stats",
                description="Report statistics of a community, street or district.")


@blp.route("", methods=["GET"])
@roles_required(Role.SECRETARY, Role.DISPATCHER, Role.ADMIN)
@blp.arguments(StatsArgsSchema, location="query")
@blp.response(200, StatsSchema)
def stats(args):
    """Counts by status and category, deadline compliance, median minutes, top reporters."""
    return service.report_stats(actor=current_user, area_code=args["area"],
                                date_from=args["from_"], date_to=args["to"])


@blp.route("/workers", methods=["GET"])
@roles_required(Role.SECRETARY, Role.DISPATCHER, Role.ADMIN)
@blp.arguments(StatsArgsSchema, location="query")
@blp.response(200, WorkerAssessmentPageSchema)
def workers(args):
    """Grid worker assessment (网格考评): assigned, accepted in time, resolved, average rating."""
    return {"items": service.worker_assessment(actor=current_user, area_code=args["area"],
                                               date_from=args["from_"], date_to=args["to"])}


@blp.route("/trend", methods=["GET"])
@roles_required(Role.SECRETARY, Role.DISPATCHER, Role.ADMIN)
@blp.arguments(TrendArgsSchema, location="query")
@blp.response(200, TrendSchema)
def trend(args):
    """Reports created and resolved per China week, the last `weeks` weeks."""
    return {"items": service.weekly_trend(actor=current_user, area_code=args["area"], weeks=args["weeks"])}
