from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "guanxi.finance"
    label = "finance"
    verbose_name = _("Finance")

    def ready(self) -> None:
        # Object types, document numbers, navigation, jobs and demo data.
        from guanxi.finance import registrations  # noqa: F401
