"""Export of the sales and purchase detail ledgers to CSV and XLSX.

What is exported is what the member sees on the page (the same filters and visibility),
and only with the export permission on stock documents. Text cells that a spreadsheet
would run as a formula get a leading quote (guanxi.parties.exporting.neutralise).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.parties.exporting import FORMATS, neutralise
from guanxi.stock.models import StockDocumentLine

CHUNK = 500


def columns(ledger: str) -> list[tuple[str, str]]:
    cols = [
        ("date", _("Date")),
        ("number", _("Document")),
        ("kind", _("Kind")),
        ("party", _("Customer") if ledger == "sales" else _("Supplier")),
        ("product_code", _("Product code")),
        ("product", _("Product")),
        ("quantity", _("Quantity")),
        ("unit_price", _("Unit price")),
        ("discount_percent", _("Discount (%)")),
        ("net", _("Net amount")),
        ("tax", _("Tax")),
        ("total", _("Total")),
    ]
    if ledger == "sales":
        cols += [("cost", _("Cost")), ("gross_profit", _("Gross profit"))]
    cols.append(("owner", _("Owner")))
    return cols


def row_values(line: Any, ledger: str) -> list[Any]:
    doc = line.document
    values = [
        doc.date,
        doc.number,
        doc.get_kind_display() + (" ↺" if doc.reverses_id else ""),
        str(doc.party) if doc.party_id else "",
        line.product.code,
        line.product.name,
        line.signed_quantity,
        line.unit_price,
        line.discount_percent,
        line.signed_net,
        line.signed_tax,
        line.signed_total,
    ]
    if ledger == "sales":
        values += [line.signed_cost, line.gross_profit]
    values.append(str(doc.owner) if doc.owner_id else "")
    return values


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if value is None:
        return ""
    return str(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _filename(ledger: str, extension: str) -> str:
    stem = "sales-ledger" if ledger == "sales" else "purchase-ledger"
    return f"{stem}-{timezone.localtime():%Y%m%d-%H%M}.{extension}"


def _rows(lines: QuerySet[StockDocumentLine]) -> Iterator[Any]:
    return lines.order_by("document__date", "id").iterator(chunk_size=CHUNK)


def csv_response(lines: QuerySet[StockDocumentLine], ledger: str) -> StreamingHttpResponse:
    header = [label for _key, label in columns(ledger)]

    def chunks() -> Iterator[bytes]:
        writer = csv.writer(_Echo())
        yield ("\ufeff" + writer.writerow(header)).encode("utf-8")
        batch: list[str] = []
        for line in _rows(lines):
            batch.append(writer.writerow([neutralise(_text(v)) for v in row_values(line, ledger)]))
            if len(batch) >= 200:
                yield "".join(batch).encode("utf-8")
                batch = []
        if batch:
            yield "".join(batch).encode("utf-8")

    response = StreamingHttpResponse(chunks(), content_type=FORMATS["csv"])
    response["Content-Disposition"] = f'attachment; filename="{_filename(ledger, "csv")}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def xlsx_response(lines: QuerySet[StockDocumentLine], ledger: str) -> FileResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    title = _("Sales ledger") if ledger == "sales" else _("Purchase ledger")
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([label for _key, label in columns(ledger)])
    for line in _rows(lines):
        sheet.append([neutralise(v) if isinstance(v, str) else v for v in row_values(line, ledger)])
    handle = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    response = FileResponse(
        handle, as_attachment=True, filename=_filename(ledger, "xlsx"), content_type=FORMATS["xlsx"]
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
