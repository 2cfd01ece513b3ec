"""Page arguments and the list envelope every collection endpoint returns."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import Select, func, select

from app.extensions import db

MAX_PER_PAGE = 100


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


def page_schema(item_schema: type[Schema] | Schema, name: str) -> type[Schema]:
    """An envelope schema {items, page, per_page, total} around item_schema."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
        },
        name=name,
    )


def paginate(stmt: Select[Any], *, page: int, per_page: int) -> dict[str, Any]:
    """Run stmt for one page; stmt must already carry its ORDER BY."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "page": page, "per_page": per_page, "total": total or 0}
