"""What the list pages change: bulk actions, drag onto a category, pins, category trees."""

from __future__ import annotations

import json

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from guanxi.core.categories import category_tree
from guanxi.core.models import Tag
from guanxi.parties.models import Party, PartyCategory, PartyGroup, PartyGroupMember, PartyTag
from guanxi.parties.services import set_party_lock
from tests.conftest import login
from tests.factories import make_member
from tests.parties.list_helpers import make_category, make_party

LIST = reverse("parties:party_list")
BULK = reverse("parties:party_bulk")
FILE = reverse("parties:file_in_category")
HTMX = {"HTTP_HX_REQUEST": "true"}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def fresh(party: Party) -> Party:
    with scope(org=party.org_id):
        return Party.all_objects.get(pk=party.pk)


@pytest.fixture
def three(org, admin_member):
    return [make_party(org, admin_member.user, name=f"客户{i}") for i in range(3)]


def snapshot(parties):
    return [
        (p.owner_id, p.category_id, p.deleted_at, p.version)
        for p in (fresh(party) for party in parties)
    ]


# --- bulk actions ----------------------------------------------------------------------


def test_assign_owner(admin_client, org, three):
    rep = make_member(org, "sales", username="rep")

    response = admin_client.post(
        BULK,
        {"action": "assign_owner", "ids": [three[0].pk, three[1].pk], "owner": rep.user_id},
    )

    assert response.status_code == 302
    assert [fresh(p).owner_id for p in three] == [rep.user_id, rep.user_id, three[2].owner_id]
    assert "2" in messages_of(response)[0]


def test_move_to_category_and_back_to_uncategorised(admin_client, org, three):
    category = make_category(org, "华东")
    ids = ",".join(str(p.pk) for p in three)

    admin_client.post(BULK, {"action": "move_category", "ids": ids, "category": category.pk})
    assert [fresh(p).category_id for p in three] == [category.pk] * 3

    admin_client.post(BULK, {"action": "move_category", "ids": ids, "category": "none"})
    assert [fresh(p).category_id for p in three] == [None] * 3


def test_add_to_group_once(admin_client, org, three):
    with scope(org=org.pk):
        group = PartyGroup.objects.create(org=org, name="Fair")
        PartyGroupMember.objects.create(org=org, group=group, party=three[0])

    response = admin_client.post(
        BULK, {"action": "add_to_group", "ids": [p.pk for p in three], "group": group.pk}
    )

    with scope(org=org.pk):
        members = sorted(group.members.values_list("party_id", flat=True))
    assert members == sorted(p.pk for p in three)
    assert "2" in messages_of(response)[0]


def test_add_tag_keeps_other_tags(admin_client, org, three):
    with scope(org=org.pk):
        old = Tag.objects.create(org=org, name="old")
        new = Tag.objects.create(org=org, name="new")
        PartyTag.objects.create(org=org, party=three[0], tag=old)

    admin_client.post(BULK, {"action": "add_tag", "ids": [three[0].pk, three[1].pk], "tag": new.pk})

    with scope(org=org.pk):
        tags = {
            p.pk: sorted(PartyTag.objects.filter(party=p).values_list("tag__name", flat=True))
            for p in three
        }
    assert tags == {three[0].pk: ["new", "old"], three[1].pk: ["new"], three[2].pk: []}


def test_delete_refuses_locked_ones_and_deletes_the_rest(admin_client, org, three):
    set_party_lock(party=three[1], actor=None, locked=True)

    response = admin_client.post(BULK, {"action": "delete", "ids": [p.pk for p in three]})

    assert [fresh(p).deleted_at is not None for p in three] == [True, False, True]
    notes = messages_of(response)
    assert any(("2" in n and "recycle bin" in n.lower()) or "回收站" in n for n in notes)
    assert any("客户1" in n and ("locked" in n.lower() or "锁" in n) for n in notes)


@pytest.mark.parametrize(
    "data",
    [
        {"action": "assign_owner", "ids": "", "owner": "1"},  # nothing selected
        {"action": "assign_owner", "ids": "1,abc", "owner": "1"},  # malformed ids
        {"action": "assign_owner", "ids": "{ids}"},  # no owner
        {"action": "assign_owner", "ids": "{ids}", "owner": "999999"},  # not a member
        {"action": "move_category", "ids": "{ids}", "category": "999999"},
        {"action": "move_category", "ids": "{ids}"},
        {"action": "add_to_group", "ids": "{ids}", "group": "999999"},
        {"action": "add_tag", "ids": "{ids}", "tag": "abc"},
        {"action": "explode", "ids": "{ids}"},
        {},
    ],
)
def test_bad_bulk_input_changes_nothing(admin_client, three, data):
    before = snapshot(three)
    ids = ",".join(str(p.pk) for p in three)
    data = {k: v.replace("{ids}", ids) for k, v in data.items()}

    response = admin_client.post(BULK, data)

    assert response.status_code == 302
    assert snapshot(three) == before
    assert messages_of(response) != []


def test_bulk_with_another_organisations_id_is_404_and_changes_nothing(
    admin_client, org, other_org, three
):
    theirs = make_party(other_org, None, name="Theirs")
    before = snapshot([*three, theirs])

    response = admin_client.post(BULK, {"action": "delete", "ids": [three[0].pk, theirs.pk]})

    assert response.status_code == 404
    assert snapshot([*three, theirs]) == before


def test_bulk_with_a_hidden_id_is_404(org, sales_member, admin_member):
    client = login(Client(), sales_member)
    mine = make_party(org, sales_member.user, name="Mine")
    boss = make_party(org, admin_member.user, name="Boss's")

    response = client.post(BULK, {"action": "delete", "ids": [mine.pk, boss.pk]})

    assert response.status_code == 404
    assert fresh(mine).deleted_at is None


def test_readonly_member_cannot_bulk_change(org, readonly_member, three):
    client = login(Client(), readonly_member)
    before = snapshot(three)

    response = client.post(BULK, {"action": "delete", "ids": [three[0].pk]})
    page = client.get(LIST)

    assert response.status_code == 403
    assert snapshot(three) == before
    assert page.context["bulk_actions"] == []


def test_bulk_redirects_only_to_this_site(admin_client, org, three):
    category = make_category(org, "A")
    data = {"action": "move_category", "ids": three[0].pk, "category": category.pk}

    safe = admin_client.post(BULK, {**data, "next": "/customers/?q=x"})
    unsafe = admin_client.post(BULK, {**data, "next": "https://evil.example/"})

    assert safe["Location"] == "/customers/?q=x"
    assert unsafe["Location"] == LIST


def test_bulk_is_post_only(admin_client):
    assert admin_client.get(BULK).status_code == 405


# --- drag onto a category --------------------------------------------------------------


def test_drop_files_rows_and_asks_the_list_to_refresh(admin_client, org, three):
    category = make_category(org, "华东")

    response = admin_client.post(
        FILE,
        {"ids": f"{three[0].pk},{three[2].pk}", "category": category.pk, "role": "customer"},
        **HTMX,
    )

    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"parties-changed": {}}
    assert "华东" in response.content.decode()
    assert [fresh(p).category_id for p in three] == [category.pk, None, category.pk]


def test_drop_on_uncategorised(admin_client, org, three):
    category = make_category(org, "华东")
    admin_client.post(FILE, {"ids": three[0].pk, "category": category.pk}, **HTMX)

    admin_client.post(FILE, {"ids": three[0].pk, "category": "none"}, **HTMX)

    assert fresh(three[0]).category_id is None


def test_drop_in_a_supplier_category_files_the_supplier_column(admin_client, org):
    supplier = make_party(org, None, name="Steel", is_customer=False, is_supplier=True)
    category = make_category(org, "原料", role="supplier")

    admin_client.post(
        FILE, {"ids": supplier.pk, "category": category.pk, "role": "supplier"}, **HTMX
    )

    assert fresh(supplier).supplier_category_id == category.pk
    assert fresh(supplier).category_id is None


@pytest.mark.parametrize("case", ["other_org_category", "other_tree", "other_org_party"])
def test_drop_refuses_what_is_not_ours(admin_client, org, other_org, three, case):
    category = make_category(org, "Ours")
    party = three[0]
    if case == "other_org_category":
        category = make_category(other_org, "Theirs")
    elif case == "other_tree":
        category = make_category(org, "Suppliers", role="supplier")
    else:
        party = make_party(other_org, None, name="Theirs")

    response = admin_client.post(FILE, {"ids": party.pk, "category": category.pk}, **HTMX)

    assert response.status_code == 404
    assert fresh(party).category_id is None


def test_drop_with_a_bad_selection_changes_nothing(admin_client, org, three):
    category = make_category(org, "A")

    response = admin_client.post(FILE, {"ids": "x,1", "category": category.pk}, **HTMX)

    assert response.status_code == 400
    assert [fresh(p).category_id for p in three] == [None] * 3


# --- pins ------------------------------------------------------------------------------


def test_pin_and_unpin(admin_client, admin_member, three):
    url = reverse("parties:party_pin", args=[three[0].pk])

    response = admin_client.post(url, {"pinned": "1"}, **HTMX)
    assert 'aria-pressed="true"' in response.content.decode()
    assert [r.short_name for r in admin_client.get(LIST + "?tab=pinned").context["rows"]] == [
        "客户0"
    ]

    admin_client.post(url, {"pinned": "0"}, **HTMX)
    assert list(admin_client.get(LIST + "?tab=pinned").context["rows"]) == []


def test_pinning_another_organisations_party_is_404(admin_client, other_org):
    theirs = make_party(other_org, None, name="Theirs")

    response = admin_client.post(reverse("parties:party_pin", args=[theirs.pk]), {"pinned": "1"})

    assert response.status_code == 404


# --- the category tree -------------------------------------------------------------------


def tree_names(org, role="customer"):
    return [(c.name, c.depth) for c in category_tree(PartyCategory, org) if c.tree == role]


def test_add_root_child_and_sibling_from_the_prompt(admin_client, org):
    add = reverse("parties:category_add", args=["customer"])

    response = admin_client.post(add, HTTP_HX_PROMPT="华东", **HTMX)
    assert response.status_code == 200
    with scope(org=org.pk):
        east = PartyCategory.objects.get(name="华东")
    admin_client.post(add, {"parent": east.pk}, HTTP_HX_PROMPT="上海", **HTMX)
    with scope(org=org.pk):
        shanghai = PartyCategory.objects.get(name="上海")
    admin_client.post(add, {"sibling": shanghai.pk, "name": "杭州"}, **HTMX)
    admin_client.post(add, {"name": "华南"}, **HTMX)

    assert tree_names(org) == [("华东", 1), ("上海", 2), ("杭州", 2), ("华南", 1)]
    with scope(org=org.pk):
        assert set(PartyCategory.objects.values_list("tree", flat=True)) == {"customer"}


def test_an_empty_name_is_refused_with_a_message(admin_client, org):
    response = admin_client.post(
        reverse("parties:category_add", args=["customer"]), {"name": "  "}, **HTMX
    )

    assert 'data-testid="tree-error"' in response.content.decode()
    assert tree_names(org) == []


def test_rename(admin_client, org):
    category = make_category(org, "Old")

    admin_client.post(
        reverse("parties:category_rename", args=[category.pk]), {"name": "New"}, **HTMX
    )

    assert tree_names(org) == [("New", 1)]


@pytest.fixture
def tree(org):
    a = make_category(org, "A")
    b = make_category(org, "B")
    make_category(org, "Supplier root", role="supplier")
    c = make_category(org, "C")
    b1 = make_category(org, "B1", parent=b)
    return {"A": a, "B": b, "C": c, "B1": b1}


@pytest.mark.parametrize(
    ("name", "direction", "expected"),
    [
        ("B", "up", [("B", 1), ("B1", 2), ("A", 1), ("C", 1)]),
        ("B", "down", [("A", 1), ("C", 1), ("B", 1), ("B1", 2)]),
        # C skips over the supplier tree's root: siblings are counted within one list.
        ("C", "up", [("A", 1), ("C", 1), ("B", 1), ("B1", 2)]),
        ("B", "indent", [("A", 1), ("B", 2), ("B1", 3), ("C", 1)]),
        ("B1", "outdent", [("A", 1), ("B", 1), ("B1", 1), ("C", 1)]),
        # Nowhere to go: nothing changes.
        ("A", "up", [("A", 1), ("B", 1), ("B1", 2), ("C", 1)]),
        ("C", "down", [("A", 1), ("B", 1), ("B1", 2), ("C", 1)]),
        ("A", "outdent", [("A", 1), ("B", 1), ("B1", 2), ("C", 1)]),
        ("B1", "indent", [("A", 1), ("B", 1), ("B1", 2), ("C", 1)]),
        ("A", "sideways", [("A", 1), ("B", 1), ("B1", 2), ("C", 1)]),
    ],
)
def test_move(admin_client, org, tree, name, direction, expected):
    admin_client.post(
        reverse("parties:category_move", args=[tree[name].pk]), {"direction": direction}, **HTMX
    )

    assert tree_names(org) == expected
    assert tree_names(org, "supplier") == [("Supplier root", 1)]


def test_delete_only_when_empty(admin_client, org, tree, admin_member):
    make_party(org, admin_member.user, name="Filed", category_id=tree["C"].pk)

    with_children = admin_client.post(
        reverse("parties:category_delete", args=[tree["B"].pk]), **HTMX
    )
    with_members = admin_client.post(
        reverse("parties:category_delete", args=[tree["C"].pk]), **HTMX
    )
    empty = admin_client.post(reverse("parties:category_delete", args=[tree["A"].pk]), **HTMX)

    assert 'data-testid="tree-error"' in with_children.content.decode()
    assert 'data-testid="tree-error"' in with_members.content.decode()
    assert 'data-testid="tree-error"' not in empty.content.decode()
    assert tree_names(org) == [("B", 1), ("B1", 2), ("C", 1)]


@pytest.mark.parametrize("url_name", ["category_rename", "category_move", "category_delete"])
def test_another_organisations_category_is_404(admin_client, other_org, url_name):
    theirs = make_category(other_org, "Theirs")

    response = admin_client.post(
        reverse(f"parties:{url_name}", args=[theirs.pk]),
        {"name": "x", "direction": "up"},
        **HTMX,
    )

    assert response.status_code == 404
    assert tree_names(other_org) == [("Theirs", 1)]


def test_adding_under_another_organisations_category_is_404(admin_client, org, other_org):
    theirs = make_category(other_org, "Theirs")

    response = admin_client.post(
        reverse("parties:category_add", args=["customer"]),
        {"name": "x", "parent": theirs.pk},
        **HTMX,
    )

    assert response.status_code == 404
    assert tree_names(org) == []


def test_readonly_member_cannot_change_the_tree(org, readonly_member):
    client = login(Client(), readonly_member)
    category = make_category(org, "A")

    add = client.post(reverse("parties:category_add", args=["customer"]), {"name": "B"})
    delete = client.post(reverse("parties:category_delete", args=[category.pk]))

    assert add.status_code == 403
    assert delete.status_code == 403
    assert tree_names(org) == [("A", 1)]
