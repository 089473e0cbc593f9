"""Writes of the report designer: saved reports, ready-made reports and schedules."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope

from guanxi.analytics.registrations import ANALYTICS
from guanxi.analytics.reports.definition import check_definition
from guanxi.analytics.reports.models import ReportRecipient, ReportSchedule, SavedReport
from guanxi.core.permissions import VIEW, is_org_admin, require_perm
from guanxi.core.recycle_bin import move_to_recycle_bin
from guanxi.core.versioning import save_versioned

NAME_MAX = SavedReport._meta.get_field("name").max_length or 120
DESCRIPTION_MAX = SavedReport._meta.get_field("description").max_length or 500


def may_change(membership: Any, report: SavedReport) -> bool:
    """The owner changes their report; an administrator changes any (and the ready-made)."""
    if membership is None:
        return False
    if is_org_admin(membership):
        return True
    return report.owner_id is not None and report.owner_id == membership.user_id


def _header(membership: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = str(data.get("name") or "").strip()
    description = str(data.get("description") or "").strip()
    sharing = str(data.get("sharing") or SavedReport.Sharing.PRIVATE)
    if not name:
        errors["name"] = [_("Give the report a name.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("At most %(count)d characters.") % {"count": NAME_MAX}]
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = [_("At most %(count)d characters.") % {"count": DESCRIPTION_MAX}]
    if sharing not in SavedReport.Sharing.values:
        errors["sharing"] = [_("Choose who may see the report.")]
    elif sharing == SavedReport.Sharing.TEAM and membership.team_id is None:
        errors["sharing"] = [_("You are not in a team: share with the organisation instead.")]
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "description": description,
        "sharing": sharing,
        "team_id": membership.team_id if sharing == SavedReport.Sharing.TEAM else None,
    }


def _checked(membership: Any, definition: Any, header: Mapping[str, Any]) -> tuple[dict, dict]:
    """Check header and definition together, so every error is reported at once."""
    errors: dict[str, list[str]] = {}
    head: dict[str, Any] = {}
    checked = None
    try:
        head = _header(membership, header)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        checked = check_definition(definition, membership.org_id)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors or checked is None:
        raise ValidationError(errors)
    return head, checked.raw


@transaction.atomic
def create_report(membership: Any, *, definition: Any, data: Mapping[str, Any]) -> SavedReport:
    """Save a new report owned by the member. Raise ValidationError (field-level)."""
    require_perm(membership, VIEW, ANALYTICS)
    head, raw = _checked(membership, definition, data)
    with scope(org=membership.org_id):
        return SavedReport.objects.create(
            org_id=membership.org_id,
            owner_id=membership.user_id,
            object_key=raw["object"],
            definition=raw,
            **head,
        )


@transaction.atomic
def update_report(
    membership: Any,
    *,
    report: SavedReport,
    definition: Any,
    data: Mapping[str, Any],
    expected_version: int,
) -> SavedReport:
    """Change a report. Raise PermissionDenied (not the owner), StaleEdit (changed
    meanwhile), ValidationError (bad input; nothing written)."""
    if not may_change(membership, report):
        raise PermissionDenied
    head, raw = _checked(membership, definition, data)
    if report.builtin_key and head["sharing"] != SavedReport.Sharing.ORG:
        head["sharing"], head["team_id"] = SavedReport.Sharing.ORG, None
    for key, value in head.items():
        setattr(report, key, value)
    report.object_key = raw["object"]
    report.definition = raw
    with scope(org=report.org_id):
        return save_versioned(report, expected_version=expected_version)


@transaction.atomic
def delete_report(membership: Any, *, report: SavedReport) -> SavedReport:
    """Move the report to the recycle bin (its schedules stop)."""
    if not may_change(membership, report):
        raise PermissionDenied
    with scope(org=report.org_id):
        ReportSchedule.objects.filter(report=report).update(is_active=False)
        return move_to_recycle_bin(obj=report, actor=membership.user)  # type: ignore[return-value]


# --- ready-made reports ---------------------------------------------------------------------


def builtin_reports() -> list[dict[str, Any]]:
    """The ready-made reports every organisation gets (name, description, definition)."""
    money_sort = [{"field": "sum__net", "desc": True}]
    sales_totals = [
        {"func": "sum", "field": "net"},
        {"func": "sum", "field": "gross_profit"},
        {"func": "sum", "field": "quantity"},
        {"func": "count"},
    ]
    return [
        {
            "key": "customers",
            "name": _("Customer list"),
            "description": _("Every customer you may see, with type, level, region and owner."),
            "definition": {
                "object": "customers",
                "columns": [
                    "name",
                    "customer_type",
                    "level",
                    "category",
                    "province",
                    "city",
                    "owner",
                    "created_at",
                ],
                "sort": [{"field": "name"}],
            },
        },
        {
            "key": "contacts",
            "name": _("Contact list"),
            "description": _("Contacts with their customer, role, phone and e-mail."),
            "definition": {
                "object": "contacts",
                "columns": ["name", "customer", "role", "department", "mobile", "email", "owner"],
                "sort": [{"field": "customer"}],
            },
        },
        {
            "key": "opportunities",
            "name": _("Opportunity list"),
            "description": _("Opportunities with stage, expected amount and close date."),
            "definition": {
                "object": "opportunities",
                "columns": [
                    "name",
                    "customer",
                    "stage",
                    "status",
                    "probability",
                    "amount",
                    "close_date",
                    "owner",
                ],
                "sort": [{"field": "close_date"}],
            },
        },
        {
            "key": "sales",
            "name": _("Sales (lines)"),
            "description": _(
                "Every posted sales line (returns negative), net of tax, with cost and gross profit."
            ),
            "definition": {
                "object": "sales_lines",
                "columns": [
                    "date",
                    "document",
                    "customer",
                    "product",
                    "quantity",
                    "net",
                    "gross_profit",
                    "owner",
                ],
                "sort": [{"field": "date", "desc": True}],
            },
        },
        {
            "key": "sales_by_customer",
            "name": _("Sales statistics by customer"),
            "description": _("Net sales, gross profit and quantity per customer."),
            "definition": {
                "object": "sales_lines",
                "group_by": [{"field": "customer"}],
                "aggregates": sales_totals,
                "sort": money_sort,
                "chart": "bar",
            },
        },
        {
            "key": "sales_by_person",
            "name": _("Sales statistics by salesperson"),
            "description": _("Net sales, gross profit and quantity per salesperson."),
            "definition": {
                "object": "sales_lines",
                "group_by": [{"field": "owner"}],
                "aggregates": sales_totals,
                "sort": money_sort,
                "chart": "bar",
            },
        },
        {
            "key": "sales_by_product",
            "name": _("Sales statistics by product"),
            "description": _("Net sales, gross profit and quantity per product."),
            "definition": {
                "object": "sales_lines",
                "group_by": [{"field": "product"}],
                "aggregates": sales_totals,
                "sort": money_sort,
                "chart": "pie",
            },
        },
        {
            "key": "expenses",
            "name": _("Expense report"),
            "description": _("Expenses by person and category."),
            "definition": {
                "object": "expenses",
                "group_by": [{"field": "owner"}, {"field": "expense_category"}],
                "aggregates": [{"func": "sum", "field": "amount"}, {"func": "count"}],
                "chart": "bar",
            },
        },
    ]


def builtin_text(key: str, field: str) -> tuple[str | None, frozenset[str]]:
    """A ready-made report's `field` ("name" or "description") in the active language, and
    the set of its texts in every language (None, ∅ for an unknown key)."""
    from django.conf import settings
    from django.utils import translation

    def text_in(language: str | None) -> str | None:
        with translation.override(language):
            for entry in builtin_reports():
                if entry["key"] == key:
                    return str(entry[field])
        return None

    every = frozenset(
        t for t in (text_in(code) for code, _label in settings.LANGUAGES) if t is not None
    )
    return text_in(translation.get_language()), every


def ensure_builtin_reports(org_id: int) -> int:
    """Create the ready-made reports the organisation does not have yet; return how many.

    A ready-made report someone deleted stays deleted (it is in the recycle bin). Names
    are written in the organisation's language."""
    from django.utils import translation

    from guanxi.core.models import Organisation

    language = Organisation.objects.filter(pk=org_id).values_list("language", flat=True).first()
    with scope(org=org_id), translation.override(language or "zh-hans"):
        existing = set(
            SavedReport.all_objects.filter(org_id=org_id)
            .exclude(builtin_key="")
            .values_list("builtin_key", flat=True)
        )
        created = 0
        for item in builtin_reports():
            if item["key"] in existing:
                continue
            checked = check_definition(item["definition"], org_id)
            try:
                with transaction.atomic():
                    SavedReport.objects.create(
                        org_id=org_id,
                        name=str(item["name"]),
                        description=str(item["description"]),
                        object_key=checked.obj.key,
                        definition=checked.raw,
                        sharing=SavedReport.Sharing.ORG,
                        builtin_key=item["key"],
                    )
                    created += 1
            except IntegrityError:  # created by a concurrent first visit
                continue
        return created


# --- schedules -------------------------------------------------------------------------------


def _local_tz(org: Any) -> Any:
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(org.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Asia/Shanghai")


def next_run(schedule: ReportSchedule, after: datetime.datetime, tz: Any) -> datetime.datetime:
    """The first time strictly after `after` the schedule falls due (aware, UTC)."""
    local = after.astimezone(tz)
    day = local.date()
    for _step in range(0, 400):
        candidate_local = datetime.datetime.combine(day, schedule.time, tzinfo=tz)
        due = True
        if schedule.frequency == ReportSchedule.Frequency.WEEKLY:
            due = day.weekday() == schedule.weekday
        elif schedule.frequency == ReportSchedule.Frequency.MONTHLY:
            # A day the month lacks (31 in April) falls on the month's last day.
            last = (day.replace(day=28) + datetime.timedelta(days=4)).replace(
                day=1
            ) - datetime.timedelta(days=1)
            due = day.day == min(schedule.day, last.day)
        if due and candidate_local > local:
            return candidate_local.astimezone(datetime.UTC)
        day += datetime.timedelta(days=1)
    raise ValueError("no next run")  # pragma: no cover - every schedule falls due in 400 days


def _schedule_fields(
    membership: Any, report: SavedReport, data: Mapping[str, Any]
) -> tuple[dict, list]:
    from guanxi.accounts.models import Membership

    errors: dict[str, list[str]] = {}
    frequency = str(data.get("frequency") or "")
    if frequency not in ReportSchedule.Frequency.values:
        errors["frequency"] = [_("Choose daily, weekly or monthly.")]
    raw_time = data.get("time")
    when: datetime.time | None = raw_time if isinstance(raw_time, datetime.time) else None
    if when is None:
        try:
            when = datetime.time.fromisoformat(str(raw_time or "").strip())
        except ValueError:
            errors["time"] = [_("Enter a time such as 08:00.")]
    fmt = str(data.get("file_format") or ReportSchedule.Format.XLSX)
    if fmt not in ReportSchedule.Format.values:
        errors["file_format"] = [_("Choose CSV or Excel.")]
    try:
        weekday = int(data.get("weekday") or 0)
        if not 0 <= weekday <= 6:
            raise ValueError
    except (TypeError, ValueError):
        errors["weekday"] = [_("Choose a day of the week.")]
        weekday = 0
    try:
        day = int(data.get("day") or 1)
        if not 1 <= day <= 31:
            raise ValueError
    except (TypeError, ValueError):
        errors["day"] = [_("Enter a day of the month between 1 and 31.")]
        day = 1
    wanted: list[Any] = []
    for value in data.get("recipients") or []:
        try:
            wanted.append(int(value))
        except (TypeError, ValueError):
            errors["recipients"] = [_("Choose members of the organisation.")]
    with scope(org=membership.org_id):
        members = list(
            Membership.objects.filter(org_id=membership.org_id, is_active=True, pk__in=wanted)
        )
    if not wanted:
        errors.setdefault("recipients", [_("Choose at least one recipient.")])
    elif len(members) != len(set(wanted)):
        errors.setdefault("recipients", [_("Choose members of the organisation.")])
    if errors:
        raise ValidationError(errors)
    return (
        {
            "frequency": frequency,
            "time": when,
            "weekday": weekday,
            "day": day,
            "file_format": fmt,
            "is_active": bool(data.get("is_active", True)),
        },
        members,
    )


@transaction.atomic
def create_schedule(
    membership: Any, *, report: SavedReport, data: Mapping[str, Any]
) -> ReportSchedule:
    """Schedule the report by e-mail. Only who may change the report schedules it."""
    if not may_change(membership, report):
        raise PermissionDenied
    fields, members = _schedule_fields(membership, report, data)
    with scope(org=report.org_id):
        schedule = ReportSchedule(
            org_id=report.org_id, report=report, owner_id=membership.user_id, **fields
        )
        schedule.next_run_at = next_run(schedule, timezone.now(), _local_tz(membership.org))
        schedule.save()
        _set_recipients(schedule, members)
        return schedule


def _set_recipients(schedule: ReportSchedule, members: Iterable[Any]) -> None:
    ReportRecipient.objects.filter(schedule=schedule).delete()
    ReportRecipient.objects.bulk_create(
        [ReportRecipient(org_id=schedule.org_id, schedule=schedule, membership=m) for m in members]
    )


@transaction.atomic
def delete_schedule(membership: Any, *, schedule: ReportSchedule) -> None:
    if not may_change(membership, schedule.report):
        raise PermissionDenied
    with scope(org=schedule.org_id):
        schedule.delete()


def mark_schedule_run(schedule: ReportSchedule, *, now: datetime.datetime, result: str) -> None:
    with scope(org=schedule.org_id):
        schedule.last_run_at = now
        schedule.last_result = result[:500]
        schedule.next_run_at = next_run(schedule, now, _local_tz(schedule.org))
        schedule.save(update_fields=["last_run_at", "last_result", "next_run_at", "updated_at"])
