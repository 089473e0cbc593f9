from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "guanxi.catalog"
    label = "catalog"
    verbose_name = _("Products")

    def ready(self) -> None:
        # Object types, document numbers, navigation, jobs and demo data.
        from guanxi.catalog import registrations  # noqa: F401
