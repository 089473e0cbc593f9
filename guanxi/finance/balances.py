"""Balances of the party ledger: what a customer owes us, what we owe a supplier.

The one place other apps (order confirmation's credit check, the 360 page, ageing) read
a party's balance from.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F, Sum

from guanxi.finance.models import PartyLedgerEntry
from guanxi.parties.models import Party

RECEIVABLE = PartyLedgerEntry.Book.RECEIVABLE
PAYABLE = PartyLedgerEntry.Book.PAYABLE
CENT = Decimal("0.01")


def party_balance(party: Party, book: str = RECEIVABLE) -> Decimal:
    """Return the party's balance in `book` (positive: it owes us / we owe it)."""
    total = PartyLedgerEntry.objects.filter(party=party, book=book).aggregate(s=Sum("amount"))["s"]
    return Decimal("0.00") if total is None else Decimal(total).quantize(CENT)


def credit_exposure(party: Party, *, exclude_order: int | None = None) -> Decimal:
    """What a customer's credit is used for: the receivable balance plus the part of its
    confirmed orders not yet delivered (an order being confirmed is left out with
    `exclude_order`, so the caller adds its total).

    Advances paid on orders are receipts, so they already lower the balance.
    """
    from django.db.models import OuterRef, Subquery
    from django.db.models.functions import Coalesce, Greatest

    from guanxi.finance.openitems import MONEY_FIELD, alive_stock_q, today
    from guanxi.sales.models import Order
    from guanxi.stock.models import StockDocument

    delivered = (
        StockDocument.objects.filter(
            alive_stock_q(today()), order=OuterRef("pk"), kind=StockDocument.Kind.SALES_DELIVERY
        )
        .order_by()
        .values("order")
        .annotate(s=Sum("total"))
        .values("s")[:1]
    )
    orders = Order.objects.filter(party=party, status=Order.Status.CONFIRMED)
    if exclude_order is not None:
        orders = orders.exclude(pk=exclude_order)
    undelivered = orders.annotate(
        rest=Greatest(
            Decimal("0"),
            F("total") - Coalesce(Subquery(delivered, output_field=MONEY_FIELD), Decimal("0")),
        )
    ).aggregate(s=Sum("rest"))["s"]
    rest = Decimal("0.00") if undelivered is None else Decimal(undelivered).quantize(CENT)
    return party_balance(party) + rest
