"""The categories table (reference data, seeded by a migration)."""
from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.common.models import TimestampMixin
from app.extensions import db


class Category(TimestampMixin, db.Model):
    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(40), nullable=False)
    name_en: Mapped[str] = mapped_column(String(80), nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    # Fire and fall risks: a bonus for the reporter and short deadlines for the worker.
    urgent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    accept_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    resolve_hours: Mapped[int] = mapped_column(Integer, nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=100)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    __table_args__ = (
        CheckConstraint("points >= 0 AND points <= 1000", name="points_range"),
        CheckConstraint("accept_minutes > 0 AND resolve_hours > 0", name="deadlines_positive"),
    )
