"""What the report designer adds to the shared registries: the reportable objects, its
page in the analysis switcher, the periodic job that mails scheduled reports, demo data."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.analytics.registrations import ANALYTICS, ANALYTICS_SECTION
from guanxi.analytics.reports.registry import register_builtin_objects
from guanxi.core.periodic import register_periodic_job
from guanxi.web.navigation import NavItem, register_nav_item

register_builtin_objects()

register_nav_item(
    NavItem(
        key="analytics_reports",
        label=_("Reports"),
        url_name="analytics:report_list",
        icon="report",
        object_type=ANALYTICS,
        section=ANALYTICS_SECTION,
        order=80,
    )
)


def _register_job() -> None:
    from guanxi.analytics.reports.tasks import send_report_schedules

    register_periodic_job(
        "reports.schedules",
        "*/15 * * * *",
        send_report_schedules,
        _("Send the scheduled reports that are due by e-mail"),
    )


_register_job()

from guanxi.analytics.reports import demo  # noqa: E402,F401
