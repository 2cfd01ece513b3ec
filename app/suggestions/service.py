"""社情民意 rules: a rider writes to their community's secretary; she replies and may adopt it (采纳),
which earns the rider points exactly once; each sees only the suggestions that are theirs."""
from __future__ import annotations

from sqlalchemy import Select, case, func, select, update

from app.auth.models import Role, User
from app.common import clock
from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.notifications import service as notifications
from app.points import rules as point_rules
from app.points import service as points
from app.suggestions.models import Suggestion, SuggestionStatus


def submit_suggestion(*, rider: User, content: str, lat: float | None = None,
                      lon: float | None = None) -> Suggestion:
    """A rider sends a suggestion to the secretary of their community."""
    if rider.area_code is None:
        raise Forbidden("你的账号还没有所属社区。", code="no_area")
    suggestion = Suggestion(rider_id=rider.id, area_code=rider.area_code, content=content.strip(),
                            lat=lat, lon=lon, status=SuggestionStatus.OPEN)
    db.session.add(suggestion)
    db.session.commit()
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
