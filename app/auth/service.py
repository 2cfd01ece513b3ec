"""Account rules: registration, login sessions, staff accounts, invites, approval."""
from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import AuthSession, Invite, Role, User, UserStatus
from app.auth.passwords import hash_password, verify_password
from app.common import clock
from app.common.pagination import Keyset, keyset_list
from app.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from app.extensions import db
from app.geo.models import LEVEL_TEXT, Area, Level

STAFF_ROLES = (Role.GRID_WORKER, Role.SECRETARY, Role.DISPATCHER, Role.DEPARTMENT, Role.ADMIN)
# Whom a secretary manages in her own community.
COMMUNITY_MEMBERS = (Role.RIDER, Role.GRID_WORKER)
# The level of area_code each role belongs to (admins belong to none).
HOME_LEVEL = {
    Role.RIDER: Level.COMMUNITY,
    Role.GRID_WORKER: Level.COMMUNITY,
    Role.SECRETARY: Level.COMMUNITY,
    Role.DISPATCHER: Level.DISTRICT,
    Role.DEPARTMENT: Level.DISTRICT,
}
_INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on phones


# --- accounts --------------------------------------------------------------------------------

def register_rider(*, phone: str, password: str, name: str, invite_code: str | None = None,
                   platform: str | None = None, area_code: str | None = None) -> User:
    """A rider signs up: active at once with a valid invite, else pending approval."""
    status = UserStatus.PENDING
    if invite_code:
        area_code = _consume_invite(invite_code)
        status = UserStatus.ACTIVE
    elif area_code:
        _require_area(area_code, Level.COMMUNITY)
    user = User(phone=phone, password_hash=hash_password(password), name=name, role=Role.RIDER,
                status=status, area_code=area_code, platform=platform)
    _add_user(user)
    db.session.commit()
    return user


def create_user(*, actor: User, phone: str, password: str, name: str, role: str,
                area_code: str | None) -> User:
    """Create a staff account: admins any staff role, secretaries grid workers of their community."""
    if actor.role == Role.SECRETARY:
        if role != Role.GRID_WORKER:
            raise Forbidden("社区书记只能添加网格员。", code="role_not_allowed")
        area_code = area_code or actor.area_code
        if area_code != actor.area_code:
            raise Forbidden("只能为本社区添加网格员。", code="outside_your_area")
    elif actor.role != Role.ADMIN:
        raise Forbidden()
    if role not in STAFF_ROLES:
        raise Unprocessable("骑手请自行注册。", code="role_not_allowed")
    if role in HOME_LEVEL:
        if not area_code:
            raise Unprocessable(f"{role} 账号需要填写所属区域（area_code）。", code="area_required")
        _require_area(area_code, HOME_LEVEL[Role(role)])
    user = User(phone=phone, password_hash=hash_password(password), name=name, role=role,
                status=UserStatus.ACTIVE, area_code=area_code if role in HOME_LEVEL else None)
    _add_user(user)
    db.session.commit()
    return user


def create_admin(*, phone: str, password: str, name: str) -> User:
    """The first admin, from the command line."""
    user = User(phone=phone, password_hash=hash_password(password), name=name, role=Role.ADMIN,
                status=UserStatus.ACTIVE)
    _add_user(user)
    db.session.commit()
    return user


def approve_user(*, actor: User, user_id: int) -> User:
    """Activate a pending rider (secretary of their community, or admin)."""
    user = _get_user_in_scope(actor, user_id)
    if user.role != Role.RIDER:
        raise Unprocessable("只有骑手需要审核。", code="not_a_rider")
    changed = db.session.execute(
        update(User).where(User.id == user.id, User.status == UserStatus.PENDING)
        .values(status=UserStatus.ACTIVE, updated_at=clock.utcnow())
    ).rowcount
    if not changed:
        db.session.rollback()
        raise Conflict("这个账号不在待审核状态。", code="not_pending",
                       details={"status": user.status})
    db.session.commit()
    db.session.refresh(user)
    return user


def set_user_status(*, actor: User, user_id: int, status: UserStatus) -> User:
    """Disable or re-enable an account in the actor's scope; a disabled user's tokens stop working."""
    user = _get_user_in_scope(actor, user_id)
    if user.id == actor.id:
        raise Unprocessable("不能修改自己的账号状态。", code="own_account")
    user.status = status
    db.session.commit()
    return user


def list_users(*, actor: User, role: str | None = None, status: str | None = None) -> Any:
    """A select of the users the actor may see (admins all, secretaries their community)."""
    stmt = select(User).order_by(User.id.desc())
    if actor.role == Role.SECRETARY:
        stmt = stmt.where(User.area_code == actor.area_code)
    elif actor.role != Role.ADMIN:
        raise Forbidden()
    if role:
        stmt = stmt.where(User.role == role)
    if status:
        stmt = stmt.where(User.status == status)
    return stmt


def list_departments(*, actor: User) -> list[User]:
    """The active department accounts a dispatcher may send reports to (their district's; admins all)."""
    stmt = select(User).where(User.role == Role.DEPARTMENT, User.status == UserStatus.ACTIVE).order_by(User.name)
    if actor.role == Role.DISPATCHER:
        stmt = stmt.where(User.area_code == actor.area_code)
    elif actor.role != Role.ADMIN:
        raise Forbidden()
    return list(db.session.scalars(stmt))
def users_page(*, actor: User, role: str | None, status: str | None, cursor: str | None, page: int,
               per_page: int) -> dict[str, Any]:
    """A page of the users the actor may see, newest first, by cursor."""
    binding = f"users:{actor.id}:{actor.role}:{actor.area_code}:{role}:{status}"
    return keyset_list(list_users(actor=actor, role=role, status=status), keyset=Keyset(id=User.id),
                       cursor=cursor, binding=binding, page=page, per_page=per_page)


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("找不到这个用户。", code="user_not_found")
    return user


# --- login sessions --------------------------------------------------------------------------

def authenticate(*, phone: str, password: str) -> User:
    """The user for these credentials; the same error whether the phone or the password is wrong."""
    user = db.session.scalar(select(User).where(User.phone == phone))
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise Unauthorized("手机号或密码不正确。", code="invalid_credentials")
    if user.status == UserStatus.PENDING:
        raise Forbidden("你的账号正在等待社区审核。", code="account_pending")
    if user.status == UserStatus.DISABLED:
        raise Forbidden("这个账号已停用。", code="account_disabled")
    return user


def start_session(*, user: User, lifetime: timedelta) -> AuthSession:
    """A new login session; both tokens of a login carry its id."""
    session = AuthSession(id=str(uuid.uuid4()), user_id=user.id,
                          expires_at=clock.utcnow() + lifetime)
    db.session.add(session)
    db.session.commit()
    return session


def revoke_session(*, session_id: str) -> None:
    """Log out: every token of this session is refused from now on."""
    db.session.execute(
        update(AuthSession).where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=clock.utcnow())
    )
    db.session.commit()


def is_session_live(session_id: str | None) -> bool:
    session = db.session.get(AuthSession, session_id) if session_id else None
    return _live(session)


def live_session_user(session_id: str | None, user_id: int) -> tuple[bool, User | None]:
    """Whether a token's login is still live, and (if it is) the login's user when that is the
    token's user: both in one query, so that checking a token costs one round trip."""
    if not session_id:
        return False, None
    row = db.session.execute(select(User, AuthSession.revoked_at, AuthSession.expires_at)
                             .join(AuthSession, AuthSession.user_id == User.id)
                             .where(AuthSession.id == session_id)).first()
    if row is None or row.revoked_at is not None or row.expires_at <= clock.utcnow():
        return False, None
    return True, row.User if row.User.id == user_id else None


def _live(session: AuthSession | None) -> bool:
    return bool(session and session.revoked_at is None and session.expires_at > clock.utcnow())


def active_user(user_id: int) -> User | None:
    """The user behind a token, if the account may still act."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_active else None


# --- invites ---------------------------------------------------------------------------------

MAX_LIVE_INVITES = 100  # a community keeps a few live codes; an admin's desk shows the newest


def create_invite(*, actor: User, community_code: str, max_uses: int, expires_in_days: int) -> Invite:
    """A new invite code for a community (its secretary, or an admin)."""
    _require_area(community_code, Level.COMMUNITY)
    if actor.role == Role.SECRETARY and actor.area_code != community_code:
        raise Forbidden("只能邀请骑手加入本社区。", code="outside_your_area")
    if actor.role not in (Role.SECRETARY, Role.ADMIN):
        raise Forbidden()
    invite = Invite(code=_new_invite_code(), community_code=community_code, created_by_id=actor.id,
                    max_uses=max_uses, expires_at=clock.utcnow() + timedelta(days=expires_in_days))
    db.session.add(invite)
    db.session.commit()
    return invite


def live_invites(*, actor: User, community_code: str | None) -> list[Invite]:
    """The invite codes that still let riders in (not expired, seats left), newest first: a
    secretary's community's; an admin's for one community, or every community's."""
    if actor.role == Role.SECRETARY:
        if community_code not in (None, actor.area_code):
            raise Forbidden("只能查看本社区的邀请码。", code="outside_your_area")
        community_code = actor.area_code
    elif actor.role != Role.ADMIN:
        raise Forbidden()
    stmt = select(Invite).where(Invite.expires_at > clock.utcnow(), Invite.uses < Invite.max_uses)
    if community_code is not None:
        stmt = stmt.where(Invite.community_code == community_code)
    return list(db.session.scalars(stmt.order_by(Invite.created_at.desc()).limit(MAX_LIVE_INVITES)))


def revoke_invite(*, actor: User, community_code: str, invite_code: str) -> Invite:
    """End an invite code now (a leaked poster, a QR code sent to the wrong group): riders who
    registered with it stay; nobody else joins with it."""
    invite = next((i for i in live_invites(actor=actor, community_code=community_code)
                   if i.code == invite_code.strip().upper()), None)
    if invite is None:
        raise NotFound("找不到这个有效的邀请码。", code="invite_not_found")
    invite.expires_at = clock.utcnow()
    db.session.commit()
    return invite


def _consume_invite(code: str) -> str:
    """Use one seat of an invite (atomically); its community code."""
    now = clock.utcnow()
    result = db.session.execute(
        update(Invite)
        .where(Invite.code == code.strip().upper(), Invite.uses < Invite.max_uses, Invite.expires_at > now)
        .values(uses=Invite.uses + 1)
        .returning(Invite.community_code)
    ).first()
    if result is None:
        db.session.rollback()
        raise Unprocessable("邀请码不存在、已用完或已过期。", code="invalid_invite_code")
    return result[0]


def _new_invite_code() -> str:
    return "".join(secrets.choice(_INVITE_ALPHABET) for _ in range(8))


# --- helpers ---------------------------------------------------------------------------------

def _add_user(user: User) -> None:
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("这个手机号已经注册过了。", code="phone_taken") from None


def _require_area(code: str, level: Level) -> Area:
    area = db.session.get(Area, code)
    if area is None or area.level != level:
        raise Unprocessable(f"没有编码为「{code}」的{LEVEL_TEXT.get(level, level)}。", code="unknown_area",
                            details={"area_code": code, "expected_level": str(level)})
    return area


def _get_user_in_scope(actor: User, user_id: int) -> User:
    """A user the actor manages: admins everyone; a secretary the riders and grid workers of her
    community (other secretaries, dispatchers and departments are the admins' to manage)."""
    user = get_user(user_id)
    if actor.role == Role.ADMIN:
        return user
    if actor.role == Role.SECRETARY and user.area_code == actor.area_code and user.role in COMMUNITY_MEMBERS:
        return user
    raise Forbidden("该账号不归您管理。", code="outside_your_area")
