"""/api/v1/me: who the token belongs to."""

from __future__ import annotations

from ninja import Router, Schema

router = Router(tags=["accounts"])


class TeamOut(Schema):
    code: str
    name: str
    region: str


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    team: TeamOut | None
    may_see_phones: bool


@router.get("/me", response=MeOut, summary="当前令牌的用户")
def me(request):
    return request.user
