"""REST API of the sales app."""

from ninja import Router

router = Router(tags=["sales"])
