from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "guanxi.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        # Object types, document numbers, navigation, jobs and demo data.
        from guanxi.sales import (  # noqa: F401
            documents_registrations,
            pipeline_registrations,
            registrations,
        )
