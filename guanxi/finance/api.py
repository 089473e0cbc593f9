"""REST API of the finance app."""

from ninja import Router

router = Router(tags=["finance"])
