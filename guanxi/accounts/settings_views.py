"""Settings pages: organisation (A3), members, roles and teams.

Every page asks the permission service; a record of another organisation (or one the
member may not see) is a 404, a page the member may not use a 403.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guanxi.accounts.models import Membership, Role, Team
from guanxi.accounts.selectors import (
    filtered_members,
    organisation_of,
    role_choices,
    roles_with_member_counts,
    team_choices,
    team_members,
    teams_with_member_counts,
)
from guanxi.accounts.services import (
    belongs_elsewhere,
    create_member,
    delete_role,
    delete_team,
    reset_member_password,
    save_role,
    save_team,
    set_member_active,
    update_member,
    update_organisation,
)
from guanxi.accounts.settings_forms import (
    MemberCreateForm,
    MemberEditForm,
    MemberFilterForm,
    OrganisationSettingsForm,
    PasswordResetForm,
    RoleForm,
    TeamForm,
)
from guanxi.core.exceptions import DomainError, StaleEdit
from guanxi.core.permissions import (
    ADD,
    CHANGE,
    DELETE,
    VIEW,
    get_for_action_or_404,
    get_visible_or_404,
    has_perm,
    require_perm,
)
from guanxi.web.navigation import nav_entries

GET_POST = require_http_methods(["GET", "POST"])


def _report(request: HttpRequest, form: forms.BaseForm, error: DomainError) -> None:
    """Show a refused operation: on its field, on the form for a stale edit, else as a message."""
    if error.field and error.field in form.fields:
        form.add_error(error.field, str(error.message))
    elif isinstance(error, StaleEdit):
        form.add_error(None, str(error.message))
    else:
        messages.error(request, str(error.message))


def _htmx_partial(request: HttpRequest, template: str, partial: str) -> str:
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted:
        return f"{template}#{partial}"
    return template


# --- Landing page ----------------------------------------------------------------------


@login_required
def settings_home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/settings/home.html",
        {"entries": nav_entries(request, "settings")},
    )


# --- Organisation ----------------------------------------------------------------------


@login_required
@GET_POST
def org_settings(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    require_perm(membership, VIEW, "organisation")
    can_change = has_perm(membership, CHANGE, "organisation")
    org = organisation_of(membership)
    if request.method == "POST":
        require_perm(membership, CHANGE, "organisation")
        form = OrganisationSettingsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                update_organisation(
                    org=org,
                    actor=request.user,
                    expected_version=data["version"],
                    name=data["name"],
                    currency=data["currency"],
                    time_zone=data["time_zone"],
                    language=data["language"],
                )
            except DomainError as error:
                _report(request, form, error)
            else:
                messages.success(request, _("The organisation settings have been saved."))
                return redirect("accounts:org_settings")
    else:
        form = OrganisationSettingsForm.for_organisation(org, read_only=not can_change)
    return render(
        request,
        "accounts/settings/org_settings.html",
        {"form": form, "org": org, "can_change": can_change},
    )


# --- Members ---------------------------------------------------------------------------


def _member_or_404(request: HttpRequest, pk: int, action: str = VIEW) -> Membership:
    qs = Membership.objects.select_related("user", "role", "team")
    membership = request.membership  # type: ignore[attr-defined]
    if action == VIEW:
        return get_visible_or_404(qs, membership, "member", pk=pk)
    return get_for_action_or_404(qs, membership, "member", action, pk=pk)


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    require_perm(membership, VIEW, "member")
    filter_form = MemberFilterForm(
        request.GET or None,
        roles=role_choices(membership),
        teams=team_choices(membership),
    )
    members = filtered_members(membership, **filter_form.filters())
    page = Paginator(members, settings.GUANXI_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        _htmx_partial(request, "accounts/settings/member_list.html", "rows"),
        {
            "filter_form": filter_form,
            "page": page,
            "can_add": has_perm(membership, ADD, "member"),
        },
    )


@login_required
@GET_POST
def member_create(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    require_perm(membership, ADD, "member")
    org = request.org  # type: ignore[attr-defined]
    form = MemberCreateForm(request.POST or None, org=org)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = create_member(
                org=org,
                actor=request.user,
                username=data["username"],
                password=data["password"],
                role=data["role"],
                team=data["team"],
                display_name=data["display_name"],
                email=data["email"],
            )
        except DomainError as error:
            _report(request, form, error)
        except ValidationError as error:
            form.add_error("password", error)
        else:
            if belongs_elsewhere(created):
                messages.success(
                    request,
                    _(
                        "%(username)s already had an account with another organisation and "
                        "has been added as a member; they keep their own password."
                    )
                    % {"username": created.user.username},
                )
            else:
                messages.success(
                    request,
                    _(
                        "%(username)s has been added. They must change the initial password "
                        "when they first sign in."
                    )
                    % {"username": created.user.username},
                )
            return redirect("accounts:member_list")
    return render(request, "accounts/settings/member_form.html", {"form": form, "member": None})


def _member_initial(member: Membership) -> dict[str, Any]:
    return {
        "display_name": member.user.display_name,
        "email": member.user.email,
        "role": member.role_id,
        "team": member.team_id,
        "version": member.version,
    }


@login_required
@GET_POST
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    member = _member_or_404(request, pk)
    can_change = has_perm(membership, CHANGE, "member")
    org = request.org  # type: ignore[attr-defined]
    if request.method == "POST":
        require_perm(membership, CHANGE, "member")
        form = MemberEditForm(request.POST, org=org)
        if form.is_valid():
            data = form.cleaned_data
            try:
                update_member(
                    membership=member,
                    actor=request.user,
                    expected_version=data["version"],
                    role=data["role"],
                    team=data["team"],
                    display_name=data["display_name"],
                    email=data["email"],
                )
            except DomainError as error:
                _report(request, form, error)
                member = _member_or_404(request, pk)  # the service may have changed it in memory
            else:
                messages.success(request, _("%(member)s has been saved.") % {"member": member.user})
                return redirect("accounts:member_list")
    else:
        form = MemberEditForm(initial=_member_initial(member), org=org, read_only=not can_change)
    return render(
        request,
        "accounts/settings/member_form.html",
        {
            "form": form,
            "member": member,
            "can_change": can_change,
            "is_self": member.user_id == request.user.pk,
        },
    )


@login_required
@GET_POST
def member_toggle_active(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member_or_404(request, pk, CHANGE)
    if request.method == "POST":
        active = request.POST.get("active") == "1"
        try:
            set_member_active(membership=member, actor=request.user, active=active)
        except DomainError as error:
            messages.error(request, str(error.message))
            return redirect("accounts:member_edit", pk=member.pk)
        if active:
            messages.success(request, _("%(member)s is active again.") % {"member": member.user})
        else:
            messages.success(
                request, _("%(member)s has been deactivated.") % {"member": member.user}
            )
        return redirect("accounts:member_list")
    return render(
        request,
        "accounts/settings/member_toggle_active.html",
        {"member": member, "is_self": member.user_id == request.user.pk},
    )


@login_required
@GET_POST
def member_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member_or_404(request, pk, CHANGE)
    shared = belongs_elsewhere(member)
    form = PasswordResetForm(request.POST or None, user=member.user)
    if request.method == "POST" and form.is_valid():
        try:
            reset_member_password(
                membership=member,
                actor=request.user,
                new_password=form.cleaned_data["new_password1"],
            )
        except DomainError as error:
            _report(request, form, error)
        except ValidationError as error:
            form.add_error("new_password1", error)
        else:
            messages.success(
                request,
                _(
                    "The password of %(member)s has been reset. They must change it at their "
                    "next sign-in."
                )
                % {"member": member.user},
            )
            return redirect("accounts:member_edit", pk=member.pk)
    return render(
        request,
        "accounts/settings/member_reset_password.html",
        {"form": form, "member": member, "shared": shared},
    )


# --- Roles -----------------------------------------------------------------------------


def _role_or_404(request: HttpRequest, pk: int, action: str = VIEW) -> Role:
    membership = request.membership  # type: ignore[attr-defined]
    if action == VIEW:
        return get_visible_or_404(Role.objects.all(), membership, "role", pk=pk)
    return get_for_action_or_404(Role.objects.all(), membership, "role", action, pk=pk)


@login_required
def role_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    require_perm(membership, VIEW, "role")
    return render(
        request,
        "accounts/settings/role_list.html",
        {
            "roles": roles_with_member_counts(membership),
            "can_add": has_perm(membership, ADD, "role"),
        },
    )


def _save_role_from(request: HttpRequest, form: RoleForm, role: Role | None) -> Role | None:
    data = form.cleaned_data
    try:
        return save_role(
            org=request.org,  # type: ignore[attr-defined]
            actor=request.user,  # type: ignore[arg-type]
            role=role,
            name=data["name"],
            visibility=data["visibility"],
            is_admin=data["is_admin"],
            permissions=form.permissions(),
            expected_version=data.get("version"),
        )
    except DomainError as error:
        _report(request, form, error)
        return None


@login_required
@GET_POST
def role_create(request: HttpRequest) -> HttpResponse:
    require_perm(request.membership, ADD, "role")  # type: ignore[attr-defined]
    form = RoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        role = _save_role_from(request, form, None)
        if role is not None:
            messages.success(request, _("The role %(role)s has been created.") % {"role": role})
            return redirect("accounts:role_list")
    return render(request, "accounts/settings/role_form.html", {"form": form, "role": None})


@login_required
@GET_POST
def role_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    role = _role_or_404(request, pk)
    can_change = has_perm(membership, CHANGE, "role")
    if request.method == "POST":
        require_perm(membership, CHANGE, "role")
        form = RoleForm(request.POST, role=role)
        if form.is_valid():
            saved = _save_role_from(request, form, role)
            if saved is not None:
                messages.success(request, _("The role %(role)s has been saved.") % {"role": saved})
                return redirect("accounts:role_list")
            role = _role_or_404(request, pk)  # the service may have changed it in memory
    else:
        form = RoleForm(role=role, read_only=not can_change)
    return render(
        request,
        "accounts/settings/role_form.html",
        {
            "form": form,
            "role": role,
            "can_change": can_change,
            "can_delete": has_perm(membership, DELETE, "role") and role.code != Role.Code.ADMIN,
        },
    )


@login_required
@GET_POST
def role_delete(request: HttpRequest, pk: int) -> HttpResponse:
    role = _role_or_404(request, pk, DELETE)
    if request.method == "POST":
        try:
            delete_role(role=role, actor=request.user)  # type: ignore[arg-type]
        except DomainError as error:
            messages.error(request, str(error.message))
            return redirect("accounts:role_edit", pk=role.pk)
        messages.success(request, _("The role %(role)s has been deleted.") % {"role": role})
        return redirect("accounts:role_list")
    return render(
        request,
        "accounts/settings/confirm_delete.html",
        {
            "object": role,
            "title": _("Delete role"),
            "question": _("Delete the role “%(name)s”? This cannot be undone.")
            % {"name": role.name},
            "cancel_url": reverse("accounts:role_edit", args=[role.pk]),
        },
    )


# --- Teams -----------------------------------------------------------------------------


def _team_or_404(request: HttpRequest, pk: int, action: str = VIEW) -> Team:
    membership = request.membership  # type: ignore[attr-defined]
    qs = Team.objects.select_related("leader")
    if action == VIEW:
        return get_visible_or_404(qs, membership, "team", pk=pk)
    return get_for_action_or_404(qs, membership, "team", action, pk=pk)


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    require_perm(membership, VIEW, "team")
    return render(
        request,
        "accounts/settings/team_list.html",
        {
            "teams": teams_with_member_counts(membership),
            "can_add": has_perm(membership, ADD, "team"),
        },
    )


@login_required
@GET_POST
def team_create(request: HttpRequest) -> HttpResponse:
    require_perm(request.membership, ADD, "team")  # type: ignore[attr-defined]
    org = request.org  # type: ignore[attr-defined]
    form = TeamForm(request.POST or None, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            team = save_team(
                org=org,
                actor=request.user,  # type: ignore[arg-type]
                team=None,
                name=form.cleaned_data["name"],
                leader=form.cleaned_data["leader"],
            )
        except DomainError as error:
            _report(request, form, error)
        else:
            messages.success(request, _("The team %(team)s has been created.") % {"team": team})
            return redirect("accounts:team_list")
    return render(request, "accounts/settings/team_form.html", {"form": form, "team": None})


@login_required
@GET_POST
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    team = _team_or_404(request, pk)
    can_change = has_perm(membership, CHANGE, "team")
    org = request.org  # type: ignore[attr-defined]
    if request.method == "POST":
        require_perm(membership, CHANGE, "team")
        form = TeamForm(request.POST, org=org, team=team)
        if form.is_valid():
            try:
                save_team(
                    org=org,
                    actor=request.user,  # type: ignore[arg-type]
                    team=team,
                    name=form.cleaned_data["name"],
                    leader=form.cleaned_data["leader"],
                    expected_version=form.cleaned_data["version"],
                )
            except DomainError as error:
                _report(request, form, error)
                team = _team_or_404(request, pk)  # the service may have changed it in memory
            else:
                messages.success(request, _("The team %(team)s has been saved.") % {"team": team})
                return redirect("accounts:team_list")
    else:
        form = TeamForm(org=org, team=team, read_only=not can_change)
    return render(
        request,
        "accounts/settings/team_form.html",
        {
            "form": form,
            "team": team,
            "members": team_members(team),
            "can_change": can_change,
            "can_delete": has_perm(membership, DELETE, "team"),
        },
    )


@login_required
@GET_POST
def team_delete(request: HttpRequest, pk: int) -> HttpResponse:
    team = _team_or_404(request, pk, DELETE)
    if request.method == "POST":
        try:
            delete_team(team=team, actor=request.user)  # type: ignore[arg-type]
        except DomainError as error:
            messages.error(request, str(error.message))
            return redirect("accounts:team_edit", pk=team.pk)
        messages.success(
            request,
            _("The team %(team)s has been moved to the recycle bin.") % {"team": team},
        )
        return redirect("accounts:team_list")
    return render(
        request,
        "accounts/settings/confirm_delete.html",
        {
            "object": team,
            "title": _("Delete team"),
            "question": _(
                "Move the team “%(name)s” to the recycle bin? It can be restored from there "
                "for %(days)s days."
            )
            % {"name": team.name, "days": settings.GUANXI_RECYCLE_BIN_DAYS},
            "cancel_url": reverse("accounts:team_edit", args=[team.pk]),
        },
    )
