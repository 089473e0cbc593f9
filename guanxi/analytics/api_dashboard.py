"""API of the dashboard; mounted by guanxi/api/api.py."""

from ninja import Router

router = Router(tags=["analytics"])
