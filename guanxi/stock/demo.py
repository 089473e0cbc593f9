"""Demo data of the stock app: two warehouses and two years of goods in and out.

Runs after the sales documents (50), before the money (70):

- two warehouses, 主仓库 (the default) and 华南仓;
- opening stock about 24 months ago: one purchase receipt per supplier for its products;
- the confirmed purchase orders received a few days after their date (most in full,
  some in part, a few still open);
- the confirmed orders delivered a few days after their date: most in full, some in two
  deliveries, some (recent ones) still open; customers in the south are served from
  华南仓 when it has the goods;
- when a delivery needs more than is in stock, a recurring receipt from the product's
  supplier comes in first (as a buyer would have ordered it);
- a stock transfer to 华南仓 each quarter, a stocktake adjustment, a few sales returns and
  a purchase return, one corrected delivery and one reversed delivery;
- serial numbers for serial-tracked products, received and sold one by one.

Everything is posted through `guanxi.stock.posting.post_document`, in date order, so the
stock ledger, levels, moving-average costs, serial units and the party ledger are exactly
what the pages would have written. Deterministic (`random.Random(SEED)`, dates as offsets
from the day of seeding) and idempotent: an organisation with stock documents is left
alone. Handles the absence of products, suppliers or orders by doing less.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from guanxi.core.demo import DemoContext, register_demo_seeder
from guanxi.core.numbering import next_number
from guanxi.parties.models import Party
from guanxi.sales.models import Order, OrderLine, PurchaseOrder, PurchaseOrderLine
from guanxi.sales.pricing import document_totals, price_line
from guanxi.stock.models import StockDocument, StockDocumentLine, Warehouse
from guanxi.stock.posting import correct_document, post_document, reverse_document
from guanxi.stock.services import ensure_default_warehouse, line_input

SEED = 20260460
DAYS = 730
SOUTH_PROVINCES = ("广东", "广西", "福建", "海南")
Kind = StockDocument.Kind
ZERO = Decimal("0")


@dataclass
class _Line:
    product: Any
    quantity: Decimal
    unit_price: Decimal = ZERO
    discount: Decimal = ZERO
    tax_rate: Decimal = ZERO
    order_line: Any = None
    po_line: Any = None
    source_line: Any = None
    serials: list[str] = field(default_factory=list)


@dataclass
class _Event:
    day: datetime.date
    rank: int  # receipts before deliveries on the same day
    kind: str
    payload: Any


class _Seeder:
    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.org = ctx.org
        self.rng = random.Random(SEED)  # noqa: S311 (demo data, not secrets)
        self.today = timezone.localdate()
        self.user = self._user()
        self.on_hand: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        self.serials: dict[tuple[int, int], deque[str]] = defaultdict(deque)
        self.serial_seq: dict[int, int] = defaultdict(int)
        self.posted = 0
        self.deliveries: list[StockDocument] = []
        self.receipts: list[StockDocument] = []

    def _user(self) -> Any:
        from django_scopes import scopes_disabled

        from guanxi.accounts.models import User

        for name in ("manager", "admin"):
            if self.ctx.users.get(name):
                return self.ctx.users[name]
        with scopes_disabled():
            return (
                User.objects.filter(username__in=("manager", "admin")).order_by("username").last()
            )

    # --- documents ------------------------------------------------------------------

    def _new_serials(self, product: Any, day: datetime.date, count: int) -> list[str]:
        out = []
        for _n in range(count):
            self.serial_seq[product.pk] += 1
            out.append(f"{product.code}-{day:%y%m}-{self.serial_seq[product.pk]:05d}")
        return out

    def post(
        self,
        kind: str,
        day: datetime.date,
        warehouse: Warehouse,
        lines: Sequence[_Line],
        *,
        party: Party | None = None,
        to_warehouse: Warehouse | None = None,
        order: Order | None = None,
        purchase_order: PurchaseOrder | None = None,
        return_of: StockDocument | None = None,
        owner: Any = None,
        notes: str = "",
    ) -> StockDocument:
        """Write a draft the way the draft service would and post it."""
        priced = kind in {
            Kind.PURCHASE_RECEIPT,
            Kind.SALES_DELIVERY,
            Kind.SALES_RETURN,
            Kind.PURCHASE_RETURN,
        }
        amounts = []
        rows = []
        for position, line in enumerate(lines):
            if priced:
                a = price_line(line.quantity, line.unit_price, line.discount, line.tax_rate)
            else:
                a = price_line(abs(line.quantity), 0)
            amounts.append(a)
            rows.append(
                StockDocumentLine(
                    org=self.org,
                    position=position,
                    product=line.product,
                    quantity=line.quantity,
                    unit_price=line.unit_price if priced else ZERO,
                    discount_percent=line.discount if priced else ZERO,
                    tax_rate=line.tax_rate if priced else ZERO,
                    net_amount=a.net,
                    tax_amount=a.tax,
                    total_amount=a.total,
                    order_line=line.order_line,
                    purchase_order_line=line.po_line,
                    source_line=line.source_line,
                    serials=list(line.serials),
                )
            )
        totals = document_totals(amounts)
        document = StockDocument(
            org=self.org,
            number=next_number(org=self.org, kind=kind, on=day),
            kind=kind,
            date=day,
            party=party,
            warehouse=warehouse,
            to_warehouse=to_warehouse,
            order=order,
            purchase_order=purchase_order,
            return_of=return_of,
            owner=owner or self.user,
            notes=notes,
        )
        if priced:
            document.subtotal = totals.subtotal
            document.discount_total = totals.discount_total
            document.tax_total = totals.tax_total
            document.total = totals.total
        document.save()
        for row in rows:
            row.document = document
        StockDocumentLine.objects.bulk_create(rows)
        post_document(document, user=self.user)
        self.posted += 1
        sign = {
            Kind.PURCHASE_RECEIPT: 1,
            Kind.SALES_RETURN: 1,
            Kind.SALES_DELIVERY: -1,
            Kind.PURCHASE_RETURN: -1,
            Kind.ADJUSTMENT: 1,
        }
        for line in lines:
            if not line.product.is_stocked:
                continue
            if kind == Kind.TRANSFER and to_warehouse is not None:
                self._move(line.product, warehouse, -line.quantity, line.serials, out=True)
                self._move(line.product, to_warehouse, line.quantity, line.serials, out=False)
            else:
                quantity = sign[kind] * line.quantity
                self._move(line.product, warehouse, quantity, line.serials, out=quantity < 0)
        return document

    def _move(
        self,
        product: Any,
        warehouse: Warehouse,
        quantity: Decimal,
        serials: list[str],
        *,
        out: bool,
    ) -> None:
        key = (product.pk, warehouse.pk)
        self.on_hand[key] += quantity
        if not product.serial_tracked:
            return
        if out:
            gone = set(serials)
            self.serials[key] = deque(s for s in self.serials[key] if s not in gone)
        else:
            self.serials[key].extend(serials)

    def take_serials(self, product: Any, warehouse: Warehouse, count: int) -> list[str]:
        pool = self.serials[(product.pk, warehouse.pk)]
        return [pool[i] for i in range(count)]

    # --- receipts -----------------------------------------------------------------------

    def receive(
        self,
        day: datetime.date,
        supplier: Party,
        warehouse: Warehouse,
        items: Sequence[tuple[Any, Decimal, Decimal]],
        *,
        po: PurchaseOrder | None = None,
        po_lines: Sequence[Any] = (),
        notes: str = "",
    ) -> StockDocument:
        lines = []
        for index, (product, quantity, price) in enumerate(items):
            serials = (
                self._new_serials(product, day, int(quantity))
                if product.serial_tracked and product.is_stocked
                else []
            )
            lines.append(
                _Line(
                    product=product,
                    quantity=quantity,
                    unit_price=price,
                    tax_rate=product.tax_rate,
                    po_line=po_lines[index] if po_lines else None,
                    serials=serials,
                )
            )
        doc = self.post(
            Kind.PURCHASE_RECEIPT,
            day,
            warehouse,
            lines,
            party=supplier,
            purchase_order=po,
            notes=notes,
        )
        self.receipts.append(doc)
        return doc

    def top_up(
        self, day: datetime.date, warehouse: Warehouse, product: Any, short: Decimal
    ) -> None:
        """A recurring receipt for a product about to run out."""
        supplier = product.preferred_supplier or self.rng.choice(self.suppliers)
        batch = max(product.reorder_quantity, Decimal(self.rng.choice((10, 20, 30, 50))))
        quantity = short + batch
        price = (
            product.cost_price if product.cost_price > 0 else product.list_price * Decimal("0.7")
        )
        self.receive(
            day,
            supplier,
            warehouse,
            [(product, quantity, price.quantize(Decimal("0.01")))],
            notes="补货",
        )

    # --- the run ------------------------------------------------------------------------

    def run(self) -> None:
        from guanxi.catalog.models import Product

        started = time.monotonic()
        org = self.org
        if StockDocument.objects.filter(org=org).exists():
            self.ctx.log("demo stock documents already there")
            return
        self.main = ensure_default_warehouse(org)
        self.south = Warehouse.objects.filter(
            org=org, name="华南仓"
        ).first() or Warehouse.objects.create(
            org=org, code=self._free_code(), name="华南仓", address="广州市白云区太和镇物流园 8 号"
        )
        products = list(
            Product.objects.filter(org=org, is_voided=False)
            .select_related("preferred_supplier")
            .order_by("id")
        )
        self.suppliers = list(Party.objects.filter(org=org, is_supplier=True).order_by("id"))
        stocked = [p for p in products if p.is_stocked]
        if not stocked or not self.suppliers:
            self.ctx.log("no stocked products or suppliers yet: only the warehouses")
            return
        start = self.today - datetime.timedelta(days=DAYS + 10)

        # Opening stock: one receipt per supplier for the products it supplies.
        by_supplier: dict[int, list[Any]] = defaultdict(list)
        for product in stocked:
            supplier = (
                product.preferred_supplier or self.suppliers[product.pk % len(self.suppliers)]
            )
            by_supplier[supplier.pk].append(product)
        supplier_by_pk = {s.pk: s for s in self.suppliers}
        for supplier_pk in sorted(by_supplier):
            items = []
            for product in by_supplier[supplier_pk]:
                quantity = Decimal(
                    self.rng.choice((5, 8, 10))
                    if product.serial_tracked
                    else self.rng.choice((30, 50, 80, 120))
                )
                price = (
                    product.cost_price
                    if product.cost_price > 0
                    else product.list_price * Decimal("0.7")
                )
                items.append((product, quantity, price.quantize(Decimal("0.01"))))
            self.receive(start, supplier_by_pk[supplier_pk], self.main, items, notes="期初入库")

        events = self._events(start)
        for event in sorted(events, key=lambda e: (e.day, e.rank, e.payload.pk)):
            if event.kind == "po":
                self._receive_po(event.day, event.payload)
            elif event.kind == "order":
                self._deliver_order(event.day, event.payload)
            elif event.kind == "transfer":
                self._transfer(event.day)
        self._stocktake()
        self._returns()
        self._corrections()
        self._backdate()
        self._confirm_preorders()
        self.ctx.log(
            f"{self.posted} stock documents posted ({len(self.deliveries)} deliveries, "
            f"{len(self.receipts)} receipts) in {time.monotonic() - started:.1f} s"
        )

    def _confirm_preorders(self) -> None:
        """Confirm the recent pre-orders the sales seeder left as drafts, now that there is
        stock: each reserves its goods for the customer, as on the stock-on-hand page."""
        from guanxi.accounts.models import Membership
        from guanxi.core.exceptions import DomainError
        from guanxi.sales.documents_services import confirm_order

        membership = (
            Membership.objects.filter(org=self.org, user=self.user).select_related("role").first()
        )
        if membership is None:
            return
        confirmed = 0
        drafts = Order.objects.filter(
            org=self.org, kind=Order.Kind.PREORDER, status=Order.Status.DRAFT
        ).order_by("date", "id")
        for order in drafts:
            try:
                confirm_order(membership, order=order)
            except (DomainError, ValidationError):
                continue  # over the credit limit or short of stock: it stays a draft
            confirmed += 1
        self.ctx.log(f"{confirmed} pre-orders confirmed (stock reserved)")

    def _free_code(self) -> str:
        n = 2
        while Warehouse.objects.filter(org=self.org, code=f"WH{n:02d}").exists():
            n += 1
        return f"WH{n:02d}"

    def _events(self, start: datetime.date) -> list[_Event]:
        events: list[_Event] = []
        pos = PurchaseOrder.objects.filter(
            org=self.org, status=PurchaseOrder.Status.CONFIRMED
        ).select_related("supplier")
        for po in pos:
            day = po.date + datetime.timedelta(days=self.rng.randint(3, 12))
            if day <= self.today and self.rng.random() < 0.95:
                events.append(_Event(day, 0, "po", po))
        orders = Order.objects.filter(
            org=self.org, kind=Order.Kind.ORDER, status=Order.Status.CONFIRMED
        ).select_related("party")
        for order in orders:
            lag = self.rng.randint(1, 10)
            day = order.delivery_date or order.date + datetime.timedelta(days=lag)
            day = max(day, order.date)
            if day <= self.today - datetime.timedelta(days=2):
                events.append(_Event(day, 1, "order", order))
        day = start + datetime.timedelta(days=30)
        while day < self.today:
            events.append(_Event(day, 2, "transfer", _Pk(day.toordinal())))
            day += datetime.timedelta(days=91)
        return events

    def _receive_po(self, day: datetime.date, po: PurchaseOrder) -> None:
        lines = list(
            PurchaseOrderLine.objects.filter(purchase_order=po)
            .select_related("product", "product__preferred_supplier")
            .order_by("position", "id")
        )
        partial = self.rng.random() < 0.12
        items, po_lines = [], []
        for line in lines:
            if not line.product.is_stocked or line.product.is_voided:
                continue
            quantity = line.quantity - line.received_quantity
            if partial:
                quantity = (quantity * Decimal("0.6")).to_integral_value()
            if quantity <= 0:
                continue
            items.append((line.product, quantity, line.unit_price))
            po_lines.append(line)
        if items:
            self.receive(
                day, po.supplier, po.warehouse or self.main, items, po=po, po_lines=po_lines
            )

    def _deliver_order(self, day: datetime.date, order: Order) -> None:
        lines = list(
            OrderLine.objects.filter(order=order)
            .select_related("product", "product__preferred_supplier")
            .order_by("position", "id")
        )
        if any(line.product.is_voided or line.product.deleted_at for line in lines):
            return
        roll = self.rng.random()
        recent = (self.today - day).days < 30
        if recent and roll < 0.15:
            return  # still to deliver
        split = roll > 0.88
        warehouse = self.main
        if order.party.province in SOUTH_PROVINCES and all(
            self.on_hand[(line.product.pk, self.south.pk)] >= line.quantity
            for line in lines
            if line.product.is_stocked
        ):
            warehouse = self.south
        first = [
            (line, (line.quantity / 2).to_integral_value() if split else line.quantity)
            for line in lines
        ]
        self._delivery(day, order, warehouse, [(line, q) for line, q in first if q > 0])
        if split:
            later = day + datetime.timedelta(days=self.rng.randint(7, 30))
            if later <= self.today - datetime.timedelta(days=2) and self.rng.random() < 0.7:
                rest = [(line, line.quantity - q) for line, q in first if line.quantity - q > 0]
                self._delivery(later, order, self.main, rest)

    def _delivery(
        self,
        day: datetime.date,
        order: Order,
        warehouse: Warehouse,
        items: list[tuple[Any, Decimal]],
    ) -> None:
        if not items:
            return
        for line, quantity in items:
            product = line.product
            if product.is_stocked:
                have = self.on_hand[(product.pk, warehouse.pk)]
                # Backorder products may run a little short until the next receipt.
                slack = Decimal("20") if product.allow_backorder else ZERO
                if have + slack < quantity:
                    self.top_up(day, warehouse, product, quantity - have)
        lines = [
            _Line(
                product=line.product,
                quantity=quantity,
                unit_price=line.unit_price,
                discount=line.discount_percent,
                tax_rate=line.tax_rate,
                order_line=line,
                serials=(
                    self.take_serials(line.product, warehouse, int(quantity))
                    if line.product.serial_tracked and line.product.is_stocked
                    else []
                ),
            )
            for line, quantity in items
        ]
        doc = self.post(
            Kind.SALES_DELIVERY,
            day,
            warehouse,
            lines,
            party=order.party,
            order=order,
            owner=order.owner,
        )
        self.deliveries.append(doc)

    def _transfer(self, day: datetime.date) -> None:
        candidates = [
            (product_pk, quantity)
            for (product_pk, warehouse_pk), quantity in sorted(self.on_hand.items())
            if warehouse_pk == self.main.pk and quantity >= 10
        ]
        if not candidates:
            return
        from guanxi.catalog.models import Product

        picked = self.rng.sample(candidates, k=min(4, len(candidates)))
        products = Product.objects.in_bulk([pk for pk, _q in picked])
        lines = []
        for product_pk, quantity in picked:
            product = products[product_pk]
            move = (quantity * Decimal("0.3")).to_integral_value()
            serials = (
                self.take_serials(product, self.main, int(move)) if product.serial_tracked else []
            )
            lines.append(_Line(product=product, quantity=move, serials=serials))
        self.post(
            Kind.TRANSFER, day, self.main, lines, to_warehouse=self.south, notes="季度调拨到华南仓"
        )

    def _stocktake(self) -> None:
        """A year-end count: one item found short, one found over."""
        from guanxi.catalog.models import Product

        day = self.today - datetime.timedelta(days=self.rng.randint(40, 60))
        plain = [
            pk
            for (pk, warehouse_pk), quantity in sorted(self.on_hand.items())
            if warehouse_pk == self.main.pk and quantity >= 3
        ]
        products = [
            p for p in Product.objects.filter(pk__in=plain).order_by("id") if not p.serial_tracked
        ]
        if len(products) < 2:
            return
        short, over = self.rng.sample(products, k=2)
        self.post(
            Kind.ADJUSTMENT,
            day,
            self.main,
            [
                _Line(product=short, quantity=Decimal("-2")),
                _Line(product=over, quantity=Decimal("1")),
            ],
            notes="年终盘点：盘亏 2，盘盈 1",
        )

    def _returns(self) -> None:
        """A few customers send something back; one purchase goes back to its supplier."""
        old = [d for d in self.deliveries if (self.today - d.date).days > 20]
        for delivery in self.rng.sample(old, k=min(5, len(old))):
            source = delivery.lines.select_related("product").order_by("position").first()
            if source is None:
                continue
            quantity = Decimal("1")
            serials = source.serials[:1] if source.product.serial_tracked else []
            day = min(delivery.date + datetime.timedelta(days=self.rng.randint(3, 15)), self.today)
            self.post(
                Kind.SALES_RETURN,
                day,
                delivery.warehouse,
                [
                    _Line(
                        product=source.product,
                        quantity=quantity,
                        unit_price=source.unit_price,
                        discount=source.discount_percent,
                        tax_rate=source.tax_rate,
                        order_line=source.order_line,
                        source_line=source,
                        serials=serials,
                    )
                ],
                party=delivery.party,
                order=delivery.order,
                return_of=delivery,
                notes="质量问题退货",
            )
        for receipt in reversed(self.receipts):
            source = receipt.lines.select_related("product").order_by("position").first()
            if source is None or source.product.serial_tracked:
                continue
            if self.on_hand[(source.product_id, receipt.warehouse_id)] < 2:
                continue
            self.post(
                Kind.PURCHASE_RETURN,
                min(receipt.date + datetime.timedelta(days=2), self.today),
                receipt.warehouse,
                [
                    _Line(
                        product=source.product,
                        quantity=Decimal("2"),
                        unit_price=source.unit_price,
                        tax_rate=source.tax_rate,
                        po_line=source.purchase_order_line,
                        source_line=source,
                    )
                ],
                party=receipt.party,
                purchase_order=receipt.purchase_order,
                return_of=receipt,
                notes="包装破损退回供应商",
            )
            break

    def _corrections(self) -> None:
        """One delivery edited after posting (reverse and re-post), one reversed."""
        candidates = [
            d
            for d in self.deliveries[-40:]
            if not d.returns.exists()
            and all(not line.product.serial_tracked for line in d.lines.select_related("product"))
        ]
        if len(candidates) < 2:
            return
        to_correct, to_reverse = candidates[-1], candidates[-2]
        to_correct.refresh_from_db()
        rows = line_input(to_correct)
        if rows and Decimal(rows[0]["quantity"]) > 1:
            rows[0]["quantity"] = Decimal(rows[0]["quantity"]) - 1
            correct_document(
                to_correct, user=self.user, lines=rows, reason="客户少要一件，改单", on=self.today
            )
        to_reverse.refresh_from_db()
        reverse_document(to_reverse, user=self.user, reason="重复发货，冲销", on=self.today)

    def _backdate(self) -> None:
        """Creation and posting times on the document's date, as if entered that day."""
        zone = timezone.get_current_timezone()
        rows = list(StockDocument.objects.filter(org=self.org).only("pk", "date"))
        for row in rows:
            moment = datetime.datetime.combine(row.date, datetime.time(16, 0), tzinfo=zone)
            row.created_at = row.updated_at = moment
            row.posted_at = moment
        StockDocument.objects.bulk_update(
            rows, ["created_at", "updated_at", "posted_at"], batch_size=500
        )


@dataclass(frozen=True)
class _Pk:
    pk: int


def seed_stock(ctx: DemoContext) -> None:
    _Seeder(ctx).run()


register_demo_seeder("stock.documents", 60, seed_stock)
