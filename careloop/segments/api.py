"""/api/v1/segments/saved: saved segments (a supervisor's named filters) and their customers.

Every read is scoped like the pages: a segment the token's user may not see answers 404; its
customers are the segment's within the user's own scope. Filters are the stored shape of
`SavedSegment.filters` (owner and team by id); a bad key or value answers 400 naming
`filters.<key>`."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from careloop.accounts.models import Team
from careloop.core.api import LocalDateTime, Paged, PageIn, paged
from careloop.core.errors import DomainError
from careloop.core.pagination import COUNT_CAP
from careloop.customers.schemas import CustomerOut
from careloop.customers.selectors import with_tags
from careloop.segments import selectors, services

router = Router(tags=["segments"])

FILTERS_HELP = (
    "筛选条件:q、region、city、industry、gender(M/F/none)、owner(用户编号)、tag、"
    "team(团队编号)、do_not_contact(true/false)、lifecycle、tier(A/B/C/none)、value_class"
)


class SavedSegmentOut(Schema):
    id: int
    name: str
    description: str
    filters: dict[str, Any]
    filters_text: str = Field("", description="筛选条件的文字说明,如 华东 · 制造业 · A 类 · 沉睡")
    team: str | None = Field(None, description="团队代码;空为全局分群")
    owner: str | None = Field(None, description="创建人用户名")
    created_at: LocalDateTime
    updated_at: LocalDateTime

    @staticmethod
    def resolve_team(obj) -> str | None:
        return obj.team.code if obj.team_id else None

    @staticmethod
    def resolve_owner(obj) -> str | None:
        return obj.owner.username if obj.owner_id else None


class SavedSegmentDetailOut(SavedSegmentOut):
    count: int = Field(..., description=f"客户数(在你可见的范围内,最多数到 {COUNT_CAP} + 1)")
    count_capped: bool = Field(..., description=f"客户数超过 {COUNT_CAP}")


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class SavedSegmentIn(_In):
    name: str = Field(..., max_length=64)
    description: str = Field("", max_length=255)
    filters: dict[str, Any] = Field(default_factory=dict, description=FILTERS_HELP)
    team: str | None = Field(None, description="团队代码(仅管理员;主管的分群总属于其团队)")


class SavedSegmentPatch(_In):
    name: str | None = Field(None, max_length=64)
    description: str | None = Field(None, max_length=255)
    filters: dict[str, Any] | None = Field(None, description=FILTERS_HELP + "(整体替换)")


def _detail(segment, user) -> dict:
    selectors.saved_segments_describe([segment])
    n = selectors.saved_segment_count(segment=segment, user=user)
    segment.count, segment.count_capped = min(n, COUNT_CAP), n > COUNT_CAP
    return segment


def _team(user, code: str | None) -> Team | None:
    if not code:
        return None
    team = Team.objects.filter(code=code).first()
    if team is None or not (user.is_admin or team.pk == user.team_id):
        raise DomainError(_("团队不存在或无权使用:%(value)s") % {"value": code}, field="team")
    return team


@router.get("/segments/saved", response=Paged[SavedSegmentOut], summary="保存的分群")
def list_saved_segments(request, page: Query[PageIn]):
    return paged(
        selectors.saved_segments(user=request.user), page, selectors.saved_segments_describe
    )


@router.post("/segments/saved", response={201: SavedSegmentDetailOut}, summary="保存分群")
def create_saved_segment(request, payload: SavedSegmentIn):
    data = payload.model_dump()
    data["team"] = _team(request.user, data["team"])
    segment = services.saved_segment_create(actor=request.user, **data)
    return Status(201, _detail(segment, request.user))


@router.get("/segments/saved/{int:segment_id}", response=SavedSegmentDetailOut, summary="分群详情")
def get_saved_segment(request, segment_id: int):
    return _detail(selectors.saved_segment_for(request.user, segment_id), request.user)


@router.patch(
    "/segments/saved/{int:segment_id}", response=SavedSegmentDetailOut, summary="修改分群"
)
def update_saved_segment(request, segment_id: int, payload: SavedSegmentPatch):
    segment = selectors.saved_segment_for(request.user, segment_id)
    data = payload.model_dump(exclude_unset=True)
    segment = services.saved_segment_update(actor=request.user, segment=segment, **data)
    return _detail(selectors.saved_segment_for(request.user, segment.pk), request.user)


@router.delete("/segments/saved/{int:segment_id}", response={204: None}, summary="删除分群")
def delete_saved_segment(request, segment_id: int):
    segment = selectors.saved_segment_for(request.user, segment_id)
    services.saved_segment_delete(actor=request.user, segment=segment)
    return Status(204, None)


@router.get(
    "/segments/saved/{int:segment_id}/customers",
    response=Paged[CustomerOut],
    summary="分群的客户",
)
def saved_segment_customers(request, segment_id: int, page: Query[PageIn]):
    """The segment's customers within the user's scope, newest first; paged like /customers."""
    segment = selectors.saved_segment_for(request.user, segment_id)
    qs = selectors.saved_segment_customers(segment=segment, user=request.user)
    return paged(qs.select_related("owner", "team"), page, with_tags)
