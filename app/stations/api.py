"""红色驿站 endpoints: add, change and remove a station (secretary, admin); stations near a point (anyone signed in)."""
from __future__ import annotations

from typing import Any

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from app.auth.models import Role
from app.common.auth import roles_required
from app.stations import service
from app.stations.schemas import (
    NearArgsSchema,
    StationInSchema,
    StationListSchema,
    StationPatchSchema,
    StationSchema,
)

blp = Blueprint("stations", __name__, url_prefix="/api/v1/stations",
                description="红色驿站: where riders get water, a charge, a hot meal and a rest.")


@blp.route("", methods=["POST"])
@roles_required(Role.SECRETARY, Role.ADMIN)
@blp.arguments(StationInSchema)
@blp.response(201, StationSchema)
def create_station(form: dict[str, Any]):
    """Add a station to your community (an admin names the community)."""
    form.pop("coord_sys")  # lat/lon are WGS-84 once loaded
    return service.create_station(actor=current_user, **form)


@blp.route("/<int:station_id>", methods=["PATCH"])
@roles_required(Role.SECRETARY, Role.ADMIN)
@blp.arguments(StationPatchSchema)
@blp.response(200, StationSchema)
def update_station(form: dict[str, Any], station_id: int):
    """Change a station of your community (an admin: any): name, lat/lon, hours, services."""
    form.pop("coord_sys")  # lat/lon are WGS-84 once loaded
    return service.update_station(actor=current_user, station_id=station_id, **form)


@blp.route("/<int:station_id>", methods=["DELETE"])
@roles_required(Role.SECRETARY, Role.ADMIN)
@blp.response(204)
def remove_station(station_id: int):
    """Remove a station of your community (an admin: any) that closed or moved."""
    service.remove_station(actor=current_user, station_id=station_id)


@blp.route("", methods=["GET"])
@roles_required()
@blp.arguments(NearArgsSchema, location="query")
@blp.response(200, StationListSchema)
def near_stations(args: dict[str, Any]):
    """Stations nearest to a point first, with their distance in metres."""
    return {"items": service.nearest_stations(lat=args["lat"], lon=args["lon"], limit=args["limit"])}
