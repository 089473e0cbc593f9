from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BehaviourConfig(AppConfig):
    """Behavioural customer types (H13): the nine types of the course notes as tags on
    customers, each with its handling playbook."""

    name = "guanxi.analytics.behaviour"
    label = "behaviour"
    verbose_name = _("Behavioural types")

    def ready(self) -> None:
        from guanxi.analytics.behaviour import registrations  # noqa: F401
