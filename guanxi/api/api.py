"""The REST API object; each app's router is mounted here.

Every operation requires a member (a session or a personal API token, guanxi.api.auth),
answers errors with one body (guanxi.api.errors) and pages lists by keyset
(guanxi.api.pagination). The schema is committed as openapi.json (`make openapi`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from inspect import iscoroutinefunction
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, path, re_path
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import ValidationError, ValidationErrorContext

from guanxi.api.auth import api_auth
from guanxi.api.docs import LocalSwagger
from guanxi.api.errors import PARAM_SOURCES, error_body, field_path, install_error_handlers

DESCRIPTION = """\
The guanxi CRM API.

**Authentication.** Send a personal API token (create one on the *API tokens* page) as
`Authorization: Bearer gx_…`; a token works in the organisation it was created in. From a
signed-in browser the session cookie works too, with the CSRF token in `X-CSRFToken` for
anything but a read.

**Errors** all have the body `{"detail": "…", "code": "…", "errors": [{"field": "…",
"message": "…"}]}`; `detail` and `message` are in the user's language.

**Lists** are paged by cursor: pass the `next_cursor` of one page as `cursor` to get the
next; it is null on the last page. `limit` is 50 by default, 200 at most.

**Edits** carry the record's `version`; an edit made from an old version is refused with
409 (`stale_edit`) and changes nothing.
"""


class GuanxiAPI(NinjaAPI):
    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext[Any]]
    ) -> ValidationError:
        """Add each error's dotted field path, as the client named it.

        A lone body schema is the whole body, so its parameter name is no part of the
        path: `{"name": ""}` fails at `name`, not `payload.name`.
        """
        errors = []
        for context in error_contexts:
            single = getattr(context.model, "__read_from_single_attr__", None)
            for error in super().validation_error_from_error_contexts([context]).errors:
                loc = list(error["loc"])
                if loc and loc[0] in PARAM_SOURCES:
                    loc = loc[1:]
                if single and loc and loc[0] == single:
                    loc = loc[1:]
                errors.append({**error, "field": field_path(loc)})
        return ValidationError(errors)

    @property
    def urls(self) -> tuple[list[Any], str, str]:
        """Ninja's URLs, made to answer the error body where Ninja would answer HTML.

        The root and any unknown address under the API answer 404, and a known address
        called with the wrong method 405, each with the usual error body.
        """
        patterns, app_name, namespace = super().urls
        not_found = csrf_exempt(self._not_found)
        result: list[Any] = []
        for pattern in patterns:
            if isinstance(pattern, URLPattern) and pattern.name == "api-root":
                # The name stays: the OpenAPI view finds the API's prefix through it.
                pattern = path("", not_found, name="api-root")
            elif isinstance(pattern, URLPattern) and not iscoroutinefunction(pattern.callback):
                pattern = URLPattern(
                    pattern.pattern,
                    self._json_not_allowed(pattern.callback),
                    pattern.default_args,
                    pattern.name,
                )
            result.append(pattern)
        # Last, so it only catches what nothing else matched. It changes nothing, so it
        # needs no CSRF check either.
        result.append(re_path(r"^", not_found))
        return result, app_name, namespace

    def _not_found(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        body = error_body(gettext("Not found."), "not_found")
        return self.create_response(request, body, status=404)

    def _json_not_allowed(self, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            if isinstance(response, HttpResponseNotAllowed):
                body = error_body(gettext("This method is not allowed here."), "method_not_allowed")
                allowed = response["Allow"]
                response = self.create_response(request, body, status=405)
                response["Allow"] = allowed
            return response

        return wrapper


api = GuanxiAPI(
    title="guanxi API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=api_auth,
    docs=LocalSwagger(),
)
install_error_handlers(api)

# --- routers: one per app, mounted at the API root -----------------------------------
from guanxi.accounts.api import router as accounts_router  # noqa: E402

api.add_router("", accounts_router)

from guanxi.parties.api import router as parties_router  # noqa: E402

api.add_router("", parties_router)

from guanxi.core.fields_api import router as fields_router  # noqa: E402

api.add_router("", fields_router)

from guanxi.activities.api import router as activities_router  # noqa: E402

api.add_router("", activities_router)

from guanxi.parties.exchange_api import router as exchange_router  # noqa: E402

api.add_router("", exchange_router)

from guanxi.core.attachments_api import router as attachments_router  # noqa: E402

api.add_router("", attachments_router)

from guanxi.catalog.api import router as catalog_router  # noqa: E402

api.add_router("", catalog_router)
from guanxi.catalog.image_api import router as product_image_router  # noqa: E402

api.add_router("", product_image_router)

from guanxi.sales.pipeline_api import router as pipeline_router  # noqa: E402

api.add_router("", pipeline_router)

from guanxi.sales.documents_api import router as sales_documents_router  # noqa: E402

api.add_router("", sales_documents_router)

from guanxi.stock.api import router as stock_router  # noqa: E402

api.add_router("", stock_router)

from guanxi.finance.api import router as finance_router  # noqa: E402

api.add_router("", finance_router)

from guanxi.analytics.api_metrics import router as analytics_metrics_router  # noqa: E402

api.add_router("", analytics_metrics_router)
from guanxi.analytics.api_clv import router as analytics_clv_router  # noqa: E402

api.add_router("", analytics_clv_router)
from guanxi.analytics.api_sales import router as analytics_sales_router  # noqa: E402

api.add_router("", analytics_sales_router)
from guanxi.analytics.basket.api import router as basket_router  # noqa: E402

api.add_router("", basket_router)
from guanxi.analytics.reports.api import router as reports_router  # noqa: E402

api.add_router("", reports_router)
from guanxi.analytics.behaviour.api import router as behaviour_router  # noqa: E402

api.add_router("", behaviour_router)
from guanxi.analytics.api_dashboard import router as dashboard_router  # noqa: E402

api.add_router("", dashboard_router)
