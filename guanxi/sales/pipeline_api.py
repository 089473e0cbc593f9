"""REST API of the sales pipeline."""

from ninja import Router

router = Router(tags=["sales"])
