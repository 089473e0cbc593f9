"""PDF copies of quotes and orders, rendered by WeasyPrint from the print view's HTML.

WeasyPrint needs Pango and its fonts at run time; Chinese text needs a CJK font (the
print stylesheet asks for Noto Sans CJK / Noto Serif CJK, Debian's `fonts-noto-cjk`).
When the library or its system libraries are missing, `pdf_available()` is False and
the pages offer the print view (browser "print to PDF") instead: `render_pdf` raises
PdfUnavailable then.

The renderer fetches nothing from the network: stylesheets and images are read from the
static files, every other URL is refused.
"""

from __future__ import annotations

import logging
import mimetypes
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils.translation import gettext as _

from guanxi.core.exceptions import DomainError

logger = logging.getLogger("guanxi.sales")


class PdfUnavailable(DomainError):
    status_code = 503
    code = "pdf_unavailable"


@lru_cache(maxsize=1)
def _weasyprint() -> Any:
    """The weasyprint module, or None when it (or Pango, cairo …) cannot be loaded."""
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: a missing shared library
        logger.warning("WeasyPrint is not usable, PDF downloads are off: %s", error)
        return None
    return weasyprint


def pdf_available() -> bool:
    return _weasyprint() is not None


def static_file_for(url: str) -> Path:
    """The static file a `/static/…` URL names; ValueError for any other URL."""
    path = url
    for prefix in ("http://pdf.local", "https://pdf.local"):
        if path.startswith(prefix):
            path = path[len(prefix) :]
    static_url = settings.STATIC_URL or "/static/"
    if not path.startswith(static_url):
        raise ValueError(f"refused to fetch {url!r} while rendering a PDF")
    relative = path[len(static_url) :].split("?", 1)[0].split("#", 1)[0]
    found = finders.find(relative)
    if isinstance(found, list):
        found = found[0] if found else None
    if not found and settings.STATIC_ROOT:
        candidate = Path(settings.STATIC_ROOT) / relative
        found = str(candidate) if candidate.is_file() else None
    if not found:
        raise ValueError(f"static file {relative!r} not found")
    return Path(found)


def _fetcher(weasyprint: Any) -> Any:
    """A WeasyPrint URL fetcher that reads static files and fetches nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            file_path = static_file_for(url)
            mime_type, _encoding = mimetypes.guess_type(file_path.name)
            return URLFetcherResponse(
                url,
                body=file_path.read_bytes(),
                headers={"Content-Type": mime_type or "application/octet-stream"},
            )

    return StaticOnlyFetcher()


def render_pdf(html: str) -> bytes:
    """The PDF of `html` (a complete page). Raise PdfUnavailable without WeasyPrint."""
    weasyprint = _weasyprint()
    if weasyprint is None:
        raise PdfUnavailable(
            _(
                "PDF is not available on this server (WeasyPrint or its libraries are "
                "missing). Use the print view and your browser's “Save as PDF” instead."
            )
        )
    document = weasyprint.HTML(
        string=html, base_url="http://pdf.local/", url_fetcher=_fetcher(weasyprint)
    )
    return bytes(document.write_pdf())


def print_context(document: Any) -> dict[str, Any]:
    """What the print view and the PDF show of a quote, order or purchase order."""
    from guanxi.sales.models import Order, PurchaseOrder, Quote

    org = document.org
    if isinstance(document, Quote):
        kind, title = "quote", _("Quote")
        party, terms = document.party, document.terms
    elif isinstance(document, Order):
        kind = "order"
        title = _("Pre-order") if document.kind == Order.Kind.PREORDER else _("Sales order")
        party, terms = document.party, document.payment_terms
    elif isinstance(document, PurchaseOrder):
        kind, title = "purchase_order", _("Purchase order")
        party, terms = document.supplier, document.contract_terms
    else:  # pragma: no cover - only the three document kinds are printed
        raise TypeError(type(document).__name__)
    lines = list(document.lines.all())
    lines.sort(key=lambda line: (line.position, line.pk))
    return {
        "document": document,
        "kind": kind,
        "title": title,
        "org": org,
        "party": party,
        "contact": getattr(document, "contact", None),
        "lines": lines,
        "terms": terms,
        "currency": getattr(org, "currency", "CNY"),
    }


def document_html(document: Any, *, for_pdf: bool = True) -> str:
    """The print view's HTML of `document` (a complete page, in the current language)."""
    from django.template.loader import render_to_string

    context = print_context(document)
    context["for_pdf"] = for_pdf
    return render_to_string("sales/documents/print.html", context)
