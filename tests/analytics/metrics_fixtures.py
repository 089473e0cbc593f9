"""A small hand-computed data set for the customer-metrics tests.

Observation end 2025-06-30. Five buyers (A–E) and two customers without purchases
(F: nothing; G: a call last month). The expected figures are worked out by hand in the
comments of tests/analytics/test_metrics.py (and docs/analytics/metrics.md).
"""

from __future__ import annotations

import datetime

from guanxi.stock.models import StockDocument
from tests.finance.factories import make_customer, post_stock

AS_OF = datetime.date(2025, 6, 30)
d = datetime.date.fromisoformat

PURCHASES = {
    "A": [
        ("2024-06-01", 1000),
        ("2025-03-20", 1000),
        ("2025-04-20", 1000),
        ("2025-05-20", 1000),
        ("2025-06-20", 1000),
    ],
    "B": [("2025-06-25", 3000)],
    "C": [("2024-01-10", 2000), ("2024-03-10", 2000), ("2024-05-10", 2000)],
    "D": [("2025-01-15", 400), ("2025-02-15", 400)],
    "E": [("2025-04-01", 100), ("2025-06-01", 100), ("2025-06-15", 100)],
}


def build_dataset(org, owner=None, other_owner=None) -> dict[str, object]:
    """Create customers A–G with their purchases; A gets unit cost 600 per purchase, E a
    return of 50. `other_owner` owns C and D (for the visibility tests)."""
    from guanxi.activities.services import create_activity

    parties = {}
    for key in "ABCDEFG":
        who = other_owner if (other_owner is not None and key in "CD") else owner
        parties[key] = make_customer(org, name=f"客户{key}", owner=who)
    for key, purchases in PURCHASES.items():
        for day, amount in purchases:
            post_stock(
                org,
                parties[key],
                amount,
                date=d(day),
                unit_cost=600 if key == "A" else 0,
            )
    post_stock(org, parties["E"], 50, date=d("2025-06-16"), kind=StockDocument.Kind.SALES_RETURN)
    create_activity(
        org=org,
        actor=owner,
        data={
            "kind": "call",
            "subject": "Introduced our catalogue",
            "party": parties["G"],
            "owner": owner,
            "start_at": datetime.datetime(2025, 6, 1, 10, tzinfo=datetime.UTC),
        },
    )
    return parties
