from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "guanxi.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Registers the core periodic jobs, the recycle bin's menu entry and the
        # custom-field pages (object type, record types, menu entries).
        from guanxi.core import fields_registrations, periodic_jobs, registrations  # noqa: F401
