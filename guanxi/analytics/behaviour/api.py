"""API of behavioural types; mounted by guanxi/api/api.py."""

from ninja import Router

router = Router(tags=["analytics"])
