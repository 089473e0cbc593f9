"""Forms of the quote, order and purchase order pages.

The forms parse what a member typed and check what they may pick (customers, contacts,
warehouses they may see); every business rule — prices, discounts, products usable on a
new document — is checked once, by guanxi.sales.documents_services, whose field errors
the views put back on these forms (line errors `lines.<i>.<field>` on the line rows).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guanxi.parties.models import Contact, Party
from guanxi.parties.selectors import visible_contacts, visible_parties
from guanxi.sales.models import Order, PurchaseOrder, Quote
from guanxi.web.forms import StyledFormMixin

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DECIMAL_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "class": "text-end"}


def _number_input(**extra: Any) -> forms.TextInput:
    return forms.TextInput(attrs={**DECIMAL_ATTRS, **extra})


# --- lines --------------------------------------------------------------------------------


class LineForm(StyledFormMixin, forms.Form):
    """One row of the line editor. Numbers stay text here: the service parses them."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    product = forms.CharField(
        required=False, widget=forms.HiddenInput(attrs={"data-line-product": ""})
    )
    product_label = forms.CharField(
        label=_("Product"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "data-line-search": "",
                "autocomplete": "off",
                "placeholder": _("Code, name, model or pinyin…"),
            }
        ),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("Description (optional)")}),
    )
    quantity = forms.CharField(
        label=_("Quantity"), required=False, widget=_number_input(**{"data-line-quantity": ""})
    )
    unit_price = forms.CharField(
        label=_("Unit price"), required=False, widget=_number_input(**{"data-line-price": ""})
    )
    discount_percent = forms.CharField(
        label=_("Discount (%)"),
        required=False,
        widget=_number_input(**{"data-line-discount": ""}),
    )
    tax_rate = forms.CharField(
        label=_("Tax rate (%)"), required=False, widget=_number_input(**{"data-line-tax": ""})
    )

    price_field = "unit_price"

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not (data.get("product") or data.get("quantity") or data.get("id"))

    def service_row(self) -> dict[str, Any]:
        data = self.cleaned_data
        row: dict[str, Any] = {
            "product": (data.get("product") or "").strip() or None,
            "quantity": (data.get("quantity") or "").strip(),
            self.price_field: (data.get(self.price_field) or "").strip(),
            "discount_percent": (data.get("discount_percent") or "").strip(),
            "tax_rate": (data.get("tax_rate") or "").strip(),
            "description": data.get("description") or "",
        }
        if data.get("id"):
            row["id"] = data["id"]
        return row


class PurchaseLineForm(LineForm):
    """A purchase line: list price and discount; the unit price is computed."""

    unit_price = None  # type: ignore[assignment]
    list_price = forms.CharField(
        label=_("List price"), required=False, widget=_number_input(**{"data-line-price": ""})
    )

    price_field = "list_price"

    field_order = (
        "id",
        "product",
        "product_label",
        "description",
        "quantity",
        "list_price",
        "discount_percent",
        "tax_rate",
    )


LineFormSet = formset_factory(LineForm, extra=0, can_delete=True, max_num=500, validate_max=True)
PurchaseLineFormSet = formset_factory(
    PurchaseLineForm, extra=0, can_delete=True, max_num=500, validate_max=True
)
LINES_PREFIX = "lines"


def line_initial(line: Any, *, purchase: bool = False) -> dict[str, Any]:
    """The editor row of an existing line."""
    product = line.product
    row = {
        "id": line.pk,
        "product": str(product.pk),
        "product_label": f"{product.code} {product.name}",
        "description": line.description,
        "quantity": format(line.quantity.normalize(), "f"),
        "discount_percent": format(line.discount_percent.normalize(), "f"),
        "tax_rate": format(line.tax_rate.normalize(), "f"),
    }
    if purchase:
        row["list_price"] = format(line.list_price, "f")
    else:
        row["unit_price"] = format(line.unit_price, "f")
    return row


def copied_line_initial(line: Any) -> dict[str, Any]:
    """An editor row copying a line of another document (no id: a new line)."""
    row = line_initial(line)
    row.pop("id")
    return row


def formset_rows(formset: Any) -> tuple[list[dict[str, Any]], list[int]]:
    """The service's line rows of a valid formset, and the form index of each row."""
    rows: list[dict[str, Any]] = []
    index: list[int] = []
    for number, form in enumerate(formset.forms):
        if formset.can_delete and formset._should_delete_form(form):
            continue
        if form.is_blank():
            continue
        rows.append(form.service_row())
        index.append(number)
    return rows, index


def put_line_errors(
    formset: Any, errors: dict[str, list[str]], index: list[int]
) -> tuple[dict[str, list[str]], list[str]]:
    """Put `lines.<i>.<field>` errors on the formset's rows.

    Return the errors that are not about lines, and the messages about the lines as a
    whole (shown above the editor).
    """
    rest: dict[str, list[str]] = {}
    general: list[str] = []
    for key, messages in errors.items():
        if key == "lines":
            general.extend(messages)
            continue
        if not key.startswith("lines."):
            rest[key] = messages
            continue
        parts = key.split(".", 2)
        try:
            form = formset.forms[index[int(parts[1])]]
        except (ValueError, IndexError):
            general.extend(messages)
            continue
        field = parts[2] if len(parts) > 2 else None
        if field == "product":
            field = "product_label"
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
    return rest, general


# --- header forms -----------------------------------------------------------------------


class _PartyPickingForm(StyledFormMixin, forms.Form):
    """A form with a customer (or supplier) picked through a search box."""

    party_field = "party"
    party_role = "customer"

    def __init__(self, *args: Any, membership: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership
        self._set_party_choices()

    def _bound_pk(self, name: str) -> Any:
        value = self.data.get(self.add_prefix(name)) if self.is_bound else self.initial.get(name)
        return getattr(value, "pk", value)

    def _parties(self) -> Any:
        return visible_parties(self.membership, role=self.party_role)

    def _set_party_choices(self) -> None:
        field = self.fields[self.party_field]
        pk = self._bound_pk(self.party_field)
        chosen = None
        if pk not in (None, ""):
            try:
                chosen = self._parties().filter(pk=int(pk)).first()
            except (TypeError, ValueError):
                chosen = None
        empty = (
            _("— choose a supplier —")
            if self.party_role == "supplier"
            else _("— choose a customer —")
        )
        field.widget.choices = [("", empty)] + (  # type: ignore[attr-defined]
            [(str(chosen.pk), str(chosen))] if chosen is not None else []
        )
        field.widget.attrs["data-testid"] = f"{self.party_field}-select"
        self.chosen_party = chosen
        if "contact" in self.fields:
            field.widget.attrs.update(
                {
                    "hx-get": reverse("sales:document_contact_options"),
                    "hx-trigger": "change",
                    "hx-target": "#id_contact",
                    "hx-include": "#id_contact",
                }
            )
            contacts: list[Contact] = []
            if chosen is not None:
                contacts = list(visible_contacts(self.membership).filter(party_id=chosen.pk)[:200])
            self.fields["contact"].widget.choices = [("", _("— no contact —"))] + [  # type: ignore[attr-defined]
                (str(c.pk), str(c)) for c in contacts
            ]

    def _clean_party(self) -> Party | None:
        pk = self.cleaned_data.get(self.party_field)
        if pk is None:
            return None
        party = self._parties().filter(pk=pk).first()
        if party is None:
            raise ValidationError(
                _("Choose a supplier you may see.")
                if self.party_role == "supplier"
                else _("Choose a customer you may see.")
            )
        return party

    def clean_contact(self) -> Contact | None:
        pk = self.cleaned_data.get("contact")
        if pk is None:
            return None
        contact = visible_contacts(self.membership).filter(pk=pk).first()
        if contact is None:
            raise ValidationError(_("Choose a contact you may see."))
        return contact


class QuoteForm(_PartyPickingForm):
    party = forms.IntegerField(label=_("Customer"), widget=forms.Select)
    contact = forms.IntegerField(label=_("Contact"), required=False, widget=forms.Select)
    date = forms.DateField(label=_("Date"), widget=DATE)
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DATE)
    terms = forms.CharField(
        label=_("Terms"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Delivery, payment and warranty terms printed on the quote."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    opportunity = forms.IntegerField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_party(self) -> Party | None:
        return self._clean_party()

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        result = {
            "party": data["party"].pk,
            "contact": data["contact"].pk if data.get("contact") else None,
            "date": data["date"],
            "valid_until": data.get("valid_until"),
            "terms": data.get("terms") or "",
            "notes": data.get("notes") or "",
        }
        if data.get("opportunity"):
            result["opportunity"] = data["opportunity"]
        return result

    @staticmethod
    def initial_for(quote: Quote) -> dict[str, Any]:
        return {
            "party": quote.party_id,
            "contact": quote.contact_id,
            "date": quote.date,
            "valid_until": quote.valid_until,
            "terms": quote.terms,
            "notes": quote.notes,
            "opportunity": quote.opportunity_id,
            "version": quote.version,
        }


def _warehouse_choices(org_id: int) -> list[tuple[str, Any]]:
    from guanxi.stock.models import Warehouse

    rows = Warehouse.objects.filter(org_id=org_id, is_active=True).order_by("code", "id")
    return [("", _("— no warehouse —"))] + [(str(w.pk), f"{w.code} {w.name}") for w in rows]


class OrderForm(_PartyPickingForm):
    party = forms.IntegerField(label=_("Customer"), widget=forms.Select)
    contact = forms.IntegerField(label=_("Contact"), required=False, widget=forms.Select)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Order.Kind.choices,
        help_text=_("A pre-order reserves stock in its warehouse for the customer when confirmed."),
    )
    date = forms.DateField(label=_("Date"), widget=DATE)
    delivery_date = forms.DateField(label=_("Delivery date"), required=False, widget=DATE)
    warehouse = forms.ChoiceField(label=_("Warehouse"), required=False)
    payment_terms = forms.CharField(label=_("Payment terms"), required=False, max_length=200)
    payment_due_days = forms.IntegerField(
        label=_("Payment due (days)"), min_value=0, max_value=3650, initial=30
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    opportunity = forms.IntegerField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, membership: Any, **kwargs: Any) -> None:
        super().__init__(*args, membership=membership, **kwargs)
        self.fields["warehouse"].choices = _warehouse_choices(membership.org_id)  # type: ignore[attr-defined]

    def clean_party(self) -> Party | None:
        return self._clean_party()

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        result = {
            "party": data["party"].pk,
            "contact": data["contact"].pk if data.get("contact") else None,
            "kind": data["kind"],
            "date": data["date"],
            "delivery_date": data.get("delivery_date"),
            "warehouse": data.get("warehouse") or None,
            "payment_terms": data.get("payment_terms") or "",
            "payment_due_days": data["payment_due_days"],
            "notes": data.get("notes") or "",
        }
        if data.get("opportunity"):
            result["opportunity"] = data["opportunity"]
        return result

    @staticmethod
    def initial_for(order: Order) -> dict[str, Any]:
        return {
            "party": order.party_id,
            "contact": order.contact_id,
            "kind": order.kind,
            "date": order.date,
            "delivery_date": order.delivery_date,
            "warehouse": order.warehouse_id,
            "payment_terms": order.payment_terms,
            "payment_due_days": order.payment_due_days,
            "notes": order.notes,
            "opportunity": order.opportunity_id,
            "version": order.version,
        }


class PurchaseOrderForm(_PartyPickingForm):
    party_field = "supplier"
    party_role = "supplier"

    supplier = forms.IntegerField(label=_("Supplier"), widget=forms.Select)
    date = forms.DateField(label=_("Date"), widget=DATE)
    expected_date = forms.DateField(label=_("Expected date"), required=False, widget=DATE)
    warehouse = forms.ChoiceField(label=_("Receiving warehouse"), required=False)
    payment_due_days = forms.IntegerField(
        label=_("Payment due (days)"), min_value=0, max_value=3650, initial=30
    )
    contract_terms = forms.CharField(
        label=_("Contract terms"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, membership: Any, **kwargs: Any) -> None:
        super().__init__(*args, membership=membership, **kwargs)
        self.fields["warehouse"].choices = _warehouse_choices(membership.org_id)  # type: ignore[attr-defined]

    def clean_supplier(self) -> Party | None:
        return self._clean_party()

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "date": data["date"],
            "expected_date": data.get("expected_date"),
            "warehouse": data.get("warehouse") or None,
            "payment_due_days": data["payment_due_days"],
            "contract_terms": data.get("contract_terms") or "",
            "notes": data.get("notes") or "",
        }

    @staticmethod
    def initial_for(po: PurchaseOrder) -> dict[str, Any]:
        return {
            "supplier": po.supplier_id,
            "date": po.date,
            "expected_date": po.expected_date,
            "warehouse": po.warehouse_id,
            "payment_due_days": po.payment_due_days,
            "contract_terms": po.contract_terms,
            "notes": po.notes,
            "version": po.version,
        }


# --- actions ------------------------------------------------------------------------------


class CancelOrderForm(StyledFormMixin, forms.Form):
    cancel_reason = forms.CharField(label=_("Reason"), max_length=200)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class SendQuoteForm(StyledFormMixin, forms.Form):
    ATTACH_CHOICES = (("pdf", _("PDF")), ("html", _("Web page (HTML)")))

    to = forms.CharField(
        label=_("To"),
        max_length=500,
        help_text=_("Separate several addresses with commas."),
    )
    cc = forms.CharField(label=_("Cc"), required=False, max_length=500)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}))
    attach = forms.ChoiceField(label=_("Attach the quote as"), choices=ATTACH_CHOICES)


# --- list filters -------------------------------------------------------------------------


class DocumentFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Number or customer…"), "autocomplete": "off"}
        ),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE)
    mine = forms.BooleanField(label=_("Mine only"), required=False)
    party = forms.IntegerField(required=False, widget=forms.HiddenInput)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        statuses: Any,
        kinds: Any = None,
        search_placeholder: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *list(statuses)]  # type: ignore[attr-defined]
        if kinds:
            self.fields["kind"].choices = [("", _("All kinds")), *list(kinds)]  # type: ignore[attr-defined]
        else:
            del self.fields["kind"]
        if search_placeholder:
            self.fields["q"].widget.attrs["placeholder"] = search_placeholder

    def filters(self) -> Any:
        from guanxi.sales.documents_selectors import DocumentFilters

        if not self.is_valid():
            return DocumentFilters()
        data = self.cleaned_data
        return DocumentFilters(
            q=data.get("q") or "",
            status=data.get("status") or "",
            kind=data.get("kind") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            mine=bool(data.get("mine")),
            party=data.get("party"),
        )
