"""Reading and adding hazard categories."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.categories.models import Category
from app.errors import Conflict, Unprocessable
from app.extensions import db


def list_categories() -> list[Category]:
    """Active categories in display order."""
    stmt = select(Category).where(Category.active.is_(True)).order_by(Category.sort_order, Category.code)
    return list(db.session.scalars(stmt))


def get_active_category(code: str) -> Category:
    """The active category with this code, or a 422 the rider can act on."""
    category = db.session.get(Category, code)
    if category is None or not category.active:
        raise Unprocessable(f"没有「{code}」这个类别。", code="unknown_category",
                            details={"category": code})
    return category


def create_category(*, fields: dict[str, Any]) -> Category:
    """Add a category (admin); the primary key decides between two admins adding the same code."""
    category = Category(**fields)
    db.session.add(category)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("已有这个编码的类别。", code="category_exists") from None
    return category
