"""The reportable objects (H4): what a report may be built on, and the only fields it may read.

Each `ReportObject` names the permission object type whose visibility narrows its rows,
a function returning the rows a member may see, and its columns. A column is a
whitelisted ORM path (or a fixed expression) with a label and a type; a report
definition names columns by `key` only, so no field path from the outside is ever
queried. Custom fields and customer metrics add columns per organisation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.apps import apps
from django.db.models import DecimalField, Expression, F, QuerySet, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import MembershipLike

TEXT, NUMBER, MONEY, DATE, CHOICE = "text", "number", "money", "date", "choice"
COLUMN_TYPES = (TEXT, NUMBER, MONEY, DATE, CHOICE)
NUMERIC_TYPES = (NUMBER, MONEY)


@dataclass(frozen=True)
class Column:
    """One whitelisted column of a reportable object."""

    key: str
    label: str | Promise
    path: str
    type: str = TEXT
    choices: tuple[tuple[str, Any], ...] = ()
    # A DateTimeField (compared and grouped by its local date), not a DateField.
    is_datetime: bool = False
    # Built instead of `path` (custom fields); annotated under the column's alias.
    expression: Callable[[], Expression] | None = None
    group: str = "fields"  # "fields", "custom" or "metrics": where the designer lists it

    @property
    def numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def alias(self) -> str:
        return f"c__{self.key}"

    def choice_label(self, value: Any) -> str:
        for stored, label in self.choices:
            if stored == value:
                return str(label)
        return "" if value is None else str(value)


@dataclass(frozen=True)
class ReportObject:
    key: str
    label: str | Promise
    object_type: str  # the permission object type behind the rows
    rows: Callable[[MembershipLike | None], QuerySet[Any]]
    columns: tuple[Column, ...]
    default_columns: tuple[str, ...]
    custom_field_target: str | None = None
    with_metrics: bool = False
    description: str | Promise = ""
    extra: dict[str, Any] = field(default_factory=dict)


_OBJECTS: dict[str, ReportObject] = {}


def register_report_object(obj: ReportObject) -> ReportObject:
    _OBJECTS[obj.key] = obj
    return obj


def report_objects() -> list[ReportObject]:
    return list(_OBJECTS.values())


def report_object(key: str) -> ReportObject | None:
    return _OBJECTS.get(key)


# --- per-organisation columns -------------------------------------------------------------

# The customer metrics (analytics.CustomerMetrics, `party.metrics`), when that model exists.
METRIC_COLUMNS: tuple[tuple[str, Any, str], ...] = (
    ("rfm_segment", _("RFM segment"), CHOICE),
    ("value_tier", _("Value tier"), CHOICE),
    ("value_quadrant", _("Value quadrant"), CHOICE),
    ("lifecycle_stage", _("Lifecycle stage"), CHOICE),
    ("r_score", _("R score"), NUMBER),
    ("f_score", _("F score"), NUMBER),
    ("m_score", _("M score"), NUMBER),
    ("monetary", _("Monetary value"), MONEY),
    ("gross_profit", _("Gross profit (metrics)"), MONEY),
    ("frequency", _("Purchases"), NUMBER),
    ("recency_days", _("Days since last purchase"), NUMBER),
    ("last_purchase", _("Last purchase"), DATE),
    ("p_alive", _("Probability still active"), NUMBER),
    ("churn_risk", _("Churn risk"), NUMBER),
    ("expected_value_12m", _("Expected value, next 12 months"), MONEY),
)


def _metrics_model() -> Any:
    try:
        return apps.get_model("analytics", "CustomerMetrics")
    except LookupError:
        return None


def metric_columns(prefix: str) -> list[Column]:
    model = _metrics_model()
    if model is None:
        return []
    names = {f.name: f for f in model._meta.get_fields()}
    columns = []
    for name, label, type_ in METRIC_COLUMNS:
        model_field = names.get(name)
        if model_field is None:
            continue
        choices = tuple(getattr(model_field, "choices", None) or ())
        if type_ == CHOICE and not choices:
            type_ = TEXT
        columns.append(
            Column(
                f"metrics_{name}",
                label,
                f"{prefix}metrics__{name}",
                type_,
                choices=choices,
                group="metrics",
            )
        )
    return columns


def custom_columns(org_id: int, target: str, prefix: str = "") -> list[Column]:
    from guanxi.core.custom_fields import active_fields
    from guanxi.core.models import CustomField

    FT = CustomField.FieldType
    columns = []
    for cf in active_fields(org_id, target):
        source = f"{prefix}custom_data"
        key = cf.key

        def text(key: str = key, source: str = source) -> Expression:
            return Cast(KeyTextTransform(key, source), TextField())

        def number(key: str = key, source: str = source) -> Expression:
            return Cast(
                KeyTextTransform(key, source), DecimalField(max_digits=30, decimal_places=4)
            )

        if cf.field_type == FT.NUMBER:
            columns.append(
                Column(f"cf_{key}", cf.label, "", NUMBER, expression=number, group="custom")
            )
        elif cf.field_type == FT.CHOICE:
            choices = tuple((c, c) for c in cf.choices or [])
            columns.append(
                Column(f"cf_{key}", cf.label, "", CHOICE, choices, expression=text, group="custom")
            )
        elif cf.field_type in (FT.TEXT, FT.DATE):
            # Dates are stored as ISO text: they sort and compare correctly as text.
            columns.append(Column(f"cf_{key}", cf.label, "", TEXT, expression=text, group="custom"))
    return columns


def columns_for(obj: ReportObject, org_id: int) -> list[Column]:
    """Every column a report on `obj` may use in organisation `org_id`."""
    columns = list(obj.columns)
    if obj.custom_field_target:
        prefix = obj.extra.get("custom_prefix", "")
        columns += custom_columns(org_id, obj.custom_field_target, prefix)
    if obj.with_metrics:
        columns += metric_columns(obj.extra.get("metrics_prefix", ""))
    return columns


def column_map(obj: ReportObject, org_id: int) -> dict[str, Column]:
    return {c.key: c for c in columns_for(obj, org_id)}


# --- the built-in objects -------------------------------------------------------------------


def _choices(model: Any, name: str) -> tuple[tuple[str, Any], ...]:
    return tuple(model._meta.get_field(name).choices or ())


def _user(key: str, label: Any, path: str) -> Column:
    # A user's name: their display name (the list pages show the same).
    return Column(key, label, f"{path}__display_name")


def _customers(membership: MembershipLike | None) -> QuerySet[Any]:
    from guanxi.parties.selectors import visible_parties

    return visible_parties(membership, role="customer")


def _contacts(membership: MembershipLike | None) -> QuerySet[Any]:
    from guanxi.parties.selectors import visible_contacts

    return visible_contacts(membership)


def _opportunities(membership: MembershipLike | None) -> QuerySet[Any]:
    from guanxi.sales.pipeline_selectors import visible_opportunities

    return visible_opportunities(membership)


def _orders(membership: MembershipLike | None) -> QuerySet[Any]:
    from guanxi.sales.documents_selectors import visible_orders

    return visible_orders(membership)


def _order_lines(membership: MembershipLike | None) -> QuerySet[Any]:
    from guanxi.sales.documents_selectors import visible_orders
    from guanxi.sales.models import OrderLine

    return OrderLine.objects.filter(order__in=visible_orders(membership).order_by().values("pk"))


def _activities(membership: MembershipLike | None) -> QuerySet[Any]:
    from guanxi.activities.selectors import visible_activities

    return visible_activities(membership)


def _expenses(membership: MembershipLike | None) -> QuerySet[Any]:
    from guanxi.activities.models import Activity

    return _activities(membership).filter(kind=Activity.Kind.EXPENSE)


def _sales_lines(membership: MembershipLike | None) -> QuerySet[Any]:
    from guanxi.analytics.facts import sales_lines
    from guanxi.stock.selectors import visible_documents

    return sales_lines().filter(document__in=visible_documents(membership).order_by().values("pk"))


def _party_columns(prefix: str, label: Any) -> tuple[Column, ...]:
    from guanxi.parties.models import Party

    return (
        Column("customer", label, f"{prefix}name"),
        Column("customer_province", _("Province"), f"{prefix}province"),
        Column("customer_city", _("City"), f"{prefix}city"),
        Column("customer_category", _("Customer category"), f"{prefix}category__name"),
        Column(
            "customer_level",
            _("Customer level"),
            f"{prefix}level",
            CHOICE,
            _choices(Party, "level"),
        ),
    )


def register_builtin_objects() -> None:
    from guanxi.activities.models import Activity
    from guanxi.parties.models import Contact, Party
    from guanxi.sales.models import Opportunity, Order
    from guanxi.stock.models import StockDocument

    register_report_object(
        ReportObject(
            key="customers",
            label=_("Customers"),
            object_type="party",
            rows=_customers,
            custom_field_target="party",
            with_metrics=True,
            default_columns=("name", "customer_type", "level", "province", "owner"),
            columns=(
                Column("name", _("Name"), "name"),
                Column("short_name", _("Short name"), "short_name"),
                Column("code", _("Code"), "code"),
                Column("category", _("Category"), "category__name"),
                Column(
                    "customer_type",
                    _("Type"),
                    "customer_type",
                    CHOICE,
                    _choices(Party, "customer_type"),
                ),
                Column("level", _("Level"), "level", CHOICE, _choices(Party, "level")),
                Column("source", _("Source"), "source", CHOICE, _choices(Party, "source")),
                _user("owner", _("Owner"), "owner"),
                Column("industry", _("Industry"), "industry"),
                Column("province", _("Province"), "province"),
                Column("city", _("City"), "city"),
                Column("mobile", _("Mobile"), "mobile"),
                Column("email", _("E-mail"), "email"),
                Column("credit_limit", _("Credit limit"), "credit_limit", MONEY),
                Column("created_at", _("Created"), "created_at", DATE, is_datetime=True),
                Column(
                    "last_contact_at", _("Last contact"), "last_contact_at", DATE, is_datetime=True
                ),
            ),
        )
    )
    register_report_object(
        ReportObject(
            key="contacts",
            label=_("Contacts"),
            object_type="contact",
            rows=_contacts,
            custom_field_target="contact",
            default_columns=("name", "customer", "role", "mobile", "email"),
            columns=(
                Column("name", _("Name"), "name"),
                *_party_columns("party__", _("Customer")),
                Column("role", _("Role"), "role"),
                Column("department", _("Department"), "department"),
                Column("gender", _("Gender"), "gender", CHOICE, _choices(Contact, "gender")),
                Column("mobile", _("Mobile"), "mobile"),
                Column("phone", _("Phone"), "phone"),
                Column("email", _("E-mail"), "email"),
                Column("birthday", _("Birthday"), "birthday", DATE),
                _user("owner", _("Customer owner"), "party__owner"),
                Column("created_at", _("Created"), "created_at", DATE, is_datetime=True),
            ),
        )
    )
    register_report_object(
        ReportObject(
            key="opportunities",
            label=_("Opportunities"),
            object_type="opportunity",
            rows=_opportunities,
            custom_field_target="opportunity",
            default_columns=("name", "customer", "stage", "amount", "close_date", "owner"),
            columns=(
                Column("name", _("Name"), "name"),
                *_party_columns("party__", _("Customer")),
                Column("stage", _("Stage"), "stage__name"),
                Column("status", _("Status"), "status", CHOICE, _choices(Opportunity, "status")),
                Column("probability", _("Probability (%)"), "probability", NUMBER),
                Column("amount", _("Expected amount"), "amount", MONEY),
                Column("close_date", _("Expected close date"), "close_date", DATE),
                Column("source", _("Source"), "source", CHOICE, _choices(Party, "source")),
                _user("owner", _("Owner"), "owner"),
                Column("created_at", _("Created"), "created_at", DATE, is_datetime=True),
                Column("closed_at", _("Closed"), "closed_at", DATE, is_datetime=True),
            ),
        )
    )
    register_report_object(
        ReportObject(
            key="orders",
            label=_("Orders"),
            object_type="order",
            rows=_orders,
            default_columns=("number", "date", "customer", "status", "total", "owner"),
            columns=(
                Column("number", _("Number"), "number"),
                Column("date", _("Date"), "date", DATE),
                *_party_columns("party__", _("Customer")),
                Column("kind", _("Kind"), "kind", CHOICE, _choices(Order, "kind")),
                Column("status", _("Status"), "status", CHOICE, _choices(Order, "status")),
                Column(
                    "delivery_status",
                    _("Delivery"),
                    "delivery_status",
                    CHOICE,
                    _choices(Order, "delivery_status"),
                ),
                _user("owner", _("Salesperson"), "owner"),
                Column("subtotal", _("Subtotal"), "subtotal", MONEY),
                Column("discount_total", _("Discount"), "discount_total", MONEY),
                Column("tax_total", _("Tax"), "tax_total", MONEY),
                Column("total", _("Total"), "total", MONEY),
                Column("delivery_date", _("Delivery date"), "delivery_date", DATE),
            ),
        )
    )
    register_report_object(
        ReportObject(
            key="order_lines",
            label=_("Order lines"),
            object_type="order",
            rows=_order_lines,
            default_columns=(
                "order",
                "order_date",
                "customer",
                "product",
                "quantity",
                "net_amount",
            ),
            columns=(
                Column("order", _("Order"), "order__number"),
                Column("order_date", _("Order date"), "order__date", DATE),
                Column(
                    "order_status",
                    _("Order status"),
                    "order__status",
                    CHOICE,
                    _choices(Order, "status"),
                ),
                *_party_columns("order__party__", _("Customer")),
                _user("owner", _("Salesperson"), "order__owner"),
                Column("product", _("Product"), "product__name"),
                Column("product_code", _("Product code"), "product__code"),
                Column("product_category", _("Product category"), "product__category__name"),
                Column("quantity", _("Quantity"), "quantity", NUMBER),
                Column("unit_price", _("Unit price"), "unit_price", MONEY),
                Column("discount_percent", _("Discount (%)"), "discount_percent", NUMBER),
                Column("net_amount", _("Net amount"), "net_amount", MONEY),
                Column("tax_amount", _("Tax"), "tax_amount", MONEY),
                Column("total_amount", _("Total"), "total_amount", MONEY),
                Column("delivered_quantity", _("Delivered"), "delivered_quantity", NUMBER),
            ),
        )
    )
    activity_columns = (
        Column("subject", _("Subject"), "subject"),
        *_party_columns("party__", _("Customer")),
        Column("contact", _("Contact"), "contact__name"),
        _user("owner", _("Owner"), "owner"),
        Column("start_at", _("Time"), "start_at", DATE, is_datetime=True),
    )
    register_report_object(
        ReportObject(
            key="activities",
            label=_("Activities"),
            object_type="activity",
            rows=_activities,
            default_columns=("subject", "kind", "customer", "owner", "start_at", "status"),
            columns=(
                *activity_columns,
                Column("kind", _("Kind"), "kind", CHOICE, _choices(Activity, "kind")),
                Column("status", _("Status"), "status", CHOICE, _choices(Activity, "status")),
                Column(
                    "priority", _("Priority"), "priority", CHOICE, _choices(Activity, "priority")
                ),
                Column("channel", _("Channel"), "channel", CHOICE, _choices(Activity, "channel")),
                Column("due_at", _("Due"), "due_at", DATE, is_datetime=True),
                Column("completed_at", _("Completed"), "completed_at", DATE, is_datetime=True),
                Column("created_at", _("Created"), "created_at", DATE, is_datetime=True),
            ),
        )
    )
    register_report_object(
        ReportObject(
            key="expenses",
            label=_("Expenses"),
            object_type="activity",
            rows=_expenses,
            default_columns=(
                "start_at",
                "owner",
                "expense_category",
                "customer",
                "subject",
                "amount",
            ),
            columns=(
                *activity_columns,
                Column(
                    "expense_category",
                    _("Expense category"),
                    "expense_category",
                    CHOICE,
                    _choices(Activity, "expense_category"),
                ),
                Column("amount", _("Amount"), "amount", MONEY),
                Column("currency", _("Currency"), "currency"),
            ),
        )
    )
    register_report_object(
        ReportObject(
            key="sales_lines",
            label=_("Sales (lines)"),
            object_type="stock_document",
            rows=_sales_lines,
            description=_(
                "Posted sales deliveries and returns (returns negative), net of tax: the "
                "sales statistics every analysis uses."
            ),
            default_columns=("date", "document", "customer", "product", "quantity", "net", "owner"),
            columns=(
                Column("date", _("Date"), "document__date", DATE),
                Column("document", _("Document"), "document__number"),
                Column(
                    "kind", _("Kind"), "document__kind", CHOICE, _choices(StockDocument, "kind")
                ),
                *_party_columns("document__party__", _("Customer")),
                _user("owner", _("Salesperson"), "document__owner"),
                Column("product", _("Product"), "product__name"),
                Column("product_code", _("Product code"), "product__code"),
                Column("product_category", _("Product category"), "product__category__name"),
                Column("brand", _("Brand"), "product__brand__name"),
                Column("quantity", _("Quantity"), "signed_quantity", NUMBER),
                Column("net", _("Net sales"), "signed_net", MONEY),
                Column("cost", _("Cost"), "signed_cost", MONEY),
                Column("gross_profit", _("Gross profit"), "gross_profit", MONEY),
            ),
        )
    )


def with_label(column: Column, label: Any) -> Column:
    return replace(column, label=label)


__all__ = [
    "CHOICE",
    "COLUMN_TYPES",
    "DATE",
    "MONEY",
    "NUMBER",
    "TEXT",
    "Column",
    "F",
    "ReportObject",
    "column_map",
    "columns_for",
    "register_builtin_objects",
    "register_report_object",
    "report_object",
    "report_objects",
]
