"""Posting (过帐) throughput: documents with 5 lines each posted one by one through
`guanxi.stock.posting.post_document`, against the raw insert floor of the same rows.

1. A temporary GUANXI_DATA_DIR (SQLite, or `--database-url` for a throw-away PostgreSQL)
   is migrated; one organisation gets a warehouse, a supplier, 50 customers and 500
   stocked products.
2. N draft documents (default 5,000; the issue's figure is `--post-documents 100000`)
   with 5 lines each are written in bulk (not timed): every fifth document is a purchase
   receipt of 5 products × 60 units, the others are sales deliveries of 5 products × 1–3
   units to a customer, so stock never runs out.
3. Timed: posting them in order, one transaction each (availability checked under the
   stock-level locks, moving-average cost, stock ledger, party ledger, order of
   documents as a real day would post them). Documents per second are printed.
4. Timed: the floor — the same rows a posting writes (5 stock-ledger rows and 1
   party-ledger row per document, one UPDATE per touched stock level, one of the
   document's status), written into the same tables in one transaction with
   `executemany` on the DB-API cursor (no checks, no locks, no ORM), then rolled back.
5. Prints documents/s, the floor's documents/s and the ratio; nothing is asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TITLE = "Stock posting: documents/s through post_document vs the raw insert floor"
HERE = Path(__file__).resolve().parent
LINES = 5


def add_arguments(parser) -> None:
    group = parser.add_argument_group("stock_posting")
    group.add_argument(
        "--post-documents",
        type=int,
        default=5_000,
        help="documents posted (5 lines each); the issue's figure is 100000",
    )


def _child(mode: str, env: dict[str, str], payload: dict) -> dict:
    done = subprocess.run(
        [sys.executable, str(HERE / "stock_posting.py"), "--child", mode, json.dumps(payload)],
        cwd=HERE.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=6 * 3600,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(
            f"stock_posting {mode} failed:\n{done.stdout[-3000:]}{done.stderr[-5000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(options) -> None:
    import shutil

    from _report import print_table
    from _server import guanxi_env, manage

    database_url = getattr(options, "database_url", None)
    work = Path(tempfile.mkdtemp(prefix="guanxi-bench-posting-"))
    env = guanxi_env(work / "data", database_url)
    try:
        print(f"  migrating a throw-away database in {work / 'data'} …")
        manage("migrate", "--no-input", "-v0", env=env, timeout=900)
        count = int(options.post_documents)
        print(f"  writing {count:,} drafts of {LINES} lines …")
        info = _child("prepare", env, {"documents": count})
        print(f"  written in {info['seconds']:.1f}s; {info['database']}; posting …")
        posted = _child("post", env, info)
        floor = _child("floor", env, info)
        rate = count / posted["seconds"]
        floor_rate = count / floor["seconds"]
        print_table(
            ["measurement", "seconds", "documents/s", "rows written"],
            [
                [
                    "post_document, one transaction each",
                    f"{posted['seconds']:,.1f}",
                    f"{rate:,.0f}",
                    f"{posted['rows']:,}",
                ],
                [
                    "floor: raw executemany, one transaction",
                    f"{floor['seconds']:,.2f}",
                    f"{floor_rate:,.0f}",
                    f"{floor['rows']:,}",
                ],
            ],
            align="lrrr",
        )
        print(f"  ratio: posting takes {posted['seconds'] / floor['seconds']:,.0f}× the floor")
    finally:
        if not getattr(options, "keep", False):
            shutil.rmtree(work, ignore_errors=True)


# --- in the child process ----------------------------------------------------------------


def _setup() -> None:
    sys.path.insert(0, str(HERE.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
    import django

    django.setup()


def _prepare(payload: dict) -> dict:
    import datetime
    import random
    from decimal import Decimal

    from django.db import connection, transaction
    from django_scopes import scopes_disabled

    from guanxi.accounts.services import create_organisation
    from guanxi.catalog.models import Product
    from guanxi.parties.models import Party
    from guanxi.sales.pricing import document_totals, price_line
    from guanxi.stock.models import StockDocument, StockDocumentLine, Warehouse

    started = time.perf_counter()
    rng = random.Random(2026)
    count = payload["documents"]
    today = datetime.date.today()  # noqa: DTZ011 (dates are relative only)
    with scopes_disabled(), transaction.atomic():
        org = create_organisation(name="Posting benchmark", actor=None)
        warehouse = Warehouse.objects.create(org=org, code="W1", name="主仓库", is_default=True)
        supplier = Party.objects.create(
            org=org, name="供应商", short_name="供应商", is_customer=False, is_supplier=True
        )
        Party.objects.bulk_create(
            [Party(org=org, name=f"客户{i:03d}", short_name=f"客户{i:03d}") for i in range(50)]
        )
        customers = list(
            Party.objects.filter(org=org, is_customer=True).values_list("pk", flat=True)
        )
        Product.objects.bulk_create(
            [
                Product(
                    org=org,
                    code=f"P{i:05d}",
                    name=f"商品{i:05d}",
                    list_price=Decimal("100.00"),
                    cost_price=Decimal("60.00"),
                )
                for i in range(500)
            ]
        )
        products = list(Product.objects.filter(org=org).order_by("id"))
        stock: dict[int, int] = {}
        cursor_ix = 0
        batch = 1000
        for start in range(0, count, batch):
            docs, line_sets = [], []
            for n in range(start, min(count, start + batch)):
                receipt = n % 5 == 0
                day = today - datetime.timedelta(days=(count - n) * 730 // max(count, 1))
                if receipt:  # every product in turn, so each is received before it sells
                    chosen = [products[(cursor_ix + i) % len(products)] for i in range(LINES)]
                    cursor_ix += LINES
                else:
                    ready = [p for p in products if stock.get(p.pk, 0) >= 3]
                    chosen = rng.sample(ready, LINES)
                rows = []
                for position, product in enumerate(chosen):
                    quantity = Decimal(60 if receipt else rng.randint(1, 3))
                    stock[product.pk] = stock.get(product.pk, 0) + int(quantity) * (
                        1 if receipt else -1
                    )
                    price = Decimal("60.00") if receipt else Decimal("100.00")
                    amounts = price_line(quantity, price, 0, 13)
                    rows.append(
                        StockDocumentLine(
                            org=org,
                            position=position,
                            product=product,
                            quantity=quantity,
                            unit_price=price,
                            tax_rate=Decimal("13"),
                            net_amount=amounts.net,
                            tax_amount=amounts.tax,
                            total_amount=amounts.total,
                        )
                    )
                totals = document_totals(
                    [price_line(r.quantity, r.unit_price, 0, 13) for r in rows]
                )
                docs.append(
                    StockDocument(
                        org=org,
                        number=f"{'GR' if receipt else 'SD'}-{n:09d}",
                        kind=(
                            StockDocument.Kind.PURCHASE_RECEIPT
                            if receipt
                            else StockDocument.Kind.SALES_DELIVERY
                        ),
                        date=day,
                        party_id=supplier.pk if receipt else rng.choice(customers),
                        warehouse=warehouse,
                        subtotal=totals.subtotal,
                        tax_total=totals.tax_total,
                        total=totals.total,
                    )
                )
                line_sets.append(rows)
            StockDocument.objects.bulk_create(docs)
            lines = []
            for doc, rows in zip(docs, line_sets, strict=True):
                for row in rows:
                    row.document = doc
                    lines.append(row)
            StockDocumentLine.objects.bulk_create(lines, batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "org_id": org.pk,
        "documents": count,
        "seconds": time.perf_counter() - started,
        "database": f"{connection.vendor} {connection.settings_dict['NAME']}",
    }


def _post(info: dict) -> dict:
    from django_scopes import scope

    from guanxi.finance.models import PartyLedgerEntry
    from guanxi.stock.models import StockDocument, StockLedgerEntry
    from guanxi.stock.posting import post_document

    with scope(org=info["org_id"]):
        ids = list(StockDocument.objects.order_by("id").values_list("pk", flat=True))
        started = time.perf_counter()
        for pk in ids:
            post_document(StockDocument.objects.get(pk=pk), user=None)
        seconds = time.perf_counter() - started
        rows = StockLedgerEntry.objects.count() + PartyLedgerEntry.objects.count()
    return {"seconds": seconds, "rows": rows}


def _floor(info: dict) -> dict:
    """The same rows, written straight into the same tables with `executemany` in one
    transaction (rolled back afterwards, so the database keeps only the posted rows)."""

    from django.db import connection, transaction
    from django_scopes import scopes_disabled

    from guanxi.stock.models import StockDocument, StockDocumentLine

    org_id = info["org_id"]
    with scopes_disabled():
        return _floor_rows(org_id, StockDocument, StockDocumentLine, connection, transaction)


def _floor_rows(org_id, StockDocument, StockDocumentLine, connection, transaction) -> dict:
    import datetime
    from decimal import Decimal

    docs = list(
        StockDocument.objects.filter(org_id=org_id)
        .order_by("id")
        .values_list("id", "kind", "date", "party_id", "warehouse_id", "total")
    )
    lines: dict[int, list[tuple]] = {}
    for row in (
        StockDocumentLine.objects.filter(org_id=org_id)
        .order_by("id")
        .values_list("document_id", "id", "product_id", "quantity", "net_amount")
    ):
        lines.setdefault(row[0], []).append(row)
    now = datetime.datetime.now(datetime.UTC)
    ledger, party, level_updates, statuses = [], [], [], []
    for doc_id, kind, day, party_id, warehouse_id, total in docs:
        sign = 1 if kind == "purchase_receipt" else -1
        for _doc, line_id, product_id, quantity, net in lines.get(doc_id, []):
            q = sign * quantity
            ledger.append(
                (
                    org_id,
                    doc_id,
                    line_id,
                    product_id,
                    warehouse_id,
                    party_id,
                    kind,
                    day,
                    q,
                    Decimal("60"),
                    q * 60,
                    net,
                    now,
                )
            )
            level_updates.append((q, org_id, product_id, warehouse_id))
        book = "payable" if sign > 0 else "receivable"
        party.append((org_id, party_id, book, day, day, total, doc_id, now))
        statuses.append(("posted", doc_id))
    started = time.perf_counter()
    seconds = 0.0
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO stock_stockledgerentry (org_id, document_id, line_id, product_id, "
                "warehouse_id, party_id, kind, date, quantity, unit_cost, value, sales_amount, "
                "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                ledger,
            )
            cursor.executemany(
                "INSERT INTO finance_partyledgerentry (org_id, party_id, book, date, due_date, "
                "amount, stock_document_id, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                party,
            )
            cursor.executemany(
                "UPDATE stock_stocklevel SET on_hand = on_hand + %s "
                "WHERE org_id = %s AND product_id = %s AND warehouse_id = %s",
                level_updates,
            )
            cursor.executemany("UPDATE stock_stockdocument SET status = %s WHERE id = %s", statuses)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return {"seconds": seconds, "rows": len(ledger) + len(party)}


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--child":
    _setup()
    mode, argument = sys.argv[2], json.loads(sys.argv[3])
    result = {"prepare": _prepare, "post": _post, "floor": _floor}[mode](argument)
    print(json.dumps(result))
