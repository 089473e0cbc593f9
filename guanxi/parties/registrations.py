"""What the parties app adds to the shared registries: object types (and, from its
pages' modules, navigation and search)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import ADD, CHANGE, DELETE, EXPORT, VIEW, register_object_type

_ALL = (VIEW, ADD, CHANGE, DELETE, EXPORT)

register_object_type(
    "party",
    _("Customers and other parties"),
    actions=_ALL,
    owner_field="owner",
    defaults={
        "manager": _ALL,
        "sales": (VIEW, ADD, CHANGE, DELETE, EXPORT),
        "service": (VIEW, CHANGE),
        "marketing": (VIEW, EXPORT),
        "readonly": (VIEW,),
    },
)
register_object_type(
    "contact",
    _("Contacts"),
    actions=_ALL,
    owner_field="party__owner",
    defaults={
        "manager": _ALL,
        "sales": (VIEW, ADD, CHANGE, DELETE, EXPORT),
        "service": (VIEW, ADD, CHANGE),
        "marketing": (VIEW, EXPORT),
        "readonly": (VIEW,),
    },
)


def _register_attachables() -> None:
    # Customers (and suppliers …) and contacts carry attachments (B8); the selectors
    # decide visibility, so a deleted customer's files are hidden with it.
    from guanxi.core.attachments import register_attachable
    from guanxi.parties.models import Contact, Party
    from guanxi.parties.selectors import get_contact_for_user, get_party_for_user

    register_attachable(Party, get_visible=get_party_for_user)
    register_attachable(Contact, get_visible=get_contact_for_user)


_register_attachables()


def _register_restricted_settings() -> None:
    from guanxi.web.navigation import NavItem, register_nav_item

    register_nav_item(
        NavItem(
            key="restricted_records",
            label=_("Restricted records"),
            url_name="parties:restricted_settings",
            icon="lock-password",
            admin_only=True,
            section="settings",
            order=60,
        )
    )


_register_restricted_settings()
