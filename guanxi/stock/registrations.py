"""What the stock app adds to the shared registries: object types and document numbers."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.core.numbering import register_document_kind
from guanxi.core.permissions import (
    ADD,
    CHANGE,
    DELETE,
    EXPORT,
    POST,
    VIEW,
    register_object_type,
)

_ALL = (VIEW, ADD, CHANGE, DELETE, EXPORT, POST)

register_object_type(
    "stock_document",
    _("Stock documents"),
    actions=_ALL,
    owner_field="owner",
    defaults={
        "manager": _ALL,
        "sales": (VIEW, ADD, CHANGE, POST),
        "service": (VIEW,),
        "readonly": (VIEW,),
    },
)

register_document_kind("purchase_receipt", _("Purchase receipt"), "GR")
register_document_kind("sales_delivery", _("Sales delivery"), "SD")
register_document_kind("sales_return", _("Sales return"), "SR")
register_document_kind("purchase_return", _("Purchase return"), "PR")
register_document_kind("transfer", _("Stock transfer"), "TR")
register_document_kind("adjustment", _("Stock adjustment"), "AJ")
