"""Demo data of the sales documents: two years of quotes and orders for the demo customers,
a few pre-orders, and purchase orders to the suppliers.

Runs after the customers (20), the products (30) and the pipeline (40), and before the
stock and money seeders, which deliver, receive and collect against the confirmed
orders and purchase orders written here. The history looks like a real trading business:

- more business in spring (March–May) and autumn (September–November), little at the
  weekend and a dip around the Spring Festival (春节, from the lunar calendar);
- a few big customers (up to eight) take a large share (about 45% of the orders, with
  bigger quantities);
- some customers lapsed: their last order is more than nine months old (the customers in
  the public pool or without contact for long, topped up to about one in ten);
- most orders come from a quote (converted); other quotes are sent, accepted, rejected or
  still drafts; a few orders were cancelled with a reason;
- the pre-orders are recent drafts with a warehouse: confirming them reserves stock,
  once the stock seeder has put goods in the warehouse.

Deterministic (`random.Random(SEED)`, dates as offsets from the day of seeding) and
idempotent: an organisation that already has quotes or orders is left alone. Amounts go
through guanxi.sales.pricing like every document; rows are written in bulk, with history.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from guanxi.core.demo import DemoContext, register_demo_seeder
from guanxi.core.numbering import next_number
from guanxi.parties.models import Contact, Party
from guanxi.sales.models import (
    Order,
    OrderLine,
    PricedLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Quote,
    QuoteLine,
    SalesTarget,
)
from guanxi.sales.pricing import LineAmounts, discounted_unit_price, document_totals, price_line

SEED = 20260450
DAYS = 730
ORDERS = 520
EXTRA_QUOTES = 220
PREORDERS = 6
PURCHASE_ORDERS = 110
BIG_SHARE = 0.45  # of the orders go to the few big customers
LAPSED_DAYS = 275  # a lapsed customer's last order is older than this (about nine months)

TERMS = (
    "报价含13%增值税专用发票（单价不含税）；款到发货；本报价有效期内价格不变。",
    "预付30%，发货前付清余款；运费由我方承担；质保一年。",
    "月结30天；送货上门；产品按国家标准验收。",
)
PAYMENT_TERMS = ("款到发货", "月结30天", "预付30%，发货前付清", "货到付款", "月结60天")
CANCEL_REASONS = ("客户预算取消", "客户改为向其他供应商采购", "项目延期", "重复下单")
CONTRACT_TERMS = (
    "供方保证产品为全新原装正品；到货后7日内验收；质量问题包退换。",
    "按合同约定分批到货；到票后30天付款；延期交货按日千分之一赔偿。",
)


def spring_festival(year: int) -> datetime.date:
    """The first day of the lunar year (春节) in `year`."""
    from lunar_python import Lunar

    solar = Lunar.fromYmd(year, 1, 1).getSolar()
    return datetime.date(solar.getYear(), solar.getMonth(), solar.getDay())


def day_weight(day: datetime.date, festivals: dict[int, datetime.date]) -> float:
    """How busy a day is: seasons, weekends, the Spring Festival holiday."""
    weight = 1.0
    if day.month in (3, 4, 5):
        weight *= 1.45
    elif day.month in (9, 10, 11):
        weight *= 1.35
    elif day.month in (7, 8):
        weight *= 0.85
    if day.weekday() >= 5:
        weight *= 0.15
    festival = festivals.get(day.year)
    if festival is not None and -10 <= (day - festival).days <= 12:
        weight *= 0.08
    elif festival is not None and -25 <= (day - festival).days < -10:
        weight *= 1.2  # stocking up before the holiday
    return weight


def _days(today: datetime.date) -> tuple[list[datetime.date], list[float]]:
    days = [today - datetime.timedelta(days=offset) for offset in range(DAYS, 0, -1)]
    festivals = {year: spring_festival(year) for year in {d.year for d in days}}
    return days, [day_weight(day, festivals) for day in days]


def _users(ctx: DemoContext) -> dict[str, Any]:
    from django_scopes import scopes_disabled

    from guanxi.accounts.models import User

    users = dict(ctx.users)
    missing = {"manager", "sales1", "sales2", "sales3", "admin"} - set(users)
    if missing:
        with scopes_disabled():
            users.update({u.username: u for u in User.objects.filter(username__in=missing)})
    return users


class _Lines:
    """Priced lines for the demo documents (through guanxi.sales.pricing)."""

    def __init__(self, rng: random.Random, products: Sequence[Any]) -> None:
        self.rng = rng
        self.products = list(products)
        # Bought-together pairs for the market-basket analysis (a printer and its toner):
        # each of the first third of the products has a partner that joins its line
        # more often than chance. A separate generator, so the other demo data stays
        # what it was.
        self.affinity = random.Random(85)  # noqa: S311 (demo data, not secrets)
        third = len(self.products) // 3
        self.partners = {self.products[i].pk: self.products[third + i] for i in range(third)}

    def sales(self, big: bool) -> list[tuple[Any, Decimal, Decimal, Decimal, LineAmounts]]:
        rng = self.rng
        count = rng.choices((1, 2, 3, 4), (4, 4, 2, 1))[0]
        rows = []
        for product in rng.sample(self.products, k=min(count, len(self.products))):
            quantity = Decimal(rng.choice((1, 1, 2, 3, 5, 10, 20)))
            if big:
                quantity *= rng.choice((3, 5, 10))
            discount = Decimal(rng.choice((0, 0, 0, 5, 5, 10, 15)) + (5 if big else 0))
            price = product.list_price if product.list_price > 0 else Decimal(rng.randint(50, 900))
            amounts = price_line(quantity, price, discount, product.tax_rate)
            rows.append((product, quantity, price, discount, amounts))
        return self._with_partners(rows)

    def _with_partners(
        self, rows: list[tuple[Any, Decimal, Decimal, Decimal, LineAmounts]]
    ) -> list[tuple[Any, Decimal, Decimal, Decimal, LineAmounts]]:
        taken = {row[0].pk for row in rows}
        for product, quantity, _price, discount, _amounts in list(rows):
            partner = self.partners.get(product.pk)
            if partner is None or partner.pk in taken or self.affinity.random() >= 0.55:
                continue
            taken.add(partner.pk)
            price = partner.list_price if partner.list_price > 0 else Decimal(200)
            amounts = price_line(quantity, price, discount, partner.tax_rate)
            rows.append((partner, quantity, price, discount, amounts))
        return rows


def _priced(
    line: PricedLine,
    position: int,
    product: Any,
    quantity: Decimal,
    price: Decimal,
    discount: Decimal,
    amounts: LineAmounts,
) -> PricedLine:
    line.position = position
    line.product = product
    line.quantity = quantity
    line.unit_price = price
    line.discount_percent = discount
    line.tax_rate = product.tax_rate
    line.net_amount = amounts.net
    line.tax_amount = amounts.tax
    line.total_amount = amounts.total
    return line


def _totals(document: Any, amounts: list[LineAmounts]) -> None:
    totals = document_totals(amounts)
    document.subtotal = totals.subtotal
    document.discount_total = totals.discount_total
    document.tax_total = totals.tax_total
    document.total = totals.total


def _customer_groups(
    rng: random.Random, customers: list[Party], today: datetime.date
) -> tuple[list[Party], set[int]]:
    """The big customers, and the keys of the lapsed ones."""
    big = rng.sample(customers, k=max(2, min(8, len(customers) // 30)))
    big_ids = {p.pk for p in big}
    lapsed = {
        p.pk
        for p in customers
        if p.pk not in big_ids
        and (
            p.pool_entered_at is not None
            or (p.last_contact_at is not None and (today - p.last_contact_at.date()).days > 200)
        )
    }
    others = [p for p in customers if p.pk not in big_ids and p.pk not in lapsed]
    wanted = max(2, len(customers) // 10)
    for party in rng.sample(others, k=min(len(others), max(0, wanted - len(lapsed)))):
        lapsed.add(party.pk)
    return big, lapsed


def _since(party: Party, first_day: datetime.date) -> datetime.date:
    created = party.created_at.date() if party.created_at else first_day
    return max(created, first_day)


def seed_documents(ctx: DemoContext) -> None:
    from guanxi.catalog.models import Product

    started = time.monotonic()
    org = ctx.org
    if Quote.all_objects.filter(org=org).exists() or Order.all_objects.filter(org=org).exists():
        ctx.log("demo quotes and orders already there")
        return
    products = list(
        Product.objects.filter(is_voided=False).order_by("id").select_related("preferred_supplier")
    )
    customers = list(Party.objects.filter(is_customer=True).select_related("owner").order_by("id"))
    if not products or not customers:
        ctx.log("no products or customers yet: no quotes and orders")
        return
    rng = random.Random(SEED)  # noqa: S311 (demo data, not secrets)
    users = _users(ctx)
    reps = [users[n] for n in ("sales1", "sales2", "sales3", "manager") if users.get(n)] or [
        users.get("admin")
    ]
    today = timezone.localdate()
    days, weights = _days(today)
    contacts: dict[int, Contact] = {}
    for contact in Contact.objects.filter(party__in=customers).order_by("id"):
        contacts.setdefault(contact.party_id, contact)
    big, lapsed = _customer_groups(rng, customers, today)
    big_ids = {p.pk for p in big}
    lines = _Lines(rng, products)
    lapse_day = today - datetime.timedelta(days=LAPSED_DAYS)

    # --- orders (most from a quote) ---------------------------------------------------------
    order_specs: list[dict[str, Any]] = []
    since = {party.pk: _since(party, days[0]) for party in customers}
    for _number in range(ORDERS):
        # The day first (seasons), then a customer that was one then and had not lapsed.
        day = rng.choices(days, weights)[0]
        eligible = [
            p for p in customers if since[p.pk] <= day and not (p.pk in lapsed and day > lapse_day)
        ]
        eligible_big = [p for p in eligible if p.pk in big_ids]
        if not eligible:
            continue
        if eligible_big and rng.random() < BIG_SHARE:
            party = rng.choice(eligible_big)
        else:
            party = rng.choice(eligible)
        order_specs.append({"party": party, "day": day, "big": party.pk in big_ids})
    order_specs.sort(key=lambda spec: (spec["day"], spec["party"].pk))

    quotes: list[Quote] = []
    quote_lines: dict[int, list[tuple[Any, ...]]] = {}
    orders: list[Order] = []
    order_lines: dict[int, list[tuple[Any, ...]]] = {}
    for spec in order_specs:
        party, day = spec["party"], spec["day"]
        owner = party.owner or rng.choice(reps)
        rows = lines.sales(spec["big"])
        quote = None
        if rng.random() < 0.7:
            quote_day = max(day - datetime.timedelta(days=rng.randint(1, 21)), days[0])
            quote = Quote(
                org=org,
                party=party,
                contact=contacts.get(party.pk),
                date=quote_day,
                valid_until=quote_day + datetime.timedelta(days=30),
                status=Quote.Status.CONVERTED,
                terms=rng.choice(TERMS),
                owner=owner,
                sent_at=_at(quote_day, rng),
            )
            _totals(quote, [r[4] for r in rows])
            quote_lines[len(quotes)] = rows
            quotes.append(quote)
        cancelled = day < today - datetime.timedelta(days=20) and rng.random() < 0.03
        order = Order(
            org=org,
            kind=Order.Kind.ORDER,
            party=party,
            contact=contacts.get(party.pk),
            date=day,
            status=Order.Status.CANCELLED if cancelled else Order.Status.CONFIRMED,
            payment_terms=rng.choice(PAYMENT_TERMS),
            payment_due_days=rng.choice((0, 30, 30, 30, 60)),
            delivery_date=day + datetime.timedelta(days=rng.randint(2, 15)),
            owner=owner,
            confirmed_at=_at(day, rng),
        )
        if cancelled:
            order.cancelled_at = _at(day + datetime.timedelta(days=rng.randint(1, 5)), rng)
            order.cancel_reason = rng.choice(CANCEL_REASONS)
        order._demo_quote = quote  # type: ignore[attr-defined]
        _totals(order, [r[4] for r in rows])
        order_lines[len(orders)] = rows
        orders.append(order)

    # --- quotes that did not (yet) become orders ----------------------------------------------
    for _number in range(EXTRA_QUOTES):
        party = rng.choice(customers)
        day = rng.choices(days, weights)[0]
        first = _since(party, days[0])
        if day < first or (party.pk in lapsed and day > lapse_day):
            continue
        age = (today - day).days
        if age <= 14:
            status = rng.choice((Quote.Status.DRAFT, Quote.Status.SENT, Quote.Status.SENT))
        elif age <= 45:
            status = rng.choice((Quote.Status.SENT, Quote.Status.ACCEPTED, Quote.Status.REJECTED))
        else:
            status = rng.choice((Quote.Status.REJECTED, Quote.Status.REJECTED, Quote.Status.SENT))
        rows = lines.sales(party.pk in big_ids)
        quote = Quote(
            org=org,
            party=party,
            contact=contacts.get(party.pk),
            date=day,
            valid_until=day + datetime.timedelta(days=30),
            status=status,
            terms=rng.choice(TERMS),
            owner=party.owner or rng.choice(reps),
            sent_at=None if status == Quote.Status.DRAFT else _at(day, rng),
        )
        _totals(quote, [r[4] for r in rows])
        quote_lines[len(quotes)] = rows
        quotes.append(quote)

    # --- a few recent pre-orders (drafts: confirming reserves stock) ---------------------------
    warehouse = _default_warehouse(org)
    active = [p for p in customers if p.pk not in lapsed]
    for _number in range(PREORDERS if warehouse is not None else 0):
        party = rng.choice(active or customers)
        day = today - datetime.timedelta(days=rng.randint(0, 10))
        rows = lines.sales(False)
        order = Order(
            org=org,
            kind=Order.Kind.PREORDER,
            party=party,
            contact=contacts.get(party.pk),
            date=day,
            status=Order.Status.DRAFT,
            payment_terms="预付30%，发货前付清",
            payment_due_days=30,
            delivery_date=today + datetime.timedelta(days=rng.randint(15, 60)),
            warehouse=warehouse,
            owner=party.owner or rng.choice(reps),
        )
        order._demo_quote = None  # type: ignore[attr-defined]
        _totals(order, [r[4] for r in rows])
        order_lines[len(orders)] = rows
        orders.append(order)

    admin = users.get("admin")
    _number_documents(org, quotes, "quote")
    quotes = bulk_create_with_history(quotes, Quote, batch_size=500, default_user=admin)
    line_rows: list[Any] = []
    for index, quote in enumerate(quotes):
        for position, row in enumerate(quote_lines[index], start=1):
            line_rows.append(_priced(QuoteLine(org=org, quote=quote), position, *row))
    QuoteLine.objects.bulk_create(line_rows, batch_size=1000)

    for order in orders:
        order.quote = order._demo_quote  # type: ignore[attr-defined]
    _number_documents(org, orders, "order")
    orders = bulk_create_with_history(orders, Order, batch_size=500, default_user=admin)
    line_rows = []
    for index, order in enumerate(orders):
        for position, row in enumerate(order_lines[index], start=1):
            line_rows.append(_priced(OrderLine(org=org, order=order), position, *row))
    OrderLine.objects.bulk_create(line_rows, batch_size=1000)
    _backdate(Quote, quotes)
    _backdate(Order, orders)

    purchase_orders = _seed_purchase_orders(ctx, rng, products, days, weights, today, warehouse)
    _fit_targets(org, today)
    ctx.log(
        f"{len(quotes)} quotes, {len(orders)} orders ({len(big)} big customers, "
        f"{len(lapsed)} lapsed), {purchase_orders} purchase orders "
        f"in {time.monotonic() - started:.1f} s"
    )


def _fit_targets(org: Any, today: datetime.date) -> int:
    """Set this year's demo targets from the history just seeded, as a sales manager would:
    each salesperson's month is their average confirmed orders per month over the last
    twelve months, times the month's season and a stretch of 5–25 %; a team's quarter is
    the sum of its members' months. (Fixed amounts gave attainments of 1,000 %.)"""
    from guanxi.accounts.models import Membership
    from guanxi.sales.pipeline_selectors import monthly_order_totals

    targets = list(SalesTarget.objects.filter(org=org, year=today.year).order_by("pk"))
    people = [t for t in targets if t.user_id and t.period == "month"]
    if not people:
        return 0
    this_month = today.replace(day=1)
    year_ago = this_month.replace(year=this_month.year - 1)
    totals = monthly_order_totals(org.pk, {t.user_id for t in people}, year_ago, this_month)
    average: dict[int, Decimal] = defaultdict(Decimal)
    for (user_id, _month), total in totals.items():
        average[user_id] += total / 12
    rng = random.Random(SEED + 1)  # noqa: S311 (demo data, not secrets)
    monthly: dict[tuple[int, int], Decimal] = {}
    for target in people:
        season = Decimal("1.3") if target.number in (1, 11, 12) else Decimal("1")
        stretch = Decimal(rng.randint(105, 125)) / 100
        amount = (average[target.user_id] * season * stretch).quantize(Decimal("1000"))
        target.amount = max(amount, Decimal("10000"))
        monthly[(target.user_id, target.number)] = target.amount
    members: dict[int, list[int]] = defaultdict(list)
    for user_id, team_id in Membership.objects.filter(org=org, team__isnull=False).values_list(
        "user_id", "team_id"
    ):
        members[team_id].append(user_id)
    teams = [t for t in targets if t.team_id and t.period == "quarter"]
    for target in teams:
        months = range(3 * target.number - 2, 3 * target.number + 1)
        amount = sum(
            (
                monthly.get((user, month), Decimal(0))
                for user in members[target.team_id]
                for month in months
            ),
            Decimal(0),
        )
        if amount > 0:
            target.amount = amount
    SalesTarget.objects.bulk_update([*people, *teams], ["amount"], batch_size=500)
    return len(people) + len(teams)


def _at(day: datetime.date, rng: random.Random) -> datetime.datetime:
    zone = timezone.get_current_timezone()
    return datetime.datetime.combine(
        day, datetime.time(rng.randint(9, 17), rng.choice((0, 15, 30, 45))), tzinfo=zone
    )


def _default_warehouse(org: Any) -> Any:
    try:
        from guanxi.stock.services import ensure_default_warehouse
    except ImportError:  # pragma: no cover - the stock app is part of the project
        return None
    return ensure_default_warehouse(org)


def _number_documents(org: Any, documents: list[Any], kind: str) -> None:
    """Give the documents their numbers in date order (one sequence per year)."""
    for document in sorted(documents, key=lambda d: (d.date, id(d))):
        document.number = next_number(org=org, kind=kind, on=document.date)


def _backdate(model: Any, rows: list[Any]) -> None:
    """Creation times on the document's date, as if typed in that day."""
    for row in rows:
        row.created_at = row.updated_at = datetime.datetime.combine(
            row.date, datetime.time(10, 0), tzinfo=timezone.get_current_timezone()
        )
    model.all_objects.bulk_update(rows, ["created_at", "updated_at"], batch_size=500)


def _seed_purchase_orders(
    ctx: DemoContext,
    rng: random.Random,
    products: list[Any],
    days: list[datetime.date],
    weights: list[float],
    today: datetime.date,
    warehouse: Any,
) -> int:
    org = ctx.org
    if PurchaseOrder.all_objects.filter(org=org).exists():
        return 0
    suppliers = list(Party.objects.filter(is_supplier=True).order_by("id"))
    stocked = [p for p in products if p.kind == p.Kind.STOCKED]
    if not suppliers or not stocked:
        return 0
    by_supplier: dict[int, list[Any]] = defaultdict(list)
    for product in stocked:
        supplier = product.preferred_supplier or suppliers[product.pk % len(suppliers)]
        by_supplier[supplier.pk].append(product)
    supplier_by_pk = {s.pk: s for s in suppliers}
    users = _users(ctx)
    buyer = users.get("manager") or users.get("admin")
    pos: list[PurchaseOrder] = []
    po_lines: list[list[tuple[Any, ...]]] = []
    keys = sorted(by_supplier)
    for _number in range(PURCHASE_ORDERS):
        supplier = supplier_by_pk[rng.choice(keys)]
        day = rng.choices(days, weights)[0]
        rows = []
        for product in rng.sample(
            by_supplier[supplier.pk], k=min(len(by_supplier[supplier.pk]), rng.randint(1, 4))
        ):
            quantity = Decimal(rng.choice((10, 20, 50, 100, 200)))
            list_price = product.cost_price if product.cost_price > 0 else product.list_price
            discount = Decimal(rng.choice((0, 0, 3, 5, 8)))
            amounts = price_line(quantity, list_price, discount, product.tax_rate)
            rows.append((product, quantity, list_price, discount, amounts))
        recent = (today - day).days < 20
        po = PurchaseOrder(
            org=org,
            supplier=supplier,
            date=day,
            expected_date=day + datetime.timedelta(days=rng.randint(5, 20)),
            warehouse=warehouse,
            status=PurchaseOrder.Status.DRAFT
            if recent and rng.random() < 0.3
            else PurchaseOrder.Status.CONFIRMED,
            contract_terms=rng.choice(CONTRACT_TERMS),
            payment_due_days=rng.choice((30, 30, 45, 60)),
            owner=buyer,
        )
        _totals(po, [r[4] for r in rows])
        pos.append(po)
        po_lines.append(rows)
    _number_documents(org, pos, "purchase_order")
    pos = bulk_create_with_history(pos, PurchaseOrder, batch_size=500, default_user=buyer)
    line_rows: list[Any] = []
    for po, rows in zip(pos, po_lines, strict=True):
        for position, (product, quantity, list_price, discount, amounts) in enumerate(rows, 1):
            line = _priced(
                PurchaseOrderLine(org=org, purchase_order=po, list_price=list_price),
                position,
                product,
                quantity,
                discounted_unit_price(list_price, discount),
                discount,
                amounts,
            )
            line_rows.append(line)
    PurchaseOrderLine.objects.bulk_create(line_rows, batch_size=1000)
    _backdate(PurchaseOrder, pos)
    return len(pos)


register_demo_seeder("sales.documents", 50, seed_documents)
