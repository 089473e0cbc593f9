from django.conf import settings
from django.db import models

from guanxi.core.models import BusinessModel, CategoryNode, SoftDeleteModel


class WidgetCategory(CategoryNode):
    """A test category tree."""

    class Meta(CategoryNode.Meta):
        pass

    def member_count(self) -> int:
        return self.widgets.count()


class Widget(SoftDeleteModel, BusinessModel):
    """A test business record with an owner, a number and a category."""

    permission_type = "widget"

    name = models.CharField(max_length=100)
    number = models.CharField(max_length=30, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(
        WidgetCategory, on_delete=models.SET_NULL, null=True, blank=True, related_name="widgets"
    )
    is_locked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name

    def deletion_blocker(self) -> str | None:
        return "locked" if self.is_locked else None
