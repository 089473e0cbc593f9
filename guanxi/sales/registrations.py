"""What the sales app adds to the shared registries: object types and document numbers."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.core.numbering import register_document_kind
from guanxi.core.permissions import ADD, CHANGE, DELETE, EXPORT, VIEW, register_object_type

_ALL = (VIEW, ADD, CHANGE, DELETE, EXPORT)
_SALES = {
    "manager": _ALL,
    "sales": _ALL,
    "service": (VIEW,),
    "marketing": (VIEW,),
    "readonly": (VIEW,),
}

register_object_type("lead", _("Leads"), actions=_ALL, owner_field="owner", defaults=_SALES)
register_object_type(
    "opportunity", _("Opportunities"), actions=_ALL, owner_field="owner", defaults=_SALES
)
register_object_type("quote", _("Quotes"), actions=_ALL, owner_field="owner", defaults=_SALES)
register_object_type(
    "order", _("Orders and contracts"), actions=_ALL, owner_field="owner", defaults=_SALES
)
register_object_type(
    "purchase_order",
    _("Purchase orders"),
    actions=_ALL,
    owner_field="owner",
    defaults={"manager": _ALL, "readonly": (VIEW,)},
)

register_document_kind("quote", _("Quote"), "QT")
register_document_kind("order", _("Order"), "SO")
register_document_kind("purchase_order", _("Purchase order"), "PO")
