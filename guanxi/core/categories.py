"""Operations on category trees (B2, D2): add, rename, move, delete when empty.

Every concrete tree subclasses `guanxi.core.models.CategoryNode`. django-treebeard does
the path arithmetic; these services keep the organisation scope active around it so
that each organisation's tree is numbered on its own.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core.exceptions import DomainError
from guanxi.core.models import CategoryNode, Organisation
from guanxi.core.scoping import org_scope

C = TypeVar("C", bound=CategoryNode)

MovePosition = Literal["first-child", "last-child", "left", "right"]
_TREEBEARD_POSITIONS = {
    "first-child": "first-child",
    "last-child": "last-child",
    "left": "left",
    "right": "right",
}


class CategoryNotEmpty(DomainError):
    code = "category_not_empty"


class InvalidMove(DomainError):
    code = "invalid_move"


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("A category needs a name."), field="name")
    if len(name) > 100:
        raise DomainError(_("Keep the name under 100 characters."), field="name")
    return name


def _check_same_org(*nodes: CategoryNode | None) -> None:
    orgs = {n.org_id for n in nodes if n is not None}
    if len(orgs) > 1:
        raise InvalidMove(_("Categories belong to different organisations."))


@transaction.atomic
def add_category(
    *,
    model: type[C],
    org: Organisation,
    name: str,
    parent: C | None = None,
    sibling_of: C | None = None,
    actor: Any = None,
    extra: dict[str, Any] | None = None,
) -> C:
    """Add a root category, a child of `parent`, or a sibling right after `sibling_of`.

    `extra` holds further field values of the new row (e.g. the `tree` of a party category).
    """
    name = _clean_name(name)
    _check_same_org(parent, sibling_of)
    values = {**(extra or {}), "org": org, "name": name}
    with org_scope(org):
        if sibling_of is not None:
            sibling = model.objects.get(pk=sibling_of.pk)
            return model.objects.add_sibling(sibling, "right", values)  # type: ignore[no-any-return]
        if parent is not None:
            fresh_parent = model.objects.get(pk=parent.pk)
            return model.objects.add_child(fresh_parent, values)  # type: ignore[no-any-return]
        return model.objects.add_root(values)  # type: ignore[no-any-return]


@transaction.atomic
def rename_category(*, category: C, name: str, actor: Any = None) -> C:
    category.name = _clean_name(name)
    with org_scope(category.org_id):
        category.save(update_fields=["name", "updated_at"])
    return category


@transaction.atomic
def move_category(
    *, category: C, target: C, position: MovePosition = "last-child", actor: Any = None
) -> C:
    """Move `category` (with its subtree) relative to `target`.

    Raise InvalidMove when moving a category into itself or its own descendants.
    """
    _check_same_org(category, target)
    if position not in _TREEBEARD_POSITIONS:
        raise InvalidMove(_("Unknown position."))
    model = type(category)
    with org_scope(category.org_id):
        node = model.objects.get(pk=category.pk)
        dest = model.objects.get(pk=target.pk)
        if node.pk == dest.pk or dest.path.startswith(node.path):
            raise InvalidMove(_("A category cannot be moved into itself or its own subcategories."))
        model.objects.move(node, dest, pos=_TREEBEARD_POSITIONS[position])
        return model.objects.get(pk=category.pk)


@transaction.atomic
def delete_category(*, category: C, actor: Any = None) -> None:
    """Delete an empty category.

    Raise CategoryNotEmpty while it has subcategories or records filed in it.
    """
    model = type(category)
    with org_scope(category.org_id):
        node = model.objects.get(pk=category.pk)
        if model.objects.get_children_count(node):
            raise CategoryNotEmpty(_("Delete or move its subcategories first."))
        if node.member_count():
            raise CategoryNotEmpty(_("Move the records filed in this category elsewhere first."))
        node.delete()


def category_tree(model: type[C], org: Organisation) -> list[C]:
    """Return the whole tree in display order (depth-first), one query."""
    with org_scope(org):
        return list(model.objects.order_by("path"))
