from django.apps import AppConfig


class TestappConfig(AppConfig):
    """Concrete models built on the abstract bases, so the bases are tested on real tables."""

    name = "tests.testapp"
    label = "testapp"

    def ready(self) -> None:
        from guanxi.core.numbering import register_document_kind
        from guanxi.core.permissions import register_object_type

        register_object_type(
            "widget",
            "Widgets",
            owner_field="owner",
            defaults={"sales": ("view", "add", "change", "delete"), "readonly": ("view",)},
        )
        register_document_kind("widget", "Widget", "WG")
