"""Smoke test of benchmarks/customers_scale.py: the generator and the in-process timing run.

200 customers, one in-process request per target; nothing about timings is asserted.
The HTTP part (gunicorn, load generator) is the same code as http_pages and is not run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django_scopes import scopes_disabled

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def workload():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import customers_scale

        yield customers_scale
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.mark.django_db(transaction=True)
def test_customers_scale_generates_and_measures_200_customers(workload):
    from guanxi.parties.filters import search_parties
    from guanxi.parties.models import Contact, Party

    info = workload._generate({"customers": 200, "contacts": 400})

    with scopes_disabled():
        parties = Party.objects.filter(org_id=info["org_id"])
        assert parties.count() == 201  # the ORM-made template row, and 200 generated
        assert Contact.objects.filter(org_id=info["org_id"]).count() == 401
        # The search index was rebuilt: initials and a phone suffix find customers.
        assert search_parties(parties, info["initials"], org_id=info["org_id"]).exists()
        assert search_parties(parties, info["suffix"], org_id=info["org_id"]).exists()

    users = ("sales",)  # own visibility; the admin runs the same code
    result = workload._inprocess(
        {"info": info, "repeats": 1, "targets": {u: workload.targets(info, u) for u in users}}
    )
    for user in users:
        assert set(result[user]) == {key for key, _label, _path in workload.targets(info, user)}
        for figures in result[user].values():
            assert figures["queries"] > 0
            assert figures["floor"] >= 0
