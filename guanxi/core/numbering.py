"""Gap-free document numbers per organisation, kind and year, e.g. QT-2026-00001."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils.functional import Promise

from guanxi.core.models import DocumentNumberFormat, NumberSequence, Organisation
from guanxi.core.scoping import org_scope


@dataclass(frozen=True)
class DocumentKind:
    key: str
    label: str | Promise
    default_prefix: str
    width: int = 5


_KINDS: dict[str, DocumentKind] = {}


def register_document_kind(key: str, label: str | Promise, default_prefix: str) -> DocumentKind:
    """Declare a kind of numbered document (apps call this from their AppConfig.ready)."""
    kind = DocumentKind(key=key, label=label, default_prefix=default_prefix)
    _KINDS[key] = kind
    return kind


def document_kinds() -> list[DocumentKind]:
    return sorted(_KINDS.values(), key=lambda k: k.key)


def next_number(*, org: Organisation, kind: str, on: date) -> str:
    """Allocate the next number of `kind` for `org` in the year of `on`.

    Call it inside the transaction that saves the document: if that transaction rolls
    back, so does the counter, which is what keeps the sequence free of gaps. Concurrent
    callers queue on the counter row (a row lock on PostgreSQL, the IMMEDIATE write lock
    on SQLite), so no number is handed out twice.

    Raise KeyError if `kind` was never registered.
    """
    registered = _KINDS[kind]
    with org_scope(org), transaction.atomic():
        # Create the counter if missing without racing another creator.
        NumberSequence.objects.bulk_create(
            [NumberSequence(org_id=org.pk, kind=kind, year=on.year, last_value=0)],
            ignore_conflicts=True,
        )
        NumberSequence.objects.filter(kind=kind, year=on.year).update(
            last_value=F("last_value") + 1
        )
        value = NumberSequence.objects.get(kind=kind, year=on.year).last_value
        fmt = DocumentNumberFormat.objects.filter(kind=kind).first()
    prefix = fmt.prefix if fmt else registered.default_prefix
    width = fmt.width if fmt else registered.width
    return f"{prefix}-{on.year}-{value:0{width}d}"
