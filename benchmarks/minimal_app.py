"""The baseline of the HTTP benchmarks: the smallest Django application worth the name.

Served by gunicorn with the same options as guanxi (`gunicorn minimal_app:application`
from this directory). Settings are configured here, in code: no database, no
middleware, no templates, no sessions, no i18n; one URL whose view returns a small
HTML page. What it costs is the floor under any Django page on this machine (gunicorn,
WSGI, Django's request/response cycle and URL resolving), so guanxi's pages are
reported as multiples of it.

Not part of the product: nothing imports it, and it adds no route to guanxi.
"""

from __future__ import annotations

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark-only-not-secret",  # noqa: S106
        ALLOWED_HOSTS=["127.0.0.1", "localhost", "[::1]"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[],
        MIDDLEWARE=[],
        DATABASES={},
        USE_I18N=False,
        USE_TZ=True,
        DEFAULT_CHARSET="utf-8",
    )

PAGE = (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
    "<title>minimal</title></head>\n<body><h1>Hello</h1>"
    "<p>The smallest Django page: the baseline of the guanxi benchmarks.</p></body></html>\n"
)


def index(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE)


urlpatterns = [path("", index)]

application = get_wsgi_application()
