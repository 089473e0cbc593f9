"""Big-deal alerts (C11): a deal at or above the organisation's threshold tells its managers.

`notify_big_deal` is shared by opportunities (created, or their amount raised) and by
orders: it reads `SalesSettings.big_deal_threshold` and sends an in-app notification
(guanxi.activities Notification) to every active administrator and manager of the
organisation except the person who made the change. Each record and amount notifies a
manager once: saving the same amount again, or a job running twice, adds nothing; raising
the amount further notifies again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Model, Q
from django.utils import translation
from django.utils.translation import gettext as _

from guanxi.core.scoping import org_pk, org_scope
from guanxi.sales.settings_services import sales_settings


def big_deal_threshold(org: Any) -> Decimal | None:
    """The organisation's threshold, or None when big-deal alerts are off."""
    return sales_settings(org).big_deal_threshold


def is_big_deal(org: Any, amount: Decimal | None) -> bool:
    threshold = big_deal_threshold(org)
    return threshold is not None and amount is not None and amount >= threshold


def alert_recipients(org: Any, *, exclude_user_id: Any = None) -> list[tuple[int, str]]:
    """(user id, preferred language) of the active administrators and managers."""
    from guanxi.accounts.models import Membership, Role

    with org_scope(org):
        members = Membership.objects.filter(org_id=org_pk(org), is_active=True).filter(
            Q(role__is_admin=True) | Q(role__code=Role.Code.MANAGER)
        )
        if exclude_user_id is not None:
            members = members.exclude(user_id=exclude_user_id)
        return list(members.order_by("user_id").values_list("user_id", "user__language"))


def _label(record: Model) -> str:
    kind = str(record._meta.verbose_name)
    return f"{kind[:1].upper()}{kind[1:]} “{record}”"


def notify_big_deal(
    org: Any, record: Model, amount: Decimal | None, url: str, *, actor: Any = None
) -> int:
    """Notify the managers that `record` (an opportunity, an order …) is worth `amount`.

    Does nothing when the organisation has no threshold or `amount` is below it. Returns
    how many notifications were created. The message is written in each recipient's
    language (their account's, else the organisation's).
    """
    from guanxi.activities.models import Notification
    from guanxi.activities.services import notify
    from guanxi.core.models import Organisation

    threshold = big_deal_threshold(org)
    if threshold is None or amount is None or amount < threshold:
        return 0
    organisation = org if isinstance(org, Organisation) else Organisation.objects.get(pk=org)
    exclude = getattr(actor, "pk", actor)
    created = 0
    key = f"big_deal:{record._meta.label_lower}:{record.pk}:{amount:.2f}"
    for user_id, language in alert_recipients(organisation, exclude_user_id=exclude):
        with translation.override(language or organisation.language or "zh-hans"):
            title = _("Big deal: %(record)s, %(amount)s %(currency)s") % {
                "record": _label(record),
                "amount": f"{amount:,.2f}",
                "currency": organisation.currency,
            }
            body = _(
                "The amount is at or above the big-deal threshold of %(threshold)s "
                "%(currency)s set in the sales settings."
            ) % {
                "threshold": f"{threshold:,.2f}",
                "currency": organisation.currency,
            }
        if notify(
            org_id=organisation.pk,
            user_id=user_id,
            kind=Notification.Kind.INFO,
            title=title,
            body=body,
            url=url,
            dedupe_key=key,
        ):
            created += 1
    return created
