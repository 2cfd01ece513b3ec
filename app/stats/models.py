"""Monthly and daily totals of reports per district (and everyone), kept in step with every report
change: whole months of a window are read from the monthly rows, the days around them from the daily."""
from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

SCOPE_ALL = "*"  # scope_code of the totals over every report, located or not


class ReportMonthCount(db.Model):
    """Reports created in one China month of a scope, by category and current status; a cache of
    the reports table, changed in the same transaction as each report (`flask stats verify`)."""

    __tablename__ = "report_month_counts"

    scope_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    category_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    reports: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    resolved: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    within_deadline: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class ReportMonthDuration(db.Model):
    """How many reports of a scope and month took a duration in one bucket to be accepted or
    resolved: the histogram the medians are read from."""

    __tablename__ = "report_month_durations"

    scope_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    measure: Mapped[str] = mapped_column(String(8), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)  # tenths of a minute, lower edge
    reports: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (CheckConstraint("measure IN ('accept', 'resolve')", name="measure"),)


class ReportMonthReporter(db.Model):
    """A rider's reports (and the valid ones) created in one scope and month."""

    __tablename__ = "report_month_reporters"

    scope_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    reports: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    valid_reports: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class ReportDayCount(db.Model):
    """Reports created on one China day of a scope, by category and current status (the monthly
    counts' days: a window's days outside whole months are read from here)."""

    __tablename__ = "report_day_counts"

    scope_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    reports: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    resolved: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    within_deadline: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class ReportDayDuration(db.Model):
    """The duration histogram of the reports of one scope and China day."""

    __tablename__ = "report_day_durations"

    scope_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    measure: Mapped[str] = mapped_column(String(8), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)  # tenths of a minute, lower edge
    reports: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (CheckConstraint("measure IN ('accept', 'resolve')", name="measure"),)


class ReportDayReporter(db.Model):
    """A rider's reports (and the valid ones) created in one scope on one China day."""

    __tablename__ = "report_day_reporters"

    scope_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    reports: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    valid_reports: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
