"""送政策上门 rules: a secretary runs campaigns for her community; its riders record deliveries, each
earning points once, within a daily cap per rider that restarts at China midnight."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role, User
from app.campaigns.leaflets import LeafletLimits, leaflet_until_saved
from app.campaigns.models import Campaign, CampaignStatus, Delivery
from app.common import clock
from app.common.db import commit_keeping_loaded, reading_only
from app.common.idempotency import fingerprint, row_with_key
from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.geo import service as geo
from app.geo.models import Level
from app.photos.intake import IntakePhoto, PhotoSetup, check_photo_count
from app.photos.storage import PhotoStore
from app.points import rules as point_rules
from app.points import service as points
from app.points.periods import china_date

# A second identical campaign from the same secretary this soon is a retry (a double click, a
# resend after a dropped connection): it gets the first one back.
RETRY_WINDOW = timedelta(minutes=10)


def create_campaign(*, secretary: User, title: str, body: str, starts_on: date, ends_on: date,
                    points_per_delivery: int, daily_cap: int, leaflet: bytes | None = None,
                    store: PhotoStore | None = None, limits: LeafletLimits | None = None) -> Campaign:
    """A secretary starts a campaign for her community, with its leaflet file if one is given (an
    image or a PDF, stored in `store`; removed again if the campaign cannot be saved)."""
    if secretary.area_code is None:
        raise Forbidden("你的账号没有所属社区。", code="no_area")
    terms = {"area_code": secretary.area_code, "title": title.strip(), "body": body.strip(),
             "starts_on": starts_on, "ends_on": ends_on, "points_per_delivery": points_per_delivery,
             "daily_cap": daily_cap, "created_by_id": secretary.id}
    _one_creation_at_a_time(secretary_id=secretary.id)
    earlier = _same_campaign_just_made(terms)
    if earlier is not None and (earlier.leaflet_key is None) == (leaflet is None):
        return earlier
    with leaflet_until_saved(leaflet, store=store, limits=limits or LeafletLimits()) as file:
        campaign = Campaign(status=CampaignStatus.ACTIVE, **terms,
                            leaflet_kind=file.kind if file else None, leaflet_key=file.key if file else None,
                            leaflet_thumbnail_key=file.thumbnail_key if file else None)
        db.session.add(campaign)
        db.session.commit()
    return campaign


def campaign_phase(campaign: Campaign, *, today: date) -> str:
    """Where a campaign stands on a China day: upcoming, running or ended (closed or past)."""
    if campaign.status == CampaignStatus.CLOSED or campaign.ends_on < today:
        return "ended"
    return "upcoming" if campaign.starts_on > today else "running"


def _one_creation_at_a_time(*, secretary_id: int) -> None:
    """Serialise one secretary's campaign creations until this transaction ends, so the second of two
    racing posts (a double click) finds the first (a PostgreSQL row lock; SQLite's writers are
    serialised already)."""
    db.session.execute(select(User.id).where(User.id == secretary_id).with_for_update(key_share=True))


def _same_campaign_just_made(terms: dict[str, Any]) -> Campaign | None:
    return db.session.scalar(select(Campaign).where(
        *(getattr(Campaign, name) == value for name, value in terms.items()),
        Campaign.status == CampaignStatus.ACTIVE, Campaign.created_at >= clock.utcnow() - RETRY_WINDOW,
    ).order_by(Campaign.id).limit(1))


def visible_campaigns(*, user: User) -> Select[tuple[Campaign]]:
    """Campaigns a user may see, newest first: a rider's community's running ones, a secretary's
    community's all, every one for an admin (to be paginated by the caller)."""
    stmt = select(Campaign).order_by(Campaign.id.desc())
    if user.role == Role.RIDER:
        today = china_date(clock.utcnow())
        return stmt.where(Campaign.area_code == user.area_code, Campaign.status == CampaignStatus.ACTIVE,
                          Campaign.starts_on <= today, Campaign.ends_on >= today)
    if user.role == Role.SECRETARY:
        return stmt.where(Campaign.area_code == user.area_code)
    if user.role == Role.ADMIN:
        return stmt
    raise Forbidden("你的角色不能查看送政策上门活动。", code="role_not_allowed")


@dataclass(frozen=True)
class RiderCampaign:
    """A running campaign as a rider sees it: with their leaflets of today in it (count, credited)."""

    campaign: Campaign
    today: dict[str, int]

    def __getattr__(self, name: str) -> object:
        return getattr(self.campaign, name)


def with_my_day(*, user: User, campaigns: Sequence[Campaign]) -> Sequence[Campaign | RiderCampaign]:
    """For a rider, each campaign with what they handed out of it today (China day), against which
    its daily cap counts; for anyone else the campaigns as they are."""
    if user.role != Role.RIDER or not campaigns:
        return campaigns
    today = china_date(clock.utcnow())
    totals = {campaign_id: (int(count), int(credited)) for campaign_id, count, credited in db.session.execute(
        select(Delivery.campaign_id, func.sum(Delivery.count), func.sum(Delivery.credited))
        .where(Delivery.rider_id == user.id, Delivery.china_day == today,
               Delivery.campaign_id.in_([c.id for c in campaigns]))
        .group_by(Delivery.campaign_id))}
    return [RiderCampaign(c, dict(zip(("count", "credited"), totals.get(c.id, (0, 0)), strict=True)))
            for c in campaigns]


def get_campaign(*, campaign_id: int, for_user: User) -> Campaign:
    """One campaign the user may see; NotFound otherwise."""
    campaign = db.session.scalar(visible_campaigns(user=for_user).where(Campaign.id == campaign_id))
    if campaign is None:
        raise NotFound("找不到这个活动。", code="campaign_not_found")
    return campaign


def close_campaign(*, secretary: User, campaign_id: int) -> Campaign:
    """The community's secretary ends a campaign: no more deliveries are taken."""
    campaign = get_campaign(campaign_id=campaign_id, for_user=secretary)
    if campaign.status != CampaignStatus.CLOSED:
        campaign.status, campaign.closed_at = CampaignStatus.CLOSED, clock.utcnow()
        db.session.commit()
    return campaign


def record_delivery(*, rider: User, campaign_id: int, count: int, lat: float, lon: float,
                    note: str | None = None, idempotency_key: str | None = None,
                    photos: Sequence[bytes] = (), setup: PhotoSetup | None = None) -> Delivery:
    """A rider records leaflets handed over, with at most one photo of the leaflet (stored by
    `setup`, the app's by default); points within the daily cap, once. A retry with the same
    Idempotency-Key gives back the first delivery and stores nothing again."""
    check_photo_count(photos, minimum=0, maximum=1, field="photo")
    request_hash = fingerprint({"campaign_id": campaign_id, "count": count, "lat": lat, "lon": lon, "note": note},
                               photos) if idempotency_key else None
    with reading_only():  # no write lock while the photo decodes
        campaign = get_campaign(campaign_id=campaign_id, for_user=rider)  # running, in their community
        earlier = row_with_key(Delivery, rider_id=rider.id, key=idempotency_key, request_hash=request_hash)
        commit_keeping_loaded(db.session())
    if earlier is not None:
        return earlier
    with (setup or PhotoSetup.from_app()).intake(photos) as incoming:
        stored = incoming.stored()  # a bad photo's error: nothing is written
        delivery, created = _record_once(campaign, rider=rider, count=count, lat=lat, lon=lon, note=note,
                                         idempotency=(idempotency_key, request_hash),
                                         photo=stored[0] if stored else None)
        if created:
            incoming.keep()
    return delivery


def _record_once(campaign: Campaign, *, rider: User, count: int, lat: float, lon: float, note: str | None,
                 idempotency: tuple[str | None, str | None],
                 photo: IntakePhoto | None) -> tuple[Delivery, bool]:
    """One transaction: the delivery and its award, (it, True); or the delivery made earlier with
    this key, (it, False)."""
    # One rider's deliveries in turn: the cap is read and written while nobody else writes it.
    points.lock_rider(rider_id=rider.id)
    db.session.refresh(campaign)  # read while the photo decoded: closed since?
    earlier = row_with_key(Delivery, rider_id=rider.id, key=idempotency[0], request_hash=idempotency[1])
    if earlier is not None:
        db.session.rollback()
        return earlier, False
    try:
        delivery = _new_delivery(campaign, rider=rider, count=count, lat=lat, lon=lon, note=note,
                                 idempotency=idempotency, photo=photo)
        if delivery.points:
            points.award_once(award=point_rules.delivery_award(
                rider_id=rider.id, delivery_id=delivery.id, credited=delivery.credited,
                points_per_delivery=campaign.points_per_delivery))
        db.session.commit()
    except IntegrityError:
        # A retry raced us with the same key and won: its delivery is the answer.
        db.session.rollback()
        earlier = row_with_key(Delivery, rider_id=rider.id, key=idempotency[0], request_hash=idempotency[1])
        if earlier is None:
            raise
        return earlier, False
    return delivery, True


def _new_delivery(campaign: Campaign, *, rider: User, count: int, lat: float, lon: float,
                  note: str | None, idempotency: tuple[str | None, str | None],
                  photo: IntakePhoto | None) -> Delivery:
    """Insert a delivery with its credited leaflets and points (flush only)."""
    if campaign.status != CampaignStatus.ACTIVE:
        raise Conflict("这个活动已结束。", code="campaign_closed")
    now = clock.utcnow()
    today = china_date(now)
    credited_today = db.session.scalar(select(func.coalesce(func.sum(Delivery.credited), 0)).where(
        Delivery.campaign_id == campaign.id, Delivery.rider_id == rider.id, Delivery.china_day == today))
    credited = point_rules.credited_within_cap(count=count, daily_cap=campaign.daily_cap,
                                               credited_today=int(credited_today or 0))
    delivery = Delivery(campaign_id=campaign.id, rider_id=rider.id, count=count, credited=credited,
                        points=credited * campaign.points_per_delivery, lat=lat, lon=lon,
                        grid_code=_grid_at(lat, lon), note=note.strip() if note else None, china_day=today,
                        idempotency_key=idempotency[0], request_hash=idempotency[1], created_at=now)
    if photo is not None:
        delivery.attach_photo(photo)
    db.session.add(delivery)
    db.session.flush()
    return delivery


def _grid_at(lat: float, lon: float) -> str | None:
    """The grid the point lies in, for coverage; None outside the map's grids."""
    return next((area.code for area in geo.locate(lat=lat, lon=lon) if area.level == Level.GRID), None)
