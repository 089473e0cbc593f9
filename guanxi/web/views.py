"""The shell's own pages: home, global search, health check and error pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from guanxi.core.search import MAX_QUERY_LENGTH, global_search
from guanxi.web.selectors import home_summary


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"summary": home_summary(request)})


@login_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    groups = global_search(request, query, limit=8 if request.htmx else 50)
    template = "web/search.html#results" if request.htmx else "web/search.html"
    return render(request, template, {"query": query, "groups": groups})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors here: whatever broke may be what they need.
    template = loader.get_template("500.html")
    return HttpResponse(template.render({"request_path": request.path}), status=500)
