"""Open311 GeoReport v2 under /open311/v2: discovery, services, requests, tokens — .json and .xml."""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from flask_limiter.errors import RateLimitExceeded
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from werkzeug.exceptions import HTTPException

from app.common.uploads import upload_bytes
from app.errors import AppError, NotFound, ValidationFailed
from app.extensions import db, limiter
from app.geo.schemas import CoordSysArgsSchema, PointInSchema
from app.integrations import open311
from app.integrations.models import Integration
from app.integrations.open311_format import render, render_error
from app.integrations.service import hash_key, integration_for_key
from app.photos.service import photo_limits, photo_store, photo_workers
from app.reports import service as reports
from app.reports.schemas import AwareDateTime

blp = Blueprint("open311", __name__, url_prefix="/open311/v2")

FMT = "<any(json, xml):fmt>"
_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")
_MAX_ID = 2**63 - 1
# Our errors by status → Open311's three: 403 key, 404 unknown code/id/token, 400 the rest.
_NOT_FOUND_CODES = {"unknown_category"}
_TEXT = validate.Length(max=200)


class RequestPostSchema(PointInSchema):
    """A service request as a hotline posts it (form fields; lat/long in coord_sys)."""

    class Meta:
        unknown = EXCLUDE  # api_key, jurisdiction_id, attribute[...] and other optional fields

    service_code = fields.String(required=True, validate=validate.Length(1, 40))
    lat = fields.Float(load_default=None, validate=validate.Range(-90, 90))
    lon = fields.Float(data_key="long", load_default=None, validate=validate.Range(-180, 180))
    address_string = fields.String(load_default=None, validate=_TEXT)
    description = fields.String(load_default=None, validate=validate.Length(max=500))
    external_id = fields.String(load_default=None, validate=validate.Regexp(_EXTERNAL_ID))
    # Contact and device fields are accepted and not kept: GridSnap stores no citizen's details.
    email = fields.String(load_default=None, validate=_TEXT)
    first_name = fields.String(load_default=None, validate=_TEXT)
    last_name = fields.String(load_default=None, validate=_TEXT)
    phone = fields.String(load_default=None, validate=_TEXT)
    device_id = fields.String(load_default=None, validate=_TEXT)
    account_id = fields.String(load_default=None, validate=_TEXT)
    media_url = fields.String(load_default=None, validate=_TEXT)

    @validates_schema
    def _point_given(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("lat") is None or data.get("lon") is None:
            # No geocoder runs here: an address alone cannot be placed in a grid.
            raise ValidationError("需要 lat 和 long 坐标（暂不支持仅凭地址定位）。", field_name="lat")


class RequestQuerySchema(CoordSysArgsSchema):
    class Meta:
        unknown = EXCLUDE

    service_request_id = fields.String(load_default=None, validate=validate.Length(max=2000))
    service_code = fields.String(load_default=None, validate=validate.Length(max=2000))
    start_date = AwareDateTime(load_default=None)
    end_date = AwareDateTime(load_default=None)
    status = fields.String(load_default=None, validate=validate.Regexp(r"^(open|closed)(,(open|closed))*$"))


# --- errors in Open311's shape ---------------------------------------------------------------

def _fmt() -> str:
    fmt = (request.view_args or {}).get("fmt")
    return fmt if fmt in ("json", "xml") else ("xml" if request.path.endswith(".xml") else "json")


@blp.errorhandler(AppError)
def _app_error(error: AppError) -> Response:
    db.session.rollback()
    if error.status in (401, 403):
        status = 403
    elif error.status == 404 or error.code in _NOT_FOUND_CODES:
        status = 404
    else:
        status = 400
    return render_error(_fmt(), status, error.message)


@blp.errorhandler(RateLimitExceeded)  # the app registers this class by its code, which comes first
@blp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    status = 404 if error.code in (404, 405) else 400
    if error.code in (413, 429):  # too large, too many: the client must change how it sends
        return render_error(_fmt(), error.code, "上传的内容太大。" if error.code == 413 else "请求太频繁，请稍后再试。")
    return render_error(_fmt(), status, "找不到这个地址。" if status == 404 else "请求格式不正确。")


def _load(schema: Schema, data: Any) -> dict[str, Any]:
    try:
        return schema.load(data)
    except ValidationError as exc:
        fields_ = "；".join(f"{name}: {''.join(map(str, msgs))}" for name, msgs in
                           sorted(exc.normalized_messages().items()))
        raise ValidationFailed(f"有内容没填或填得不对：{fields_}") from None


# --- readers ---------------------------------------------------------------------------------

def _api_key() -> str | None:
    return request.form.get("api_key") or request.args.get("api_key")


def _reader() -> Integration | None:
    """Who reads: a key (its area), or anybody when OPEN311_PUBLIC_READ is set and no key is given."""
    key = _api_key()
    if key is None and current_app.config.get("OPEN311_PUBLIC_READ"):
        return None
    return integration_for_key(key)


def _request_id(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) <= _MAX_ID:
        raise NotFound("没有这个服务请求。", code="request_not_found")
    return int(raw)


def _ids(raw: str | None) -> list[int]:
    ids = [part.strip() for part in (raw or "").split(",") if part.strip()]
    if not all(part.isdigit() and 0 < int(part) <= _MAX_ID for part in ids):
        raise ValidationFailed("service_request_id 应为逗号分隔的编号。")
    return [int(part) for part in ids]


# --- endpoints -------------------------------------------------------------------------------

@blp.route(f"/discovery.{FMT}")
def discovery(fmt: str) -> Response:
    """Where this server's GeoReport v2 lives and what it speaks."""
    base = url_for("open311.services", fmt="json", _external=True).rsplit("/", 1)[0] + "/"
    data = {"changeset": "2026-12-06T00:00:00+00:00", "contact": "请联系平台管理员",
            "key_service": "管理员在 GridSnap 中创建接入方以获取 api_key",
            "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                           "changeset": "2026-12-06T00:00:00+00:00", "type": "production",
                           "formats": ["application/json", "text/xml"]}]}
    return render(fmt, data, root="discovery")


@blp.route(f"/services.{FMT}")
def services(fmt: str) -> Response:
    """Every service (category) one may request."""
    return render(fmt, open311.services(), root="services", item="service")


@blp.route(f"/services/<string:code>.{FMT}")
def service_definition(code: str, fmt: str) -> Response:
    """A service's attributes (none: GridSnap asks only for the core fields)."""
    return render(fmt, open311.service_definition(code=code), root="service_definition")


@blp.route(f"/requests.{FMT}", methods=["GET"])
def list_requests(fmt: str) -> Response:
    """Requests by ids, or by codes, dates (≤ 90 days, default the last 90) and status; newest first."""
    args = _load(RequestQuerySchema(), request.args)
    reader = _reader()
    query = open311.RequestQuery(
        ids=_ids(args["service_request_id"]),
        service_codes=[c for c in (args["service_code"] or "").split(",") if c],
        start=args["start_date"], end=args["end_date"],
        statuses=(args["status"] or "").split(",") if args["status"] else ())
    found = open311.find_requests(reader=reader, query=query)
    return render(fmt, open311.present_requests(found, coord_sys=args["coord_sys"]),
                  root="service_requests", item="request")


@blp.route(f"/requests/<string:request_id>.{FMT}", methods=["GET"])
def get_request(request_id: str, fmt: str) -> Response:
    """One request, as an array of one."""
    args = _load(RequestQuerySchema(), request.args)
    report = open311.get_request(reader=_reader(), report_id=_request_id(request_id))
    return render(fmt, open311.present_requests([report], coord_sys=args["coord_sys"]),
                  root="service_requests", item="request")


@blp.route(f"/tokens/<string:token>.{FMT}", methods=["GET"])
def get_token(token: str, fmt: str) -> Response:
    """The request id a token stands for."""
    _reader()
    return render(fmt, [open311.resolve_token(token=token)], root="service_requests", item="request")


def _open311_limit() -> str:
    return current_app.config["RATE_LIMIT_OPEN311"]


def _key_bucket() -> str:
    # Per key (hashed, so no key sits in the limiter's storage); keyless posts share the caller's address.
    key = _api_key()
    return f"open311:{hash_key(key)}" if key else f"open311-ip:{request.remote_addr}"


@blp.route(f"/requests.{FMT}", methods=["POST"])
@limiter.limit(_open311_limit, key_func=_key_bucket)
def create_request(fmt: str) -> Response:
    """File a request with an integration's key: located, routed and followed like a rider's report."""
    if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise ValidationFailed("请以表单（application/x-www-form-urlencoded 或 multipart/form-data）提交。")
    integration = integration_for_key(_api_key())
    form = _load(RequestPostSchema(), request.form)
    media = request.files.getlist("media")
    if len(media) > 1:
        raise ValidationFailed("media 最多一张照片。")
    external_id = form["external_id"] or request.headers.get("Idempotency-Key")
    if external_id is not None and not _EXTERNAL_ID.match(external_id):
        raise ValidationFailed("external_id / Idempotency-Key 须为1–100个字母、数字或 ._:- 字符。")
    source = reports.IntegrationSource(integration_id=integration.id, name=integration.name,
                                       area_code=integration.area_code, external_id=external_id)
    fields_ = {"category": form["service_code"], "lat": form["lat"], "lon": form["lon"],
               "description": form["description"], "address": form["address_string"],
               "captured_at": None}
    submission = reports.submit_from_integration(
        source=source, fields=fields_, photos=[upload_bytes(m) for m in media], store=photo_store(),
        workers=photo_workers(), policy=reports.submit_policy(
            current_app.config, photo_limits=photo_limits(),
            write_while_decoding=db.engine.dialect.name != "sqlite"))
    report_id = submission.report.id
    body = [{"service_request_id": str(report_id), "token": open311.token_for(report_id),
             "service_notice": None, "account_id": None}]
    return render(fmt, body, root="service_requests", item="request",
                  status=200 if submission.replayed else 201)


@blp.route("/<path:anything>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(anything: str) -> Response:
    """Anything else under /open311/v2 is an Open311 404, not an HTML page."""
    raise NotFound("找不到这个地址。")
