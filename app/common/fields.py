"""Input types that keep values within what both databases can store."""
from __future__ import annotations

from typing import Any

from marshmallow import fields, validate
from werkzeug.routing import IntegerConverter, Map

# The largest value of an INTEGER column (32-bit on PostgreSQL); ids past it cannot exist, and
# binding them raises in the database driver.
ID_MAX = 2**31 - 1


class Id(fields.Integer):
    """A row id (or an id cursor with minimum=0): a whole number the databases can store."""

    def __init__(self, *, minimum: int = 1, **kwargs: Any) -> None:
        extra = kwargs.pop("validate", None)
        extra = [] if extra is None else [extra] if callable(extra) else list(extra)
        super().__init__(validate=[validate.Range(minimum, ID_MAX), *extra], **kwargs)


class RowIdConverter(IntegerConverter):
    """The default `<int:…>` URL part, bounded: an id no database could hold is a 404, not a crash."""

    def __init__(self, url_map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = ID_MAX, signed: bool = False) -> None:  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def row_id_parameter_schema(_converter: RowIdConverter) -> dict[str, Any]:
    """How a bounded `<int:…>` URL part reads in the OpenAPI document."""
    return {"type": "integer", "minimum": 0, "maximum": ID_MAX}
