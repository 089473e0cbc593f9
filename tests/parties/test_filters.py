"""filter_parties: every filter of the lists, as a query string and as a saved dict."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.http import QueryDict
from django.utils import timezone
from django_scopes import scope

from guanxi.core.models import CustomField, Tag
from guanxi.parties.filters import filter_params, filter_parties, party_filterset
from guanxi.parties.models import PartyGroup, PartyGroupMember, PartyTag
from guanxi.parties.selectors import visible_parties
from guanxi.parties.visits import record_visit, set_pinned
from tests.factories import make_member, make_team
from tests.parties.list_helpers import make_category, make_party, set_fields


def names(membership, params, role="customer"):
    with scope(org=membership.org_id):
        qs = filter_parties(
            visible_parties(membership, role), params, membership=membership, role=role
        )
        return sorted(qs.values_list("short_name", flat=True))


def query(text: str) -> QueryDict:
    return QueryDict(text)


@pytest.fixture
def rep(org, team):
    return make_member(org, "sales", team=team, username="rep")


@pytest.fixture
def rows(org, admin_member, rep):
    boss = admin_member.user
    return {
        "a": make_party(
            org,
            boss,
            name="Alpha",
            customer_type="enterprise",
            level="key",
            source="referral",
            settlement_type="cash",
            city="上海市",
        ),
        "b": make_party(
            org,
            rep.user,
            name="Bravo",
            customer_type="dealer",
            level="normal",
            source="website",
            settlement_type="prepaid",
            city="杭州市",
        ),
        "c": make_party(
            org,
            None,
            name="Charlie",
            customer_type="individual",
            level="low",
            source="",
            settlement_type="credit",
            credit_limit="1000",
            city="上海",
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ("", ["Alpha", "Bravo", "Charlie"]),
        ("type=dealer", ["Bravo"]),
        ("level=key", ["Alpha"]),
        ("source=website", ["Bravo"]),
        ("settlement=credit", ["Charlie"]),
        ("city=上海", ["Alpha", "Charlie"]),
        ("city=杭州市", ["Bravo"]),
        ("owner=none", ["Charlie"]),
        ("letter=B", ["Bravo"]),
        ("letter=Z", []),
        ("q=alp", ["Alpha"]),
        ("type=enterprise&level=normal", []),
        # Values that do not validate are ignored, never a 500.
        ("type=nonsense", ["Alpha", "Bravo", "Charlie"]),
        ("created_from=not-a-date", ["Alpha", "Bravo", "Charlie"]),
        ("owner=abc", ["Alpha", "Bravo", "Charlie"]),
        ("team=999999", ["Alpha", "Bravo", "Charlie"]),
        ("unknown=1", ["Alpha", "Bravo", "Charlie"]),
    ],
)
def test_simple_filters(admin_member, rows, params, expected):
    assert names(admin_member, query(params)) == expected


def test_owner_and_team_filters(admin_member, rep, rows, org):
    assert names(admin_member, query(f"owner={rep.user_id}")) == ["Bravo"]
    assert names(admin_member, query(f"owner={admin_member.user_id}")) == ["Alpha"]
    assert names(admin_member, query(f"team={rep.team_id}")) == ["Bravo"]
    empty_team = make_team(org, "Empty")
    assert names(admin_member, query(f"team={empty_team.pk}")) == []


def test_group_and_tag_filters(admin_member, rows, org):
    with scope(org=org.pk):
        group = PartyGroup.objects.create(org=org, name="Fair 2026")
        PartyGroupMember.objects.create(org=org, group=group, party=rows["a"])
        PartyGroupMember.objects.create(org=org, group=group, party=rows["c"])
        tag = Tag.objects.create(org=org, name="VIP")
        PartyTag.objects.create(org=org, party=rows["b"], tag=tag)

    assert names(admin_member, query(f"group={group.pk}")) == ["Alpha", "Charlie"]
    assert names(admin_member, query(f"tag={tag.pk}")) == ["Bravo"]


def test_another_organisations_group_or_tag_is_ignored(admin_member, rows, other_org):
    with scope(org=other_org.pk):
        group = PartyGroup.objects.create(org=other_org, name="Theirs")
        tag = Tag.objects.create(org=other_org, name="Theirs")
    with scope(org=admin_member.org_id):
        filterset = party_filterset(
            visible_parties(admin_member),
            query(f"group={group.pk}&tag={tag.pk}"),
            membership=admin_member,
        )
        assert set(filterset.form.errors) == {"group", "tag"}
    assert names(admin_member, query(f"group={group.pk}")) == ["Alpha", "Bravo", "Charlie"]


def test_date_ranges_are_inclusive_days(admin_member, rows):
    today = timezone.localdate()
    set_fields(rows["a"], created_at=timezone.now() - timedelta(days=10))
    set_fields(rows["b"], created_at=timezone.now() - timedelta(days=3))
    set_fields(rows["a"], last_contact_at=timezone.now() - timedelta(days=1))
    set_fields(rows["c"], last_contact_at=timezone.now() - timedelta(days=40))
    ten = (today - timedelta(days=10)).isoformat()
    five = (today - timedelta(days=5)).isoformat()

    assert names(admin_member, query(f"created_from={ten}")) == ["Alpha", "Bravo", "Charlie"]
    assert names(admin_member, query(f"created_to={ten}")) == ["Alpha"]
    assert names(admin_member, query(f"created_from={five}")) == ["Bravo", "Charlie"]
    assert names(admin_member, query(f"created_from={five}&created_to={today}")) == [
        "Bravo",
        "Charlie",
    ]
    assert names(admin_member, query(f"contact_from={five}")) == ["Alpha"]
    assert names(admin_member, query(f"contact_to={five}")) == ["Charlie"]


def test_category_filter_includes_subcategories(admin_member, org, rows):
    east = make_category(org, "华东")
    shanghai = make_category(org, "上海", parent=east)
    south = make_category(org, "华南")
    with scope(org=org.pk):
        for party, category in ((rows["a"], east), (rows["b"], shanghai)):
            party.category = category
            party.save()

    assert names(admin_member, query(f"category={east.pk}")) == ["Alpha", "Bravo"]
    assert names(admin_member, query(f"category={shanghai.pk}")) == ["Bravo"]
    assert names(admin_member, query(f"category={south.pk}")) == []
    assert names(admin_member, query("category=none")) == ["Charlie"]
    assert names(admin_member, query("category=999999")) == []
    assert names(admin_member, query("category=x")) == []


def test_each_role_filters_by_its_own_tree(admin_member, org):
    supplier_cat = make_category(org, "原料", role="supplier")
    customer_cat = make_category(org, "原料", role="customer")
    make_party(
        org,
        None,
        name="Steel Co",
        is_customer=False,
        is_supplier=True,
        supplier_category_id=supplier_cat.pk,
    )

    assert names(admin_member, query(f"category={supplier_cat.pk}"), role="supplier") == [
        "Steel Co"
    ]
    assert names(admin_member, query(f"category={customer_cat.pk}"), role="supplier") == []
    # The customers' list does not accept the suppliers' categories.
    assert names(admin_member, query(f"category={supplier_cat.pk}")) == []


def test_tabs_use_the_members_own_visits(admin_member, rep, rows, org):
    record_visit(user=admin_member.user, party=rows["a"])
    set_pinned(user=admin_member.user, party=rows["c"], pinned=True)
    record_visit(user=rep.user, party=rows["b"])

    assert names(admin_member, query("tab=recent")) == ["Alpha"]
    assert names(admin_member, query("tab=frequent")) == ["Alpha"]
    assert names(admin_member, query("tab=pinned")) == ["Charlie"]
    assert names(admin_member, query("tab=all")) == ["Alpha", "Bravo", "Charlie"]


def test_visibility_is_applied_before_filters(rep, rows):
    # A sales rep sees their own customers only, whatever the filter says.
    assert names(rep, query("")) == ["Bravo"]
    assert names(rep, query("city=上海")) == []


@pytest.fixture
def custom_fields(org):
    with scope(org=org.pk):
        specs = [
            ("industry_note", CustomField.FieldType.TEXT, []),
            ("employees", CustomField.FieldType.NUMBER, []),
            ("founded", CustomField.FieldType.DATE, []),
            ("region", CustomField.FieldType.CHOICE, ["华东", "华南"]),
            ("channels", CustomField.FieldType.MULTI_CHOICE, ["线上", "线下", "B2B"]),
            ("vip", CustomField.FieldType.BOOLEAN, []),
        ]
        return {
            key: CustomField.objects.create(
                org=org,
                target=CustomField.Target.PARTY,
                key=key,
                label=key,
                field_type=kind,
                choices=choices,
            )
            for key, kind, choices in specs
        }


def test_custom_field_filters(admin_member, org, custom_fields):
    make_party(
        org,
        None,
        name="One",
        custom_data={
            "industry_note": "Makes 机床 parts",
            "employees": "120",
            "founded": "2001-05-04",
            "region": "华东",
            "channels": ["线上", "B2B"],
            "vip": True,
        },
    )
    make_party(
        org,
        None,
        name="Two",
        custom_data={
            "employees": "9.5",
            "founded": "2019-01-01",
            "region": "华南",
            "channels": ["线下"],
            "vip": False,
        },
    )
    make_party(org, None, name="Three")

    assert names(admin_member, query("cf_industry_note=机床")) == ["One"]
    assert names(admin_member, query("cf_industry_note=MAKES")) == ["One"]
    assert names(admin_member, query("cf_employees_min=100")) == ["One"]
    assert names(admin_member, query("cf_employees_max=10")) == ["Two"]
    assert names(admin_member, query("cf_employees_min=9&cf_employees_max=200")) == [
        "One",
        "Two",
    ]
    assert names(admin_member, query("cf_founded_from=2010-01-01")) == ["Two"]
    assert names(admin_member, query("cf_founded_to=2010-01-01")) == ["One"]
    assert names(admin_member, query("cf_region=华南")) == ["Two"]
    assert names(admin_member, query("cf_channels=线上")) == ["One"]
    assert names(admin_member, query("cf_channels=线下")) == ["Two"]
    assert names(admin_member, query("cf_channels=B2B")) == ["One"]
    assert names(admin_member, query("cf_vip=yes")) == ["One"]
    assert names(admin_member, query("cf_vip=no")) == ["Three", "Two"]
    # Not a choice of the field, or not a number: ignored.
    assert names(admin_member, query("cf_region=西北")) == ["One", "Three", "Two"]
    assert names(admin_member, query("cf_employees_min=lots")) == ["One", "Three", "Two"]


def test_a_saved_dict_filters_like_the_query_string(admin_member, rows):
    saved = filter_params(query("level=key&sort=-name&cursor=abc&q=&city=上海"))

    assert saved == {"level": "key", "city": "上海"}
    assert names(admin_member, saved) == ["Alpha"]


def test_dates_in_filters_are_real_dates(admin_member, rows):
    assert names(admin_member, {"created_from": date(2000, 1, 1)}) == ["Alpha", "Bravo", "Charlie"]
