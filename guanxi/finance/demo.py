"""Demo data: receipts for the demo deliveries and payments for the purchase receipts.

Runs after the stock seeder (order 60), through the same services as the pages
(create and post), so balances, allocations and ageing are what a real user would see:

- most customers pay each delivery in full, some on time and some late;
- some pay part of each delivery, and some pay round sums that are allocated oldest
  first (the rest stays on account);
- a few customers are left with overdue balances, one in each ageing bucket;
- a few confirmed orders not yet delivered get a deposit (an advance);
- suppliers are paid 20–45 days after each receipt of goods, except the latest ones.

Deterministic (`random.Random(SEED)`, dates relative to the documents) and idempotent:
an organisation that already has receipts or payments is left alone. With no deliveries
(the stock seeder did not run) it writes nothing.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from guanxi.core.demo import DemoContext
from guanxi.core.scoping import org_scope
from guanxi.finance.models import MoneyDocument
from guanxi.finance.openitems import BOOKS, LATEST, document_items, open_orders
from guanxi.finance.services import create_money_document
from guanxi.stock.models import StockDocument

SEED = 20260470
CENT = Decimal("0.01")
METHODS = ("bank", "bank", "bank", "wechat", "alipay", "cash")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _receive(
    org: Any,
    *,
    kind: str,
    party_id: int,
    owner_id: int | None,
    day: datetime.date,
    amount: Decimal,
    allocations: list[dict[str, Any]],
    rng: random.Random,
) -> None:
    create_money_document(
        org=org,
        actor=None,
        data={
            "kind": kind,
            "party": party_id,
            "date": day,
            "amount": amount,
            "method": rng.choice(METHODS),
            "reference": f"{rng.randint(100000, 999999)}",
            "owner": owner_id,
        },
        allocations=allocations,
        post=True,
    )


def _open_by_party(book: str) -> dict[int, list[tuple[int, datetime.date, Decimal, int | None]]]:
    """Open documents of the book per party, oldest first: (id, date, open, owner)."""
    spec = BOOKS[book]
    result: dict[int, list[tuple[int, datetime.date, Decimal, int | None]]] = defaultdict(list)
    rows = (
        document_items(spec, LATEST)
        .filter(kind=spec.debit_kind)
        .order_by("date", "id")
        .values_list("pk", "party_id", "date", "open_amount", "owner_id")
    )
    for pk, party_id, day, open_amount, owner_id in rows:
        amount = _money(Decimal(str(open_amount)))
        if amount > 0:
            result[party_id].append((pk, day, amount, owner_id))
    return result


def seed_money(ctx: DemoContext) -> None:
    org = ctx.org
    with org_scope(org):
        if MoneyDocument.objects.exists():
            ctx.log("Receipts and payments: already there, left alone.")
            return
        if not StockDocument.objects.filter(
            kind__in=(StockDocument.Kind.SALES_DELIVERY, StockDocument.Kind.PURCHASE_RECEIPT),
            status=StockDocument.Status.POSTED,
        ).exists():
            ctx.log("Receipts and payments: no posted deliveries or receipts, nothing to pay.")
            return
        rng = random.Random(SEED)  # noqa: S311 (demo data, not secrets)
        today = timezone.localdate()
        receipts = _seed_receipts(org, rng, today)
        advances = _seed_advances(org, rng, today)
        payments = _seed_payments(org, rng, today)
    ctx.log(
        f"Receipts and payments: {receipts} receipts, {advances} deposits, {payments} payments."
    )


def _seed_receipts(org: Any, rng: random.Random, today: datetime.date) -> int:
    count = 0
    by_party = _open_by_party("receivable")
    parties = sorted(by_party)
    # Customers left owing, one per ageing bucket: the latest delivery stays unpaid.
    overdue = set(rng.sample(parties, min(4, len(parties)))) if parties else set()
    for party_id in parties:
        docs = by_party[party_id]
        habit = rng.random()
        if party_id in overdue:
            # Deliveries of the last `age` + 30 days stay unpaid, so the oldest unpaid one
            # lands in a different ageing bucket for each of these customers.
            age = (15, 45, 75, 120)[sorted(overdue).index(party_id) % 4]
            cutoff = today - datetime.timedelta(days=age + 30)
            docs = [d for d in docs if d[1] < cutoff]
        if habit < 0.15 and party_id not in overdue:
            count += _round_sums(org, rng, today, party_id, docs)
            continue
        partly = habit > 0.85
        for pk, day, amount, owner_id in docs:
            late = rng.random() < 0.25
            pay_day = day + datetime.timedelta(
                days=rng.randint(35, 80) if late else rng.randint(3, 28)
            )
            if pay_day > today:
                continue
            share = Decimal(rng.choice(("0.5", "0.6", "0.8")))
            paid_amount = _money(amount * share) if partly else amount
            _receive(
                org,
                kind="receipt",
                party_id=party_id,
                owner_id=owner_id,
                day=pay_day,
                amount=paid_amount,
                allocations=[{"stock_document": pk, "amount": paid_amount}],
                rng=rng,
            )
            count += 1
    return count


def _round_sums(
    org: Any,
    rng: random.Random,
    today: datetime.date,
    party_id: int,
    docs: list[tuple[int, datetime.date, Decimal, int | None]],
) -> int:
    """Round sums every one to three months, allocated oldest first to what was
    delivered by then; what is more than owed stays on account."""
    count = 0
    remaining = {pk: amount for pk, _day, amount, _owner in docs}
    day = docs[0][1] + datetime.timedelta(days=rng.randint(20, 40))
    while day <= today:
        due = [(pk, remaining[pk]) for pk, d, _a, _o in docs if d <= day and remaining[pk] > 0]
        owed = sum((amount for _pk, amount in due), Decimal("0"))
        if owed > 0:
            share = owed * Decimal(rng.choice(("0.6", "0.8", "1.0", "1.1")))
            amount = max(Decimal("1000"), (share / 1000).quantize(Decimal("1")) * 1000)
            left, allocations = amount, []
            for pk, open_amount in due:
                if left <= 0:
                    break
                take = min(left, open_amount)
                allocations.append({"stock_document": pk, "amount": take})
                remaining[pk] -= take
                left -= take
            _receive(
                org,
                kind="receipt",
                party_id=party_id,
                owner_id=docs[0][3],
                day=day,
                amount=_money(amount),
                allocations=allocations,
                rng=rng,
            )
            count += 1
        day += datetime.timedelta(days=rng.randint(30, 90))
    return count


def _seed_advances(org: Any, rng: random.Random, today: datetime.date) -> int:
    count = 0
    spec = BOOKS["receivable"]
    orders = list(
        open_orders(spec)
        .filter(delivery_status="none", date__lte=today)
        .order_by("date", "id")
        .values_list("pk", "party_id", "date", "total", "owner_id", "advance_open")
    )
    for pk, party_id, day, total, owner_id, advance_open in orders:
        if rng.random() > 0.3:
            continue
        amount = min(_money(Decimal(str(total)) * Decimal("0.3")), Decimal(str(advance_open)))
        if amount <= 0:
            continue
        _receive(
            org,
            kind="receipt",
            party_id=party_id,
            owner_id=owner_id,
            day=min(today, day + datetime.timedelta(days=rng.randint(1, 7))),
            amount=amount,
            allocations=[{"order": pk, "amount": amount}],
            rng=rng,
        )
        count += 1
    return count


def _seed_payments(org: Any, rng: random.Random, today: datetime.date) -> int:
    count = 0
    for party_id, docs in sorted(_open_by_party("payable").items()):
        for pk, day, amount, owner_id in docs:
            pay_day = day + datetime.timedelta(days=rng.randint(20, 45))
            if pay_day > today:
                continue
            _receive(
                org,
                kind="payment",
                party_id=party_id,
                owner_id=owner_id,
                day=pay_day,
                amount=amount,
                allocations=[{"stock_document": pk, "amount": amount}],
                rng=rng,
            )
            count += 1
    return count
