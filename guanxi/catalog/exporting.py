"""Exporting products to CSV and XLSX (D3).

What is exported is what the member sees, narrowed by the list's filters
(`guanxi.catalog.filters.filter_products`), and only with the `export` permission.
The headers are the ones the import recognises, so an exported file imports back. Text
cells are formula-neutralised like the customer export (`guanxi.parties.exporting.neutralise`):
a cell starting with =, +, -, @, a tab or a carriage return gets a leading quote.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.catalog.filters import filter_products
from guanxi.catalog.importing import CUSTOM_PREFIX, category_paths, export_header
from guanxi.catalog.models import Product
from guanxi.catalog.selectors import PRODUCT, visible_products
from guanxi.core.custom_fields import active_fields, display_value
from guanxi.core.models import CustomField
from guanxi.core.permissions import EXPORT, MembershipLike, require_perm
from guanxi.core.scoping import org_scope
from guanxi.parties.exporting import neutralise

FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PRODUCT_KEYS: tuple[str, ...] = (
    "code",
    "name",
    "model",
    "spec",
    "unit",
    "kind",
    "category",
    "brand",
    "list_price",
    "cost_price",
    "tax_rate",
    "barcode",
    "allow_backorder",
    "serial_tracked",
    "warranty_type",
    "warranty_months",
    "reorder_level",
    "reorder_quantity",
    "preferred_supplier",
    "description",
)
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def export_queryset(membership: MembershipLike | None, params: Any = None) -> QuerySet[Product]:
    """The products to export: visible and filtered like the list. PermissionDenied
    without the export permission."""
    require_perm(membership, EXPORT, PRODUCT)
    queryset = visible_products(membership)
    if membership is None:
        return queryset
    return filter_products(queryset, params or {}, org_id=membership.org_id)


class ProductRows:
    """The header and the rows of an export, read in one query (plus the custom fields)."""

    def __init__(self, queryset: QuerySet[Product], org_id: int) -> None:
        self.org_id = org_id
        self.queryset = queryset.select_related("brand", "preferred_supplier").order_by(
            "code", "id"
        )
        with org_scope(org_id):
            self.custom = active_fields(org_id, CustomField.Target.PRODUCT)
            self.paths = {pk: " / ".join(path) for path, pk in category_paths(org_id).items()}
        self.headers = [export_header(k) for k in PRODUCT_KEYS] + [f.label for f in self.custom]

    def rows(self) -> Iterator[list[Any]]:
        with org_scope(self.org_id):
            for product in self.queryset.iterator(chunk_size=1000):
                yield self.row(product)

    def row(self, product: Product) -> list[Any]:
        values: list[Any] = []
        for key in PRODUCT_KEYS:
            if key == "category":
                values.append(
                    self.paths.get(product.category_id, "") if product.category_id else ""
                )
            elif key == "brand":
                values.append(product.brand.name if product.brand else "")
            elif key == "preferred_supplier":
                supplier = product.preferred_supplier
                values.append((supplier.short_name or supplier.name) if supplier else "")
            elif key == "kind":
                values.append(product.get_kind_display())
            elif key in ("allow_backorder", "serial_tracked"):
                values.append(_("Yes") if getattr(product, key) else _("No"))
            else:
                values.append(getattr(product, key))
        stored = product.custom_data or {}
        values += [display_value(f, stored.get(f.key)) for f in self.custom]
        return values


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return "" if value is None else str(value)


class _Line:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: ProductRows) -> Iterator[bytes]:
    """The CSV as UTF-8 byte chunks, with a BOM so Excel reads the Chinese correctly."""
    writer = csv.writer(_Line())
    yield ("\ufeff" + writer.writerow(rows.headers)).encode("utf-8")
    batch: list[str] = []
    for row in rows.rows():
        batch.append(writer.writerow([neutralise(_text(v)) for v in row]))
        if len(batch) >= 200:
            yield "".join(batch).encode("utf-8")
            batch = []
    if batch:
        yield "".join(batch).encode("utf-8")


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise(_ILLEGAL_XML.sub("", value))
    return value


def xlsx_file(rows: ProductRows) -> Any:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Products")[:31])
    sheet.append(rows.headers)
    for row in rows.rows():
        sheet.append([_xlsx_cell(v) for v in row])
    handle = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return handle


def export_response(queryset: QuerySet[Product], *, org_id: int, file_format: str) -> Any:
    rows = ProductRows(queryset, org_id)
    content_type = FORMATS[file_format]
    if file_format == "xlsx":
        response: Any = FileResponse(xlsx_file(rows), content_type=content_type)
    else:
        response = StreamingHttpResponse(csv_lines(rows), content_type=content_type)
    filename = f"products-{timezone.localtime():%Y%m%d-%H%M}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


__all__ = ["CUSTOM_PREFIX", "FORMATS", "export_queryset", "export_response"]
