"""The sales facts every analysis reads, defined once.

A *sale* is a posted sales delivery (销售单); sales returns count negative. Posting is
the only thing that makes a sale, so quotes and orders are pipeline, not revenue.

- `sales_documents`: deliveries and returns that were posted, signed by kind, including
  the reversals of edited or cancelled documents (a reversal carries negative amounts,
  so original + reversal nets to zero and the corrected re-post counts once).
- `sales_lines`: the same at line level, with product, quantity, net amount and cost.
- `purchase_events`: the deliveries that still stand (posted, not a reversal, not
  reversed). One delivery is one purchase of the customer: RFM frequency, BG/NBD
  transactions and market baskets count these.

Amounts are net of tax (`total - tax_total` on documents, `net_amount` on lines); gross
profit is net − cost, cost being quantity × the unit cost posting used, rounded to the
cent per line. Posting also stores the document's cost (`cost_total`, the sum of its
lines' rounded costs), so per-document gross profit needs no line (a test checks that
both ways agree).

These querysets are organisation-scoped (call them inside `scope(org=...)`); views add
`visible(...)` for the member, jobs run over the whole organisation.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Round

from guanxi.stock.models import StockDocument, StockDocumentLine

SK = StockDocument.Kind
SALES_KINDS = (SK.SALES_DELIVERY, SK.SALES_RETURN)
# Posted documents and the ones a later reversal cancelled (their reversal, also posted,
# carries the opposite amounts).
COUNTED_STATUSES = (StockDocument.Status.POSTED, StockDocument.Status.REVERSED)
AMOUNT = DecimalField(max_digits=18, decimal_places=2)
QUANTITY = DecimalField(max_digits=18, decimal_places=3)


def _sign(prefix: str = "") -> Case:
    return Case(When(**{f"{prefix}kind": SK.SALES_RETURN}, then=Value(-1)), default=Value(1))


def sales_documents() -> QuerySet[StockDocument]:
    """Posted sales deliveries and returns, with `signed_net` (net of tax, returns < 0) and
    `gross_profit` (net − the cost of goods posting stored on the document, signed)."""
    return StockDocument.objects.filter(
        kind__in=SALES_KINDS, status__in=COUNTED_STATUSES, party__isnull=False
    ).annotate(
        signed_net=ExpressionWrapper(_sign() * (F("total") - F("tax_total")), output_field=AMOUNT),
        gross_profit=ExpressionWrapper(
            _sign() * (F("total") - F("tax_total") - F("cost_total")), output_field=AMOUNT
        ),
    )


def sales_lines() -> QuerySet[StockDocumentLine]:
    """Lines of `sales_documents`, with signed quantity, net, cost and gross profit."""
    sign = _sign("document__")
    cost = Round(ExpressionWrapper(F("quantity") * F("unit_cost"), output_field=AMOUNT), 2)
    return (
        StockDocumentLine.objects.filter(
            document__kind__in=SALES_KINDS,
            document__status__in=COUNTED_STATUSES,
            document__party__isnull=False,
        )
        .annotate(
            signed_quantity=ExpressionWrapper(sign * F("quantity"), output_field=QUANTITY),
            signed_net=ExpressionWrapper(sign * F("net_amount"), output_field=AMOUNT),
            signed_cost=ExpressionWrapper(sign * cost, output_field=AMOUNT),
        )
        .annotate(
            gross_profit=ExpressionWrapper(F("signed_net") - F("signed_cost"), output_field=AMOUNT)
        )
    )


def purchase_events() -> QuerySet[StockDocument]:
    """Deliveries that still stand: one row per purchase (RFM, BG/NBD, baskets)."""
    return StockDocument.objects.filter(
        Q(kind=SK.SALES_DELIVERY)
        & Q(status=StockDocument.Status.POSTED)
        & Q(reverses__isnull=True)
        & Q(party__isnull=False)
    ).annotate(net=ExpressionWrapper(F("total") - F("tax_total"), output_field=AMOUNT))


class EpochDay(Func):
    """A date as whole days since 1970-01-01: an integer on both databases, so millions of
    purchase dates reach numpy without a Python date object each."""

    output_field = IntegerField()
    template = "(%(expressions)s - DATE '1970-01-01')"  # PostgreSQL: date − date is days

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)",
            **extra,
        )


EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()
