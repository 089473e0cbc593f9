"""Behavioural customer types (H13): the catalogue, setting and clearing a customer's
types, counts and lists that follow customer visibility, the tab, the badge, bad input."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django_scopes import scope

from guanxi.analytics.behaviour import selectors as sel
from guanxi.analytics.behaviour.catalogue import KEYS, TYPES, get_type
from guanxi.analytics.behaviour.models import CustomerBehaviour
from guanxi.analytics.behaviour.registrations import behaviour_badges
from guanxi.analytics.behaviour.services import clean_type_keys, set_customer_types
from tests.conftest import login
from tests.factories import make_member
from tests.sales.pipeline_factories import make_customer

pytestmark = pytest.mark.django_db


def test_catalogue_has_the_nine_types_of_the_document():
    assert len(TYPES) == 9
    assert [t.number for t in TYPES] == list(range(1, 10))
    assert [t.name_zh for t in TYPES] == [
        "理智型",
        "任务型",
        "贪婪型",
        "主人翁型",
        "抢功型",
        "吝啬型",
        "刁蛮型",
        "关系型",
        "综合型",
    ]
    rational = get_type("rational")
    with translation.override("zh-hans"):
        assert rational.name == "理智型"
        assert "坦诚" in rational.approach
    with translation.override("en"):
        assert rational.name == "Rational"
        assert "openly" in rational.approach
    # The playbook never recommends kickbacks.
    assert "Never offer kickbacks" in str(get_type("greedy").avoid_en)


def test_clean_keys_orders_and_rejects_unknown():
    assert clean_type_keys(["stingy", "rational", "stingy"]) == ["rational", "stingy"]
    with pytest.raises(ValidationError) as caught:
        clean_type_keys(["rational", "sneaky"])
    assert "types" in caught.value.message_dict
    assert "sneaky" in caught.value.message_dict["types"][0]


def test_set_and_clear_types(org, other_org, admin_member, sales_member):
    party = make_customer(org, sales_member.user, name="甲公司")
    with scope(org=org.pk):
        assert set_customer_types(
            org=org, actor=admin_member.user, party=party, keys=["task", "rational"]
        ) == ["rational", "task"]
        first = CustomerBehaviour.objects.get(party=party, type_key="rational")
        assert first.assigned_by == admin_member.user
        # Keeping a type keeps who set it; a new one records the new actor.
        set_customer_types(
            org=org, actor=sales_member.user, party=party, keys=["rational", "owner"]
        )
        rows = {r.type_key: r for r in CustomerBehaviour.objects.filter(party=party)}
        assert set(rows) == {"rational", "owner"}
        assert rows["rational"].pk == first.pk
        assert rows["owner"].assigned_by == sales_member.user
        with pytest.raises(ValidationError):
            set_customer_types(org=org, actor=None, party=party, keys=["owner", "bogus"])
        assert CustomerBehaviour.objects.filter(party=party).count() == 2  # nothing written
        assert set_customer_types(org=org, actor=None, party=party, keys=[]) == []
        assert not CustomerBehaviour.objects.filter(party=party).exists()
    with pytest.raises(ValidationError):
        set_customer_types(org=other_org, actor=None, party=party, keys=["rational"])


def test_counts_and_lists_follow_visibility(org, admin_member, sales_member):
    other = make_member(org, "sales", username="other-sales")
    mine = make_customer(org, sales_member.user, name="我的客户")
    theirs = make_customer(org, other.user, name="别人的客户")
    with scope(org=org.pk):
        set_customer_types(org=org, actor=None, party=mine, keys=["rational"])
        set_customer_types(org=org, actor=None, party=theirs, keys=["rational", "tricky"])
        admin_counts = {c.type.key: c.count for c in sel.type_counts(admin_member)}
        sales_counts = {c.type.key: c.count for c in sel.type_counts(sales_member)}
        assert list(admin_counts) == list(KEYS)
        assert admin_counts["rational"] == 2
        assert admin_counts["tricky"] == 1
        assert sales_counts["rational"] == 1
        assert sales_counts["tricky"] == 0
        assert list(sel.customers_of_type(sales_member, "rational")) == [mine]
        assert [b.label for b in behaviour_badges(theirs)] == ["Rational", "Tricky"]


def test_pages_and_tab(client, org, admin_member, sales_member):
    party = make_customer(org, sales_member.user, name="甲公司")
    hidden = make_customer(org, admin_member.user, name="老板的客户")
    login(client, sales_member)
    response = client.get(reverse("analytics:behaviour_list"))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="behaviour-count"') == 9
    assert client.get(reverse("analytics:behaviour_type", args=["nope"])).status_code == 404
    tab = reverse("analytics:behaviour_party_tab", args=[party.pk])
    assert 'data-testid="behaviour-none"' in client.get(tab).content.decode()
    # A customer the member may not see is a 404, for reading and writing.
    hidden_tab = reverse("analytics:behaviour_party_tab", args=[hidden.pk])
    assert client.get(hidden_tab).status_code == 404
    assert client.post(hidden_tab, {"types": ["rational"]}).status_code == 404
    # Bad input: a field error, nothing written.
    response = client.post(tab, {"types": ["rational", "bogus"]})
    assert response.status_code == 400
    assert 'data-field="types"' in response.content.decode()
    with scope(org=org.pk):
        assert not CustomerBehaviour.objects.exists()
    response = client.post(tab, {"types": ["rational"]})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="behaviour-saved"' in html
    assert "How to approach" in html
    response = client.get(reverse("analytics:behaviour_type", args=["rational"]))
    assert "甲公司" in response.content.decode()
    # The customer page shows the tab and the header badge.
    page = client.get(reverse("parties:party_detail", args=[party.pk])).content.decode()
    assert 'data-testid="tab-behaviour"' in page
    assert 'data-testid="value-badges"' in page
    assert "Rational" in page


def test_readonly_cannot_set_types(client, org, readonly_member, admin_member):
    party = make_customer(org, admin_member.user, name="甲公司")
    login(client, readonly_member)
    tab = reverse("analytics:behaviour_party_tab", args=[party.pk])
    response = client.get(tab)
    assert response.status_code == 200
    assert 'data-testid="behaviour-form"' not in response.content.decode()
    assert client.post(tab, {"types": ["rational"]}).status_code == 403


def test_list_query_count_is_fixed(client, org, admin_member):
    login(client, admin_member)
    url = reverse("analytics:behaviour_type", args=["owner"])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    party = make_customer(org, admin_member.user, name="一")
    with scope(org=org.pk):
        set_customer_types(org=org, actor=None, party=party, keys=["owner"])
    before = count()
    with scope(org=org.pk):
        for n in range(5):
            extra = make_customer(org, admin_member.user, name=f"客户{n}")
            set_customer_types(org=org, actor=None, party=extra, keys=["owner"])
    assert count() == before
    assert before <= 10


def test_demo_seeder_tags_about_thirty_percent_once(org, admin_member):
    from guanxi.analytics.behaviour.demo import seed_behaviour
    from guanxi.core.demo import DemoContext
    from guanxi.parties.models import Party

    with scope(org=org.pk):
        Party.objects.bulk_create(
            [Party(org=org, name=f"演示客户{i}", is_customer=True) for i in range(200)]
        )
        ctx = DemoContext(org=org, users={"admin": admin_member.user}, log=lambda _m: None)
        seed_behaviour(ctx)
        tagged = CustomerBehaviour.objects.values("party_id").distinct().count()
        rows = CustomerBehaviour.objects.count()
        assert 40 <= tagged <= 80
        assert set(CustomerBehaviour.objects.values_list("type_key", flat=True)) <= set(KEYS)
        seed_behaviour(ctx)
        assert CustomerBehaviour.objects.count() == rows
