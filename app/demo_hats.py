"""The demo's other hats for 满春园社区: two 红色驿站, a running 送政策上门 campaign, an adopted suggestion."""
from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select

from app.auth.models import User
from app.campaigns import service as campaigns
from app.campaigns.leaflets import leaflet_limits
from app.common import clock
from app.extensions import db
from app.geo.demo_map import worker_posts
from app.photos.service import photo_store
from app.points.periods import china_date
from app.stations import service as stations
from app.stations.models import Station
from app.suggestions import service as suggestions

# (name, lat, lon, hours, services)
DEMO_STATIONS = (
    ("满春园社区党群服务中心红色驿站", 38.4805, 106.2210, "08:00-22:00", ["饮水", "充电", "热饭", "休息", "卫生间"]),
    ("福州街快递小哥爱心驿站", 38.4782, 106.2246, "全天", ["饮水", "充电", "休息", "电动车充电"]),
)
# Leaflets the other demo riders handed out over the campaign's first days: (rider, days ago, grid
# post, leaflets). The first rider (13900000101) has none, so the phone shows an untouched day.
DEMO_DELIVERIES = (
    ("13900000102", 6, 0, 8), ("13900000103", 5, 1, 12), ("13900000102", 4, 0, 25),
    ("13900000103", 2, 2, 6), ("13900000102", 1, 1, 10),
)
BIKE_LANE = "福州街自行车道上划了机动车停车位，骑车只能走机动车道，很危险，建议取消这段车位。"


def seed_demo_hats(*, community: str, secretary_phone: str, rider_phone: str) -> Iterator[str]:
    """Stations, a campaign and a replied suggestion in the community, unless they are there already."""
    if db.session.scalar(select(Station.id).where(Station.area_code == community).limit(1)) is not None:
        return
    secretary = db.session.scalar(select(User).where(User.phone == secretary_phone))
    rider = db.session.scalar(select(User).where(User.phone == rider_phone))
    if secretary is None or rider is None:
        return
    for name, lat, lon, hours, services in DEMO_STATIONS:
        stations.create_station(actor=secretary, name=name, lat=lat, lon=lon, hours=hours, services=services)
    today = china_date(clock.utcnow())
    campaign = campaigns.create_campaign(
        secretary=secretary, title="居民医保缴费提醒",
        body="2027年度城乡居民医疗保险集中缴费进行中，请提醒居民在12月31日前通过“我的宁夏”或银行缴费。",
        starts_on=today - timedelta(days=7), ends_on=today + timedelta(days=60),
        points_per_delivery=1, daily_cap=20, leaflet=leaflet_picture(), store=photo_store(),
        limits=leaflet_limits())
    delivered = _deliver_on_past_days(campaign_id=campaign.id, community=community)
    suggestion = suggestions.submit_suggestion(rider=rider, content=BIKE_LANE, lat=38.4790, lon=106.2240)
    suggestions.reply_to_suggestion(secretary=secretary, suggestion_id=suggestion.id, adopted=True,
                                    reply="已采纳：已协调交警取消福州街自行车道上的停车位，谢谢你！")
    yield (f"满春园社区: 2 个红色驿站, 送政策上门活动「居民医保缴费提醒」（附传单图片，已送出 {delivered} 份）, "
           "1 条已采纳的社情民意")


def _deliver_on_past_days(*, campaign_id: int, community: str) -> int:
    """The demo deliveries, each recorded through the service as on its own day (cap and points as
    then); the leaflets handed out in all."""
    posts = [post for post in worker_posts() if post.community_code == community]
    riders = {user.phone: user for user in db.session.scalars(
        select(User).where(User.phone.in_({phone for phone, *_ in DEMO_DELIVERIES})))}
    now = clock.utcnow()
    total = 0
    for phone, days_ago, post, count in DEMO_DELIVERIES:
        if phone not in riders:
            continue
        with _clock_at(now - timedelta(days=days_ago)):
            campaigns.record_delivery(rider=riders[phone], campaign_id=campaign_id, count=count,
                                      lat=posts[post].lat, lon=posts[post].lon)
        total += count
    return total


@contextmanager
def _clock_at(at: datetime) -> Iterator[None]:
    # The clock is the one seam for moving time (as tests and the demo reports do).
    real = clock.utcnow
    clock.utcnow = lambda: at
    try:
        yield
    finally:
        clock.utcnow = real


def leaflet_picture() -> bytes:
    """A small drawn leaflet (a red banner, lines of text as bars, a QR-like square), as PNG bytes:
    drawn here, not shipped, and without text so no font is needed."""
    image = Image.new("RGB", (600, 800), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 600, 160), fill=(200, 22, 29))
    draw.rectangle((40, 50, 400, 90), fill="white")
    for row in range(8):
        draw.rectangle((40, 210 + row * 48, 560 - (row % 3) * 90, 232 + row * 48), fill=(210, 212, 216))
    draw.rectangle((400, 620, 560, 780), outline=(31, 35, 41), width=8)
    for cell in range(0, 120, 24):
        draw.rectangle((420 + cell, 640 + (cell * 7) % 100, 436 + cell, 656 + (cell * 7) % 100), fill=(31, 35, 41))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
