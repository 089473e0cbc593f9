"""What the custom-field pages add to the shared registries: the "customfield" object type,
the record types that take custom fields, and three entries of the settings menu.

One object type covers custom field definitions, edit schemes (layouts) and tags: all
three shape every member's forms, so only administrators change them by default. A role
may be granted them on the roles page.
"""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from guanxi.core.custom_fields import register_field_target
from guanxi.core.models import CustomField
from guanxi.core.permissions import ADD, CHANGE, DELETE, VIEW, register_object_type
from guanxi.web.navigation import NavItem, register_nav_item

register_object_type(
    "customfield",
    _("Custom fields, edit schemes and tags"),
    actions=(VIEW, ADD, CHANGE, DELETE),
    defaults={},
)

# Customers and contacts live in the parties app; products and opportunities register
# theirs from their own apps when those exist.
if apps.is_installed("guanxi.parties"):
    register_field_target(
        CustomField.Target.PARTY,
        _("Customers and other parties"),
        object_type="party",
        order=10,
    )
    register_field_target(
        CustomField.Target.CONTACT, _("Contacts"), object_type="contact", order=20
    )

register_nav_item(
    NavItem(
        key="custom_fields",
        label=_("Custom fields"),
        url_name="core:field_home",
        icon="forms",
        object_type="customfield",
        section="settings",
        order=50,
    )
)
register_nav_item(
    NavItem(
        key="field_layouts",
        label=_("Edit schemes"),
        url_name="core:layout_home",
        icon="layout-columns",
        object_type="customfield",
        section="settings",
        order=55,
    )
)
register_nav_item(
    NavItem(
        key="tags",
        label=_("Tags"),
        url_name="core:tag_list",
        icon="tags",
        object_type="customfield",
        section="settings",
        order=60,
    )
)
