"""Every domain's tables, imported in one place so that Alembic and the app see them all."""
from app.auth.models import AuthSession, Invite, User  # noqa: F401
from app.campaigns.models import Campaign, Delivery  # noqa: F401
from app.categories.models import Category  # noqa: F401
from app.dispatch.models import WorkerPresence  # noqa: F401
from app.geo.models import Area, AreaWorker  # noqa: F401
from app.integrations.models import CallbackDelivery, Integration  # noqa: F401
from app.notifications.models import Notification, PushDelivery, PushSubscription  # noqa: F401
from app.points.models import LedgerEntry, PointsTotal  # noqa: F401
from app.reports.models import IdempotencyRecord, Report, ReportEvent, ReportPhoto  # noqa: F401
from app.stations.models import Station  # noqa: F401
from app.stats.models import (  # noqa: F401
    ReportDayCount,
    ReportDayDuration,
    ReportDayReporter,
    ReportMonthCount,
    ReportMonthDuration,
    ReportMonthReporter,
)
from app.suggestions.models import Suggestion  # noqa: F401
