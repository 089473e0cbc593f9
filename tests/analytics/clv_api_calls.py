"""Calls of the lifetime-value API for tests/api/test_schema.py: each answers as documented.

Run in order: a refit comes before the model is read, so the calls pass whether or not an
earlier call (a metrics refresh) already fitted the model. The 404 before any fit is
checked in tests/analytics/test_clv_api.py.
"""

from __future__ import annotations

from tests.api.conftest import API


def clv_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    model, refit, top = (
        "/analytics/clv/model",
        "/analytics/clv/model/refit",
        "/analytics/clv/top-customers",
    )
    return [
        ("post", refit, sales_api, f"{API}{refit}", {}, 403),
        ("post", refit, admin_api, f"{API}{refit}", {"observation_end": "2999-01-01"}, 422),
        ("post", refit, admin_api, f"{API}{refit}", {"observation_end": "soon"}, 422),
        ("post", refit, admin_api, f"{API}{refit}", {}, 201),
        ("post", refit, admin_api, f"{API}{refit}", {"observation_end": "2025-12-31"}, 201),
        ("get", model, sales_api, f"{API}{model}", None, 200),
        ("get", top, sales_api, f"{API}{top}?limit=5", None, 200),
        ("get", top, admin_api, f"{API}{top}?limit=0", None, 422),
        ("get", top, admin_api, f"{API}{top}?limit=101", None, 422),
    ]
