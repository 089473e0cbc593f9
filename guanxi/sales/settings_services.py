"""The organisation's sales settings (SalesSettings): read them, change them.

One row per organisation, created on first use. Pages, the API and other services
(big-deal alerts, the credit check, quotes) read it through `sales_settings`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.utils.translation import gettext as _

from guanxi.core.scoping import org_pk, org_scope
from guanxi.sales.models import SalesSettings

# The columns `update_sales_settings` may write (every editable field but the organisation).
SETTINGS_FIELDS: frozenset[str] = frozenset(
    f.name
    for f in SalesSettings._meta.concrete_fields
    if f.editable and f.name not in {"id", "org"}
)


def sales_settings(org: Any) -> SalesSettings:
    """Return the organisation's sales settings, creating the row on first use."""
    org_id = org_pk(org)
    with org_scope(org_id):
        try:
            with transaction.atomic():
                # The encrypted password field stores "" as NULL, which its NOT NULL column
                # refuses: insert the empty text as an SQL value instead.
                row, created = SalesSettings.objects.get_or_create(
                    org_id=org_id, defaults={"smtp_password": Value("")}
                )
                if created:
                    row.smtp_password = ""
        except IntegrityError:  # created at the same moment by another request
            row = SalesSettings.objects.get(org_id=org_id)
        return row


@transaction.atomic
def update_sales_settings(*, org: Any, actor: Any, data: dict[str, Any]) -> SalesSettings:
    """Change some of the sales settings. Raise ValidationError with field messages."""
    unknown = set(data) - SETTINGS_FIELDS
    if unknown:
        raise ValidationError(
            {name: [_("This field cannot be changed here.")] for name in sorted(unknown)}
        )
    row = sales_settings(org)
    for name, value in data.items():
        setattr(row, name, value)
    errors: dict[str, list[str]] = {}
    try:
        row.full_clean(exclude=["org"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors.update(error.message_dict)
    threshold = row.big_deal_threshold
    if threshold is not None and threshold <= Decimal("0") and "big_deal_threshold" not in errors:
        errors["big_deal_threshold"] = [
            _("Enter an amount above zero, or leave it empty to switch the alerts off.")
        ]
    if row.quote_valid_days is not None and row.quote_valid_days < 1:
        errors.setdefault("quote_valid_days", []).append(_("Quotes are valid for at least a day."))
    if errors:
        raise ValidationError(errors)
    with org_scope(row.org_id):
        row.save(update_fields=sorted(data))
    return row
