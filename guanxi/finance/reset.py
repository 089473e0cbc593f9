"""Data initialisation (A4): clear an organisation's sales and stock data.

Deletes, for one organisation and in one transaction, its leads, opportunities, quotes,
orders, purchase orders, stock documents and the stock ledger, stock levels,
serial-numbered units, receipts and payments, their allocations and the party ledger
(with the change history of those records), and restarts the numbering of those
documents. Customers, suppliers, contacts, activities (their opportunity link is
cleared), products, warehouses, pipeline stages, sales targets and settings stay.

The member must type the organisation's name to confirm; every reset is logged
(DataResetLog: who, when, how many rows of each kind).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.utils.translation import gettext as _

from guanxi.core.models import NumberSequence, Organisation
from guanxi.core.scoping import org_scope
from guanxi.finance.models import DataResetLog

# Deleted in this order (what refers to a row goes before it). Self-references are
# cleared first.
CLEARED: tuple[str, ...] = (
    "finance.Allocation",
    "finance.PartyLedgerEntry",
    "finance.MoneyDocument",
    "stock.SerialMovement",
    "stock.StockLedgerEntry",
    "stock.SerialUnit",
    "stock.StockLevel",
    "stock.StockDocumentLine",
    "stock.StockDocument",
    "sales.PurchaseOrderLine",
    "sales.PurchaseOrder",
    "sales.OrderLine",
    "sales.Order",
    "sales.QuoteLine",
    "sales.Quote",
    "sales.OpportunityLine",
    "sales.StageChange",
    "sales.Lead",
    "sales.Opportunity",
)
# Models of those apps that are kept: set-up, not transactions.
KEPT: tuple[str, ...] = (
    "finance.DataResetLog",
    "sales.PipelineStage",
    "sales.SalesTarget",
    "sales.SalesSettings",
    "stock.Warehouse",
)
NUMBER_KINDS: tuple[str, ...] = (
    "quote",
    "order",
    "purchase_order",
    "purchase_receipt",
    "sales_delivery",
    "sales_return",
    "purchase_return",
    "transfer",
    "adjustment",
    "receipt",
    "payment",
)


def _model(label: str) -> type[models.Model]:
    return apps.get_model(label)


def _self_references(model: type[models.Model]) -> list[str]:
    return [
        f.name
        for f in model._meta.get_fields()
        if isinstance(f, models.ForeignKey) and f.related_model is model and f.null
    ]


def _rows(model: type[models.Model], org_id: int) -> Any:
    return model._base_manager.filter(org_id=org_id)


def preview(org: Organisation | int) -> dict[str, int]:
    """How many rows of each kind a reset would delete now."""
    org_id = org.pk if isinstance(org, Organisation) else int(org)
    return {label: _rows(_model(label), org_id).count() for label in CLEARED}


def check_confirmation(org: Organisation, confirmation: str) -> None:
    if (confirmation or "").strip() != org.name.strip():
        raise ValidationError(
            {"confirmation": [_("Type the organisation's name exactly as shown to confirm.")]}
        )


def clear_sales_and_stock(*, org: Organisation, actor: Any, confirmation: str) -> DataResetLog:
    """Delete the organisation's sales and stock data (see the module docstring).

    Raise ValidationError on `confirmation` when it is not the organisation's name;
    nothing is deleted then.
    """
    check_confirmation(org, confirmation)
    counts: dict[str, int] = {}
    with org_scope(org), transaction.atomic():
        from guanxi.activities.models import Activity

        opportunities = _rows(_model("sales.Opportunity"), org.pk).values("pk")
        counts["activities.Activity (opportunity link cleared)"] = Activity._base_manager.filter(
            org_id=org.pk, opportunity__in=opportunities
        ).update(opportunity=None)
        for label in CLEARED:
            model = _model(label)
            references = _self_references(model)
            if references:
                _rows(model, org.pk).update(**dict.fromkeys(references, None))
            using = router.db_for_write(model)
            counts[label] = _rows(model, org.pk)._raw_delete(using)
            history = getattr(model, "history", None)
            if history is not None:
                historical = history.model
                historical._base_manager.filter(org_id=org.pk)._raw_delete(using)
        NumberSequence.objects.filter(kind__in=NUMBER_KINDS).delete()
        log = DataResetLog.objects.create(
            org=org,
            kind=DataResetLog.Kind.SALES_AND_STOCK,
            actor=actor if getattr(actor, "pk", None) else None,
            counts=counts,
        )
    return log


def model_label(label: str) -> str:
    """The plural name of a model label, for the log page."""
    if "(" in label:
        return str(_("Activities (opportunity link cleared)"))
    try:
        return str(_model(label)._meta.verbose_name_plural)
    except LookupError:
        return label
