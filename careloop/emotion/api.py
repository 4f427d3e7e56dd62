"""/api/v1 endpoints of the emotion app."""

from ninja import Router

router = Router(tags=["emotion"])
