from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """The report designer (H4): saved, shared and scheduled reports.

    A Django app of its own inside `guanxi.analytics` so its tables and migrations stay
    apart from the customer metrics."""

    name = "guanxi.analytics.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from guanxi.analytics.reports import registrations  # noqa: F401
