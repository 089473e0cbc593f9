import pytest
from django_scopes import scope

from guanxi.core.categories import (
    CategoryNotEmpty,
    InvalidMove,
    add_category,
    category_tree,
    delete_category,
    move_category,
    rename_category,
)
from guanxi.core.exceptions import DomainError
from tests.testapp.factories import make_widget
from tests.testapp.models import WidgetCategory


def names(org):
    return [(c.name, c.depth) for c in category_tree(WidgetCategory, org)]


def test_roots_children_and_siblings_form_a_tree(org):
    root = add_category(model=WidgetCategory, org=org, name="华东")
    child = add_category(model=WidgetCategory, org=org, name="上海", parent=root)
    add_category(model=WidgetCategory, org=org, name="杭州", sibling_of=child)
    add_category(model=WidgetCategory, org=org, name="华南")

    assert names(org) == [("华东", 1), ("上海", 2), ("杭州", 2), ("华南", 1)]


def test_each_organisation_numbers_its_own_tree(org, other_org):
    a = add_category(model=WidgetCategory, org=org, name="A")
    b = add_category(model=WidgetCategory, org=other_org, name="B")

    # Same path in both organisations: unique per organisation, not per table.
    assert a.path == b.path
    assert names(org) == [("A", 1)]
    assert names(other_org) == [("B", 1)]


def test_move_subtree_under_another_category(org):
    east = add_category(model=WidgetCategory, org=org, name="East")
    shanghai = add_category(model=WidgetCategory, org=org, name="Shanghai", parent=east)
    add_category(model=WidgetCategory, org=org, name="Pudong", parent=shanghai)
    south = add_category(model=WidgetCategory, org=org, name="South")

    move_category(category=shanghai, target=south, position="last-child")

    assert names(org) == [("East", 1), ("South", 1), ("Shanghai", 2), ("Pudong", 3)]


def test_moving_into_own_descendant_is_refused_and_changes_nothing(org):
    east = add_category(model=WidgetCategory, org=org, name="East")
    child = add_category(model=WidgetCategory, org=org, name="Child", parent=east)
    before = names(org)

    with pytest.raises(InvalidMove):
        move_category(category=east, target=child)

    assert names(org) == before


def test_rename_and_blank_name_refused(org):
    cat = add_category(model=WidgetCategory, org=org, name="Old")
    rename_category(category=cat, name="  New  ")
    assert names(org) == [("New", 1)]
    with pytest.raises(DomainError) as excinfo:
        rename_category(category=cat, name="   ")
    assert excinfo.value.field == "name"


def test_delete_only_when_empty(org, admin_member):
    parent = add_category(model=WidgetCategory, org=org, name="Parent")
    child = add_category(model=WidgetCategory, org=org, name="Child", parent=parent)
    make_widget(org, admin_member.user, category=child)

    with pytest.raises(CategoryNotEmpty):
        delete_category(category=parent)
    with pytest.raises(CategoryNotEmpty):
        delete_category(category=child)
    assert len(names(org)) == 2

    with scope(org=org.pk):
        from tests.testapp.models import Widget

        Widget.objects.update(category=None)
    delete_category(category=child)
    delete_category(category=parent)
    assert names(org) == []


def test_cross_organisation_move_refused(org, other_org):
    a = add_category(model=WidgetCategory, org=org, name="A")
    b = add_category(model=WidgetCategory, org=other_org, name="B")
    with pytest.raises(InvalidMove):
        move_category(category=a, target=b)
