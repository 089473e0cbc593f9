"""Market-basket mining at scale: association rules over many posted deliveries, against
the bare SQL pair-count floor.

1. A temporary GUANXI_DATA_DIR (SQLite, or `--database-url` for a throw-away PostgreSQL)
   is migrated; one organisation gets P products (default 2,000) and B posted sales
   deliveries (default 100,000; the issue's figure is `--baskets 1000000`) of about four
   distinct products each. Products are drawn with Zipf-like popularity (weight 1/rank),
   and 40 affinities are planted: when a basket holds one of the 40 most popular
   products, the planted partner (a rarely bought product) joins it with probability
   0.5. Rows are written with `bulk_create` in batches (no services, no history), then
   ANALYZE. The generation time is printed.
2. Measured in-process (median of `--repeats` runs), with the thresholds min support
   0.2%, min count 3, min confidence 0.2, min lift 1.2, max rules 5,000, two-product
   rules on:
   - **full run**: `guanxi.analytics.basket.services.run_mining` — read the baskets,
     mine, replace the stored rules, as the nightly job does;
   - **read the baskets**: `load_baskets` alone (the purchase-event lines into numpy);
   - **mine in memory**: `mining.mine` alone on the loaded arrays (Xᵀ·X and the rules);
   - **floor**: the bare SQL count of every product pair that meets the count threshold:
     `SELECT a.product_id, b.product_id, COUNT(*) FROM lines a JOIN lines b ON same
     document AND a.product_id < b.product_id … GROUP BY 1, 2 HAVING COUNT(*) >= k` —
     the pair counts, without item counts, rules or storing.
3. Prints the table with each figure's ratio to the floor, and how many of the planted
   affinities the rules found; nothing is asserted.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TITLE = "Market-basket mining (sparse Xᵀ·X in numpy/scipy vs the SQL pair-count floor)"
HERE = Path(__file__).resolve().parent
PLANTED = 40
THRESHOLDS = {
    "min_support": 0.002,
    "min_count": 3,
    "min_confidence": 0.2,
    "min_lift": 1.2,
    "max_rules": 5000,
    "pair_antecedents": True,
}


def add_arguments(parser) -> None:
    group = parser.add_argument_group("basket_mining")
    group.add_argument("--baskets", type=int, default=100_000, help="deliveries generated")
    group.add_argument("--basket-products", type=int, default=2_000, help="products generated")
    group.add_argument("--basket-repeats", type=int, default=3, help="timed runs per measurement")


def _child_run(mode: str, env: dict[str, str], payload: dict) -> dict:
    done = subprocess.run(
        [sys.executable, str(HERE / "basket_mining.py"), "--child", mode, json.dumps(payload)],
        cwd=HERE.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=14400,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(
            f"basket_mining {mode} failed:\n{done.stdout[-3000:]}{done.stderr[-5000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(options) -> None:
    import shutil

    from _report import print_table
    from _server import guanxi_env, manage

    database_url = getattr(options, "database_url", None)
    work = Path(tempfile.mkdtemp(prefix="guanxi-bench-basket-"))
    env = guanxi_env(work / "data", database_url)
    try:
        print(f"  migrating a throw-away database in {work / 'data'} …")
        manage("migrate", "--no-input", "-v0", env=env, timeout=900)
        baskets, products = int(options.baskets), int(options.basket_products)
        print(f"  generating {baskets:,} baskets over {products:,} products …")
        info = _child_run("generate", env, {"baskets": baskets, "products": products})
        print(f"  generated {info['lines']:,} lines in {info['seconds']:.1f}s; {info['database']}")
        result = _child_run("measure", env, {"info": info, "repeats": int(options.basket_repeats)})
        floor = result["rows"][-1][1] or 1.0
        print_table(
            ["measurement", "median ms", "× floor", "rows"],
            [
                [label, f"{ms:,.1f}", f"{ms / floor:.2f}", f"{count:,}"]
                for label, ms, count in result["rows"]
            ],
            align="lrrr",
        )
        print(
            f"  planted affinities found: {result['planted_found']} of {PLANTED} "
            f"(as rules a → b); rules kept: {result['rules']:,}"
        )
    finally:
        if not getattr(options, "keep", False):
            shutil.rmtree(work, ignore_errors=True)


# --- in the child process ----------------------------------------------------------------


def _setup() -> None:
    sys.path.insert(0, str(HERE.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
    import django

    django.setup()


def _generate(payload: dict) -> dict:
    """Write the organisation, products, customers and posted deliveries with lines."""
    import datetime
    import random
    from decimal import Decimal
    from itertools import accumulate

    from django.db import connection, transaction
    from django_scopes import scopes_disabled

    from guanxi.accounts.services import create_organisation
    from guanxi.analytics.basket.models import BasketSettings
    from guanxi.catalog.models import Product
    from guanxi.parties.models import Party
    from guanxi.stock.models import StockDocument, StockDocumentLine, Warehouse

    started = time.perf_counter()
    rng = random.Random(2026)
    today = datetime.date.today()  # noqa: DTZ011 (dates are relative only)
    basket_count, product_count = payload["baskets"], payload["products"]
    batch = 5000
    with scopes_disabled():
        org = create_organisation(name="Basket benchmark", actor=None)
        BasketSettings.objects.create(org=org, **THRESHOLDS)
        warehouse = Warehouse.objects.create(org=org, code="W1", name="主仓库", is_default=True)
        Product.objects.bulk_create(
            [Product(org=org, code=f"P{i:05d}", name=f"商品{i:05d}") for i in range(product_count)],
            batch_size=batch,
        )
        product_ids = list(
            Product.objects.filter(org=org).order_by("code").values_list("pk", flat=True)
        )
        Party.objects.bulk_create(
            [
                Party(org=org, name=f"客户{i:05d}", short_name=f"客户{i:05d}", is_customer=True)
                for i in range(2000)
            ],
            batch_size=batch,
        )
        party_ids = list(Party.objects.filter(org=org).values_list("pk", flat=True))
        weights = list(accumulate(1.0 / (rank + 1) for rank in range(product_count)))
        # The 40 most popular products each get a rarely bought partner.
        partner = {product_ids[i]: product_ids[product_count // 2 + i] for i in range(PLANTED)}
        lines_written, number = 0, 0
        while number < basket_count:
            with transaction.atomic():
                docs, baskets = [], []
                for _ in range(min(batch, basket_count - number)):
                    number += 1
                    size = rng.choice((2, 3, 4, 4, 5, 6))
                    basket = set(rng.choices(product_ids, cum_weights=weights, k=size))
                    for product in list(basket):
                        if product in partner and rng.random() < 0.5:
                            basket.add(partner[product])
                    baskets.append(basket)
                    docs.append(
                        StockDocument(
                            org=org,
                            number=f"SD-{number:09d}",
                            kind=StockDocument.Kind.SALES_DELIVERY,
                            status=StockDocument.Status.POSTED,
                            date=today - datetime.timedelta(days=rng.randint(0, 730)),
                            party_id=rng.choice(party_ids),
                            warehouse=warehouse,
                            total=Decimal("100"),
                        )
                    )
                StockDocument.objects.bulk_create(docs)
                lines = [
                    StockDocumentLine(
                        org=org,
                        document=doc,
                        position=position,
                        product_id=product,
                        quantity=Decimal("1"),
                        unit_price=Decimal("10"),
                        net_amount=Decimal("10"),
                    )
                    for doc, basket in zip(docs, baskets, strict=True)
                    for position, product in enumerate(sorted(basket), 1)
                ]
                StockDocumentLine.objects.bulk_create(lines, batch_size=batch)
                lines_written += len(lines)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "org_id": org.pk,
        "lines": lines_written,
        "planted": [[a, b] for a, b in partner.items()],
        "seconds": time.perf_counter() - started,
        "database": f"{connection.vendor} {connection.settings_dict['NAME']}",
    }


def _median_ms(function, repeats: int) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        count = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), count


def _measure(payload: dict) -> dict:
    from django.db import connection
    from django_scopes import scopes_disabled

    from guanxi.analytics.basket.mining import Thresholds, mine
    from guanxi.analytics.basket.models import AssociationRule, BasketRun
    from guanxi.analytics.basket.services import load_baskets, run_mining

    info, repeats = payload["info"], payload["repeats"]
    org_id = info["org_id"]
    rows = []

    def full() -> int:
        with scopes_disabled():
            run = BasketRun.objects.create(org_id=org_id)
        done = run_mining(run.pk)
        return done.rules if done else 0

    ms, count = _median_ms(full, repeats)
    rows.append(("full run: read, mine, store (rules)", ms, count))
    ms, count = _median_ms(lambda: len(load_baskets(org_id)[0]), repeats)
    rows.append(("read the baskets (lines)", ms, count))
    baskets, products = load_baskets(org_id)
    thresholds = Thresholds(**THRESHOLDS)
    ms, count = _median_ms(lambda: len(mine(baskets, products, thresholds).rules), repeats)
    rows.append(("mine in memory: Xᵀ·X and rules (rules)", ms, count))
    need = thresholds.min_baskets(len(set(baskets.tolist())))

    def floor() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.product_id, b.product_id, COUNT(*) "
                "FROM stock_stockdocumentline a "
                "JOIN stock_stockdocumentline b "
                "ON b.document_id = a.document_id AND a.product_id < b.product_id "
                "JOIN stock_stockdocument d ON d.id = a.document_id "
                "WHERE d.org_id = %s AND d.kind = 'sales_delivery' AND d.status = 'posted' "
                "GROUP BY a.product_id, b.product_id HAVING COUNT(*) >= %s",
                [org_id, need],
            )
            return len(cursor.fetchall())

    ms, count = _median_ms(floor, repeats)
    rows.append(("floor: SQL self-join pair counts (pairs)", ms, count))
    with scopes_disabled():
        found = set(
            AssociationRule.objects.filter(org_id=org_id, antecedent_2__isnull=True).values_list(
                "antecedent_id", "consequent_id"
            )
        )
        rules = AssociationRule.objects.filter(org_id=org_id).count()
    planted_found = sum(1 for a, b in info["planted"] if (a, b) in found)
    return {"rows": rows, "planted_found": planted_found, "rules": rules}


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--child":
    _setup()
    mode, argument = sys.argv[2], json.loads(sys.argv[3])
    if mode == "generate":
        print(json.dumps(_generate(argument)))
    elif mode == "measure":
        print(json.dumps(_measure(argument)))
