"""Page arguments, the list envelope, and keyset (cursor) pages of growing lists, newest first."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import Row, Select, func, select, tuple_, union, union_all
from sqlalchemy.sql.elements import ColumnElement

from app.common.cursors import Position, read_position, sign_position
from app.errors import ValidationFailed
from app.extensions import db

MAX_PER_PAGE = 100
PER_PAGE_DEFAULT = 20
MAX_PAGE = 100_000
CURSOR_MAX_LENGTH = 512
# Growing lists count at most this many rows per call; past it `total` is this and `total_capped` true.
TOTAL_CAP = 1000
# `page` (an offset) reaches no deeper than this; deeper pages are reached with `cursor`.
MAX_OFFSET_ROWS = 10_000


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=PER_PAGE_DEFAULT, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class CursorArgsSchema(PageArgsSchema):
    cursor = fields.String(load_default=None, validate=validate.Length(1, CURSOR_MAX_LENGTH), metadata={
        "description": "The `next` of the previous page (opaque); when given, `page` is ignored."})


def page_schema(item_schema: type[Schema] | Schema, name: str) -> type[Schema]:
    """An envelope schema {items, page, per_page, total, next, total_capped} around item_schema."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
            "total_capped": fields.Boolean(metadata={
                "description": f"true: there are more than `total` ({TOTAL_CAP}) rows"}),
            "next": fields.String(allow_none=True, metadata={
                "description": "pass as ?cursor= for the next page; null on the last page"}),
        },
        name=name,
    )


def paginate(stmt: Select[Any], *, page: int, per_page: int) -> dict[str, Any]:
    """Run stmt for one page with an exact total (short lists only); stmt carries its ORDER BY."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "page": page, "per_page": per_page, "total": total or 0}


@dataclass(frozen=True)
class Keyset:
    """How a list is ordered, newest first: a time column then the id (or the id alone)."""

    id: ColumnElement[int]
    at: ColumnElement[Any] | None = None

    def columns(self) -> list[ColumnElement[Any]]:
        return [self.at, self.id] if self.at is not None else [self.id]

    def id_of(self, row: Row[Any]) -> Any:
        return row[1] if self.at is not None else row[0]

    def position(self, row: Row[Any], page: int) -> Position:
        return Position(at=row[0], id=row[1], page=page) if self.at is not None else Position(
            at=None, id=row[0], page=page)

    def before(self, position: Position) -> ColumnElement[bool]:
        if self.at is not None:
            return tuple_(self.at, self.id) < tuple_(position.at, position.id)
        return self.id < position.id

    def at_or_before(self, position: Position) -> ColumnElement[bool]:
        if self.at is not None:
            return tuple_(self.at, self.id) <= tuple_(position.at, position.id)
        return self.id <= position.id


@dataclass(frozen=True)
class KeysetPage:
    """One page of a list's keys (the keyset columns first, then what each branch selected)."""

    rows: list[Row[Any]]
    page: int
    per_page: int
    next: str | None  # the cursor of the following page
    total: int
    total_capped: bool

    def envelope(self, items: list[Any]) -> dict[str, Any]:
        """The list envelope around this page's items."""
        return {"items": items, "page": self.page, "per_page": self.per_page, "total": self.total,
                "total_capped": self.total_capped, "next": self.next}


def keyset_page(branches: Sequence[Select[Any]], *, keyset: Keyset, cursor: str | None, binding: str,
                page: int, per_page: int) -> KeysetPage:
    """A page of the union of `branches` (selects of the keyset columns first, each with its WHERE),
    newest first, after a cursor or at an old client's `page`. Each branch walks its own index (an
    OR of scopes would make the database sort every matching row). `binding` names the viewer's
    list and filters: a cursor made for another is refused."""
    after = read_position(cursor, binding=binding) if cursor else None
    offset = 0 if after is not None else (page - 1) * per_page
    if offset + per_page > MAX_OFFSET_ROWS:
        raise ValidationFailed(f"按页码最多翻到第{MAX_OFFSET_ROWS}条，请用 cursor 继续翻页。",
                               code="page_too_deep", details={"fields": {"page": ["页码太大。"]}})
    number = after.page + 1 if after is not None else page
    paged = [b.where(keyset.before(after)) if after is not None else b for b in branches]
    if offset:
        rows, found = _deep(paged, keyset=keyset, offset=offset, limit=per_page + 1)
    else:
        rows, found = _newest(paged, counted=branches, keyset=keyset, limit=per_page + 1)
    more = len(rows) > per_page
    rows = rows[:per_page]
    if after is None and not more and (rows or not offset):
        total, capped = offset + len(rows), False  # the list's end is in hand: no count needed
    else:
        if found is None:
            found = db.session.scalar(_capped_count(branches, keyset=keyset)) or 0
        total, capped = min(found, TOTAL_CAP), found > TOTAL_CAP
    following = sign_position(keyset.position(rows[-1], number), binding=binding) if more else None
    return KeysetPage(rows=rows, page=number, per_page=per_page, next=following, total=total,
                      total_capped=capped)


def keyset_list(stmt: Select[Any], *, keyset: Keyset, cursor: str | None, binding: str, page: int,
                per_page: int) -> dict[str, Any]:
    """The envelope of one page of a select of one model (its WHERE kept, its order the keyset's)."""
    result = keyset_page([stmt.order_by(None).with_only_columns(*keyset.columns())], keyset=keyset,
                         cursor=cursor, binding=binding, page=page, per_page=per_page)
    model = stmt.column_descriptions[0]["entity"]
    return result.envelope(rows_in_order(model, [keyset.id_of(row) for row in result.rows]))


def rows_in_order(model: Any, ids: Sequence[Any]) -> list[Any]:
    """The model's rows with these ids, in the order of ids (one query)."""
    if not ids:
        return []
    found = {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


_COUNTED = "keyset_rows_counted"  # the column that carries the list's (capped) count with a page


def _newest(branches: Sequence[Select[Any]], *, counted: Sequence[Select[Any]], keyset: Keyset,
            limit: int) -> tuple[list[Row[Any]], int | None]:
    """The first `limit` rows of the branches' union, newest first, and how many rows `counted`
    has (capped; None when no row came back): one round trip, each branch walking its own index."""
    order = [column.desc() for column in keyset.columns()]
    newest = [select(branch.order_by(*order).limit(limit).subquery()) for branch in branches]
    union = (union_all(*newest) if len(newest) > 1 else newest[0]).subquery()
    count = _capped_count(counted, keyset=keyset).scalar_subquery().label(_COUNTED)
    rows: dict[Any, Row[Any]] = {}
    found = None
    for row in db.session.execute(select(union, count)):
        found = row[-1]
        rows.setdefault(tuple(row[:len(order)]), row)  # a row two branches share, once
    return [rows[key] for key in sorted(rows, reverse=True)[:limit]], found


def _deep(branches: Sequence[Select[Any]], *, keyset: Keyset, offset: int,
          limit: int) -> tuple[list[Row[Any]], int | None]:
    """Rows offset..offset+limit of the branches' union, newest first (old clients' page numbers), and
    the capped count: the key of the page's first row is found on the keyset columns alone (each
    branch's index, no table rows), then the page is read from there as a first page is."""
    order = [column.desc() for column in keyset.columns()]
    keys = [branch.with_only_columns(*keyset.columns()) for branch in branches]
    if len(keys) == 1:
        start = keys[0].order_by(*order).limit(1).offset(offset)
    else:
        # Ordered on the union itself, not on a subquery of it: SQLite then merges the sorted branches.
        merged = union(*(select(key.order_by(*order).limit(offset + 1).subquery()) for key in keys))
        start = merged.order_by(*(column.desc() for column in merged.selected_columns)).limit(1).offset(offset)
    first = db.session.execute(start).first()
    if first is None:
        return [], None
    from_first = keyset.at_or_before(keyset.position(first, page=1))
    return _newest([branch.where(from_first) for branch in branches], counted=branches, keyset=keyset,
                   limit=limit)


def _capped_count(branches: Sequence[Select[Any]], *, keyset: Keyset) -> Select[Any]:
    """How many rows the branches' union has, counting no further than TOTAL_CAP + 1."""
    parts = [select(branch.with_only_columns(keyset.id).limit(TOTAL_CAP + 1).subquery())
             for branch in branches]
    ids = (union(*parts) if len(parts) > 1 else parts[0]).subquery()
    return select(func.count()).select_from(ids)
