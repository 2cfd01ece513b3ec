"""社情民意 rules: a rider writes to their community's secretary, with photos if they like; she replies
and may adopt it (采纳), which earns the rider points exactly once; each sees only the suggestions that
are theirs."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, case, func, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role, User
from app.common import clock
from app.common.db import commit_keeping_loaded, reading_only
from app.common.idempotency import fingerprint, row_with_key
from app.common.pagination import Keyset, keyset_list
from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.notifications import service as notifications
from app.photos.intake import PhotoSetup, check_photo_count
from app.points import rules as point_rules
from app.points import service as points
from app.suggestions.models import Suggestion, SuggestionPhoto, SuggestionStatus

MAX_PHOTOS = 6  # as many as a report takes; the app's MAX_PHOTOS_PER_REPORT is passed in


def submit_suggestion(*, rider: User, content: str, lat: float | None = None, lon: float | None = None,
                      photos: Sequence[bytes] = (), max_photos: int = MAX_PHOTOS,
                      idempotency_key: str | None = None, setup: PhotoSetup | None = None) -> Suggestion:
    """A rider sends a suggestion to the secretary of their community, with up to `max_photos`
    photos (cleaned and stored by `setup`, the app's by default). A retry with the same
    Idempotency-Key gives back the first suggestion and stores nothing again."""
    if rider.area_code is None:
        raise Forbidden("你的账号还没有所属社区。", code="no_area")
    check_photo_count(photos, minimum=0, maximum=max_photos)
    request_hash = fingerprint({"content": content, "lat": lat, "lon": lon}, photos) if idempotency_key else None
    with reading_only():  # no write lock while the photos decode
        earlier = row_with_key(Suggestion, rider_id=rider.id, key=idempotency_key, request_hash=request_hash)
        commit_keeping_loaded(db.session())
    if earlier is not None:
        return earlier
    with (setup or PhotoSetup.from_app()).intake(photos) as incoming:
        stored = incoming.stored()  # the first bad photo's error: nothing is written
        suggestion = Suggestion(rider_id=rider.id, area_code=rider.area_code, content=content.strip(),
                                lat=lat, lon=lon, status=SuggestionStatus.OPEN,
                                idempotency_key=idempotency_key, request_hash=request_hash,
                                photos=[SuggestionPhoto.of(photo, position=n) for n, photo in enumerate(stored)])
        db.session.add(suggestion)
        try:
            commit_keeping_loaded(db.session())
        except IntegrityError:
            # A retry raced us with the same key and won: its suggestion is the answer.
            db.session.rollback()
            earlier = row_with_key(Suggestion, rider_id=rider.id, key=idempotency_key, request_hash=request_hash)
            if earlier is None:
                raise
            return earlier
        incoming.keep()
    return suggestion


def visible_suggestions(*, user: User) -> Select[tuple[Suggestion]]:
    """The suggestions a user may read, newest first: a rider's own, a secretary's community's, all
    for an admin (to be paginated by the caller)."""
    stmt = select(Suggestion).order_by(Suggestion.id.desc())
    if user.role == Role.RIDER:
        return stmt.where(Suggestion.rider_id == user.id)
    if user.role == Role.SECRETARY:
        return stmt.where(Suggestion.area_code == user.area_code)
    if user.role == Role.ADMIN:
        return stmt
    raise Forbidden("你的角色不能查看社情民意。", code="role_not_allowed")


def inbox(*, user: User) -> Select[tuple[Suggestion]]:
    """The desk's inbox: the suggestions the user may read, open ones first, each part newest first."""
    still_open = case((Suggestion.status == SuggestionStatus.OPEN, 0), else_=1)
    return visible_suggestions(user=user).order_by(None).order_by(still_open, Suggestion.id.desc())


def open_count(*, user: User) -> int:
    """How many suggestions the user may read still wait for a reply."""
    waiting = visible_suggestions(user=user).where(Suggestion.status == SuggestionStatus.OPEN)
    return db.session.scalar(select(func.count()).select_from(waiting.order_by(None).subquery())) or 0


def suggestions_page(*, user: User, cursor: str | None, page: int, per_page: int) -> dict[str, Any]:
    """A page of the suggestions the user may read, newest first, by cursor (or an old client's page)."""
    return keyset_list(visible_suggestions(user=user), keyset=Keyset(id=Suggestion.id), cursor=cursor,
                       binding=f"suggestions:{user.id}:{user.role}:{user.area_code}", page=page,
                       per_page=per_page)


def get_suggestion(*, suggestion_id: int, for_user: User) -> Suggestion:
    """One suggestion the user may read; NotFound otherwise (another's is not even said to exist)."""
    suggestion = db.session.scalar(
        visible_suggestions(user=for_user).where(Suggestion.id == suggestion_id))
    if suggestion is None:
        raise NotFound("找不到这条建议。", code="suggestion_not_found")
    return suggestion


def reply_to_suggestion(*, secretary: User, suggestion_id: int, reply: str, adopted: bool) -> Suggestion:
    """The community's secretary replies once and decides; adopted earns the rider points once."""
    suggestion = get_suggestion(suggestion_id=suggestion_id, for_user=secretary)
    now = clock.utcnow()
    # Conditional on still open: of two racing replies the database lets exactly one through.
    answered = db.session.execute(
        update(Suggestion).where(Suggestion.id == suggestion.id, Suggestion.status == SuggestionStatus.OPEN)
        .values(status=SuggestionStatus.REPLIED, reply=reply.strip(), adopted=adopted,
                replied_by_id=secretary.id, replied_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not answered:
        db.session.rollback()
        raise Conflict("这条建议已经答复过了。", code="already_replied")
    if adopted:
        points.award_once(award=point_rules.adoption_award(rider_id=suggestion.rider_id,
                                                           suggestion_id=suggestion.id))
    notifications.notify(
        user_id=suggestion.rider_id, kind="suggestion_replied",
        title="你的建议被采纳了" if adopted else "社区答复了你的建议",
        body=reply.strip()[:500], data={"suggestion_id": suggestion.id, "adopted": adopted})
    db.session.commit()  # expires the suggestion: its reply is read back on first use
    return suggestion
