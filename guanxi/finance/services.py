"""Receipts and payments (C9): the only code that writes money documents, their
allocations and their party-ledger entries.

- A document is written as a **draft** with its allocations; a draft changes no balance.
- **Posting** (过帐) writes one party-ledger entry of −amount in the receivable book
  (a receipt) or the payable book (a payment) and makes the allocations count. It is
  atomic and idempotent: posting a posted document changes nothing.
- A posted document is never edited: it is **reversed** by a new document that writes
  the opposite ledger entry; the original's allocations stop counting (they are released).
- The **on-account** remainder of a posted document may be allocated later; that changes
  no balance, only which documents are settled.

Every allocation is checked against what is open on its target at the time (the same
computation the open-item pages show, guanxi.finance.openitems), under a row lock on
the target, so two receipts cannot settle the same delivery twice.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.exceptions import DomainError
from guanxi.core.models import Organisation
from guanxi.core.numbering import next_number
from guanxi.core.scoping import org_pk, org_scope
from guanxi.core.versioning import save_versioned
from guanxi.finance.models import Allocation, MoneyDocument, PartyLedgerEntry
from guanxi.finance.openitems import (
    BOOK_OF_MONEY_KIND,
    LATEST,
    BookSpec,
    _decimal,
    document_items,
    open_orders,
)
from guanxi.parties.models import Party
from guanxi.stock.models import StockDocument

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("999999999999.99")
EARLIEST_DATE = datetime.date(1970, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)

DOC_FIELDS = ("kind", "party", "date", "amount", "method", "reference", "notes", "owner")
TARGET_FIELDS = ("stock_document", "order", "purchase_order")


class MoneyDocumentError(DomainError):
    code = "money_document_refused"


class NotDraft(MoneyDocumentError):
    status_code = 409
    code = "not_draft"
    default_message = gettext_lazy(
        "Only a draft can be changed; reverse a posted document instead."
    )


@dataclass(frozen=True)
class AllocationInput:
    """One requested allocation: a target (a document or an order) and an amount."""

    target: str  # "stock_document", "order" or "purchase_order"
    target_id: int
    amount: Decimal
    index: int = -1  # its position in the request, for error keys


# --- parsing ---------------------------------------------------------------------------------


def _money(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        number = Decimal(str(value).strip())
    if not number.is_finite():
        raise InvalidOperation
    return number


def _amount_errors(value: Any, *, what: str = "amount") -> tuple[Decimal | None, list[str]]:
    """Parse a money amount: above zero, two decimals at most, not too large."""
    if value is None or value == "":
        return None, [_("This field is required.")]
    try:
        number = _money(value)
    except (InvalidOperation, ValueError, TypeError):
        return None, [_("Enter a number.")]
    if number <= 0:
        return None, [_("Enter an amount above zero.")]
    if number.as_tuple().exponent < -2:  # type: ignore[operator]
        return None, [_("Use at most two decimal places.")]
    if number > MAX_AMOUNT:
        return None, [_("The amount is too large.")]
    return number.quantize(CENT, rounding=ROUND_HALF_UP), []


def parse_allocations(raw: Iterable[Any]) -> tuple[list[AllocationInput], dict[str, list[str]]]:
    """Turn [{"stock_document": 3, "amount": "10"}, …] (ids or instances) into inputs,
    with field errors keyed `allocations.N.amount` / `allocations.N.target`."""
    result: list[AllocationInput] = []
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(raw):
        if isinstance(item, AllocationInput):
            result.append(AllocationInput(item.target, item.target_id, item.amount, index))
            continue
        item = dict(item) if isinstance(item, Mapping) else {}
        named = [
            (name, item.get(name)) for name in TARGET_FIELDS if item.get(name) not in (None, "")
        ]
        if len(named) != 1:
            errors[f"allocations.{index}.target"] = [
                _("Name exactly one document or order to allocate to.")
            ]
            continue
        target, value = named[0]
        try:
            target_id = int(getattr(value, "pk", value))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            errors[f"allocations.{index}.target"] = [_("Choose a document of this party.")]
            continue
        amount, messages = _amount_errors(item.get("amount"))
        if messages or amount is None:
            errors[f"allocations.{index}.amount"] = messages
            continue
        result.append(AllocationInput(target, target_id, amount, index))
    return result, errors


# --- what may be allocated ------------------------------------------------------------------


def open_amounts(
    spec: BookSpec, party_id: int, inputs: Sequence[AllocationInput]
) -> dict[tuple[str, int], Decimal]:
    """What is open now on each target named in `inputs` that belongs to the party:
    documents (deliveries / purchase receipts) and orders taking advances."""
    doc_ids = [i.target_id for i in inputs if i.target == "stock_document"]
    order_ids = [i.target_id for i in inputs if i.target == spec.order_field]
    found: dict[tuple[str, int], Decimal] = {}
    if doc_ids:
        docs: Any = document_items(spec, LATEST).filter(
            pk__in=doc_ids, party_id=party_id, kind=spec.debit_kind
        )
        for pk, open_amount in docs.values_list("pk", "open_amount"):
            found[("stock_document", pk)] = _decimal(open_amount)
    if order_ids:
        for pk, open_amount in (
            open_orders(spec)
            .filter(pk__in=order_ids, **{f"{spec.order_party_field}_id": party_id})
            .values_list("pk", "advance_open")
        ):
            found[(spec.order_field, pk)] = _decimal(open_amount)
    return found


def _check_allocations(
    spec: BookSpec,
    party_id: int | None,
    amount: Decimal | None,
    inputs: Sequence[AllocationInput],
    errors: dict[str, list[str]],
    *,
    available: Decimal | None = None,
) -> None:
    """Add field errors for allocations that are not open on the party's documents, that
    repeat a target, or that add up to more than the document's amount (`available`)."""
    seen: set[tuple[str, int]] = set()
    opens = open_amounts(spec, party_id, inputs) if party_id is not None else {}
    for position, item in enumerate(inputs):
        index = item.index if item.index >= 0 else position
        key = (item.target, item.target_id)
        if item.target not in ("stock_document", spec.order_field):
            errors[f"allocations.{index}.target"] = [
                _(
                    "A receipt settles sales deliveries and orders; a payment settles purchase receipts and purchase orders."
                )
            ]
            continue
        if key in seen:
            errors[f"allocations.{index}.target"] = [_("This document is allocated twice.")]
            continue
        seen.add(key)
        if party_id is None:
            continue
        if key not in opens:
            errors[f"allocations.{index}.target"] = [
                _("Choose an open document of this customer or supplier.")
            ]
            continue
        if item.amount > opens[key]:
            errors[f"allocations.{index}.amount"] = [
                _("Only %(open)s is open on this document.") % {"open": opens[key]}
            ]
    limit = available if available is not None else amount
    total = sum((i.amount for i in inputs), ZERO)
    if limit is not None and total > limit:
        errors.setdefault("allocations", []).append(
            _("The allocations add up to %(total)s, more than the %(limit)s available.")
            % {"total": total, "limit": limit}
        )


# --- the document's own fields ---------------------------------------------------------------


def _resolve_party(
    org_id: int, value: Any, spec: BookSpec | None
) -> tuple[Party | None, list[str]]:
    if value in (None, ""):
        return None, [_("This field is required.")]
    try:
        pk = int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        return None, [_("Choose a customer or supplier.")]
    party = Party.objects.filter(org_id=org_id, pk=pk).first()
    if party is None:
        return None, [_("Choose a customer or supplier.")]
    if spec is not None and not getattr(party, spec.party_flag):
        if spec.money_kind == MoneyDocument.Kind.RECEIPT:
            return None, [_("A receipt comes from a customer.")]
        return None, [_("A payment goes to a supplier.")]
    return party, []


def _resolve_owner(org_id: int, value: Any) -> tuple[Any, list[str]]:
    from guanxi.accounts.models import Membership

    if value in (None, ""):
        return None, []
    user_id = getattr(value, "pk", value)
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None, [_("Choose a member of the organisation.")]
    membership = (
        Membership.objects.filter(org_id=org_id, user_id=user_id, is_active=True)
        .select_related("user")
        .first()
    )
    if membership is None:
        return None, [_("Choose a member of the organisation.")]
    return membership.user, []


def _clean_fields(
    org_id: int, data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check and convert the document's own fields; errors keyed by field name."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    kind = data.get("kind")
    spec = BOOK_OF_MONEY_KIND.get(kind) if isinstance(kind, str) else None
    if spec is None:
        errors["kind"] = [_("Choose receipt or payment.")]
    else:
        clean["kind"] = kind
    party, messages = _resolve_party(org_id, data.get("party"), spec)
    if messages:
        errors["party"] = messages
    clean["party"] = party
    day = data.get("date")
    if isinstance(day, str):
        try:
            day = datetime.date.fromisoformat(day)
        except ValueError:
            day = None
            errors["date"] = [_("Enter a valid date.")]
    if isinstance(day, datetime.datetime):
        day = day.date()
    if day is None and "date" not in errors:
        errors["date"] = [_("This field is required.")]
    elif isinstance(day, datetime.date) and not EARLIEST_DATE <= day <= LATEST_DATE:
        errors["date"] = [_("Enter a date between 1970 and 2100.")]
    clean["date"] = day
    amount, messages = _amount_errors(data.get("amount"))
    if messages:
        errors["amount"] = messages
    clean["amount"] = amount
    method = data.get("method") or MoneyDocument.Method.BANK
    if method not in MoneyDocument.Method.values:
        errors["method"] = [_("Choose a payment method.")]
    clean["method"] = method
    for name, limit in (("reference", 100), ("notes", 5000)):
        text = str(data.get(name) or "").strip()
        if len(text) > limit:
            errors[name] = [_("Ensure this value has at most %(max)s characters.") % {"max": limit}]
        clean[name] = text
    owner, messages = _resolve_owner(org_id, data.get("owner"))
    if messages:
        errors["owner"] = messages
    clean["owner"] = owner
    return clean, errors


def _write_allocations(
    document: MoneyDocument, inputs: Sequence[AllocationInput], day: datetime.date
) -> None:
    Allocation.objects.bulk_create(
        [
            Allocation(
                org_id=document.org_id,
                money_document=document,
                amount=item.amount,
                date=day,
                **{f"{item.target}_id": item.target_id},
            )
            for item in inputs
        ]
    )


def _org(org: Organisation | int) -> Organisation:
    if isinstance(org, Organisation):
        return org
    return Organisation.objects.get(pk=org)


# --- use cases ----------------------------------------------------------------------------------


def create_money_document(
    *,
    org: Organisation | int,
    actor: Any,
    data: Mapping[str, Any],
    allocations: Iterable[Any] = (),
    post: bool = False,
) -> MoneyDocument:
    """Write a draft receipt or payment with its allocations (and post it if `post`).

    Raise ValidationError keyed by field (`party`, `amount`, `allocations.0.amount` …);
    nothing is written then.
    """
    org_id = org_pk(org)
    with org_scope(org_id), transaction.atomic():
        clean, errors = _clean_fields(org_id, data)
        inputs, alloc_errors = parse_allocations(allocations)
        errors.update(alloc_errors)
        spec = BOOK_OF_MONEY_KIND.get(clean.get("kind") or "")
        if spec is not None:
            party = clean.get("party")
            _check_allocations(
                spec, party.pk if party else None, clean.get("amount"), inputs, errors
            )
        if errors:
            raise ValidationError(errors)
        document = MoneyDocument(
            org_id=org_id,
            number=next_number(org=_org(org), kind=clean["kind"], on=clean["date"]),
            status=MoneyDocument.Status.DRAFT,
            **{k: clean[k] for k in DOC_FIELDS},
        )
        if document.owner is None and getattr(actor, "pk", None):
            document.owner = actor
        document._history_user = actor if getattr(actor, "pk", None) else None  # type: ignore[attr-defined]
        document.save()
        _write_allocations(document, inputs, document.date)
        if post:
            document = post_money_document(document=document, actor=actor)
    return document


def update_money_document(
    *,
    document: MoneyDocument,
    actor: Any,
    data: Mapping[str, Any],
    allocations: Iterable[Any],
    expected_version: int,
) -> MoneyDocument:
    """Change a draft and replace its allocations. The kind does not change.

    Raise NotDraft for a posted document, StaleEdit when the draft changed since
    `expected_version`, ValidationError for bad input.
    """
    with org_scope(document.org_id), transaction.atomic():
        current = MoneyDocument.objects.select_for_update().get(pk=document.pk)
        if current.status != MoneyDocument.Status.DRAFT:
            raise NotDraft(_("Only a draft can be changed; reverse a posted document instead."))
        merged = {k: getattr(current, k) for k in DOC_FIELDS}
        merged.update({k: v for k, v in data.items() if k in DOC_FIELDS and k != "kind"})
        merged["kind"] = current.kind
        clean, errors = _clean_fields(current.org_id, merged)
        inputs, alloc_errors = parse_allocations(allocations)
        errors.update(alloc_errors)
        spec = BOOK_OF_MONEY_KIND[current.kind]
        party = clean.get("party")
        _check_allocations(spec, party.pk if party else None, clean.get("amount"), inputs, errors)
        if errors:
            raise ValidationError(errors)
        for key in DOC_FIELDS:
            if key != "kind":
                setattr(current, key, clean[key])
        current._history_user = actor if getattr(actor, "pk", None) else None  # type: ignore[attr-defined]
        save_versioned(current, expected_version=expected_version)
        current.allocations.all().delete()
        _write_allocations(current, inputs, current.date)
    return current


def delete_money_document(*, document: MoneyDocument, actor: Any) -> None:
    """Delete a draft (its number is not reused). A posted document is reversed instead."""
    with org_scope(document.org_id), transaction.atomic():
        current = MoneyDocument.objects.select_for_update().get(pk=document.pk)
        if current.status != MoneyDocument.Status.DRAFT:
            raise NotDraft(_("A posted document cannot be deleted; reverse it instead."))
        current._history_user = actor if getattr(actor, "pk", None) else None  # type: ignore[attr-defined]
        current.allocations.all().delete()
        current.delete()


def _lock_targets(document: MoneyDocument, inputs: Sequence[AllocationInput]) -> None:
    """Lock the allocated documents and orders (in key order) until the transaction ends."""
    from guanxi.sales.models import Order, PurchaseOrder

    models = {"stock_document": StockDocument, "order": Order, "purchase_order": PurchaseOrder}
    for target, model in models.items():
        ids = sorted(i.target_id for i in inputs if i.target == target)
        if ids:
            manager: Any = getattr(model, "all_objects", model.objects)
            list(manager.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))


def _inputs_of(document: MoneyDocument) -> list[AllocationInput]:
    result = []
    for allocation in document.allocations.all():
        for target in TARGET_FIELDS:
            target_id = getattr(allocation, f"{target}_id")
            if target_id is not None:
                result.append(AllocationInput(target, target_id, allocation.amount))
    return result


def post_money_document(*, document: MoneyDocument, actor: Any) -> MoneyDocument:
    """Post a draft: one ledger entry of −amount, and its allocations start to count.

    Posting a posted (or reversed) document changes nothing and returns it. Raise
    ValidationError when an allocation is no longer open (another receipt settled the
    document meanwhile); nothing is written then.
    """
    with org_scope(document.org_id), transaction.atomic():
        current = MoneyDocument.objects.select_for_update().get(pk=document.pk)
        if current.status != MoneyDocument.Status.DRAFT:
            return current
        spec = BOOK_OF_MONEY_KIND[current.kind]
        inputs = _inputs_of(current)
        _lock_targets(current, inputs)
        errors: dict[str, list[str]] = {}
        party = Party.all_objects.get(pk=current.party_id)
        if not getattr(party, spec.party_flag) or party.deleted_at is not None:
            errors["party"] = [_("This customer or supplier can no longer be used.")]
        _check_allocations(spec, current.party_id, current.amount, inputs, errors)
        if errors:
            raise ValidationError(errors)
        if not PartyLedgerEntry.objects.filter(money_document=current).exists():
            PartyLedgerEntry.objects.create(
                org_id=current.org_id,
                party_id=current.party_id,
                book=spec.book,
                date=current.date,
                amount=-current.amount,
                money_document=current,
            )
        current.status = MoneyDocument.Status.POSTED
        current.posted_at = timezone.now()
        current.version += 1
        current._history_user = actor if getattr(actor, "pk", None) else None  # type: ignore[attr-defined]
        current.save()
    return current


def reverse_money_document(
    *,
    document: MoneyDocument,
    actor: Any,
    date: datetime.date | None = None,
    reason: str = "",
) -> MoneyDocument:
    """Reverse a posted document: a new posted document of the same kind and amount that
    writes the opposite ledger entry; the original's allocations are released.

    Reversing a reversed document returns its reversal (idempotent). Raise
    MoneyDocumentError for a draft, for a reversal (post a new document instead) and
    for a reversal dated before the original.
    """
    with org_scope(document.org_id), transaction.atomic():
        current = MoneyDocument.objects.select_for_update().get(pk=document.pk)
        if current.status == MoneyDocument.Status.REVERSED:
            return current.reversals.get()
        if current.status != MoneyDocument.Status.POSTED:
            raise MoneyDocumentError(_("Only a posted document can be reversed."))
        if current.reverses_id is not None:
            raise MoneyDocumentError(
                _("This document is itself a reversal; enter a new receipt or payment instead.")
            )
        day = date or timezone.localdate()
        if day < current.date:
            raise MoneyDocumentError(
                _("The reversal cannot be dated before the document it reverses."), field="date"
            )
        spec = BOOK_OF_MONEY_KIND[current.kind]
        reversal = MoneyDocument(
            org_id=current.org_id,
            number=next_number(org=current.org, kind=current.kind, on=day),
            kind=current.kind,
            status=MoneyDocument.Status.POSTED,
            party_id=current.party_id,
            date=day,
            amount=current.amount,
            method=current.method,
            reference=current.reference,
            notes=(reason or "").strip()[:5000]
            or _("Reverses %(number)s") % {"number": current.number},
            reverses=current,
            owner=actor if getattr(actor, "pk", None) else current.owner,
            posted_at=timezone.now(),
        )
        reversal._history_user = actor if getattr(actor, "pk", None) else None  # type: ignore[attr-defined]
        reversal.save()
        PartyLedgerEntry.objects.create(
            org_id=current.org_id,
            party_id=current.party_id,
            book=spec.book,
            date=day,
            amount=current.amount,
            money_document=reversal,
        )
        current.status = MoneyDocument.Status.REVERSED
        current.reversed_on = day
        current.version += 1
        current._history_user = reversal._history_user  # type: ignore[attr-defined]
        current.save()
    return reversal


def allocate_on_account(
    *,
    document: MoneyDocument,
    actor: Any,
    allocations: Iterable[Any],
    date: datetime.date | None = None,
) -> MoneyDocument:
    """Allocate (part of) the on-account remainder of a posted document; the ledger does
    not change. The allocations are dated `date` (today), not before the document."""
    from guanxi.finance.openitems import live_allocations

    with org_scope(document.org_id), transaction.atomic():
        current = MoneyDocument.objects.select_for_update().get(pk=document.pk)
        if current.status != MoneyDocument.Status.POSTED or current.reverses_id is not None:
            raise MoneyDocumentError(_("Only a posted receipt or payment can be allocated."))
        spec = BOOK_OF_MONEY_KIND[current.kind]
        inputs, errors = parse_allocations(allocations)
        day = max(date or timezone.localdate(), current.date)
        if not inputs and not errors:
            errors["allocations"] = [_("Allocate at least one amount.")]
        if not errors:
            _lock_targets(current, inputs)
            allocated = sum(
                live_allocations(LATEST)
                .filter(money_document=current)
                .values_list("amount", flat=True),
                ZERO,
            )
            _check_allocations(
                spec,
                current.party_id,
                current.amount,
                inputs,
                errors,
                available=current.amount - allocated,
            )
        if errors:
            raise ValidationError(errors)
        _write_allocations(current, inputs, day)
        current.version += 1
        current._history_user = actor if getattr(actor, "pk", None) else None  # type: ignore[attr-defined]
        current.save(update_fields=["version", "updated_at"])
    return current


def suggest_oldest_first(
    *, org: Organisation | int, kind: str, party: Party | int, amount: Any
) -> list[AllocationInput]:
    """Allocate `amount` to the party's open documents, oldest first (by date, then
    number); what is left stays on account. Orders are never suggested."""
    spec = BOOK_OF_MONEY_KIND[kind]
    try:
        left = _money(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        return []
    party_id = party.pk if isinstance(party, Party) else int(party)
    result: list[AllocationInput] = []
    with org_scope(org):
        items: Any = document_items(spec, LATEST)
        docs = (
            items.filter(party_id=party_id, kind=spec.debit_kind)
            .order_by("date", "id")
            .values_list("pk", "open_amount")
        )
        for pk, raw in docs:
            open_amount = _decimal(raw)
            if left <= 0:
                break
            if open_amount <= 0:
                continue
            take = min(left, open_amount)
            result.append(AllocationInput("stock_document", pk, take))
            left -= take
    return result
