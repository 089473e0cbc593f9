"""The party list pages: rendering, tabs, A–Z, sorting, keyset paging, partials, speed."""

from __future__ import annotations

from functools import cmp_to_key

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from guanxi.parties import list_views
from guanxi.parties.models import Party
from guanxi.parties.visits import record_visit, set_pinned
from tests.factories import make_member
from tests.parties.list_helpers import make_category, make_party, set_fields

LIST = reverse("parties:party_list")
HTMX = {"HTTP_HX_REQUEST": "true"}


def row_names(response) -> list[str]:
    return [row.short_name for row in response.context["rows"]]


@pytest.mark.parametrize(
    "url_name",
    [
        "parties:party_list",
        "parties:supplier_list",
        "parties:competitor_list",
        "parties:channel_list",
        "parties:group_list",
        "parties:segment_list",
    ],
)
def test_pages_render(admin_client, url_name):
    response = admin_client.get(reverse(url_name))

    assert response.status_code == 200


def test_each_role_lists_its_own_parties_and_tree(admin_client, org, admin_member):
    make_party(org, admin_member.user, name="Buyer Co")
    make_party(org, admin_member.user, name="Maker Co", is_customer=False, is_supplier=True)
    make_category(org, "Customers' tree")
    make_category(org, "Suppliers' tree", role="supplier")

    customers = admin_client.get(LIST)
    suppliers = admin_client.get(reverse("parties:supplier_list"))

    assert row_names(customers) == ["Buyer Co"]
    assert row_names(suppliers) == ["Maker Co"]
    assert [n.category.name for n in customers.context["tree"]] == ["Customers' tree"]
    assert [n.category.name for n in suppliers.context["tree"]] == ["Suppliers' tree"]


def test_unknown_role_is_404(admin_client):
    response = admin_client.post(
        reverse("parties:category_add", args=["enemies"]), {"name": "x"}, **HTMX
    )

    assert response.status_code == 404


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(LIST)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_html_in_names_is_escaped(admin_client, org, admin_member):
    make_party(org, admin_member.user, name="<script>alert('x')</script>", city="<b>城</b>")
    category = make_category(org, "<img src=x onerror=alert(1)>")

    html = admin_client.get(LIST).content.decode()

    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(" in html
    assert "<b>城</b>" not in html
    assert "<img src=x" not in html
    assert category.pk


def test_other_organisations_parties_are_not_listed(admin_client, org, other_org, admin_member):
    make_party(org, admin_member.user, name="Ours")
    make_party(other_org, None, name="Theirs")

    assert row_names(admin_client.get(LIST)) == ["Ours"]


def test_sales_rep_sees_only_own_customers(sales_client, sales_member, org, admin_member):
    make_party(org, sales_member.user, name="Mine")
    make_party(org, admin_member.user, name="Boss's")

    assert row_names(sales_client.get(LIST)) == ["Mine"]


def test_letter_bar_filters_by_index_letter(admin_client, org, admin_member):
    make_party(org, admin_member.user, name="张伟", kind="person")
    make_party(org, admin_member.user, name="单雄信", kind="person")
    make_party(org, admin_member.user, name="123 Co")

    response = admin_client.get(LIST + "?letter=Z")
    others = admin_client.get(LIST + "?letter=%23")

    assert row_names(response) == ["张伟"]
    assert row_names(admin_client.get(LIST + "?letter=S")) == ["单雄信"]
    assert row_names(others) == ["123 Co"]
    assert [item["letter"] for item in response.context["letters"]][-1] == "#"
    assert [item["letter"] for item in response.context["letters"] if item["active"]] == ["Z"]


def test_quick_tabs(admin_client, org, admin_member):
    a = make_party(org, admin_member.user, name="Often")
    b = make_party(org, admin_member.user, name="Lately")
    c = make_party(org, admin_member.user, name="Pinned")
    make_party(org, admin_member.user, name="Never")
    for _ in range(3):
        record_visit(user=admin_member.user, party=a)
    record_visit(user=admin_member.user, party=b)
    set_pinned(user=admin_member.user, party=c, pinned=True)

    assert row_names(admin_client.get(LIST + "?tab=recent")) == ["Lately", "Often"]
    assert row_names(admin_client.get(LIST + "?tab=frequent")) == ["Often", "Lately"]
    assert row_names(admin_client.get(LIST + "?tab=pinned")) == ["Pinned"]
    assert len(row_names(admin_client.get(LIST))) == 4


def test_search_box(admin_client, org, admin_member):
    make_party(org, admin_member.user, name="东方明珠", mobile="13800138000")
    make_party(org, admin_member.user, name="西湖龙井")

    assert row_names(admin_client.get(LIST + "?q=dfmz")) == ["东方明珠"]
    assert row_names(admin_client.get(LIST + "?q=8000")) == ["东方明珠"]
    assert row_names(admin_client.get(LIST + "?q=xihu")) == ["西湖龙井"]


def test_pinned_rows_show_pinned(admin_client, org, admin_member):
    party = make_party(org, admin_member.user, name="Pinned")
    set_pinned(user=admin_member.user, party=party, pinned=True)

    rows = admin_client.get(LIST).context["rows"]

    assert rows[0].is_pinned is True


# --- sorting and paging ------------------------------------------------------------------


@pytest.fixture
def sortable(org, admin_member):
    other = make_member(org, "sales", username="second").user
    rows = [
        ("Echo", "C5", "dealer", "low", None, "杭州", 5, None),
        ("Alpha", "C2", "enterprise", "key", admin_member.user, "上海", 1, 3),
        ("Delta", "", "enterprise", "normal", other, "上海", 4, 2),
        ("Bravo", "C9", "individual", "important", admin_member.user, "", 2, None),
        ("Charlie", "C1", "other", "normal", None, "北京", 3, 1),
    ]
    made = {}
    for name, code, kind, level, owner, city, age, contact in rows:
        party = make_party(
            org, None, name=name, code=code, customer_type=kind, level=level, city=city
        )
        values = {"created_at": timezone.now() - timezone.timedelta(days=10 - age)}
        values["owner"] = owner
        if contact is not None:
            values["last_contact_at"] = timezone.now() - timezone.timedelta(days=contact)
        made[name] = set_fields(party, **values)
    return made


def expected_order(parties, key: str, descending: bool) -> list[str]:
    """The order the list must show: the column's keys in one direction, NULLs last."""
    paths = list_views.SORT_COLUMNS[key].paths

    def compare(a, b) -> int:
        for path in paths:
            x, y = getattr(a, path), getattr(b, path)
            if x == y:
                continue
            if x is None or y is None:
                return 1 if x is None else -1
            result = -1 if x < y else 1
            return -result if descending else result
        return 0

    return [p.short_name for p in sorted(parties.values(), key=cmp_to_key(compare))]


@pytest.mark.parametrize("key", list(list_views.SORT_COLUMNS))
@pytest.mark.parametrize("descending", [False, True])
def test_every_column_sorts_both_ways(admin_client, sortable, key, descending):
    sort = f"-{key}" if descending else key

    response = admin_client.get(f"{LIST}?sort={sort}")

    assert row_names(response) == expected_order(sortable, key, descending)
    header = next(c for c in response.context["columns"] if c["key"] == key)
    assert header["current"] is True
    # The header links to the other direction.
    assert (f"sort=-{key}" in header["url"]) is (not descending)


@pytest.mark.parametrize("key", list(list_views.SORT_COLUMNS))
@pytest.mark.parametrize("descending", [False, True])
def test_keyset_paging_returns_every_row_exactly_once(
    admin_client, sortable, monkeypatch, key, descending
):
    monkeypatch.setattr(list_views, "PAGE_SIZE", 2)
    url = f"{LIST}?sort={'-' if descending else ''}{key}"
    seen: list[str] = []
    pages = 0
    while url:
        response = admin_client.get(url)
        assert response.status_code == 200
        seen.extend(row_names(response))
        url = response.context["next_url"]
        pages += 1
        assert pages < 10

    assert seen == expected_order(sortable, key, descending)
    assert pages == 3


@pytest.mark.parametrize("key", list(list_views.SORT_COLUMNS))
@pytest.mark.parametrize("descending", [False, True])
def test_keyset_paging_of_a_selective_filter_returns_every_row_once(
    admin_client, admin_member, sortable, monkeypatch, key, descending
):
    # Pinned rows come from a list of ids, which SQLite sorts instead of walking an index.
    for party in sortable.values():
        set_pinned(user=admin_member.user, party=party, pinned=True)
    monkeypatch.setattr(list_views, "PAGE_SIZE", 2)
    url = f"{LIST}?tab=pinned&sort={'-' if descending else ''}{key}"
    seen: list[str] = []
    while url:
        response = admin_client.get(url)
        seen.extend(row_names(response))
        url = response.context["next_url"]
        assert len(seen) <= 5

    assert seen == expected_order(sortable, key, descending)


def test_next_page_link_carries_a_cursor_not_an_offset(admin_client, sortable, monkeypatch):
    monkeypatch.setattr(list_views, "PAGE_SIZE", 2)

    response = admin_client.get(LIST)

    assert "cursor=" in response.context["next_url"]
    assert "page=" not in response.context["next_url"]
    assert "offset" not in response.context["next_url"]


def test_a_bad_cursor_starts_from_the_first_page(admin_client, sortable):
    response = admin_client.get(LIST + "?cursor=not-a-cursor")

    assert response.status_code == 200
    assert len(row_names(response)) == 5


def test_unknown_sort_falls_back_to_name(admin_client, sortable):
    response = admin_client.get(LIST + "?sort=password")

    assert row_names(response) == ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]


def test_list_query_has_no_offset_and_no_count(admin_client, sortable, monkeypatch):
    monkeypatch.setattr(list_views, "PAGE_SIZE", 2)
    first = admin_client.get(LIST)
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(first.context["next_url"], **HTMX)

    sql = " ".join(q["sql"].upper() for q in queries.captured_queries)
    assert "OFFSET" not in sql
    assert "COUNT(" not in sql


# --- htmx partials -------------------------------------------------------------------------


def test_htmx_search_returns_the_results_partial(admin_client, org, admin_member):
    make_party(org, admin_member.user, name="Alpha")

    response = admin_client.get(LIST + "?q=alp", **HTMX)

    html = response.content.decode()
    assert 'id="party-results"' in html
    assert "<html" not in html
    assert "Alpha" in html


def test_htmx_next_page_returns_rows_only(admin_client, sortable, monkeypatch):
    monkeypatch.setattr(list_views, "PAGE_SIZE", 2)
    next_url = admin_client.get(LIST).context["next_url"]

    html = admin_client.get(next_url, **HTMX).content.decode()

    assert html.strip().startswith("<tr")
    assert 'id="party-results"' not in html
    assert "Charlie" in html


# --- speed -----------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize(
    "query",
    ["", "?sort=-owner", "?q=zhang", "?q=13", "?tab=recent", "?tab=pinned", "?level=key"],
)
def test_query_count_does_not_grow_with_rows(admin_client, org, admin_member, query):
    category = make_category(org, "华东")

    def add(n):
        for i in range(n):
            party = make_party(
                org,
                admin_member.user,
                name=f"张{i}公司",
                category_id=category.pk,
                level="key",
                mobile="13800138000",
            )
            record_visit(user=admin_member.user, party=party)

    add(5)
    few = _count_queries(admin_client, LIST + query)
    add(45)
    many = _count_queries(admin_client, LIST + query)

    assert many == few


def test_rows_are_one_query_with_owner_and_category(admin_client, org, admin_member):
    category = make_category(org, "华东")
    for i in range(3):
        make_party(org, admin_member.user, name=f"P{i}", category_id=category.pk)

    with CaptureQueriesContext(connection) as queries:
        admin_client.get(LIST, **HTMX)

    party_queries = [
        q["sql"] for q in queries.captured_queries if 'FROM "parties_party"' in q["sql"]
    ]
    assert len(party_queries) == 1
    assert "accounts_user" in party_queries[0]
    assert "parties_partycategory" in party_queries[0]


def test_deleted_parties_are_not_listed(admin_client, org, admin_member):
    party = make_party(org, admin_member.user, name="Gone")
    with scope(org=org.pk):
        Party.all_objects.filter(pk=party.pk).update(deleted_at=timezone.now())

    assert row_names(admin_client.get(LIST)) == []


def test_filter_panel_loads_when_opened_and_shows_when_filters_are_set(admin_client):
    closed = admin_client.get(LIST).content.decode()
    panel = admin_client.get(LIST + "?panel=filters&q=x", **HTMX).content.decode()
    open_ = admin_client.get(LIST + "?level=key").content.decode()

    assert 'data-testid="filter-fields"' not in closed
    assert "panel=filters" in closed
    assert 'data-testid="filter-fields"' in panel
    assert 'name="level"' in panel
    assert 'data-testid="party-table"' not in panel
    assert 'data-testid="filter-fields"' in open_
