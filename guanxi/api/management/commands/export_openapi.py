"""Print the API's OpenAPI document: `manage.py export_openapi > openapi.json`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import translation

from guanxi.api.api import api

# The committed document describes the API as mounted in guanxi/urls.py, whatever the
# script prefix of the environment that exports it.
PATH_PREFIX = "/api/v1/"


def openapi_document() -> dict[str, Any]:
    """Return the schema as plain JSON data, the same on every machine.

    Generated in English (the source language of every message), so the output does
    not depend on the environment's language settings.
    """
    with translation.override("en"):
        schema = api.get_openapi_schema(path_prefix=PATH_PREFIX)
        # A round trip through JSON turns lazy strings and tuples into plain data.
        data: dict[str, Any] = json.loads(json.dumps(schema, default=str))
    return data


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Print the OpenAPI document of the REST API as sorted, indented JSON."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(render(openapi_document()), ending="")
