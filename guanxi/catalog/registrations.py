"""What the catalog app adds to the shared registries."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import ADD, CHANGE, DELETE, EXPORT, VIEW, register_object_type

_ALL = (VIEW, ADD, CHANGE, DELETE, EXPORT)

# Products are shared by the whole organisation: no owner field.
register_object_type(
    "product",
    _("Products"),
    actions=_ALL,
    defaults={
        "manager": _ALL,
        "sales": (VIEW, EXPORT),
        "service": (VIEW,),
        "marketing": (VIEW, EXPORT),
        "readonly": (VIEW,),
    },
)
