from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StockConfig(AppConfig):
    name = "guanxi.stock"
    label = "stock"
    verbose_name = _("Stock")

    def ready(self) -> None:
        # Object types, document numbers, navigation, jobs and demo data.
        from guanxi.stock import registrations  # noqa: F401
