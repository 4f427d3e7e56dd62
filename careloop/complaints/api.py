"""/api/v1 endpoints of the complaints app."""

from ninja import Router

router = Router(tags=["complaints"])
