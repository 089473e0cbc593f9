"""Roles: list, the permission matrix, built-in defaults, delete rules."""

from django.urls import reverse
from django_scopes import scopes_disabled

from guanxi.accounts.models import Role
from guanxi.core.permissions import allowed_actions, object_types
from tests.accounts.settings_helpers import client_for, errors_of, fresh, role
from tests.factories import make_member

LIST = reverse("accounts:role_list")
CREATE = reverse("accounts:role_create")


def _edit_url(r):
    return reverse("accounts:role_edit", args=[r.pk])


def _matrix_data(grants):
    """Form data ticking exactly `grants` ({type: [actions]}); other boxes stay unticked."""
    return {f"perm__{key}__{action}": "on" for key, actions in grants.items() for action in actions}


def _effective(r):
    """The actions role `r` grants per object type, as the permission service sees them."""

    class _M:
        is_active = True
        role = r

    return {t.key: allowed_actions(_M, t.key) for t in object_types()}


def test_list_shows_roles_with_member_counts(admin_client, org, admin_member, sales_member):
    response = admin_client.get(LIST)

    counts = {r.code: r.member_count for r in response.context["roles"]}
    assert counts["admin"] == 1
    assert counts["sales"] == 1
    assert counts["readonly"] == 0


def test_admin_creates_a_role_with_a_permission_matrix(admin_client, org):
    data = {
        "name": "客服主管",
        "visibility": "team",
        **_matrix_data({"member": ["view"], "team": ["view", "add"]}),
        "perm__organisation__delete": "on",  # no such action on this type: ignored
    }

    response = admin_client.post(CREATE, data)

    assert response.status_code == 302
    with scopes_disabled():
        created = Role.objects.get(org=org, name="客服主管")
    assert created.visibility == "team"
    assert created.is_admin is False
    assert created.code == ""
    assert created.permissions == {"member": ["view"], "team": ["add", "view"]}
    assert _effective(created)["organisation"] == frozenset()


def test_matrix_shows_only_declared_actions(admin_client, org):
    form = admin_client.get(_edit_url(role(org, "sales"))).context["form"]

    rows = {row.object_type.key: row for row in form.matrix()}
    with_box = {c.action for c in rows["organisation"].cells if c.field is not None}
    without_box = {c.action for c in rows["organisation"].cells if c.field is None}
    assert with_box == {"view", "change"}
    assert {"add", "delete", "export"} <= without_box


def test_built_in_role_shows_its_defaults(admin_client, org):
    response = admin_client.get(_edit_url(role(org, "sales")))

    form = response.context["form"]
    rows = {row.object_type.key: row for row in form.matrix()}
    assert rows["widget"].follows_default is True
    ticked = {c.action for c in rows["widget"].cells if c.field is not None and c.field.value()}
    assert ticked == {"view", "add", "change", "delete"}
    assert 'data-testid="follows-default"' in response.content.decode()


def test_changing_one_row_of_a_built_in_role_keeps_the_others_on_defaults(admin_client, org):
    sales = role(org, "sales")
    before = _effective(sales)
    form = admin_client.get(_edit_url(sales)).context["form"]
    data = {name: "on" for name, field in form.fields.items() if name.startswith("perm__")}
    data = {k: v for k, v in data.items() if form[k].value()}  # tick what is ticked now
    data.pop("perm__widget__delete")  # … except this one

    response = admin_client.post(
        _edit_url(sales), {"name": sales.name, "visibility": "own", "version": 1, **data}
    )

    assert response.status_code == 302
    after = fresh(sales)
    assert after.permissions == {"widget": ["add", "change", "view"]}
    assert after.version == 2
    assert _effective(after) == {**before, "widget": frozenset({"view", "add", "change"})}


def test_duplicate_name_is_a_field_error_and_changes_nothing(admin_client, org):
    response = admin_client.post(CREATE, {"name": role(org, "sales").name, "visibility": "own"})

    assert response.status_code == 200
    assert errors_of(response, "name") != []
    with scopes_disabled():
        assert Role.objects.filter(org=org).count() == 6


def test_bad_visibility_is_a_field_error(admin_client, org):
    sales = role(org, "sales")

    response = admin_client.post(
        _edit_url(sales), {"name": "Renamed", "visibility": "galaxy", "version": 1}
    )

    assert response.status_code == 200
    assert errors_of(response, "visibility") != []
    assert fresh(sales).name == sales.name


def test_stale_role_edit_is_refused_and_changes_nothing(admin_client, org):
    sales = role(org, "sales")
    data = {"visibility": "own", "version": 1}
    assert admin_client.post(_edit_url(sales), {**data, "name": "First"}).status_code == 302

    response = admin_client.post(_edit_url(sales), {**data, "name": "Second"})

    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    assert fresh(sales).name == "First"


def test_built_in_administrator_role_keeps_every_right(admin_client, org):
    admin_role = role(org, "admin")

    response = admin_client.post(
        _edit_url(admin_role),
        {"name": "管理员", "visibility": "org", "version": 1},  # is_admin left unticked
    )

    assert response.status_code == 302
    after = fresh(admin_role)
    assert after.is_admin is True
    assert after.name == "管理员"


def test_role_in_use_cannot_be_deleted(admin_client, org, sales_member):
    sales = role(org, "sales")

    response = admin_client.post(reverse("accounts:role_delete", args=[sales.pk]), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "Give this role's members another role first."
    ]
    assert fresh(sales).pk == sales.pk


def test_administrator_role_cannot_be_deleted(admin_client, org):
    admin_role = role(org, "admin")

    page = admin_client.get(_edit_url(admin_role))
    response = admin_client.post(reverse("accounts:role_delete", args=[admin_role.pk]), follow=True)

    assert 'data-testid="role-delete"' not in page.content.decode()
    assert [str(m) for m in response.context["messages"]] == [
        "The administrator role cannot be deleted."
    ]
    assert fresh(admin_role).code == "admin"


def test_unused_role_is_deleted(admin_client, org):
    readonly = role(org, "readonly")
    url = reverse("accounts:role_delete", args=[readonly.pk])
    assert admin_client.get(url).status_code == 200  # the confirmation

    response = admin_client.post(url)

    assert response.status_code == 302
    with scopes_disabled():
        assert Role.objects.filter(pk=readonly.pk).exists() is False


def test_role_with_only_inactive_members_cannot_be_deleted(admin_client, org):
    gone = make_member(org, "readonly")
    with scopes_disabled():
        type(gone).objects.filter(pk=gone.pk).update(is_active=False)

    admin_client.post(reverse("accounts:role_delete", args=[role(org, "readonly").pk]))

    with scopes_disabled():
        assert Role.objects.filter(org=org, code="readonly").exists() is True


def test_manager_sees_roles_read_only(org):
    client, _manager = client_for(org, "manager")
    sales = role(org, "sales")

    page = client.get(_edit_url(sales))
    response = client.post(_edit_url(sales), {"name": "x", "visibility": "org", "version": 1})

    assert page.status_code == 200
    assert 'data-testid="read-only"' in page.content.decode()
    assert response.status_code == 403
    assert client.get(reverse("accounts:role_delete", args=[sales.pk])).status_code == 403
    assert fresh(sales).name == sales.name


def test_roles_manager_cannot_create_or_edit_administrator_roles(org):
    # given: a role that may manage roles without being an administrator
    with scopes_disabled():
        keeper = Role.objects.create(
            org=org,
            name="Role keeper",
            visibility="org",
            permissions={"role": ["view", "add", "change", "delete"]},
        )
    client, member = client_for(org, "readonly")
    with scopes_disabled():
        type(member).objects.filter(pk=member.pk).update(role=keeper)

    # when
    create = client.post(CREATE, {"name": "Super", "visibility": "org", "is_admin": "on"})
    escalate = client.post(
        _edit_url(keeper),
        {"name": "Role keeper", "visibility": "org", "is_admin": "on", "version": 1},
    )

    # then
    assert errors_of(create, "is_admin") != []
    assert errors_of(escalate, "is_admin") != []
    with scopes_disabled():
        assert Role.objects.filter(org=org, name="Super").exists() is False
    assert fresh(keeper).is_admin is False
