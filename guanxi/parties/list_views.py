"""The party lists ("My customers", 我的客户) and what surrounds them.

One list view serves customers, suppliers, competitors and channels (the `role` URL
argument): category tree, A–Z index, quick tabs, filters, sortable columns, search and
keyset paging, bulk actions and drag-onto-category. Groups and segments (B18) have
their own pages here too. Views are thin: selectors and filters read, services write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from guanxi.core.categories import (
    CategoryNotEmpty,
    InvalidMove,
    add_category,
    delete_category,
    move_category,
    rename_category,
)
from guanxi.core.exceptions import DeletionRefused, DomainError, StaleEdit
from guanxi.core.models import Tag
from guanxi.core.permissions import (
    CHANGE,
    DELETE,
    EXPORT,
    VIEW,
    has_perm,
    require_perm,
)
from guanxi.parties import group_services
from guanxi.parties.filters import (
    LETTERS,
    NONE,
    SORT_COLUMNS,
    InvalidCursor,
    ListTab,
    filter_params,
    is_selective,
    keyset_page,
    parse_sort,
    party_filterset,
    visit_ordered,
)
from guanxi.parties.list_forms import (
    BulkAction,
    BulkActionForm,
    GroupForm,
    GroupMembersForm,
    SaveSegmentForm,
    SegmentForm,
    parse_ids,
)
from guanxi.parties.models import (
    CATEGORY_FIELD_BY_ROLE,
    Party,
    PartyCategory,
    PartyGroup,
    PartyRole,
    PartyVisit,
    Segment,
)
from guanxi.parties.selectors import get_party_for_user, visible_parties
from guanxi.parties.services import assign_owner, delete_party, file_in_category
from guanxi.parties.visits import set_pinned

PAGE_SIZE = 50


@dataclass(frozen=True)
class RoleList:
    role: str
    url_name: str
    title: Any
    singular: Any
    icon: str


ROLE_LISTS: dict[str, RoleList] = {
    r.role: r
    for r in (
        RoleList(
            PartyRole.CUSTOMER,
            "parties:party_list",
            gettext_lazy("Customers"),
            gettext_lazy("customer"),
            "users",
        ),
        RoleList(
            PartyRole.SUPPLIER,
            "parties:supplier_list",
            gettext_lazy("Suppliers"),
            gettext_lazy("supplier"),
            "truck",
        ),
        RoleList(
            PartyRole.COMPETITOR,
            "parties:competitor_list",
            gettext_lazy("Competitors"),
            gettext_lazy("competitor"),
            "swords",
        ),
        RoleList(
            PartyRole.CHANNEL,
            "parties:channel_list",
            gettext_lazy("Channels"),
            gettext_lazy("channel"),
            "affiliate",
        ),
    )
}


def _role(role: str) -> RoleList:
    try:
        return ROLE_LISTS[role]
    except KeyError as exc:
        raise Http404 from exc


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


def _detail_url_template() -> str:
    """The 360° page's URL with a placeholder id (that page lives in another module)."""
    try:
        return reverse("parties:party_detail", args=[_PK])
    except NoReverseMatch:
        return f"/customers/{_PK}/"


def _row_labels() -> dict[str, str]:
    """Words every row repeats, translated once per page rather than once per row."""
    return {
        "select": _("Select"),
        "locked": _("Locked"),
        "pin": _("Pin"),
        "unpin": _("Unpin"),
    }


def _decorate_rows(rows: list[Party], category_field: str | None = None) -> None:
    """Give each row its links, built from one reversed URL each (no reverse per row)."""
    detail = _detail_url_template()
    pin = reverse("parties:party_pin", args=[_PK])
    for row in rows:
        row.detail_url = detail.replace(_PK, str(row.pk))  # type: ignore[attr-defined]
        row.pin_url = pin.replace(_PK, str(row.pk))  # type: ignore[attr-defined]
        if category_field:
            row.list_category = getattr(row, category_field)  # type: ignore[attr-defined]


def _export_url() -> str | None:
    try:
        return reverse("parties:export")
    except NoReverseMatch:
        return None


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _is_partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not getattr(htmx, "boosted", False)


def _owner_choices() -> list[tuple[int, str]]:
    from guanxi.accounts.models import Membership

    members = (
        Membership.objects.filter(is_active=True)
        .select_related("user")
        .order_by("user__display_name", "user__username")
    )
    return [(m.user_id, str(m.user)) for m in members]


def _categories(role: str) -> QuerySet[PartyCategory]:
    return PartyCategory.objects.filter(tree=role).order_by("path")


# --- the list --------------------------------------------------------------------------


@dataclass
class TreeNode:
    category: PartyCategory
    url: str
    active: bool
    rename_url: str
    move_url: str
    delete_url: str

    @property
    def indent(self) -> str:
        return "\u2003" * (self.category.depth - 1)


_PK = "987654321"


def _tree_labels() -> dict[str, str]:
    """The tree menu's words, translated once per page rather than once per category."""
    return {
        "actions": _("Category actions"),
        "add_child": _("Add subcategory"),
        "child_prompt": _("Name of the new subcategory"),
        "add_sibling": _("Add category after this one"),
        "sibling_prompt": _("Name of the new category"),
        "rename": _("Rename"),
        "rename_prompt": _("New name"),
        "up": _("Move up"),
        "down": _("Move down"),
        "indent": _("Make it a subcategory of the one above"),
        "outdent": _("Move out of its parent"),
        "delete": _("Delete"),
        "delete_confirm": _("Delete this category? Only an empty category can be deleted."),
    }


def _tree_context(request: HttpRequest, role: str, active: str | None) -> dict[str, Any]:
    meta = _role(role)
    list_url = reverse(meta.url_name)
    rename, move, delete = (
        reverse(f"parties:category_{action}", args=[_PK]) for action in ("rename", "move", "delete")
    )
    nodes = [
        TreeNode(
            c,
            f"{list_url}?{urlencode({'category': c.pk})}",
            str(c.pk) == active,
            rename.replace(_PK, str(c.pk)),
            move.replace(_PK, str(c.pk)),
            delete.replace(_PK, str(c.pk)),
        )
        for c in _categories(role)
    ]
    can_change = has_perm(_membership(request), CHANGE, "party")
    return {
        "role": role,
        "role_list": meta,
        "tree": nodes,
        "tree_labels": _tree_labels() if can_change else {},
        "add_url": reverse("parties:category_add", args=[role]),
        "active_category": active or "",
        "all_url": list_url,
        "none_url": f"{list_url}?{urlencode({'category': NONE})}",
        "can_change": can_change,
    }


def _list_url(request: HttpRequest, base: str, **changes: Any) -> str:
    """The current list URL with some parameters changed (None drops one)."""
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    params.pop("cursor", None)
    query = params.urlencode()
    return base + (f"?{query}" if query else "")


@login_required
@require_GET
def party_list(request: HttpRequest, role: str = PartyRole.CUSTOMER) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    meta = _role(role)
    category_field = CATEGORY_FIELD_BY_ROLE[role]
    base = visible_parties(membership, role).select_related("owner", category_field)
    filterset = party_filterset(base, request.GET, membership=membership, role=role)
    if _is_partial(request) and request.GET.get("panel") == "filters":
        return render(
            request,
            "parties/list/party_list.html#filters",
            {"filter_form": filterset.form, "list_url": reverse(meta.url_name)},
        )
    pinned = PartyVisit.objects.filter(
        user_id=membership.user_id, party=OuterRef("pk"), pinned=True
    )
    queryset = filterset.qs.annotate(is_pinned=Exists(pinned))
    cleaned = filterset.form.cleaned_data if filterset.form.is_valid() else {}
    tab = cleaned.get("tab") or ListTab.ALL
    sort, descending = parse_sort(request.GET.get("sort"))
    cursor = request.GET.get("cursor") or None
    selective = is_selective(filterset)
    if tab in (ListTab.RECENT, ListTab.FREQUENT):
        rows, next_cursor = visit_ordered(queryset, user_id=membership.user_id, tab=tab), None
    else:
        try:
            page = keyset_page(
                queryset,
                sort=request.GET.get("sort"),
                cursor=cursor,
                limit=PAGE_SIZE,
                selective=selective,
            )
        except InvalidCursor:
            cursor = None
            page = keyset_page(
                queryset, sort=request.GET.get("sort"), limit=PAGE_SIZE, selective=selective
            )
        rows, next_cursor = page.rows, page.next_cursor
    _decorate_rows(rows, category_field)
    next_url = None
    if next_cursor:
        params = request.GET.copy()
        params["cursor"] = next_cursor
        next_url = f"{reverse(meta.url_name)}?{params.urlencode()}"

    active_category = request.GET.get("category") or ""
    list_url = reverse(meta.url_name)
    columns = []
    for key, column in SORT_COLUMNS.items():
        is_current = key == sort
        next_sort = f"-{key}" if is_current and not descending else key
        columns.append(
            {
                "key": key,
                "label": column.label,
                "url": _list_url(request, list_url, sort=next_sort),
                "current": is_current,
                "descending": descending,
            }
        )
    tabs = [
        {
            "key": key,
            "label": label,
            "url": _list_url(request, list_url, tab=None if key == ListTab.ALL else key),
            "active": key == tab,
        }
        for key, label in ListTab.CHOICES
    ]
    current_letter = cleaned.get("letter") or ""
    letters = [
        {
            "letter": letter,
            "url": _list_url(
                request, list_url, letter=None if letter == current_letter else letter
            ),
            "active": letter == current_letter,
        }
        for letter in LETTERS
    ]
    query_string = request.GET.copy()
    query_string.pop("cursor", None)
    export_params = filter_params(query_string)
    if role != PartyRole.CUSTOMER:
        export_params["role"] = role
    export_url = _export_url()
    context: dict[str, Any] = {
        **_tree_context(request, role, active_category),
        "role_lists": [
            {"meta": m, "url": reverse(m.url_name), "active": m.role == role}
            for m in ROLE_LISTS.values()
        ],
        "filterset": filterset,
        "filter_form": filterset.form,
        "rows": rows,
        "labels": _row_labels(),
        "next_url": next_url,
        "is_next_page": bool(cursor),
        "columns": columns,
        "sort": sort,
        "descending": descending,
        "tabs": tabs,
        "tab": tab,
        "letters": letters,
        "current_letter": current_letter,
        "list_url": list_url,
        "current_url": request.get_full_path(),
        "query_string": query_string.urlencode(),
        "segment_query": urlencode(
            {
                **filter_params(query_string),
                **({"role": role} if role != PartyRole.CUSTOMER else {}),
            },
            doseq=True,
        ),
        "filter_query": urlencode(export_params, doseq=True),
        "export_url": export_url if has_perm(membership, EXPORT, "party") else None,
        "can_delete": has_perm(membership, DELETE, "party"),
        "bulk_actions": _bulk_choices(membership),
        "show_filters": filterset.active_filter_count > 0,
        # The filter panel starts closed; its fields load when it is first opened.
        "filters_url": _list_url(request, list_url, panel="filters"),
    }
    if _is_partial(request):
        if cursor:
            return render(request, "parties/list/party_list.html#rows", context)
        return render(request, "parties/list/party_list.html#results", context)
    context.update(
        {
            "owners": _owner_choices(),
            "groups": PartyGroup.objects.order_by("name"),
            "tags": Tag.objects.order_by("name"),
            "segments": list(group_services.visible_segments(membership).order_by("name")[:20]),
            "segment_form": SaveSegmentForm(initial={"filters": query_string.urlencode()}),
        }
    )
    return render(request, "parties/list/party_list.html", context)


def _bulk_choices(membership: Any) -> list[tuple[str, Any]]:
    choices = []
    for key, label in BulkAction.CHOICES:
        if key == BulkAction.DELETE:
            if has_perm(membership, DELETE, "party"):
                choices.append((key, label))
        elif has_perm(membership, CHANGE, "party"):
            choices.append((key, label))
    return choices


# --- selecting rows --------------------------------------------------------------------


def _selected_parties(membership: Any, role: str | None, ids: list[int]) -> list[Party]:
    """Return the parties `ids`, all of which the member must see; Http404 otherwise."""
    if not ids:
        return []
    rows = list(visible_parties(membership, role).filter(pk__in=ids))
    if len(rows) != len(ids):
        raise Http404
    return rows


def _post_role(request: HttpRequest) -> str:
    role = request.POST.get("role") or PartyRole.CUSTOMER
    _role(role)
    return role


@login_required
@require_POST
def party_bulk(request: HttpRequest) -> HttpResponse:
    """Apply one bulk action to the selected rows, then go back to the list."""
    membership = _membership(request)
    role = _post_role(request)
    meta = _role(role)
    back = _safe_next(request, reverse(meta.url_name))
    form = BulkActionForm(
        request.POST,
        owners=_owner_choices(),
        categories=_categories(role),
        groups=PartyGroup.objects.order_by("name"),
        tags=Tag.objects.order_by("name"),
    )
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for message in errors:
                messages.error(request, f"{label}: {message}" if label else str(message))
        return redirect(back)
    data = form.cleaned_data
    action = data["action"]
    require_perm(membership, DELETE if action == BulkAction.DELETE else CHANGE, "party")
    parties = _selected_parties(membership, role, data["ids"])
    user = request.user
    try:
        if action == BulkAction.ASSIGN_OWNER:
            from guanxi.accounts.models import User

            owner = User.objects.get(pk=data["owner"])
            count = assign_owner(parties=parties, actor=user, owner=owner)
            messages.success(
                request,
                ngettext(
                    "%(count)d record given to %(owner)s.",
                    "%(count)d records given to %(owner)s.",
                    count,
                )
                % {"count": count, "owner": owner},
            )
        elif action == BulkAction.MOVE_CATEGORY:
            category = data.get("category_obj")
            count = file_in_category(parties=parties, category=category, actor=user, role=role)
            messages.success(
                request,
                ngettext("%(count)d record filed.", "%(count)d records filed.", count)
                % {"count": count},
            )
        elif action == BulkAction.ADD_TO_GROUP:
            group = data["group"]
            count = group_services.add_to_group(group=group, parties=parties, actor=user)
            messages.success(
                request,
                ngettext(
                    "%(count)d record added to %(group)s.",
                    "%(count)d records added to %(group)s.",
                    count,
                )
                % {"count": count, "group": group.name},
            )
        elif action == BulkAction.REMOVE_FROM_GROUP:
            group = data["group"]
            count = group_services.remove_from_group(group=group, parties=parties, actor=user)
            messages.success(
                request,
                ngettext(
                    "%(count)d record removed from %(group)s.",
                    "%(count)d records removed from %(group)s.",
                    count,
                )
                % {"count": count, "group": group.name},
            )
        elif action == BulkAction.ADD_TAG:
            tag = data["tag"]
            count = _add_tag(parties, tag)
            messages.success(
                request,
                ngettext(
                    "%(count)d record tagged %(tag)s.", "%(count)d records tagged %(tag)s.", count
                )
                % {"count": count, "tag": tag.name},
            )
        elif action == BulkAction.DELETE:
            _bulk_delete(request, parties)
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect(back)


def _add_tag(parties: list[Party], tag: Tag) -> int:
    from guanxi.parties.models import PartyTag
    from guanxi.parties.services import set_party_tags

    current: dict[int, set[int]] = {p.pk: set() for p in parties}
    for party_id, tag_id in PartyTag.objects.filter(party__in=parties).values_list(
        "party_id", "tag_id"
    ):
        current[party_id].add(tag_id)
    count = 0
    for party in parties:
        if tag.pk not in current[party.pk]:
            set_party_tags(party=party, tags=[*current[party.pk], tag.pk])
            count += 1
    return count


def _bulk_delete(request: HttpRequest, parties: list[Party]) -> None:
    deleted = 0
    refused: list[str] = []
    for party in parties:
        try:
            delete_party(party=party, actor=request.user)
        except DeletionRefused as error:
            refused.append(
                _("%(name)s: %(reason)s") % {"name": party.display_name, "reason": error.message}
            )
        else:
            deleted += 1
    if deleted:
        messages.success(
            request,
            ngettext(
                "%(count)d record moved to the recycle bin.",
                "%(count)d records moved to the recycle bin.",
                deleted,
            )
            % {"count": deleted},
        )
    if refused:
        messages.error(
            request,
            ngettext(
                "%(count)d record was not deleted: %(reasons)s",
                "%(count)d records were not deleted: %(reasons)s",
                len(refused),
            )
            % {"count": len(refused), "reasons": "; ".join(refused)},
        )


@login_required
@require_POST
def party_file_in_category(request: HttpRequest) -> HttpResponse:
    """File the dragged rows in the category they were dropped on (htmx)."""
    membership = _membership(request)
    require_perm(membership, CHANGE, "party")
    role = _post_role(request)
    ids = parse_ids(request.POST.getlist("ids"))
    raw_category = (request.POST.get("category") or "").strip()
    if not ids or ids is None or not raw_category:
        return _status(request, _("Nothing was filed: the selection is not valid."), "danger", 400)
    parties = _selected_parties(membership, role, ids)
    category: PartyCategory | None = None
    if raw_category != NONE:
        if not raw_category.isdigit():
            raise Http404
        category = get_object_or_404(PartyCategory, pk=int(raw_category), tree=role)
    count = file_in_category(parties=parties, category=category, actor=request.user, role=role)
    text = ngettext(
        "%(count)d record filed in %(category)s.",
        "%(count)d records filed in %(category)s.",
        count,
    ) % {"count": count, "category": category.name if category else _("Uncategorised")}
    response = _status(request, text, "success")
    return trigger_client_event(response, "parties-changed")


def _status(request: HttpRequest, text: str, level: str, status: int = 200) -> HttpResponse:
    return render(
        request,
        "parties/list/party_list.html#status",
        {"status_text": text, "status_level": level},
        status=status,
    )


@login_required
@require_POST
def party_pin(request: HttpRequest, pk: int) -> HttpResponse:
    """Pin a party to (or unpin it from) the member's pinned tab."""
    membership = _membership(request)
    party = get_party_for_user(membership, pk)
    pinned = request.POST.get("pinned") in {"1", "true", "on"}
    set_pinned(user=request.user, party=party, pinned=pinned)
    if _is_partial(request):
        party.is_pinned = pinned  # type: ignore[attr-defined]
        _decorate_rows([party])
        return render(
            request, "parties/list/party_list.html#pin", {"row": party, "labels": _row_labels()}
        )
    return redirect(_safe_next(request, reverse("parties:party_list")))


# --- the category tree -----------------------------------------------------------------


def _tree_response(
    request: HttpRequest, role: str, error: str | None = None, status: int = 200
) -> HttpResponse:
    active = request.POST.get("active") or request.GET.get("active") or ""
    context = _tree_context(request, role, active)
    context["tree_error"] = error
    response = render(request, "parties/list/party_list.html#tree", context, status=status)
    return response


def _name_input(request: HttpRequest) -> str:
    htmx = getattr(request, "htmx", None)
    prompt = htmx.prompt if htmx else None
    return (request.POST.get("name") or prompt or "").strip()


def _category_or_404(pk: int) -> PartyCategory:
    return get_object_or_404(PartyCategory, pk=pk)


@login_required
@require_POST
def category_add(request: HttpRequest, role: str) -> HttpResponse:
    """Add a category: at the root, under `parent`, or right after `sibling`."""
    membership = _membership(request)
    require_perm(membership, CHANGE, "party")
    _role(role)
    parent = sibling = None
    for key in ("parent", "sibling"):
        raw = (request.POST.get(key) or "").strip()
        if raw:
            if not raw.isdigit():
                raise Http404
            node = get_object_or_404(PartyCategory, pk=int(raw), tree=role)
            if key == "parent":
                parent = node
            else:
                sibling = node
    try:
        add_category(
            model=PartyCategory,
            org=request.org,  # type: ignore[attr-defined]
            name=_name_input(request),
            parent=parent,
            sibling_of=sibling,
            actor=request.user,
            extra={"tree": role},
        )
    except DomainError as error:
        return _tree_response(request, role, str(error.message))
    return _tree_response(request, role)


@login_required
@require_POST
def category_rename(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(_membership(request), CHANGE, "party")
    category = _category_or_404(pk)
    try:
        rename_category(category=category, name=_name_input(request), actor=request.user)
    except DomainError as error:
        return _tree_response(request, category.tree, str(error.message))
    return _tree_response(request, category.tree)


def _siblings(category: PartyCategory) -> list[PartyCategory]:
    parent_path = category.path[: -category.steplen]
    return list(
        PartyCategory.objects.filter(
            tree=category.tree, depth=category.depth, path__startswith=parent_path
        ).order_by("path")
    )


@login_required
@require_POST
def category_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a category up, down, in (under the one above) or out (after its parent)."""
    require_perm(_membership(request), CHANGE, "party")
    category = _category_or_404(pk)
    direction = request.POST.get("direction")
    siblings = _siblings(category)
    index = next(i for i, s in enumerate(siblings) if s.pk == category.pk)
    before = siblings[index - 1] if index > 0 else None
    after = siblings[index + 1] if index + 1 < len(siblings) else None
    target: PartyCategory | None = None
    position = "left"
    if direction == "up":
        target, position = before, "left"
    elif direction == "down":
        target, position = after, "right"
    elif direction == "indent":
        target, position = before, "last-child"
    elif direction == "outdent" and category.depth > 1:
        target = PartyCategory.objects.get(
            tree=category.tree, path=category.path[: -category.steplen]
        )
        position = "right"
    elif direction not in {"up", "down", "indent", "outdent"}:
        return _tree_response(request, category.tree, _("Unknown move."), status=400)
    if target is None:
        return _tree_response(request, category.tree, _("This category cannot move that way."))
    try:
        move_category(category=category, target=target, position=position, actor=request.user)  # type: ignore[arg-type]
    except InvalidMove as error:
        return _tree_response(request, category.tree, str(error.message))
    return _tree_response(request, category.tree)


@login_required
@require_POST
def category_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(_membership(request), CHANGE, "party")
    category = _category_or_404(pk)
    try:
        delete_category(category=category, actor=request.user)
    except CategoryNotEmpty as error:
        return _tree_response(request, category.tree, str(error.message))
    return _tree_response(request, category.tree)


# --- groups ----------------------------------------------------------------------------


def _group_or_404(pk: int) -> PartyGroup:
    return get_object_or_404(PartyGroup, pk=pk)


def _report(request: HttpRequest, form: Any, error: DomainError) -> None:
    if error.field and error.field in form.fields:
        form.add_error(error.field, str(error.message))
    elif isinstance(error, StaleEdit):
        form.add_error(None, str(error.message))
    else:
        messages.error(request, str(error.message))


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    can_change = has_perm(membership, CHANGE, "party")
    form = GroupForm(request.POST or None)
    if request.method == "POST":
        require_perm(membership, CHANGE, "party")
        if form.is_valid():
            try:
                group = group_services.create_group(
                    org=request.org,  # type: ignore[attr-defined]
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                )
            except DomainError as error:
                _report(request, form, error)
            else:
                messages.success(request, _("The group has been created."))
                return redirect("parties:group_detail", pk=group.pk)
    groups = PartyGroup.objects.select_related("owner").order_by("name")
    return render(
        request,
        "parties/list/group_list.html",
        {"groups": groups, "form": form, "can_change": can_change},
    )


@login_required
@require_GET
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    group = _group_or_404(pk)
    queryset = group_services.group_parties(group, membership).select_related("owner")
    return _member_page(
        request,
        queryset,
        "parties/list/group_detail.html",
        selective=True,
        context={
            "group": group,
            "can_change": has_perm(membership, CHANGE, "party"),
            "form": GroupForm(
                initial={
                    "name": group.name,
                    "description": group.description,
                    "version": group.version,
                }
            ),
        },
    )


def _member_page(
    request: HttpRequest,
    queryset: QuerySet[Party],
    template: str,
    context: dict[str, Any],
    *,
    selective: bool = False,
) -> HttpResponse:
    cursor = request.GET.get("cursor") or None
    sort = request.GET.get("sort")
    try:
        page = keyset_page(queryset, sort=sort, cursor=cursor, limit=PAGE_SIZE, selective=selective)
    except InvalidCursor:
        cursor = None
        page = keyset_page(queryset, sort=sort, limit=PAGE_SIZE, selective=selective)
    _decorate_rows(page.rows)
    next_url = None
    if page.next_cursor:
        params = request.GET.copy()
        params["cursor"] = page.next_cursor
        next_url = f"{request.path}?{params.urlencode()}"
    context = {**context, "rows": page.rows, "next_url": next_url}
    if _is_partial(request) and cursor:
        return render(request, f"{template}#member_rows", context)
    return render(request, template, context)


@login_required
@require_POST
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(_membership(request), CHANGE, "party")
    group = _group_or_404(pk)
    form = GroupForm(request.POST)
    if form.is_valid():
        try:
            group_services.update_group(
                group=group,
                actor=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                expected_version=form.cleaned_data["version"] or 0,
            )
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The group has been saved."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
    return redirect("parties:group_detail", pk=group.pk)


@login_required
@require_POST
def group_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(_membership(request), CHANGE, "party")
    group = _group_or_404(pk)
    group_services.delete_group(group=group, actor=request.user)
    messages.success(request, _("The group has been deleted; its customers are kept."))
    return redirect("parties:group_list")


@login_required
@require_POST
def group_members(request: HttpRequest, pk: int, operation: str) -> HttpResponse:
    """Add (`add`) or remove (`remove`) the posted parties to or from the group."""
    membership = _membership(request)
    require_perm(membership, CHANGE, "party")
    group = _group_or_404(pk)
    form = GroupMembersForm(request.POST)
    back = _safe_next(request, reverse("parties:group_detail", args=[group.pk]))
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return redirect(back)
    parties = _selected_parties(membership, None, form.cleaned_data["ids"])
    if operation == "add":
        count = group_services.add_to_group(group=group, parties=parties, actor=request.user)
        text = ngettext(
            "%(count)d record added to the group.", "%(count)d records added to the group.", count
        )
    else:
        count = group_services.remove_from_group(group=group, parties=parties, actor=request.user)
        text = ngettext(
            "%(count)d record removed from the group.",
            "%(count)d records removed from the group.",
            count,
        )
    messages.success(request, text % {"count": count})
    return redirect(back)


@login_required
@require_GET
def group_candidates(request: HttpRequest, pk: int) -> HttpResponse:
    """Search results to add to a group (htmx, from the group page's search box)."""
    from guanxi.parties.filters import search_parties

    membership = _membership(request)
    require_perm(membership, CHANGE, "party")
    group = _group_or_404(pk)
    query = (request.GET.get("q") or "").strip()
    rows: list[Party] = []
    if query:
        rows = list(
            search_parties(
                visible_parties(membership, None), query, org_id=membership.org_id
            ).order_by("short_name", "id")[:10]
        )
    return render(
        request,
        "parties/list/group_detail.html#candidates",
        {"group": group, "candidates": rows, "query": query},
    )


# --- segments --------------------------------------------------------------------------


def _segment_or_404(request: HttpRequest, pk: int) -> Segment:
    return get_object_or_404(group_services.visible_segments(_membership(request)), pk=pk)


@login_required
@require_GET
def segment_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    segments = list(group_services.visible_segments(membership).order_by("name"))
    for segment in segments:
        segment.list_url = _segment_list_url(segment)  # type: ignore[attr-defined]
    return render(request, "parties/list/segment_list.html", {"segments": segments})


def _segment_list_url(segment: Segment) -> str:
    role = group_services.segment_role(segment)
    params = {k: v for k, v in (segment.filters or {}).items() if k != "role"}
    query = urlencode(params, doseq=True)
    return reverse(ROLE_LISTS[role].url_name) + (f"?{query}" if query else "")


@login_required
@require_POST
def segment_save(request: HttpRequest) -> HttpResponse:
    """Save the list's current filters as a segment."""
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    form = SaveSegmentForm(request.POST)
    back = _safe_next(request, reverse("parties:party_list"))
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return redirect(back)
    filters = QueryDict(form.cleaned_data["filters"] or "")
    try:
        segment = group_services.create_segment(
            org=request.org,  # type: ignore[attr-defined]
            actor=request.user,
            name=form.cleaned_data["name"],
            filters=filters,
            is_shared=form.cleaned_data["is_shared"],
        )
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(back)
    messages.success(request, _("The segment “%(name)s” has been saved.") % {"name": segment.name})
    return redirect("parties:segment_detail", pk=segment.pk)


@login_required
@require_GET
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    segment = _segment_or_404(request, pk)
    queryset = group_services.segment_parties(segment, membership).select_related("owner")
    return _member_page(
        request,
        queryset,
        "parties/list/segment_detail.html",
        {
            "segment": segment,
            "list_url": _segment_list_url(segment),
            "can_change": group_services.can_change_segment(membership, segment),
            "form": SegmentForm(
                initial={
                    "name": segment.name,
                    "description": segment.description,
                    "is_shared": segment.is_shared,
                    "version": segment.version,
                }
            ),
        },
    )


@login_required
@require_POST
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    segment = _segment_or_404(request, pk)
    if not group_services.can_change_segment(membership, segment):
        raise PermissionDenied
    form = SegmentForm(request.POST)
    if form.is_valid():
        try:
            group_services.update_segment(
                segment=segment,
                actor=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                is_shared=form.cleaned_data["is_shared"],
                expected_version=form.cleaned_data["version"] or 0,
            )
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The segment has been saved."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
    return redirect("parties:segment_detail", pk=segment.pk)


@login_required
@require_POST
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    segment = _segment_or_404(request, pk)
    if not group_services.can_change_segment(membership, segment):
        raise PermissionDenied
    group_services.delete_segment(segment=segment, actor=request.user)
    messages.success(request, _("The segment has been deleted."))
    return redirect("parties:segment_list")
