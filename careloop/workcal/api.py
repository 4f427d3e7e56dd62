"""/api/v1 endpoints of the workcal app."""

from ninja import Router

router = Router(tags=["workcal"])
