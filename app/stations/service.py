"""红色驿站 rules: secretaries keep their community's stations; anyone signed in finds the nearest."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from app.auth.models import Role, User
from app.errors import Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.geo import service as geo
from app.geo.models import Level
from app.geo.proximity import geodesic_m
from app.stations.models import Station


@dataclass(frozen=True)
class NearStation:
    """A station and how far it is from the asked point."""

    station: Station
    distance_m: float

    def __getattr__(self, name: str) -> object:
        return getattr(self.station, name)


def create_station(*, actor: User, name: str, lat: float, lon: float, hours: str,
                   services: list[str], area_code: str | None = None) -> Station:
    """A secretary adds a station to her community (an admin to any community)."""
    community = _community_for(actor, area_code)
    station = Station(area_code=community, name=name.strip(), lat=lat, lon=lon, hours=hours.strip(),
                      services=list(dict.fromkeys(services)), created_by_id=actor.id)
    db.session.add(station)
    db.session.commit()
    return station


def kept_stations(*, actor: User) -> Select[tuple[Station]]:
    """The stations a desk keeps, by name: a secretary's community's, every one for an admin."""
    stmt = select(Station).order_by(Station.area_code, Station.name, Station.id)
    if actor.role == Role.ADMIN:
        return stmt
    if actor.role == Role.SECRETARY:
        return stmt.where(Station.area_code == actor.area_code)
    raise Forbidden("只有社区书记和管理员能管理驿站。", code="role_not_allowed")


def get_kept_station(*, actor: User, station_id: int) -> Station:
    """One station the actor keeps; NotFound otherwise (another community's is not said to exist)."""
    station = db.session.scalar(kept_stations(actor=actor).where(Station.id == station_id))
    if station is None:
        raise NotFound("找不到这个驿站。", code="station_not_found")
    return station


def update_station(*, actor: User, station_id: int, **changes: Any) -> Station:
    """The community's secretary (or an admin) changes a station's name, place, hours or services."""
    station = get_kept_station(actor=actor, station_id=station_id)
    for name in ("name", "hours"):
        if changes.get(name) is not None:
            setattr(station, name, changes[name].strip())
    if changes.get("lat") is not None and changes.get("lon") is not None:
        station.lat, station.lon = changes["lat"], changes["lon"]
    if changes.get("services") is not None:
        station.services = list(dict.fromkeys(changes["services"]))
    db.session.commit()
    return station


def remove_station(*, actor: User, station_id: int) -> str:
    """The community's secretary (or an admin) removes a station that closed or moved; its name.
    Nothing refers to a station, so it goes for good (riders stop being sent to a closed door)."""
    station = get_kept_station(actor=actor, station_id=station_id)
    name = station.name
    db.session.delete(station)
    db.session.commit()
    return name


def nearest_stations(*, lat: float, lon: float, limit: int) -> list[NearStation]:
    """Stations nearest first, with their distance from (lat, lon) in metres."""
    # A city keeps tens of stations, not thousands: measuring each is cheaper than an index.
    near = [NearStation(station, round(geodesic_m(lat, lon, station.lat, station.lon), 1))
            for station in db.session.scalars(select(Station))]
    near.sort(key=lambda item: (item.distance_m, item.station.id))
    return near[:limit]


def _community_for(actor: User, area_code: str | None) -> str:
    """The community a new station belongs to: a secretary's own; an admin names one."""
    if actor.role == Role.SECRETARY:
        if area_code is not None and area_code != actor.area_code:
            raise Forbidden("只能为自己的社区添加驿站。", code="outside_your_area")
        if actor.area_code is None:
            raise Forbidden("你的账号没有所属社区。", code="no_area")
        return actor.area_code
    if area_code is None:
        raise ValidationFailed("请指定驿站所在的社区。", code="area_required",
                               details={"area_code": ["必填。"]})
    if geo.get_area(code=area_code).level != Level.COMMUNITY:
        raise ValidationFailed("驿站须属于一个社区。", code="not_a_community",
                               details={"area_code": ["须为社区编码。"]})
    return area_code
