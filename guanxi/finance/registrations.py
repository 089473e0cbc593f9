"""What the finance app adds to the shared registries: object types and document numbers."""

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
    "money_document",
    _("Receipts and payments"),
    actions=_ALL,
    owner_field="owner",
    defaults={
        "manager": _ALL,
        "sales": (VIEW, ADD, CHANGE, POST),
        "readonly": (VIEW,),
    },
)

register_document_kind("receipt", _("Receipt"), "RC")
register_document_kind("payment", _("Payment"), "PM")
