"""The rider's other hats in the stats: suggestions received and adopted, deliveries per campaign."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from app.campaigns.models import Campaign, Delivery
from app.extensions import db
from app.geo.models import Area, Level
from app.points.periods import china_midnight
from app.suggestions.models import Suggestion


def other_hats(*, area: Area | None, first: date, last: date) -> dict[str, Any]:
    """Suggestions and deliveries made in the area's communities between two China days."""
    since, until = china_midnight(first), china_midnight(last + timedelta(days=1))
    communities = _communities_of(area)
    suggested = select(func.count(Suggestion.id), func.count(Suggestion.id).filter(Suggestion.adopted.is_(True)))
    suggested = suggested.where(Suggestion.created_at >= since, Suggestion.created_at < until)
    delivered = (select(Campaign.id, Campaign.title, func.count(Delivery.id), func.sum(Delivery.count))
                 .join(Delivery, Delivery.campaign_id == Campaign.id)
                 .where(Delivery.created_at >= since, Delivery.created_at < until)
                 .group_by(Campaign.id, Campaign.title).order_by(Campaign.id))
    if communities is not None:
        suggested = suggested.where(Suggestion.area_code.in_(communities))
        delivered = delivered.where(Campaign.area_code.in_(communities))
    received, adopted = db.session.execute(suggested).one()
    return {
        "suggestions": {"received": received, "adopted": adopted},
        "deliveries": [{"campaign_id": campaign_id, "title": title, "deliveries": count,
                        "leaflets": int(leaflets or 0)}
                       for campaign_id, title, count, leaflets in db.session.execute(delivered)],
    }


def _communities_of(area: Area | None) -> Any:
    """The community codes under an area (a subquery), or None for everyone's."""
    if area is None:
        return None
    if area.level == Level.COMMUNITY:
        return select(Area.code).where(Area.code == area.code)
    children = select(Area.code).where(Area.parent_code == area.code)
    if area.level == Level.STREET:
        return children
    return select(Area.code).where(Area.parent_code.in_(children))  # a district: its streets' communities
