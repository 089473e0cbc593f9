from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "guanxi.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        # Object types, navigation, periodic jobs, 360° tabs and badges of each part of
        # the analytics area (metrics, sales analysis and funnel, dashboard).
        from guanxi.analytics import (  # noqa: F401
            registrations,
            registrations_clv,
            registrations_dashboard,
            registrations_metrics,
            registrations_sales,
        )
