"""Smoke test of benchmarks/finance_ageing.py: the generator and the measurements run on
a small ledger; the ageing it measures agrees with the ledger. No timing is asserted."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.db.models import Sum
from django_scopes import scope, scopes_disabled

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def workload():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import finance_ageing

        yield finance_ageing
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.mark.django_db(transaction=True)
def test_generates_a_ledger_and_measures_the_ageing(workload):
    from guanxi.finance.models import PartyLedgerEntry
    from guanxi.finance.openitems import ageing_by_party

    info = workload._generate({"ledger_rows": 300, "parties": 20})
    result = workload._measure({"info": info, "repeats": 1})

    with scopes_disabled():
        rows = PartyLedgerEntry.objects.filter(org_id=info["org_id"])
        assert rows.count() == info["rows"] >= 300
        balances = dict(
            rows.values("party_id")
            .order_by()
            .annotate(s=Sum("amount"))
            .values_list("party_id", "s")
        )
    with scope(org=info["org_id"]):
        ageing = ageing_by_party("receivable")
    for party_id, balance in balances.items():
        assert ageing[party_id].balance == balance
    labels = [label for label, _ms, _count in result["rows"]]
    assert len(labels) == 3
