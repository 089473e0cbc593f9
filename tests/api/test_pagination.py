"""Keyset pagination: every row exactly once, in order, with one query per page."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guanxi.api.pagination import InvalidCursor, KeysetPageIn, KeysetPagination
from tests.factories import UserFactory
from tests.testapp.factories import make_widget
from tests.testapp.models import Widget, WidgetCategory


def walk(ordering, queryset, limit):
    """Return the pages (lists of pks) and the cursors of a full walk through `queryset`."""
    pager = KeysetPagination(ordering=ordering)
    pages, cursors, cursor = [], [], None
    while True:
        page = pager.paginate_queryset(
            queryset, KeysetPageIn(cursor=cursor, limit=limit), request=None
        )
        pages.append([item.pk for item in page["items"]])
        cursor = page["next_cursor"]
        cursors.append(cursor)
        if cursor is None:
            return pages, cursors
        assert len(pages) < 100, "pagination does not end"


@pytest.fixture
def owner(org):
    return UserFactory()


@pytest.fixture
def widgets(in_org, owner):
    """Nine widgets whose names tie in threes, created in a shuffled order."""
    names = ["b", "a", "c", "a", "b", "c", "a", "c", "b"]
    return [make_widget(in_org, owner, name=name) for name in names]


def test_ties_on_a_non_unique_field_are_broken_by_the_primary_key(widgets):
    pages, cursors = walk(("name",), Widget.objects.all(), limit=2)

    expected = [w.pk for w in sorted(widgets, key=lambda w: (w.name, w.pk))]
    assert [pk for page in pages for pk in page] == expected
    assert [len(page) for page in pages] == [2, 2, 2, 2, 1]
    assert cursors[-1] is None


def test_descending_ordering(widgets):
    pages, _cursors = walk(("-name",), Widget.objects.all(), limit=4)

    expected = [w.pk for w in sorted(widgets, key=lambda w: (w.name, w.pk), reverse=True)]
    assert [pk for page in pages for pk in page] == expected


def test_mixed_directions_on_equal_timestamps(in_org, widgets):
    # given: three groups of widgets created at exactly the same instant
    moment = timezone.now().replace(microsecond=123456)
    for index, widget in enumerate(widgets):
        Widget.objects.filter(pk=widget.pk).update(created_at=moment - timedelta(hours=index % 3))
    rows = list(Widget.objects.all())

    # when
    pages, _cursors = walk(("-created_at", "name", "-id"), Widget.objects.all(), limit=2)

    # then
    by_name_desc_id = sorted(rows, key=lambda w: (w.name, -w.pk))
    expected = [w.pk for w in sorted(by_name_desc_id, key=lambda w: w.created_at, reverse=True)]
    assert [pk for page in pages for pk in page] == expected


@pytest.mark.parametrize("ordering", [("category_id",), ("-category_id",)])
def test_nullable_column_sorts_nulls_last_in_both_directions(in_org, owner, ordering):
    # given: some widgets without a category
    first = WidgetCategory.objects.add_root({"org": in_org, "name": "first"})
    second = WidgetCategory.objects.add_root({"org": in_org, "name": "second"})
    for category in [None, second, first, None, second, None, first]:
        make_widget(in_org, owner, category=category)
    rows = list(Widget.objects.all())

    # when
    pages, _cursors = walk(ordering, Widget.objects.all(), limit=2)

    # then
    descending = ordering[0].startswith("-")
    filed = sorted(
        (w for w in rows if w.category_id is not None),
        key=lambda w: (w.category_id, w.pk),
        reverse=descending,
    )
    unfiled = sorted(
        (w for w in rows if w.category_id is None), key=lambda w: w.pk, reverse=descending
    )
    assert [pk for page in pages for pk in page] == [w.pk for w in filed + unfiled]


def test_nullable_relation_on_the_path_sorts_nulls_last(in_org, owner):
    category = WidgetCategory.objects.add_root({"org": in_org, "name": "filed"})
    unfiled = [make_widget(in_org, owner, name=f"u{i}") for i in range(3)]
    filed = [make_widget(in_org, owner, name=f"f{i}", category=category) for i in range(2)]

    pages, _cursors = walk(("category__name",), Widget.objects.all(), limit=2)

    assert [pk for page in pages for pk in page] == [w.pk for w in filed + unfiled]


def test_ordering_across_a_relation(in_org, widgets, owner):
    other_owner = UserFactory(username="aaa-first")
    late = make_widget(in_org, other_owner, name="z")

    pages, _cursors = walk(("owner__username", "name"), Widget.objects.all(), limit=3)

    flat = [pk for page in pages for pk in page]
    assert flat[0] == late.pk
    assert len(flat) == 10


def test_last_page_has_no_next_cursor_even_when_it_is_full(widgets):
    pages, cursors = walk(("name",), Widget.objects.all(), limit=3)

    assert [len(page) for page in pages] == [3, 3, 3]
    assert cursors[:2] != [None, None]
    assert cursors[2] is None


def test_empty_list(in_org):
    pages, cursors = walk(("name",), Widget.objects.all(), limit=5)

    assert pages == [[]]
    assert cursors == [None]


def test_a_page_is_one_query_without_offset_or_count(widgets):
    pager = KeysetPagination(ordering=("name",))
    first = pager.paginate_queryset(Widget.objects.all(), KeysetPageIn(limit=2), request=None)

    with CaptureQueriesContext(connection) as queries:
        page = pager.paginate_queryset(
            Widget.objects.all(),
            KeysetPageIn(cursor=first["next_cursor"], limit=2),
            request=None,
        )
        items = list(page["items"])

    assert len(items) == 2
    assert len(queries) == 1
    sql = queries[0]["sql"].upper()
    assert "OFFSET" not in sql
    assert "COUNT(" not in sql


def test_cursor_is_base64url_json_of_the_last_rows_sort_values(widgets):
    pager = KeysetPagination(ordering=("name",))
    page = pager.paginate_queryset(Widget.objects.all(), KeysetPageIn(limit=1), request=None)

    cursor = page["next_cursor"]
    decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert decoded == ["a", page["items"][0].pk]
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _encode(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        base64.urlsafe_b64encode(b"{not json").decode(),
        _encode({"name": "a"}),
        _encode(["a"]),
        _encode(["a", 1, 2]),
        _encode(["a", "one"]),
        _encode(["a", None]),
        _encode([["a"], 1]),
        "W" * 5000,
        _encode([[[[[[[[[[]]]]]]]]]] * 2),
    ],
)
def test_tampered_cursor_is_refused(in_org, cursor):
    pager = KeysetPagination(ordering=("name",))

    with pytest.raises(InvalidCursor) as excinfo:
        pager.paginate_queryset(Widget.objects.all(), KeysetPageIn(cursor=cursor), request=None)

    assert excinfo.value.field == "cursor"
    assert excinfo.value.status_code == 400


def test_ordering_by_a_relation_itself_is_refused(in_org):
    pager = KeysetPagination(ordering=("category",))

    with pytest.raises(ImproperlyConfigured):
        pager.paginate_queryset(Widget.objects.all(), KeysetPageIn(), request=None)


def test_limit_is_bounded():
    assert KeysetPageIn().limit == 50
    with pytest.raises(ValueError):
        KeysetPageIn(limit=201)
    with pytest.raises(ValueError):
        KeysetPageIn(limit=0)
