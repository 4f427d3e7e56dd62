"""/api/v1 endpoints of the messaging app."""

from ninja import Router

router = Router(tags=["messaging"])
