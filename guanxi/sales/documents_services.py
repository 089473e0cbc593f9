"""Business operations on quotes, orders and purchase orders. The only writers.

Pages, the API, the demo seeder and other apps (stock posting, reorder suggestions) call
these functions, so the same rules hold whichever way a document changes:

- every amount is computed by `guanxi.sales.pricing` from the lines, never taken from
  the caller;
- products must belong to the organisation and be usable (not voided, not deleted) when
  they are put on a document (`guanxi.catalog.services.ensure_usable`);
- edits carry the document's version (optimistic lock) and respect its status: quotes
  while draft or sent, orders while draft and unlocked, purchase orders while draft;
- bad input raises django's ValidationError keyed by field, with line fields as dotted
  paths (`lines.0.quantity`), and nothing is written.

Services do not check permissions: views and the API do that (guanxi.core.permissions)
before calling them.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.catalog.models import Product
from guanxi.core.exceptions import DomainError
from guanxi.core.numbering import next_number
from guanxi.core.recycle_bin import move_to_recycle_bin
from guanxi.core.scoping import org_scope
from guanxi.core.versioning import save_versioned
from guanxi.parties.models import Contact, Party
from guanxi.sales.models import (
    Opportunity,
    Order,
    OrderLine,
    PricedLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Quote,
    QuoteLine,
    SalesSettings,
)
from guanxi.sales.pricing import (
    ZERO,
    LineAmounts,
    document_totals,
    line_errors,
    price_line,
    to_decimal,
)
from guanxi.sales.settings_services import sales_settings

logger = logging.getLogger("guanxi.sales")

# --- errors ------------------------------------------------------------------------------


class DocumentRefused(DomainError):
    """The document's state does not allow this operation."""

    status_code = 409
    code = "document_refused"
    default_message = _("This document cannot be changed in its current state.")


class DocumentLocked(DomainError):
    status_code = 409
    code = "document_locked"
    default_message = _("This order is locked. Unlock it first.")


class CreditLimitExceeded(DomainError):
    """Confirming the order would take a credit customer over its limit (blocking check)."""

    status_code = 409
    code = "credit_limit_exceeded"


# --- lines -------------------------------------------------------------------------------


@dataclass
class PreparedLine:
    """A checked line, ready to be written: its product, numbers and amounts."""

    product: Product
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    description: str
    amounts: LineAmounts
    list_price: Decimal = ZERO  # purchase lines only
    line_id: int | None = None  # an existing line being changed


@dataclass
class ConfirmResult:
    """What confirming an order produced: the order and the warnings to show."""

    order: Order
    warnings: list[str] = field(default_factory=list)


_LINE_KEYS = frozenset(
    {
        "id",
        "product",
        "product_id",
        "quantity",
        "unit_price",
        "list_price",
        "discount_percent",
        "tax_rate",
        "description",
    }
)


def _product_of(org_id: int, value: Any) -> Product | None:
    """The product a line names (an instance or a key), looked up in the organisation."""
    if value is None or value == "":
        return None
    if isinstance(value, Product):
        return value if value.org_id == org_id else None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    with org_scope(org_id):
        return Product.all_objects.filter(pk=pk).first()


def prepare_lines(
    org_id: int,
    lines: Iterable[Mapping[str, Any]],
    *,
    purchase: bool = False,
    kept_product_ids: Iterable[int] = (),
    existing_line_ids: Iterable[int] = (),
) -> list[PreparedLine]:
    """Check and price the lines of a document.

    A line is a mapping with `product` (instance or key), `quantity`, and optionally
    `unit_price` (defaults to the product's list price), `discount_percent` (0),
    `tax_rate` (the product's), `description`, and `id` for an existing line. Purchase
    lines take `list_price` (defaults to the product's cost price) and their unit price
    is list price × (1 − discount). Products already on the document
    (`kept_product_ids`) stay allowed even if they were voided since.

    Raise ValidationError keyed `lines.<i>.<field>` (and `lines` for an empty document).
    """
    from guanxi.catalog.services import ProductNotUsable, ensure_usable

    kept = set(kept_product_ids)
    known_ids = set(existing_line_ids)
    errors: dict[str, list[str]] = {}
    prepared: list[PreparedLine] = []
    rows = list(lines)
    if not rows:
        raise ValidationError({"lines": [_("Add at least one line.")]})
    for index, row in enumerate(rows):
        prefix = f"lines.{index}."
        unknown = set(row) - _LINE_KEYS
        if unknown:
            errors.setdefault(f"{prefix}{sorted(unknown)[0]}", []).append(
                _("This field is not allowed.")
            )
            continue
        product = _product_of(org_id, row.get("product", row.get("product_id")))
        if product is None:
            errors.setdefault(prefix + "product", []).append(
                _("Choose a product of your organisation.")
            )
            continue
        if product.pk not in kept:
            try:
                ensure_usable(product, org=org_id)
            except ProductNotUsable as error:
                errors.setdefault(prefix + "product", []).append(str(error.message))
                continue
        line_id = row.get("id")
        if line_id not in (None, ""):
            try:
                line_id = int(line_id)
            except (TypeError, ValueError):
                line_id = -1
            if line_id not in known_ids:
                errors.setdefault(prefix + "id", []).append(
                    _("This line does not belong to the document.")
                )
                continue
        else:
            line_id = None

        def given(key: str, default: Any, row: Mapping[str, Any] = row) -> Any:
            value = row.get(key)
            return default if value is None or value == "" else value

        discount = given("discount_percent", ZERO)
        tax_rate = given("tax_rate", product.tax_rate)
        quantity = given("quantity", None)
        if quantity is None:
            errors.setdefault(prefix + "quantity", []).append(_("Enter a quantity."))
            continue
        if purchase:
            list_price = given("list_price", given("unit_price", product.cost_price))
            found = line_errors(quantity, list_price, discount, tax_rate)
            if "unit_price" in found:
                found["list_price"] = found.pop("unit_price")
        else:
            unit_price = given("unit_price", product.list_price)
            found = line_errors(quantity, unit_price, discount, tax_rate)
        if found:
            for key, messages in found.items():
                errors.setdefault(prefix + key, []).extend(messages)
            continue
        quantity_d = to_decimal(quantity)
        discount_d = to_decimal(discount)
        rate_d = to_decimal(tax_rate)
        description = str(row.get("description") or "").strip()[:200]
        if purchase:
            from guanxi.sales.pricing import discounted_unit_price

            list_d = to_decimal(list_price)
            prepared.append(
                PreparedLine(
                    product=product,
                    quantity=quantity_d,
                    unit_price=discounted_unit_price(list_d, discount_d),
                    discount_percent=discount_d,
                    tax_rate=rate_d,
                    description=description,
                    amounts=price_line(quantity_d, list_d, discount_d, rate_d),
                    list_price=list_d,
                    line_id=line_id,
                )
            )
        else:
            price_d = to_decimal(unit_price)
            prepared.append(
                PreparedLine(
                    product=product,
                    quantity=quantity_d,
                    unit_price=price_d,
                    discount_percent=discount_d,
                    tax_rate=rate_d,
                    description=description,
                    amounts=price_line(quantity_d, price_d, discount_d, rate_d),
                    line_id=line_id,
                )
            )
    if errors:
        raise ValidationError(errors)
    return prepared


def _fill_line(line: PricedLine, prepared: PreparedLine, position: int) -> None:
    line.position = position
    line.product = prepared.product
    line.description = prepared.description
    line.quantity = prepared.quantity
    line.unit_price = prepared.unit_price
    line.discount_percent = prepared.discount_percent
    line.tax_rate = prepared.tax_rate
    line.net_amount = prepared.amounts.net
    line.tax_amount = prepared.amounts.tax
    line.total_amount = prepared.amounts.total
    if isinstance(line, PurchaseOrderLine):
        line.list_price = prepared.list_price


_LINE_FIELDS = [
    "position",
    "product",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "tax_rate",
    "net_amount",
    "tax_amount",
    "total_amount",
]


def _write_lines(
    document: Any, line_model: type[PricedLine], parent: str, prepared: Sequence[PreparedLine]
) -> None:
    """Replace the document's lines with `prepared`, keeping the rows of lines given by id."""
    existing = {line.pk: line for line in line_model.objects.filter(**{parent: document})}
    kept_ids = {p.line_id for p in prepared if p.line_id is not None}
    gone = [pk for pk in existing if pk not in kept_ids]
    if gone:
        line_model.objects.filter(pk__in=gone).delete()
    changed: list[PricedLine] = []
    new: list[PricedLine] = []
    for position, item in enumerate(prepared, start=1):
        if item.line_id is not None:
            line = existing[item.line_id]
            _fill_line(line, item, position)
            changed.append(line)
        else:
            line = line_model(org_id=document.org_id, **{parent: document})
            _fill_line(line, item, position)
            new.append(line)
    fields = [*_LINE_FIELDS, "list_price"] if line_model is PurchaseOrderLine else _LINE_FIELDS
    if changed:
        line_model.objects.bulk_update(changed, fields)
    if new:
        line_model.objects.bulk_create(new)


def _set_totals(document: Any, prepared: Sequence[PreparedLine]) -> None:
    totals = document_totals(p.amounts for p in prepared)
    document.subtotal = totals.subtotal
    document.discount_total = totals.discount_total
    document.tax_total = totals.tax_total
    document.total = totals.total


def _line_rows(lines: Iterable[PricedLine], *, keep_ids: bool = False) -> list[dict[str, Any]]:
    """The input mappings that reproduce existing lines (to copy them to a new document)."""
    rows = []
    for line in lines:
        row: dict[str, Any] = {
            "product": line.product,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
            "tax_rate": line.tax_rate,
            "description": line.description,
        }
        if keep_ids:
            row["id"] = line.pk
        rows.append(row)
    return rows


# --- header checks -----------------------------------------------------------------------


def _check_party(
    org_id: int, party: Any, errors: dict[str, list[str]], *, supplier: bool = False
) -> Party | None:
    key = "supplier" if supplier else "party"
    if isinstance(party, Party):
        found: Party | None = party if party.org_id == org_id else None
    else:
        try:
            pk = int(party)
        except (TypeError, ValueError):
            pk = None
        with org_scope(org_id):
            found = Party.objects.filter(pk=pk).first() if pk is not None else None
    if found is None or found.deleted_at is not None:
        errors.setdefault(key, []).append(
            _("Choose a supplier of your organisation.")
            if supplier
            else _("Choose a customer of your organisation.")
        )
        return None
    if supplier and not found.is_supplier:
        errors.setdefault(key, []).append(_("This party is not a supplier."))
        return None
    return found


def _resolve_fk(
    org_id: int, model: type[Model], value: Any, key: str, errors: dict[str, list[str]]
) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, model):
        if getattr(value, "org_id", None) == org_id:
            return value
        errors.setdefault(key, []).append(_("Choose a record of your organisation."))
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        pk = None
    with org_scope(org_id):
        manager: Any = model._default_manager
        found = manager.filter(pk=pk).first() if pk is not None else None
    if found is None:
        errors.setdefault(key, []).append(_("Choose a record of your organisation."))
    return found


def _check_contact(party: Party | None, contact: Any, errors: dict[str, list[str]]) -> None:
    if contact is not None and party is not None and contact.party_id != party.pk:
        errors.setdefault("contact", []).append(_("This contact does not belong to the customer."))


def _check_owner(org_id: int, owner: Any, errors: dict[str, list[str]]) -> Any:
    if owner is None or owner == "":
        return None
    from guanxi.accounts.models import Membership

    user_id = getattr(owner, "pk", owner)
    with org_scope(org_id):
        member = (
            Membership.objects.filter(user_id=user_id, is_active=True)
            .select_related("user")
            .first()
        )
    if member is None:
        errors.setdefault("owner", []).append(_("Choose a member of your organisation."))
        return None
    return member.user


def _as_date(value: Any, key: str, errors: dict[str, list[str]]) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        errors.setdefault(key, []).append(_("Enter a valid date."))
        return None


def _today(org: Any) -> datetime.date:
    return timezone.localdate()


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _save(document: Any, expected_version: int | None, fields: Iterable[str] | None = None) -> Any:
    """Save under the optimistic lock (the caller's version, or the one it read)."""
    return save_versioned(
        document,
        expected_version=document.version if expected_version is None else expected_version,
        update_fields=fields,
    )


def _text(data: Mapping[str, Any], key: str, limit: int | None = None) -> str:
    value = str(data.get(key) or "").strip()
    return value[:limit] if limit else value


# Header fields callers may set on each kind (besides lines).
QUOTE_FIELDS = frozenset(
    {"party", "contact", "opportunity", "date", "valid_until", "terms", "notes", "owner"}
)
ORDER_FIELDS = frozenset(
    {
        "party",
        "contact",
        "opportunity",
        "date",
        "kind",
        "payment_terms",
        "payment_due_days",
        "delivery_date",
        "warehouse",
        "notes",
        "owner",
    }
)
PURCHASE_ORDER_FIELDS = frozenset(
    {
        "supplier",
        "date",
        "expected_date",
        "warehouse",
        "contract_terms",
        "payment_due_days",
        "notes",
        "owner",
    }
)


def _check_unknown(data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError({key: [_("This field is not allowed.")] for key in sorted(unknown)})


def _apply_common(
    document: Any, data: Mapping[str, Any], errors: dict[str, list[str]], *, creating: bool
) -> None:
    org_id = document.org_id
    if "date" in data or creating:
        day = _as_date(data.get("date"), "date", errors)
        document.date = day or _today(org_id)
    if "notes" in data:
        document.notes = _text(data, "notes")
    if "owner" in data:
        owner = _check_owner(org_id, data.get("owner"), errors)
        if owner is not None:
            document.owner = owner


def _apply_customer_header(
    document: Quote | Order, data: Mapping[str, Any], errors: dict[str, list[str]]
) -> None:
    org_id = document.org_id
    if "party" in data:
        party = _check_party(org_id, data.get("party"), errors)
        if party is not None:
            if not party.is_customer:
                errors.setdefault("party", []).append(_("This party is not a customer."))
            document.party = party
    party_obj = document.party if document.party_id else None
    if "contact" in data:
        contact = _resolve_fk(org_id, Contact, data.get("contact"), "contact", errors)
        _check_contact(party_obj, contact, errors)
        document.contact = contact
    elif (
        "party" in data
        and document.contact_id
        and party_obj is not None
        and document.contact.party_id != party_obj.pk  # type: ignore[union-attr]
    ):
        document.contact = None
    if "opportunity" in data:
        opportunity = _resolve_fk(
            org_id, Opportunity, data.get("opportunity"), "opportunity", errors
        )
        if (
            opportunity is not None
            and party_obj is not None
            and opportunity.party_id != party_obj.pk
        ):
            errors.setdefault("opportunity", []).append(
                _("This opportunity belongs to another customer.")
            )
        document.opportunity = opportunity


# --- quotes (C5) -------------------------------------------------------------------------

QUOTE_EDITABLE = (Quote.Status.DRAFT, Quote.Status.SENT)


@transaction.atomic
def create_quote(
    membership: Any, *, data: Mapping[str, Any], lines: Iterable[Mapping[str, Any]]
) -> Quote:
    """Create a draft quote numbered by the "quote" sequence. Raise ValidationError."""
    _check_unknown(data, QUOTE_FIELDS)
    org_id = membership.org_id
    with org_scope(org_id):
        quote = Quote(org_id=org_id, owner_id=membership.user_id)
        errors: dict[str, list[str]] = {}
        if not data.get("party"):
            errors.setdefault("party", []).append(_("Choose a customer."))
        _apply_common(quote, data, errors, creating=True)
        _apply_customer_header(quote, data, errors)
        quote.terms = _text(data, "terms")
        valid_until = _as_date(data.get("valid_until"), "valid_until", errors)
        if valid_until is None and "date" not in errors:
            days = sales_settings(org_id).quote_valid_days
            valid_until = quote.date + datetime.timedelta(days=days)
        quote.valid_until = valid_until
        if valid_until is not None and valid_until < quote.date:
            errors.setdefault("valid_until", []).append(
                _("The quote cannot expire before its date.")
            )
        try:
            prepared = prepare_lines(org_id, lines)
        except ValidationError as error:
            errors.update(error.message_dict)
            prepared = []
        _raise(errors)
        _set_totals(quote, prepared)
        quote.number = next_number(org=membership.org, kind="quote", on=quote.date)
        quote.save()
        _write_lines(quote, QuoteLine, "quote", prepared)
        return quote


@transaction.atomic
def create_quote_from_opportunity(
    membership: Any, *, opportunity: Opportunity, data: Mapping[str, Any] | None = None
) -> Quote:
    """A quote for the opportunity's customer and contact with a copy of its lines.

    Voided products are refused as on any new document. Raise ValidationError when the
    opportunity has no lines.
    """
    with org_scope(opportunity.org_id):
        rows = _line_rows(opportunity.lines.select_related("product").order_by("position", "id"))
    header = {
        "party": opportunity.party_id,
        "contact": opportunity.contact_id,
        "opportunity": opportunity.pk,
        **(data or {}),
    }
    if not rows:
        raise ValidationError(
            {"lines": [_("The opportunity has no products to quote; add them first.")]}
        )
    return create_quote(membership, data=header, lines=rows)


@transaction.atomic
def update_quote(
    membership: Any,
    *,
    quote: Quote,
    data: Mapping[str, Any],
    lines: Iterable[Mapping[str, Any]] | None,
    expected_version: int,
) -> Quote:
    """Change a draft or sent quote's header and (when given) its lines.

    Raise DocumentRefused in another status, StaleEdit, ValidationError.
    """
    _check_unknown(data, QUOTE_FIELDS)
    with org_scope(quote.org_id):
        if quote.status not in QUOTE_EDITABLE:
            raise DocumentRefused(_("Only draft and sent quotes can be edited."))
        errors: dict[str, list[str]] = {}
        _apply_common(quote, data, errors, creating=False)
        _apply_customer_header(quote, data, errors)
        if "terms" in data:
            quote.terms = _text(data, "terms")
        if "valid_until" in data:
            quote.valid_until = _as_date(data.get("valid_until"), "valid_until", errors)
        if quote.valid_until is not None and quote.valid_until < quote.date:
            errors.setdefault("valid_until", []).append(
                _("The quote cannot expire before its date.")
            )
        prepared = _prepare_for_edit(quote, QuoteLine, "quote", lines, errors)
        _raise(errors)
        if prepared is not None:
            _set_totals(quote, prepared)
        _save(quote, expected_version)
        if prepared is not None:
            _write_lines(quote, QuoteLine, "quote", prepared)
        return quote


def _prepare_for_edit(
    document: Any,
    line_model: type[PricedLine],
    parent: str,
    lines: Iterable[Mapping[str, Any]] | None,
    errors: dict[str, list[str]],
    *,
    purchase: bool = False,
) -> list[PreparedLine] | None:
    if lines is None:
        return None
    current = list(line_model.objects.filter(**{parent: document}).values_list("pk", "product_id"))
    try:
        return prepare_lines(
            document.org_id,
            lines,
            purchase=purchase,
            kept_product_ids={product_id for _pk, product_id in current},
            existing_line_ids={pk for pk, _product in current},
        )
    except ValidationError as error:
        errors.update(error.message_dict)
        return None


QUOTE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Quote.Status.SENT: (Quote.Status.DRAFT,),
    Quote.Status.ACCEPTED: (Quote.Status.DRAFT, Quote.Status.SENT),
    Quote.Status.REJECTED: (Quote.Status.DRAFT, Quote.Status.SENT),
    Quote.Status.DRAFT: (Quote.Status.SENT, Quote.Status.REJECTED, Quote.Status.ACCEPTED),
}


@transaction.atomic
def set_quote_status(
    membership: Any, *, quote: Quote, status: str, expected_version: int | None = None
) -> Quote:
    """Move a quote along its flow: draft ⇄ sent → accepted / rejected (and back to draft).

    "converted" is reached only by `convert_quote`. Raise DocumentRefused for a move the
    flow does not allow.
    """
    with org_scope(quote.org_id):
        allowed_from = QUOTE_TRANSITIONS.get(status)
        if allowed_from is None or quote.status not in allowed_from:
            raise DocumentRefused(
                _("A quote that is “%(current)s” cannot become “%(new)s”.")
                % {
                    "current": quote.get_status_display(),
                    "new": dict(Quote.Status.choices).get(status, status),
                }
            )
        quote.status = status
        if status == Quote.Status.SENT and quote.sent_at is None:
            quote.sent_at = timezone.now()
        _save(quote, expected_version)
        return quote


@transaction.atomic
def mark_quote_sent(membership: Any, *, quote: Quote, expected_version: int | None = None) -> Quote:
    """Record that the quote went to the customer (status sent, sent_at now)."""
    with org_scope(quote.org_id):
        if quote.status not in QUOTE_EDITABLE and quote.status != Quote.Status.ACCEPTED:
            raise DocumentRefused(_("This quote can no longer be sent."))
        if quote.status == Quote.Status.DRAFT:
            quote.status = Quote.Status.SENT
        quote.sent_at = timezone.now()
        _save(quote, expected_version)
        return quote


@transaction.atomic
def convert_quote(
    membership: Any,
    *,
    quote: Quote,
    data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> Order:
    """Turn a quote into a draft order with a copy of its lines; the quote becomes
    "converted" and the order links back to it.

    Voided products are not refused here: the customer accepted what was quoted.
    Raise DocumentRefused for a rejected or already converted quote.
    """
    with org_scope(quote.org_id):
        if quote.status in (Quote.Status.CONVERTED, Quote.Status.REJECTED):
            raise DocumentRefused(_("Only open or accepted quotes can be converted."))
        lines = list(quote.lines.select_related("product").order_by("position", "id"))
        if not lines:
            raise DocumentRefused(_("This quote has no lines."))
        header = {
            "party": quote.party_id,
            "contact": quote.contact_id,
            "opportunity": quote.opportunity_id,
            "notes": quote.notes,
            **(data or {}),
        }
        order = _create_order(
            membership,
            data=header,
            lines=_line_rows(lines),
            kept_product_ids={line.product_id for line in lines},
            quote=quote,
        )
        quote.status = Quote.Status.CONVERTED
        _save(quote, expected_version)
        return order


@transaction.atomic
def delete_quote(membership: Any, *, quote: Quote) -> Quote:
    """Move a quote to the recycle bin (not a converted one)."""
    with org_scope(quote.org_id):
        move_to_recycle_bin(obj=quote, actor=membership.user)
        return quote


# --- orders (C6, C12) --------------------------------------------------------------------


def _apply_order_header(
    order: Order, data: Mapping[str, Any], errors: dict[str, list[str]]
) -> None:
    from guanxi.stock.models import Warehouse

    org_id = order.org_id
    if "kind" in data:
        kind = data.get("kind") or Order.Kind.ORDER
        if kind not in Order.Kind.values:
            errors.setdefault("kind", []).append(_("Choose order or pre-order."))
        else:
            order.kind = kind
    if "payment_terms" in data:
        order.payment_terms = _text(data, "payment_terms", 200)
    if "payment_due_days" in data:
        value = data.get("payment_due_days")
        try:
            days = int(value if value not in (None, "") else 30)
        except (TypeError, ValueError):
            days = -1
        if not 0 <= days <= 3650:
            errors.setdefault("payment_due_days", []).append(
                _("Enter a number of days between 0 and 3650.")
            )
        else:
            order.payment_due_days = days
    if "delivery_date" in data:
        order.delivery_date = _as_date(data.get("delivery_date"), "delivery_date", errors)
    if "warehouse" in data:
        order.warehouse = _resolve_fk(org_id, Warehouse, data.get("warehouse"), "warehouse", errors)
    if (
        order.kind == Order.Kind.PREORDER
        and order.warehouse_id is None
        and "warehouse" not in errors
    ):
        errors.setdefault("warehouse", []).append(
            _("A pre-order needs the warehouse its stock is reserved in.")
        )


def _create_order(
    membership: Any,
    *,
    data: Mapping[str, Any],
    lines: Iterable[Mapping[str, Any]],
    kept_product_ids: Iterable[int] = (),
    quote: Quote | None = None,
    split_from: Order | None = None,
) -> Order:
    _check_unknown(data, ORDER_FIELDS)
    org_id = membership.org_id
    with org_scope(org_id):
        order = Order(
            org_id=org_id, owner_id=membership.user_id, quote=quote, split_from=split_from
        )
        errors: dict[str, list[str]] = {}
        if not data.get("party"):
            errors.setdefault("party", []).append(_("Choose a customer."))
        _apply_common(order, data, errors, creating=True)
        _apply_customer_header(order, data, errors)
        _apply_order_header(order, {"kind": Order.Kind.ORDER, **data}, errors)
        try:
            prepared = prepare_lines(org_id, lines, kept_product_ids=kept_product_ids)
        except ValidationError as error:
            errors.update(error.message_dict)
            prepared = []
        _raise(errors)
        _set_totals(order, prepared)
        order.number = next_number(org=membership.org, kind="order", on=order.date)
        order.save()
        _write_lines(order, OrderLine, "order", prepared)
        return order


@transaction.atomic
def create_order(
    membership: Any, *, data: Mapping[str, Any], lines: Iterable[Mapping[str, Any]]
) -> Order:
    """Create a draft order or pre-order numbered by the "order" sequence.

    Raise ValidationError (a pre-order without a warehouse, bad lines …).
    """
    return _create_order(membership, data=data, lines=lines)


@transaction.atomic
def create_order_from_opportunity(
    membership: Any, *, opportunity: Opportunity, data: Mapping[str, Any] | None = None
) -> Order:
    """A draft order for the opportunity's customer with a copy of its lines."""
    with org_scope(opportunity.org_id):
        rows = _line_rows(opportunity.lines.select_related("product").order_by("position", "id"))
    if not rows:
        raise ValidationError(
            {"lines": [_("The opportunity has no products to order; add them first.")]}
        )
    header = {
        "party": opportunity.party_id,
        "contact": opportunity.contact_id,
        "opportunity": opportunity.pk,
        **(data or {}),
    }
    return _create_order(membership, data=header, lines=rows)


def _check_order_open(order: Order) -> None:
    if order.is_locked:
        raise DocumentLocked()


@transaction.atomic
def update_order(
    membership: Any,
    *,
    order: Order,
    data: Mapping[str, Any],
    lines: Iterable[Mapping[str, Any]] | None,
    expected_version: int,
) -> Order:
    """Change a draft, unlocked order. Raise DocumentLocked, DocumentRefused, StaleEdit,
    ValidationError."""
    _check_unknown(data, ORDER_FIELDS)
    with org_scope(order.org_id):
        _check_order_open(order)
        if order.status != Order.Status.DRAFT:
            raise DocumentRefused(_("Only draft orders can be edited."))
        errors: dict[str, list[str]] = {}
        _apply_common(order, data, errors, creating=False)
        _apply_customer_header(order, data, errors)
        _apply_order_header(order, data, errors)
        prepared = _prepare_for_edit(order, OrderLine, "order", lines, errors)
        _raise(errors)
        if prepared is not None:
            _set_totals(order, prepared)
        _save(order, expected_version)
        if prepared is not None:
            _write_lines(order, OrderLine, "order", prepared)
        return order


def credit_check(order: Order) -> str | None:
    """The credit-limit problem confirming `order` would cause, or None.

    Only credit customers (settlement type "credit") with a limit are checked: their
    receivable balance plus this order's total must stay within the limit.
    """
    from guanxi.finance.balances import party_balance

    with org_scope(order.org_id):
        party = Party.all_objects.get(pk=order.party_id)  # fresh: limits change
        if party.settlement_type != Party.Settlement.CREDIT or party.credit_limit is None:
            return None
        balance = party_balance(party)
    exposure = balance + order.total
    if exposure <= party.credit_limit:
        return None
    return _(
        "Credit limit exceeded: %(party)s owes %(balance)s; with this order (%(total)s) "
        "that is %(exposure)s, over the credit limit of %(limit)s."
    ) % {
        "party": party,
        "balance": balance,
        "total": order.total,
        "exposure": exposure,
        "limit": party.credit_limit,
    }


def _reservations() -> Any:
    """guanxi.stock.reservations (reserve_order / release_order), the stock app's."""
    from guanxi.stock import reservations

    return reservations


def _reserve(order: Order) -> None:
    """Reserve a confirmed pre-order's stock; ValidationError (lines.N.quantity) when the
    warehouse does not have enough."""
    if order.kind == Order.Kind.PREORDER:
        _reservations().reserve_order(order)


def _release(order: Order) -> None:
    if order.kind == Order.Kind.PREORDER:
        _reservations().release_order(order)


def _notify_big_deal(order: Order, actor: Any) -> None:
    try:
        from guanxi.sales.alerts import notify_big_deal
    except ImportError:  # the pipeline part does not provide it (yet)
        logger.warning("guanxi.sales.alerts.notify_big_deal is missing; no big-deal alert")
        return
    notify_big_deal(order.org_id, order, order.total, order.get_absolute_url(), actor=actor)


@transaction.atomic
def confirm_order(
    membership: Any, *, order: Order, expected_version: int | None = None
) -> ConfirmResult:
    """Confirm a draft order: the credit check (per SalesSettings.credit_check: a warning
    in the result, or CreditLimitExceeded), stock reservation for a pre-order, and the
    big-deal alert when the total reaches the threshold.
    """
    with org_scope(order.org_id):
        _check_order_open(order)
        if order.status != Order.Status.DRAFT:
            raise DocumentRefused(_("Only draft orders can be confirmed."))
        if not order.lines.exists():
            raise DocumentRefused(_("This order has no lines."))
        settings = sales_settings(order.org_id)
        warnings: list[str] = []
        if settings.credit_check != SalesSettings.CreditCheck.OFF:
            problem = credit_check(order)
            if problem is not None:
                if settings.credit_check == SalesSettings.CreditCheck.BLOCK:
                    raise CreditLimitExceeded(problem)
                warnings.append(problem)
        order.status = Order.Status.CONFIRMED
        order.confirmed_at = timezone.now()
        _save(order, expected_version)
        _reserve(order)
        _notify_big_deal(order, membership.user)
        return ConfirmResult(order=order, warnings=warnings)


def has_posted_deliveries(order: Order) -> bool:
    from guanxi.stock.models import StockDocument

    return StockDocument.objects.filter(
        order=order, status__in=(StockDocument.Status.POSTED, StockDocument.Status.REVERSED)
    ).exists()


@transaction.atomic
def cancel_order(
    membership: Any, *, order: Order, reason: str, expected_version: int | None = None
) -> Order:
    """Cancel an order with a reason; a confirmed pre-order releases its reservation.

    Refused for a locked order, an order with posted deliveries, or one already cancelled
    or completed.
    """
    with org_scope(order.org_id):
        _check_order_open(order)
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"cancel_reason": [_("Say why the order is cancelled.")]})
        if len(reason) > 200:
            raise ValidationError({"cancel_reason": [_("Keep the reason under 200 characters.")]})
        if order.status in (Order.Status.CANCELLED, Order.Status.COMPLETED):
            raise DocumentRefused(_("This order is already closed."))
        if has_posted_deliveries(order):
            raise DocumentRefused(
                _("Goods were already delivered against this order; return them instead.")
            )
        was_confirmed = order.status == Order.Status.CONFIRMED
        order.status = Order.Status.CANCELLED
        order.cancelled_at = timezone.now()
        order.cancel_reason = reason
        _save(order, expected_version)
        if was_confirmed:
            _release(order)
        return order


@transaction.atomic
def set_order_lock(
    membership: Any, *, order: Order, locked: bool, expected_version: int | None = None
) -> Order:
    """Lock an order against edits, cancelling and deleting (or unlock it)."""
    with org_scope(order.org_id):
        order.is_locked = locked
        _save(order, expected_version, ["is_locked"])
        return order


@transaction.atomic
def delete_order(membership: Any, *, order: Order) -> Order:
    """Move a draft, unlocked order to the recycle bin (Order.deletion_blocker)."""
    with org_scope(order.org_id):
        move_to_recycle_bin(obj=order, actor=membership.user)
        return order


@transaction.atomic
def split_order(
    membership: Any,
    *,
    order: Order,
    quantities: Mapping[Any, Any],
    expected_version: int | None = None,
) -> Order:
    """Move part of an order into a new order (split_from points back).

    `quantities` maps line keys to the quantity to move (at most what is not yet
    delivered). Both orders keep their status; their totals are recomputed, a line moved
    whole leaves the original. A confirmed pre-order's reservation follows the lines.
    Raise ValidationError keyed `lines.<line id>` for a bad quantity.
    """
    with org_scope(order.org_id):
        _check_order_open(order)
        if order.status not in (Order.Status.DRAFT, Order.Status.CONFIRMED):
            raise DocumentRefused(_("Only draft and confirmed orders can be split."))
        lines = {line.pk: line for line in order.lines.select_related("product")}
        errors: dict[str, list[str]] = {}
        moves: dict[int, Decimal] = {}
        for key, raw in quantities.items():
            try:
                line_id = int(key)
            except (TypeError, ValueError):
                line_id = -1
            if line_id not in lines:
                errors.setdefault(f"lines.{key}", []).append(
                    _("This line does not belong to the order.")
                )
                continue
            try:
                qty = to_decimal(raw)
            except ArithmeticError:
                errors.setdefault(f"lines.{key}", []).append(_("Enter a number."))
                continue
            if not qty.is_finite() or qty < 0:
                errors.setdefault(f"lines.{key}", []).append(_("The quantity cannot be negative."))
                continue
            if qty.as_tuple().exponent < -3:  # type: ignore[operator]
                errors.setdefault(f"lines.{key}", []).append(
                    _("Use at most three decimal places for the quantity.")
                )
                continue
            line = lines[line_id]
            movable = line.quantity - line.delivered_quantity
            if qty > movable:
                errors.setdefault(f"lines.{key}", []).append(
                    _("At most %(quantity)s can move (the rest is delivered or not there).")
                    % {"quantity": format(movable.normalize(), "f")}
                )
                continue
            if qty > 0:
                moves[line_id] = qty
        _raise(errors)
        if not moves:
            raise ValidationError({"lines": [_("Choose a quantity to move to the new order.")]})
        remaining = {pk: line.quantity - moves.get(pk, ZERO) for pk, line in lines.items()}
        if all(qty == 0 for qty in remaining.values()):
            raise ValidationError(
                {"lines": [_("Leave something on this order; moving everything is not a split.")]}
            )
        reserved = order.kind == Order.Kind.PREORDER and order.status == Order.Status.CONFIRMED
        if reserved:
            _release(order)
        # The new order: same header, the moved quantities at the same prices.
        new_rows = []
        for pk, qty in moves.items():
            line = lines[pk]
            new_rows.append(
                {
                    "product": line.product,
                    "quantity": qty,
                    "unit_price": line.unit_price,
                    "discount_percent": line.discount_percent,
                    "tax_rate": line.tax_rate,
                    "description": line.description,
                }
            )
        header = {
            "party": order.party_id,
            "contact": order.contact_id,
            "opportunity": order.opportunity_id,
            "date": order.date,
            "kind": order.kind,
            "payment_terms": order.payment_terms,
            "payment_due_days": order.payment_due_days,
            "delivery_date": order.delivery_date,
            "warehouse": order.warehouse_id,
            "notes": order.notes,
        }
        new_order = _create_order(
            membership,
            data=header,
            lines=new_rows,
            kept_product_ids={line.product_id for line in lines.values()},
            quote=order.quote,
            split_from=order,
        )
        new_order.owner_id = order.owner_id
        if order.status == Order.Status.CONFIRMED:
            new_order.status = Order.Status.CONFIRMED
            new_order.confirmed_at = order.confirmed_at
        new_order.save(update_fields=["owner", "status", "confirmed_at", "updated_at"])
        # What stays: lines keep their rows (deliveries point at them); emptied lines go.
        kept_rows = []
        for pk, line in lines.items():
            if remaining[pk] == 0:
                continue
            kept_rows.append(
                {
                    "id": pk,
                    "product": line.product,
                    "quantity": remaining[pk],
                    "unit_price": line.unit_price,
                    "discount_percent": line.discount_percent,
                    "tax_rate": line.tax_rate,
                    "description": line.description,
                }
            )
        prepared = prepare_lines(
            order.org_id,
            kept_rows,
            kept_product_ids={line.product_id for line in lines.values()},
            existing_line_ids=set(lines),
        )
        _set_totals(order, prepared)
        _save(order, expected_version)
        _write_lines(order, OrderLine, "order", prepared)
        if reserved:
            _reserve(order)
            _reserve(new_order)
        refresh_delivery_status(order)
        return new_order


def refresh_delivery_status(order: Order) -> Order:
    """Recompute `order.delivery_status` from its lines' delivered quantities.

    Called by stock posting after a delivery or return against the order is posted or
    reversed. Fully delivered confirmed orders become completed; an order that is no
    longer fully delivered (a return, a reversal) goes back to confirmed. Saves only when
    something changed; the version is bumped so open edit forms notice.
    """
    with org_scope(order.org_id):
        rows = list(
            OrderLine.objects.filter(order=order).values_list("quantity", "delivered_quantity")
        )
        if rows and all(delivered >= quantity for quantity, delivered in rows):
            delivery = Order.Delivery.FULL
        elif any(delivered > 0 for _quantity, delivered in rows):
            delivery = Order.Delivery.PARTIAL
        else:
            delivery = Order.Delivery.NONE
        status = order.status
        if delivery == Order.Delivery.FULL and status == Order.Status.CONFIRMED:
            status = Order.Status.COMPLETED
        elif delivery != Order.Delivery.FULL and status == Order.Status.COMPLETED:
            status = Order.Status.CONFIRMED
        if delivery != order.delivery_status or status != order.status:
            order.delivery_status = delivery
            order.status = status
            order.version += 1
            Order.objects.filter(pk=order.pk).update(
                delivery_status=delivery,
                status=status,
                version=order.version,
                updated_at=timezone.now(),
            )
        return order


# --- purchase orders (C7) ----------------------------------------------------------------


def _apply_po_header(
    po: PurchaseOrder, data: Mapping[str, Any], errors: dict[str, list[str]]
) -> None:
    from guanxi.stock.models import Warehouse

    org_id = po.org_id
    if "supplier" in data:
        supplier = _check_party(org_id, data.get("supplier"), errors, supplier=True)
        if supplier is not None:
            po.supplier = supplier
    if "expected_date" in data:
        po.expected_date = _as_date(data.get("expected_date"), "expected_date", errors)
    if po.expected_date is not None and po.date and po.expected_date < po.date:
        errors.setdefault("expected_date", []).append(
            _("The goods cannot be expected before the order date.")
        )
    if "warehouse" in data:
        po.warehouse = _resolve_fk(org_id, Warehouse, data.get("warehouse"), "warehouse", errors)
    if "contract_terms" in data:
        po.contract_terms = _text(data, "contract_terms")
    if "payment_due_days" in data:
        value = data.get("payment_due_days")
        try:
            days = int(value if value not in (None, "") else 30)
        except (TypeError, ValueError):
            days = -1
        if not 0 <= days <= 3650:
            errors.setdefault("payment_due_days", []).append(
                _("Enter a number of days between 0 and 3650.")
            )
        else:
            po.payment_due_days = days


@transaction.atomic
def create_purchase_order(
    membership: Any,
    supplier: Any,
    lines: Iterable[Mapping[str, Any]],
    *,
    data: Mapping[str, Any] | None = None,
) -> PurchaseOrder:
    """Create a draft purchase order to `supplier` (a Party with is_supplier, or its key).

    Lines take `product`, `quantity`, `list_price` (defaults to the product's cost
    price), `discount_percent`, `tax_rate`; the unit price is list price × (1 − discount).
    `data` may set date, expected_date, warehouse, contract_terms, payment_due_days,
    notes, owner. Numbered by the "purchase_order" sequence. Raise ValidationError.
    """
    header = {**(data or {}), "supplier": supplier}
    _check_unknown(header, PURCHASE_ORDER_FIELDS)
    org_id = membership.org_id
    with org_scope(org_id):
        po = PurchaseOrder(org_id=org_id, owner_id=membership.user_id)
        errors: dict[str, list[str]] = {}
        if supplier in (None, ""):
            errors.setdefault("supplier", []).append(_("Choose a supplier."))
        _apply_common(po, header, errors, creating=True)
        _apply_po_header(po, header, errors)
        try:
            prepared = prepare_lines(org_id, lines, purchase=True)
        except ValidationError as error:
            errors.update(error.message_dict)
            prepared = []
        _raise(errors)
        _set_totals(po, prepared)
        po.number = next_number(org=membership.org, kind="purchase_order", on=po.date)
        po.save()
        _write_lines(po, PurchaseOrderLine, "purchase_order", prepared)
        return po


@transaction.atomic
def update_purchase_order(
    membership: Any,
    *,
    purchase_order: PurchaseOrder,
    data: Mapping[str, Any],
    lines: Iterable[Mapping[str, Any]] | None,
    expected_version: int,
) -> PurchaseOrder:
    """Change a draft purchase order. Raise DocumentRefused, StaleEdit, ValidationError."""
    _check_unknown(data, PURCHASE_ORDER_FIELDS)
    po = purchase_order
    with org_scope(po.org_id):
        if po.status != PurchaseOrder.Status.DRAFT:
            raise DocumentRefused(_("Only draft purchase orders can be edited."))
        errors: dict[str, list[str]] = {}
        _apply_common(po, data, errors, creating=False)
        _apply_po_header(po, data, errors)
        prepared = _prepare_for_edit(
            po, PurchaseOrderLine, "purchase_order", lines, errors, purchase=True
        )
        _raise(errors)
        if prepared is not None:
            _set_totals(po, prepared)
        _save(po, expected_version)
        if prepared is not None:
            _write_lines(po, PurchaseOrderLine, "purchase_order", prepared)
        return po


@transaction.atomic
def confirm_purchase_order(
    membership: Any, *, purchase_order: PurchaseOrder, expected_version: int | None = None
) -> PurchaseOrder:
    """Confirm a draft purchase order (sent to the supplier; receipts may follow)."""
    po = purchase_order
    with org_scope(po.org_id):
        if po.status != PurchaseOrder.Status.DRAFT:
            raise DocumentRefused(_("Only draft purchase orders can be confirmed."))
        if not po.lines.exists():
            raise DocumentRefused(_("This purchase order has no lines."))
        po.status = PurchaseOrder.Status.CONFIRMED
        _save(po, expected_version)
        return po


def has_posted_receipts(po: PurchaseOrder) -> bool:
    from guanxi.stock.models import StockDocument

    return StockDocument.objects.filter(
        purchase_order=po,
        status__in=(StockDocument.Status.POSTED, StockDocument.Status.REVERSED),
    ).exists()


@transaction.atomic
def cancel_purchase_order(
    membership: Any, *, purchase_order: PurchaseOrder, expected_version: int | None = None
) -> PurchaseOrder:
    """Cancel a draft or confirmed purchase order with nothing received against it."""
    po = purchase_order
    with org_scope(po.org_id):
        if po.status not in (PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.CONFIRMED):
            raise DocumentRefused(_("Only draft and confirmed purchase orders can be cancelled."))
        if has_posted_receipts(po):
            raise DocumentRefused(
                _("Goods were already received against this purchase order; return them instead.")
            )
        po.status = PurchaseOrder.Status.CANCELLED
        _save(po, expected_version)
        return po


@transaction.atomic
def delete_purchase_order(membership: Any, *, purchase_order: PurchaseOrder) -> PurchaseOrder:
    """Move a draft or cancelled purchase order to the recycle bin."""
    with org_scope(purchase_order.org_id):
        move_to_recycle_bin(obj=purchase_order, actor=membership.user)
        return purchase_order


def refresh_receipt_status(po: PurchaseOrder) -> PurchaseOrder:
    """Recompute a confirmed purchase order's status from its lines' received quantities:
    confirmed (nothing yet), partial, or received. Draft and cancelled orders are left alone.

    Called by stock posting after a receipt (or its reversal) against the order.
    """
    with org_scope(po.org_id):
        if po.status not in (
            PurchaseOrder.Status.CONFIRMED,
            PurchaseOrder.Status.PARTIAL,
            PurchaseOrder.Status.RECEIVED,
        ):
            return po
        rows = list(
            PurchaseOrderLine.objects.filter(purchase_order=po).values_list(
                "quantity", "received_quantity"
            )
        )
        if rows and all(received >= quantity for quantity, received in rows):
            status = PurchaseOrder.Status.RECEIVED
        elif any(received > 0 for _quantity, received in rows):
            status = PurchaseOrder.Status.PARTIAL
        else:
            status = PurchaseOrder.Status.CONFIRMED
        if status != po.status:
            po.status = status
            po.version += 1
            PurchaseOrder.objects.filter(pk=po.pk).update(
                status=status, version=po.version, updated_at=timezone.now()
            )
        return po
