"""In and out shapes of accounts."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from app.auth.models import Role, UserStatus
from app.auth.phones import normalize_phone
from app.auth.service import STAFF_ROLES
from app.common.pagination import CursorArgsSchema, page_schema

PLATFORMS = ("meituan", "eleme", "sf_express", "jd", "dada", "shansong", "other")


class Phone(fields.String):
    """A mainland mobile number, stored in its normal 11-digit form."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        phone = normalize_phone(super()._deserialize(value, attr, data, **kwargs))
        if phone is None:
            raise ValidationError("请输入11位手机号，例如 13800138000。")
        return phone


def _strip_strings(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: v.strip() if isinstance(v, str) and k != "password" else v for k, v in data.items()}
    return data


def _password_rule(value: str) -> None:
    if not (any(c.isalpha() for c in value) and any(c.isdigit() for c in value)):
        raise ValidationError("密码至少8位，且同时包含字母和数字。")


PASSWORD = fields.String(required=True, load_only=True,
                         validate=[validate.Length(8, 128), _password_rule])
NAME = fields.String(required=True, validate=validate.Length(1, 50))
AREA_CODE = fields.String(validate=validate.Length(1, 32))


class StrippedSchema(Schema):
    @pre_load
    def strip(self, data: Any, **_: Any) -> Any:
        return _strip_strings(data)


class RegisterSchema(StrippedSchema):
    phone = Phone(required=True)
    password = PASSWORD
    name = NAME
    invite_code = fields.String(validate=validate.Length(4, 16), load_default=None)
    platform = fields.String(validate=validate.OneOf(PLATFORMS), load_default=None)
    area_code = fields.String(validate=validate.Length(1, 32), load_default=None,
                              metadata={"description": "Community to join when no invite code is given."})


class LoginSchema(StrippedSchema):
    phone = Phone(required=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(1, 128))


class UserSchema(Schema):
    id = fields.Integer()
    phone = fields.String()
    name = fields.String()
    role = fields.String(metadata={"enum": [r.value for r in Role]})
    status = fields.String(metadata={"enum": [s.value for s in UserStatus]})
    area_code = fields.String(allow_none=True)
    platform = fields.String(allow_none=True)
    created_at = fields.DateTime()


class TokensSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    user = fields.Nested(UserSchema)


class AccessTokenSchema(Schema):
    access_token = fields.String()


class CreateUserSchema(StrippedSchema):
    phone = Phone(required=True)
    password = PASSWORD
    name = NAME
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in STAFF_ROLES]))
    area_code = fields.String(validate=validate.Length(1, 32), load_default=None)


class UserFilterSchema(CursorArgsSchema):
    role = fields.String(validate=validate.OneOf([r.value for r in Role]))
    status = fields.String(validate=validate.OneOf([s.value for s in UserStatus]))


class InviteArgsSchema(Schema):
    max_uses = fields.Integer(load_default=50, validate=validate.Range(1, 1000))
    expires_in_days = fields.Integer(load_default=30, validate=validate.Range(1, 365))


class InviteSchema(Schema):
    invite_code = fields.String(attribute="code")
    community_code = fields.String()
    expires_at = fields.DateTime()
    max_uses = fields.Integer()
    uses = fields.Integer()


class InviteListSchema(Schema):
    items = fields.List(fields.Nested(InviteSchema))



UserPageSchema = page_schema(UserSchema, "UserPage")
