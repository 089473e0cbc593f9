from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BasketConfig(AppConfig):
    """Market-basket analysis (H10): association rules and cross-sell suggestions.

    A Django app of its own inside `guanxi.analytics` so its tables and migrations stay
    apart from the customer metrics."""

    name = "guanxi.analytics.basket"
    label = "basket"
    verbose_name = _("Market basket")

    def ready(self) -> None:
        from guanxi.analytics.basket import registrations  # noqa: F401
