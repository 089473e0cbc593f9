"""Balances of the party ledger: what a customer owes us, what we owe a supplier.

The one place other apps (order confirmation's credit check, the 360 page, ageing) read
a party's balance from.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from guanxi.finance.models import PartyLedgerEntry
from guanxi.parties.models import Party

RECEIVABLE = PartyLedgerEntry.Book.RECEIVABLE
PAYABLE = PartyLedgerEntry.Book.PAYABLE
CENT = Decimal("0.01")


def party_balance(party: Party, book: str = RECEIVABLE) -> Decimal:
    """Return the party's balance in `book` (positive: it owes us / we owe it)."""
    total = PartyLedgerEntry.objects.filter(party=party, book=book).aggregate(s=Sum("amount"))["s"]
    return Decimal("0.00") if total is None else Decimal(total).quantize(CENT)
