from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "guanxi.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        import guanxi.accounts.token_registrations  # noqa: F401
        from guanxi.accounts import demo, registrations, settings_registrations  # noqa: F401
