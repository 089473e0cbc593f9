"""A small organisation with enough purchase history for the lifetime-value model.

24 customers, first purchases spread over January–March 2025, observation end 2025-12-31
(52 weeks → a 17-week holdout from 2025-09-10). Customer i buys every `gap` days
(2–9 weeks) until their own last date, so some stop early (they look lapsed) and some
buy to the end. Amounts vary by customer.

The 132 deliveries are inserted as posted documents in one bulk insert (posting each
through the stock service would take most of a minute per test on a shared machine);
tests/analytics/test_clv_services.py checks with real postings that the model reads
exactly the deliveries that `facts.purchase_events` counts.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django_scopes import scope

from guanxi.stock.models import StockDocument
from tests.finance.factories import make_customer, warehouse_of

OBSERVATION_END = datetime.date(2025, 12, 31)
START = datetime.date(2025, 1, 6)
N_CUSTOMERS = 24


def purchase_plan() -> dict[int, list[tuple[datetime.date, int]]]:
    """Customer index → (date, net amount) purchases (deterministic)."""
    plan: dict[int, list[tuple[datetime.date, int]]] = {}
    for i in range(N_CUSTOMERS):
        first = START + datetime.timedelta(days=3 * i)
        gap = 14 + 7 * (i % 8)
        # A third stop after a few months, a third buy on, a third bought only once.
        if i % 3 == 0:
            last = first
        elif i % 3 == 1:
            last = first + datetime.timedelta(days=120)
        else:
            last = OBSERVATION_END
        amount = 100 + 25 * (i % 6)
        day, rows = first, []
        while day <= last:
            rows.append((day, amount + 10 * len(rows)))
            day += datetime.timedelta(days=gap)
        plan[i] = rows
    return plan


def build_clv_dataset(org, owner=None, other_owner=None) -> list:
    """Create the customers and their posted deliveries; `other_owner` owns the odd ones."""
    warehouse = warehouse_of(org)
    parties, documents = [], []
    for i, rows in purchase_plan().items():
        who = other_owner if (other_owner is not None and i % 2) else owner
        party = make_customer(org, name=f"终身客户{i:02d}", owner=who)
        parties.append(party)
        for day, amount in rows:
            documents.append(
                StockDocument(
                    org=org,
                    number=f"CLV-{len(documents) + 1:05d}",
                    kind=StockDocument.Kind.SALES_DELIVERY,
                    status=StockDocument.Status.POSTED,
                    date=day,
                    party=party,
                    warehouse=warehouse,
                    total=Decimal(amount),
                    tax_total=Decimal("0"),
                )
            )
    with scope(org=org.pk):
        StockDocument.objects.bulk_create(documents)
    return parties
