"""Account endpoints: register, login, tokens, me, staff, invites, approval."""
from __future__ import annotations

from flask import current_app, request
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    current_user,
    get_jwt,
    jwt_required,
)
from flask_smorest import Blueprint

from app.auth import service
from app.auth.models import Role, UserStatus
from app.auth.phones import normalize_phone
from app.auth.schemas import (
    AccessTokenSchema,
    CreateUserSchema,
    InviteArgsSchema,
    InviteListSchema,
    InviteSchema,
    LoginSchema,
    RegisterSchema,
    TokensSchema,
    UserFilterSchema,
    UserPageSchema,
    UserSchema,
)
from app.common.auth import roles_required
from app.dispatch import service as staffing
from app.extensions import limiter

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Accounts, login and invites.")


def _login_limit() -> str:
    return current_app.config["RATE_LIMIT_LOGIN"]


def _phone_key() -> str:
    """Rate-limit key for login attempts against one phone number, from any address."""
    body = request.get_json(silent=True)
    phone = body.get("phone") if isinstance(body, dict) else None
    return "login-phone:" + (normalize_phone(phone) or "?" if isinstance(phone, str) else "?")


@blp.route("/auth/register", methods=["POST"])
@limiter.limit(_login_limit)
@blp.arguments(RegisterSchema)
@blp.response(201, UserSchema)
def register(form):
    """Register as a rider: active at once with an invite code, else pending approval."""
    return service.register_rider(**form)


@blp.route("/auth/login", methods=["POST"])
@limiter.limit(_login_limit)
@limiter.limit(_login_limit, key_func=_phone_key)
@blp.arguments(LoginSchema)
@blp.response(200, TokensSchema)
def login(credentials):
    """Log in with phone and password; answers an access and a refresh token."""
    user = service.authenticate(**credentials)
    session = service.start_session(user=user, lifetime=current_app.config["JWT_REFRESH_TOKEN_EXPIRES"])
    claims = {"sid": session.id, "role": user.role}
    return {
        "access_token": create_access_token(identity=str(user.id), additional_claims=claims),
        "refresh_token": create_refresh_token(identity=str(user.id), additional_claims=claims),
        "user": user,
    }


@blp.route("/auth/refresh", methods=["POST"])
@jwt_required(refresh=True)
@blp.response(200, AccessTokenSchema)
@blp.doc(security=[{"bearerAuth": []}])
def refresh():
    """A new access token, sent with the refresh token as the bearer."""
    claims = {"sid": get_jwt()["sid"], "role": current_user.role}
    return {"access_token": create_access_token(identity=str(current_user.id), additional_claims=claims)}


@blp.route("/auth/logout", methods=["POST"])
@jwt_required(verify_type=False)
@blp.response(204)
@blp.doc(security=[{"bearerAuth": []}])
def logout():
    """Log out: this login's access and refresh tokens stop working."""
    service.revoke_session(session_id=get_jwt()["sid"])


@blp.route("/me", methods=["GET"])
@roles_required()
@blp.response(200, UserSchema)
def me():
    """The logged-in user's profile, role and community."""
    return current_user


@blp.route("/users", methods=["POST"])
@roles_required(Role.ADMIN, Role.SECRETARY)
@blp.arguments(CreateUserSchema)
@blp.response(201, UserSchema)
def create_user(form):
    """Create a staff account (admin: any staff role; secretary: grid workers of their community)."""
    return service.create_user(actor=current_user, **form)


@blp.route("/users", methods=["GET"])
@roles_required(Role.ADMIN, Role.SECRETARY)
@blp.arguments(UserFilterSchema, location="query")
@blp.response(200, UserPageSchema)
def list_users(args):
    """Users in your scope, newest first; e.g. ?role=rider&status=pending for approvals."""
    return service.users_page(actor=current_user, role=args.get("role"), status=args.get("status"),
                              cursor=args["cursor"], page=args["page"], per_page=args["per_page"])


@blp.route("/users/<int:user_id>/approve", methods=["POST"])
@roles_required(Role.ADMIN, Role.SECRETARY)
@blp.response(200, UserSchema)
def approve(user_id):
    """Activate a pending rider of your community."""
    return service.approve_user(actor=current_user, user_id=user_id)


@blp.route("/users/<int:user_id>/disable", methods=["POST"])
@roles_required(Role.ADMIN, Role.SECRETARY)
@blp.response(200, UserSchema)
def disable(user_id):
    """Disable an account in your scope; its tokens stop working at once, and a grid worker's or
    department's open reports move on to others."""
    return staffing.set_user_status(actor=current_user, user_id=user_id, status=UserStatus.DISABLED)


@blp.route("/users/<int:user_id>/enable", methods=["POST"])
@roles_required(Role.ADMIN, Role.SECRETARY)
@blp.response(200, UserSchema)
def enable(user_id):
    """Re-enable a disabled account in your scope."""
    return service.set_user_status(actor=current_user, user_id=user_id, status=UserStatus.ACTIVE)


@blp.route("/communities/<string:code>/invites", methods=["POST"])
@roles_required(Role.ADMIN, Role.SECRETARY)
@blp.arguments(InviteArgsSchema)
@blp.response(201, InviteSchema)
def create_invite(args, code):
    """Issue an invite code with which riders join this community."""
    return service.create_invite(actor=current_user, community_code=code, **args)


@blp.route("/communities/<string:code>/invites", methods=["GET"])
@roles_required(Role.ADMIN, Role.SECRETARY)
@blp.response(200, InviteListSchema)
def list_invites(code):
    """The community's invite codes that still let riders in (not expired, seats left), newest first."""
    return {"items": service.live_invites(actor=current_user, community_code=code)}


@blp.route("/communities/<string:code>/invites/<string:invite_code>/revoke", methods=["POST"])
@roles_required(Role.ADMIN, Role.SECRETARY)
@blp.response(200, InviteSchema)
def revoke_invite(code, invite_code):
    """End an invite code now; riders who joined with it stay."""
    return service.revoke_invite(actor=current_user, community_code=code, invite_code=invite_code)
