"""Tags: free labels an organisation puts on records, each with a Tabler colour.

Records carry tags through join tables in their own apps (`PartyTag` for customers);
deleting a tag removes it from every record (the join rows cascade).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from guanxi.core.exceptions import DomainError
from guanxi.core.models import Organisation, Tag
from guanxi.core.scoping import org_scope
from guanxi.core.versioning import save_versioned

NAME_MAX_LENGTH = Tag._meta.get_field("name").max_length or 40

# Tabler's colour names; a tag shows as `badge bg-<colour>-lt`.
TAG_COLOURS: tuple[tuple[str, str | Promise], ...] = (
    ("blue", _("Blue")),
    ("azure", _("Azure")),
    ("indigo", _("Indigo")),
    ("purple", _("Purple")),
    ("pink", _("Pink")),
    ("red", _("Red")),
    ("orange", _("Orange")),
    ("yellow", _("Yellow")),
    ("lime", _("Lime")),
    ("green", _("Green")),
    ("teal", _("Teal")),
    ("cyan", _("Cyan")),
    ("dark", _("Dark")),
)
TAG_COLOUR_NAMES = frozenset(name for name, _label in TAG_COLOURS)


class InvalidTag(DomainError):
    status_code = 422
    code = "invalid_tag"


def tags_with_usage() -> QuerySet[Tag]:
    """Return the organisation's tags by name, each with `usage`: how many live records
    carry it. One query, whatever the number of tags (run inside the organisation scope).
    """
    return Tag.objects.annotate(
        usage=Count("party_tags", filter=Q(party_tags__party__deleted_at__isnull=True))
    ).order_by("name", "id")


def tag_usage(tag: Tag) -> int:
    """Return how many live records carry `tag`."""
    usage = getattr(tag, "usage", None)
    if isinstance(usage, int):
        return usage
    return int(tag.party_tags.filter(party__deleted_at__isnull=True).count())  # type: ignore[attr-defined]


@transaction.atomic
def save_tag(
    *,
    org: Organisation,
    actor: Any,
    tag: Tag | None,
    name: str,
    color: str,
    expected_version: int | None = None,
) -> Tag:
    """Create a tag, or rename and recolour one.

    Raise InvalidTag for an empty, over-long or taken name (case does not make a name
    different) or an unknown colour; StaleEdit if `expected_version` is given and
    someone saved the tag meanwhile.
    """
    name = " ".join((name or "").split())
    if not name:
        raise InvalidTag(gettext("A tag needs a name."), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidTag(
            gettext("A tag name has at most %(max)s characters.") % {"max": NAME_MAX_LENGTH},
            field="name",
        )
    if color not in TAG_COLOUR_NAMES:
        raise InvalidTag(gettext("Choose one of the colours."), field="color")
    with org_scope(org):
        taken = Tag.objects.filter(name__iexact=name)
        if tag is not None:
            taken = taken.exclude(pk=tag.pk)
        if taken.exists():
            raise InvalidTag(
                gettext("There is already a tag called “%(name)s”.") % {"name": name},
                field="name",
            )
        if tag is None:
            return Tag.objects.create(org=org, name=name, color=color)
        tag.name, tag.color = name, color
        if expected_version is not None:
            return save_versioned(tag, expected_version=expected_version)
        tag.version += 1
        tag.save()
        return tag


@transaction.atomic
def delete_tag(*, tag: Tag, actor: Any) -> int:
    """Delete a tag and take it off every record; return how many records carried it."""
    with org_scope(tag.org_id):
        usage = tag_usage(tag)
        tag.delete()
    return usage
