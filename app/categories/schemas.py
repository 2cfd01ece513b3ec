"""In and out shapes of categories."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

CODE = validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$", error="请用小写英文和下划线（2–40个字符）。")


class CategorySchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name_zh = fields.String(required=True, validate=validate.Length(1, 40))
    name_en = fields.String(required=True, validate=validate.Length(1, 80))
    points = fields.Integer(required=True, validate=validate.Range(0, 1000))
    urgent = fields.Boolean(load_default=False)
    accept_minutes = fields.Integer(required=True, validate=validate.Range(1, 7 * 24 * 60))
    resolve_hours = fields.Integer(required=True, validate=validate.Range(1, 90 * 24))
    sort_order = fields.Integer(load_default=100, validate=validate.Range(0, 10_000))
    active = fields.Boolean(dump_only=True)

