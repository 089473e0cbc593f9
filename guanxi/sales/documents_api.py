"""REST API of the sales documents."""

from ninja import Router

router = Router(tags=["sales"])
