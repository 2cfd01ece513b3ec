"""In and out shapes of honour points and leaderboards."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from app.common.fields import Id
from app.geo.schemas import AreaSchema
from app.points import rules
from app.points.periods import Period
from app.points.standings import SCOPES

MAX_BOARD_ROWS = 200
MAX_EXPORT_ROWS = 10_000


def _non_zero_bounded(delta: int) -> None:
    if delta == 0 or abs(delta) > rules.MAX_ADJUSTMENT:
        raise ValidationError(f"请填写 -{rules.MAX_ADJUSTMENT} 到 {rules.MAX_ADJUSTMENT} 之间、不为0的分值。")


def _readable_reason(text: str) -> None:
    low, high = rules.ADJUSTMENT_REASON_LENGTH
    if not low <= len(text.strip()) <= high:
        raise ValidationError(f"请填写{low}到{high}个字的原因，骑手会看到。")


class AdjustmentSchema(Schema):
    rider_id = Id(required=True)
    delta = fields.Integer(required=True, strict=True, validate=_non_zero_bounded)
    reason = fields.String(required=True, validate=_readable_reason)


class LedgerEntrySchema(Schema):
    id = fields.Integer()
    rider_id = fields.Integer()
    delta = fields.Integer()
    reason = fields.String(metadata={"enum": [reason.value for reason in rules.Reason]})
    reason_text = fields.Method("_reason_text")
    note = fields.String(allow_none=True)
    report_id = fields.Integer(allow_none=True)
    source = fields.String(allow_none=True, metadata={
        "description": "What earned it when not a report: suggestion:{id} or delivery:{id}"})
    community_code = fields.String(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)
    at = fields.DateTime(attribute="created_at")

    def _reason_text(self, entry: Any) -> dict[str, str]:
        return dict(rules.reason_text(entry.reason))


class PointsLevelSchema(Schema):
    code = fields.String(metadata={"example": "bronze"})
    name_zh = fields.String(metadata={"example": "铜牌文明使者"})
    name_en = fields.String()
    min_points = fields.Integer()
    next_at = fields.Integer(allow_none=True, metadata={"description": "points of the next level"})


class PointsRankSchema(Schema):
    community = fields.Integer(allow_none=True)
    overall = fields.Integer(allow_none=True)


class MyPointsSchema(Schema):
    balance = fields.Integer()
    month_points = fields.Integer()
    rank = fields.Nested(PointsRankSchema, metadata={"description": "all-time competition ranks"})
    level = fields.Nested(PointsLevelSchema)
    entries = fields.List(fields.Nested(LedgerEntrySchema), metadata={"description": "newest first"})
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    total_capped = fields.Boolean(metadata={"description": "true: there are more entries than `total`"})
    next = fields.String(allow_none=True, metadata={"description": "?cursor= of the next entries; null at the end"})


class LeaderboardArgsSchema(Schema):
    scope = fields.String(load_default="community", validate=validate.OneOf(SCOPES))
    area = fields.String(load_default=None, validate=validate.Length(1, 32))
    period = fields.String(load_default=Period.MONTH.value, validate=validate.OneOf(list(Period)))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_BOARD_ROWS))


class ExportArgsSchema(LeaderboardArgsSchema):
    limit = fields.Integer(load_default=1000, validate=validate.Range(1, MAX_EXPORT_ROWS))


class BoardRiderSchema(Schema):
    id = fields.Integer()
    name = fields.String(metadata={"description": "masked (张**) unless you may see it"})
    platform = fields.String(allow_none=True)


class BoardRowSchema(Schema):
    rank = fields.Integer(allow_none=True)
    rider = fields.Nested(BoardRiderSchema)
    points = fields.Integer()
    reports = fields.Integer(metadata={"description": "judged reports (confirmed or rejected as invalid)"})
    valid_reports = fields.Integer()


class LeaderboardSchema(Schema):
    period = fields.String()
    period_start = fields.Date(metadata={"description": "first day of the period, China time"})
    scope = fields.String()
    area = fields.Nested(AreaSchema, allow_none=True)
    rows = fields.List(fields.Nested(BoardRowSchema))
    me = fields.Nested(BoardRowSchema, allow_none=True,
                       metadata={"description": "your own row (riders), even outside the top"})
