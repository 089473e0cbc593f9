"""Exporting a report's whole result: CSV (UTF-8 with BOM, so Excel opens Chinese text
correctly) and XLSX (openpyxl, numbers as numbers). The rows are the member's own
(visibility applies), read in chunks up to engine.EXPORT_LIMIT."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from guanxi.analytics.reports.definition import Definition
from guanxi.analytics.reports.engine import headers, iter_rows, totals
from guanxi.core.permissions import MembershipLike

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Cells starting with these could run as formulas in a spreadsheet (CSV injection).
_FORMULA = re.compile(r"^[=+\-@\t\r]")


def _safe_text(value: Any) -> Any:
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def _rows(
    definition: Definition, membership: MembershipLike | None
) -> tuple[list[str], Any, list[Any]]:
    head = [h.label for h in headers(definition)]
    total_cells, _count = totals(definition, membership)
    return head, iter_rows(definition, membership), total_cells


def export_csv(
    definition: Definition, membership: MembershipLike | None, total_label: str
) -> bytes:
    head, rows, total_cells = _rows(definition, membership)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(head)
    for row in rows:
        writer.writerow(["" if c is None else _safe_text(c) for c in row.cells])
    writer.writerow(_total_row(total_cells, total_label))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _total_row(total_cells: list[Any], total_label: str) -> list[Any]:
    cells = ["" if c is None else c for c in total_cells]
    if cells and cells[0] == "":
        cells[0] = total_label
    return cells


def export_xlsx(
    definition: Definition, membership: MembershipLike | None, total_label: str, title: str
) -> bytes:
    head, rows, total_cells = _rows(definition, membership)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Report")
    sheet.append(head)
    for row in rows:
        sheet.append([_cell(c) for c in row.cells])
    sheet.append([_cell(c) for c in _total_row(total_cells, total_label)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    # openpyxl writes Decimal and int as numbers; text is guarded against formulas.
    if isinstance(value, (Decimal, int)):
        return value
    return _safe_text(value)
