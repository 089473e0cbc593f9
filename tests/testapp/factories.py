from django_scopes import scopes_disabled

from tests.testapp.models import Widget


def make_widget(org, owner, name="Widget", **kwargs) -> Widget:
    with scopes_disabled():
        return Widget.objects.create(org=org, owner=owner, name=name, **kwargs)
