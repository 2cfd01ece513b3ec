"""In and out shapes of integrations (the admin's side; Open311 has its own in open311_format)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.common.pagination import PageArgsSchema, page_schema


class IntegrationInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 60))
    area_code = fields.String(required=True, validate=validate.Length(1, 32))
    callback_url = fields.URL(load_default=None, allow_none=True, require_tld=False,
                              schemes={"http", "https"}, validate=validate.Length(max=500),
                              metadata={"description": "Receives a signed POST for every status change"})


class IntegrationSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    area_code = fields.String()
    callback_url = fields.String(allow_none=True)
    key_prefix = fields.String(metadata={"description": "The key's first characters, to tell keys apart"})
    active = fields.Boolean()
    created_at = fields.DateTime()


class IssuedIntegrationSchema(IntegrationSchema):
    api_key = fields.String(metadata={"description": "Shown once; only its hash is stored"})
    callback_secret = fields.String(metadata={
        "description": "Shown once: callbacks carry HMAC-SHA256 of the body under it"})


class IntegrationActiveSchema(Schema):
    active = fields.Boolean(required=True)


IntegrationPageSchema = page_schema(IntegrationSchema, "IntegrationPage")
IntegrationListArgsSchema = PageArgsSchema
