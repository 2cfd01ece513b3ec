"""In and out shapes of report statistics."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.geo.schemas import AreaSchema


class StatsArgsSchema(Schema):
    area = fields.String(load_default=None, validate=validate.Length(1, 32),
                         metadata={"description": "community, street or district code (default: yours)"})
    from_ = fields.Date(data_key="from", load_default=None,
                        metadata={"description": "first China day, inclusive (default: 29 days before 'to')"})
    to = fields.Date(load_default=None,
                     metadata={"description": "last China day, inclusive (default: today)"})


class StatsCategoryCountSchema(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    count = fields.Integer()


class StatsDeadlineSchema(Schema):
    resolved = fields.Integer()
    within_deadline = fields.Integer()
    share = fields.Float(allow_none=True, metadata={"description": "within_deadline / resolved"})


class StatsReporterSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    platform = fields.String(allow_none=True)


class StatsTopReporterSchema(Schema):
    rider = fields.Nested(StatsReporterSchema)
    reports = fields.Integer()
    valid_reports = fields.Integer(metadata={"description": "dispatched, resolved or closed"})


class StatsSuggestionsSchema(Schema):
    received = fields.Integer()
    adopted = fields.Integer()


class StatsCampaignDeliveriesSchema(Schema):
    campaign_id = fields.Integer()
    title = fields.String()
    deliveries = fields.Integer()
    leaflets = fields.Integer()


class StatsSchema(Schema):
    area = fields.Nested(AreaSchema, allow_none=True)
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    total = fields.Integer()
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_category = fields.List(fields.Nested(StatsCategoryCountSchema))
    deadline = fields.Nested(StatsDeadlineSchema)
    median_minutes_to_accept = fields.Float(allow_none=True)
    median_minutes_to_resolve = fields.Float(allow_none=True)
    top_reporters = fields.List(fields.Nested(StatsTopReporterSchema))
    suggestions = fields.Nested(StatsSuggestionsSchema)
    deliveries = fields.List(fields.Nested(StatsCampaignDeliveriesSchema))


class StatsWorkerSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class WorkerAssessmentSchema(Schema):
    worker = fields.Nested(StatsWorkerSchema)
    assigned = fields.Integer(metadata={"description": "times a report was assigned to them"})
    accepted = fields.Integer()
    accepted_in_time = fields.Integer(metadata={"description": "accepted within the category's accept deadline"})
    resolved = fields.Integer()
    average_rating = fields.Float(allow_none=True, metadata={"description": "reporters' ratings of their fixes"})
    rated = fields.Integer()


class WorkerAssessmentPageSchema(Schema):
    items = fields.List(fields.Nested(WorkerAssessmentSchema))


class TrendWeekSchema(Schema):
    week = fields.Date(metadata={"description": "the Monday the China week begins"})
    created = fields.Integer()
    resolved = fields.Integer()


class TrendSchema(Schema):
    items = fields.List(fields.Nested(TrendWeekSchema), metadata={"description": "oldest week first"})


class TrendArgsSchema(Schema):
    area = fields.String(load_default=None, validate=validate.Length(1, 32))
    weeks = fields.Integer(load_default=12, validate=validate.Range(1, 104))
