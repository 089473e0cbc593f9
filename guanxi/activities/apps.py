from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "guanxi.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        # Object type, navigation, periodic reminder jobs and the demo seeder.
        from guanxi.activities import demo, periodic_jobs, registrations  # noqa: F401
