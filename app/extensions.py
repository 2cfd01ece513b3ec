"""Flask extensions, created unbound; create_app() binds them."""
from __future__ import annotations

from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api, Blueprint
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from marshmallow import Schema, fields
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so that Alembic can alter them on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ErrorDetailSchema(Schema):
    code = fields.String(metadata={"example": "validation_failed"})
    message = fields.String()
    details = fields.Dict()


class ErrorSchema(Schema):
    """The one error shape: {"error": {"code", "message", "details"}}."""

    error = fields.Nested(ErrorDetailSchema)


class GridSnapApi(Api):
    ERROR_SCHEMA = ErrorSchema


# Bad input is a 400 in this API (422 is kept for well-formed but inapplicable requests);
# every flask-smorest blueprint shares this one parser instance.
Blueprint.ARGUMENTS_PARSER.DEFAULT_VALIDATION_STATUS = 400

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
jwt = JWTManager()
api = GridSnapApi()
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
csrf = CSRFProtect()  # the console's forms only (WTF_CSRF_CHECK_DEFAULT is off: the API has no cookies)
