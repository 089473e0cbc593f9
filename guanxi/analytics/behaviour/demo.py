"""Demo data (order 88): behavioural types on about 30% of the demo customers.

Deterministic (a fixed seed) and idempotent: an organisation that already has types is
left alone. Most tagged customers get one type, a few two (the document's people change
with the situation); the weights make the common types common.
"""

from __future__ import annotations

import random

from guanxi.analytics.behaviour.catalogue import KEYS
from guanxi.analytics.behaviour.models import CustomerBehaviour
from guanxi.core.demo import DemoContext, register_demo_seeder
from guanxi.parties.models import Party

SEED = 20260488
SHARE = 0.3
WEIGHTS = {
    "rational": 5,
    "task": 3,
    "greedy": 1,
    "owner": 4,
    "credit_seeker": 2,
    "stingy": 2,
    "tricky": 1,
    "relationship": 3,
    "composite": 1,
}


def seed_behaviour(ctx: DemoContext) -> None:
    org = ctx.org
    if CustomerBehaviour.objects.filter(org=org).exists():
        ctx.log("demo behavioural types already there")
        return
    rng = random.Random(SEED)  # noqa: S311 (demo data, not secrets)
    customers = list(
        Party.objects.filter(org=org, is_customer=True).order_by("id").values_list("pk", "owner_id")
    )
    assigner = ctx.users.get("admin")
    keys = list(KEYS)
    weights = [WEIGHTS[k] for k in keys]
    rows = []
    for party_id, owner_id in customers:
        if rng.random() >= SHARE:
            continue
        picked = {rng.choices(keys, weights)[0]}
        if rng.random() < 0.15:
            picked.add(rng.choices(keys, weights)[0])
        for key in sorted(picked):
            rows.append(
                CustomerBehaviour(
                    org=org,
                    party_id=party_id,
                    type_key=key,
                    assigned_by_id=owner_id or (assigner.pk if assigner else None),
                )
            )
    CustomerBehaviour.objects.bulk_create(rows, batch_size=500)
    ctx.log(f"behavioural types: {len(rows)} on {len({r.party_id for r in rows})} customers")


register_demo_seeder("analytics.behaviour", 88, seed_behaviour)
