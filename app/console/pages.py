"""Console pages for people and points: login, home, leaderboard, a rider's ledger, riders and invites."""
from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from app.auth import service as auth
from app.auth.models import Role, UserStatus
from app.auth.phones import normalize_phone
from app.auth.schemas import InviteArgsSchema, LoginSchema
from app.common import clock
from app.common.pagination import paginate
from app.console import invites
from app.console.blueprint import blp
from app.console.forms import FormResult, run_form
from app.console.session import CONSOLE_ROLES, NotForYourRole, desk_page, desk_user, log_in, log_out
from app.dispatch import service as staffing
from app.extensions import limiter
from app.geo import service as geo
from app.geo.models import Level
from app.points import rules, standings
from app.points import service as points
from app.points.periods import Period, period_start
from app.points.schemas import MAX_BOARD_ROWS, AdjustmentSchema, ExportArgsSchema, LeaderboardArgsSchema
from app.stats import service as stats

LOGIN_HINTS = {"phone": "请输入 11 位手机号，例如 13800138000。", "password": "请输入密码。"}
_MOST, (_SHORTEST, _LONGEST) = rules.MAX_ADJUSTMENT, rules.ADJUSTMENT_REASON_LENGTH
ADJUST_HINTS = {"delta": f"请填写一个不为 0 的整数（-{_MOST} 到 {_MOST}），扣分请写负数。",
                "reason": f"请写明调整原因（{_SHORTEST}–{_LONGEST} 字），骑手会看到。"}
INVITE_HINTS = {"max_uses": "可用人数请填 1 到 1000 之间的整数。",
                "expires_in_days": "有效天数请填 1 到 365 之间的整数。",
                "community_code": "请填写社区编码。"}
# The board each role opens first, and the scopes it may pick from.
BOARD_SCOPES = {Role.SECRETARY: ("community", "street"), Role.DISPATCHER: ("district", "community"),
                Role.ADMIN: ("all",)}


def _login_limit() -> str:
    return current_app.config["RATE_LIMIT_LOGIN"]


def _phone_key() -> str:
    """Rate-limit key for login attempts against one phone number, from any address."""
    return "login-phone:" + (normalize_phone(request.form.get("phone", "")) or "?")


# --- login, home, logout ---------------------------------------------------------------------

@blp.get("/")
def index():  # type: ignore[no-untyped-def]
    """The login form, or the home page of whoever is logged in."""
    me = desk_user()
    if me is None:
        return render_template("console/login.html", form=FormResult(), next=request.args.get("next", ""))
    return render_template("console/home.html", me=me, summary=stats.desk_summary(actor=me),
                           month=_month_numbers(me))


@blp.post("/login")
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, key_func=_phone_key, methods=["POST"])
def login():  # type: ignore[no-untyped-def]
    """Check phone and password with the API's rules; riders and grid workers are sent to the app."""
    form = run_form(LoginSchema(), request.form, lambda creds: auth.authenticate(**creds),
                    hints=LOGIN_HINTS, code_fields={"invalid_credentials": "password"})
    next_url = request.form.get("next", "")
    if not form.ok:
        return render_template("console/login.html", form=form, next=next_url), 400
    user = form.value
    if user.role not in CONSOLE_ROLES:
        return render_template("console/refused.html", user=user), 403
    log_in(user=user, lifetime=current_app.config["PERMANENT_SESSION_LIFETIME"])
    return redirect(_safe_next(next_url) or url_for("console.index"))


@blp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    """End the login (a POST with the CSRF token, so no other site can log you out)."""
    log_out()
    flash("您已退出登录。", "ok")
    return redirect(url_for("console.index"))


def _safe_next(target: str) -> str | None:
    # Only back into the console: never an open redirect to another site.
    return target if target.startswith("/console/") and not target.startswith("//") else None


def _month_numbers(me):  # type: ignore[no-untyped-def]
    """This month's report statistics of the person's area (departments have none)."""
    if me.role == Role.DEPARTMENT:
        return None
    return stats.report_stats(actor=me, area_code=None, date_to=None,
                              date_from=period_start(Period.MONTH, clock.utcnow()))


# --- leaderboard and a rider's ledger ----------------------------------------------------------

BOARD_HINTS = {"scope": "请选择排行范围。", "period": "请选择统计周期。", "area": "请选择与范围相符的社区。",
               "limit": "行数有误。"}
BOARD_FIELDS = {"outside_your_area": "scope", "unknown_area": "area", "area_level_mismatch": "area"}


def _board_query(me) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The board's filters from the query string, with the role's own scope by default; the desk
    shows the longest board the API allows (the CSV has up to ExportArgsSchema's rows)."""
    return {"scope": BOARD_SCOPES[Role(me.role)][0], "limit": str(MAX_BOARD_ROWS), **request.args.to_dict()}


@blp.get("/leaderboard")
@desk_page(Role.SECRETARY, Role.DISPATCHER, Role.ADMIN)
def leaderboard(me):  # type: ignore[no-untyped-def]
    """The riders' honour-point leaderboard of the person's area, by period."""
    form = run_form(LeaderboardArgsSchema(), _board_query(me), lambda a: standings.leaderboard(
        actor=me, scope=a["scope"], area_code=a["area"], period=a["period"], limit=a["limit"]),
        hints=BOARD_HINTS, code_fields=BOARD_FIELDS)
    return render_template("console/leaderboard.html", me=me, form=form, board=form.value,
                           scopes=BOARD_SCOPES[Role(me.role)], communities=_communities_of(me)), \
        200 if form.ok else 400


def _communities_of(me) -> list[Any]:  # type: ignore[no-untyped-def]
    """The communities a dispatcher's board can narrow to (their district's)."""
    if me.role != Role.DISPATCHER or not me.area_code:
        return []
    return [a for a in geo.area_with_descendants(code=me.area_code, down_to=Level.COMMUNITY)
            if a.level == Level.COMMUNITY]


@blp.get("/leaderboard/export.csv")
@desk_page(Role.SECRETARY, Role.ADMIN)
def leaderboard_csv(me):  # type: ignore[no-untyped-def]
    """The same leaderboard as the API's CSV export (UTF-8 with BOM, for Excel)."""
    query = {key: value for key, value in _board_query(me).items() if key != "limit"}
    form = run_form(ExportArgsSchema(), query, lambda a: standings.leaderboard_csv(
        actor=me, scope=a["scope"], area_code=a["area"], period=a["period"], limit=a["limit"]),
        hints=BOARD_HINTS, code_fields=BOARD_FIELDS)
    if not form.ok:
        flash("导出失败：" + "；".join(form.errors.values()), "error")
        return redirect(url_for("console.leaderboard"))
    filename, body = form.value
    return current_app.response_class(body, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{filename}"'})


@blp.route("/riders/<int:rider_id>", methods=["GET", "POST"])
@desk_page(Role.SECRETARY, Role.DISPATCHER, Role.ADMIN)
def rider(me, rider_id):  # type: ignore[no-untyped-def]
    """One rider's points and ledger; secretaries and admins adjust them with a reason."""
    form = FormResult()
    if request.method == "POST":
        if me.role not in (Role.SECRETARY, Role.ADMIN):
            raise NotForYourRole()
        form = run_form(AdjustmentSchema(), {**request.form, "rider_id": str(rider_id)},
                        lambda f: points.adjust_points(actor=me, **f), hints=ADJUST_HINTS)
        if form.ok:
            flash(f"已调整 {form.value.delta:+d} 分。", "ok")
            return redirect(url_for("console.rider", rider_id=rider_id))
    data = standings.rider_points(actor=me, rider_id=rider_id, page=page_number(), per_page=50)
    shows_phone = me.role == Role.ADMIN or (me.role == Role.SECRETARY
                                            and data["rider"].area_code == me.area_code)
    return render_template("console/rider.html", me=me, data=data, form=form,
                           shows_phone=shows_phone), 200 if form.ok else 400


def page_number() -> int:
    """The ?page= of a paged console list (1 when absent or not a sensible number)."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 100_000 else 1


# --- riders: approval, disable / enable, invites -----------------------------------------------

@blp.get("/riders")
@desk_page(Role.SECRETARY, Role.ADMIN)
def riders(me):  # type: ignore[no-untyped-def]
    """Riders waiting for approval, then all riders of the community, with the invite form."""
    return _riders_page(me, invite_form=FormResult())


def _riders_page(me, *, invite_form: FormResult, invite=None, status: int = 200):  # type: ignore[no-untyped-def]
    pending = paginate(auth.list_users(actor=me, role=Role.RIDER, status=UserStatus.PENDING), page=1,
                       per_page=100)
    everyone = paginate(auth.list_users(actor=me, role=Role.RIDER), page=page_number(), per_page=50)
    qr = Markup(invites.qr_svg(invites.app_link(invite.code))) if invite is not None else None
    live = auth.live_invites(actor=me, community_code=None)
    return render_template("console/riders.html", me=me, pending=pending, riders=everyone,
                           invite_form=invite_form, invite=invite, qr=qr, live_invites=live,
                           invite_link=invites.app_link(invite.code) if invite is not None else None), status


@blp.post("/riders/<int:user_id>/<any(approve, disable, enable):action>")
@desk_page(Role.SECRETARY, Role.ADMIN)
def rider_status(me, user_id, action):  # type: ignore[no-untyped-def]
    """通过 a pending rider, or disable / re-enable one (the API's rules, the same service)."""
    if action == "approve":
        user = auth.approve_user(actor=me, user_id=user_id)
        flash(f"已通过 {user.name} 的注册申请。", "ok")
    else:
        status = UserStatus.DISABLED if action == "disable" else UserStatus.ACTIVE
        user = staffing.set_user_status(actor=me, user_id=user_id, status=status)  # reports move on
        flash(f"已{'停用' if action == 'disable' else '启用'} {user.name}。", "ok")
    return redirect(url_for("console.riders"))


@blp.post("/riders/invites/<invite_code>/revoke")
@desk_page(Role.SECRETARY, Role.ADMIN)
def revoke_invite(me, invite_code):  # type: ignore[no-untyped-def]
    """作废 an invite code (a poster gone up in the wrong place); riders who joined with it stay."""
    community = me.area_code if me.role == Role.SECRETARY else request.form.get("community_code", "")
    invite = auth.revoke_invite(actor=me, community_code=community, invite_code=invite_code)
    flash(f"邀请码 {invite.code} 已作废；已用它注册的骑手不受影响。", "ok")
    return redirect(url_for("console.riders"))


@blp.post("/riders/invites")
@desk_page(Role.SECRETARY, Role.ADMIN)
def create_invite(me):  # type: ignore[no-untyped-def]
    """A new invite code for the community, with the QR code a rider scans to register."""
    community = me.area_code if me.role == Role.SECRETARY else request.form.get("community_code", "")
    form = run_form(InviteArgsSchema(), request.form, lambda f: auth.create_invite(
        actor=me, community_code=community, **f), hints=INVITE_HINTS,
        code_fields={"unknown_area": "community_code", "outside_your_area": "community_code"})
    if not form.ok:
        return _riders_page(me, invite_form=form, status=400)
    return _riders_page(me, invite_form=FormResult(), invite=form.value)
