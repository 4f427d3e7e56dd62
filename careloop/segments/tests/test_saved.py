"""Saved segments: the customers they hold (for each role and for the planner), the services
that write them (validation naming the field, scope, audit) and their filters in words."""

from dataclasses import replace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.accounts.models import AuditLog
from careloop.core.errors import DomainError, PermissionDenied
from careloop.customers.forms import CustomerFilterForm
from careloop.customers.models import Customer
from careloop.customers.tests.factories import make_customer
from careloop.segments.models import SavedSegment
from careloop.segments.selectors import (
    saved_segment_count,
    saved_segment_customers,
    saved_segment_filters,
    saved_segments_describe,
)
from careloop.segments.services import (
    saved_segment_create,
    saved_segment_delete,
    saved_segment_update,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(team_east, team_south, agent_li):
    """Two 华东 manufacturers in team east (one dormant A), one in team south."""
    a = make_customer("张三", team=team_east, region="华东", industry="制造业")
    b = make_customer("李四", team=team_east, region="华东", industry="制造业", owner=agent_li)
    c = make_customer("王五", team=team_south, region="华东", industry="制造业")
    make_customer("赵六", team=team_east, region="华南", industry="制造业")
    Customer.objects.filter(pk__in=[a.pk, c.pk]).update(lifecycle="dormant", tier="A")
    return a, b, c


def test_team_segment_holds_only_its_team_even_for_the_planner(people, team_east):
    a, b, _c = people
    segment = SavedSegment.objects.create(
        name="华东 制造业", team=team_east, filters={"region": "华东", "industry": "制造业"}
    )
    assert list(saved_segment_customers(segment=segment)) == [b, a]
    assert saved_segment_count(segment=segment) == 2


def test_global_segment_holds_every_team(people):
    a, _b, c = people
    segment = SavedSegment.objects.create(
        name="沉睡 A", filters={"region": "华东", "lifecycle": "dormant", "tier": "A"}
    )
    assert list(saved_segment_customers(segment=segment)) == [c, a]


def test_user_scope_narrows_a_global_segment(people, supervisor_zhao, agent_chen):
    a, _b, c = people
    segment = SavedSegment.objects.create(name="沉睡", filters={"lifecycle": "dormant"})
    assert list(saved_segment_customers(segment=segment, user=supervisor_zhao)) == [a]
    assert list(saved_segment_customers(segment=segment, user=agent_chen)) == [c]


def test_segment_composes_as_a_subquery(people, team_east):
    segment = SavedSegment.objects.create(name="华东", team=team_east, filters={"region": "华东"})
    ids = saved_segment_customers(segment=segment).values("id")
    with CaptureQueriesContext(connection) as ctx:
        n = Customer.objects.filter(pk__in=ids, industry="制造业").count()
    assert n == 2
    assert len(ctx) == 1


# --- services: create, update, delete, validation, audit -----------------------------------

SLEEPY_A = {"region": "华东", "industry": "制造业", "tier": "A", "lifecycle": "dormant"}


def test_supervisor_saves_a_team_segment_audited(supervisor_zhao, team_east):
    segment = saved_segment_create(
        actor=supervisor_zhao, name=" 华东 制造业 A 类 沉睡 ", filters={**SLEEPY_A, "q": ""}
    )
    assert segment.name == "华东 制造业 A 类 沉睡"
    assert segment.team == team_east and segment.owner == supervisor_zhao
    assert list(segment.filters) == ["region", "industry", "lifecycle", "tier"]  # empties dropped
    entry = AuditLog.objects.get(action="segment.create")
    assert entry.actor == supervisor_zhao and entry.action_label == "保存分群"
    assert entry.detail == {"name": "华东 制造业 A 类 沉睡", "filters": segment.filters}


def test_admin_segment_is_global_unless_a_team_is_given(admin_wang, team_south):
    assert saved_segment_create(actor=admin_wang, name="沉睡", filters={}).team is None
    south = saved_segment_create(actor=admin_wang, name="沉睡", filters={}, team=team_south)
    assert south.team == team_south  # the same name in another team (or global) is allowed


def test_filters_round_trip_from_the_list_query(supervisor_zhao, agent_li):
    query = {**SLEEPY_A, "city": "苏州", "gender": "F", "owner": str(agent_li.pk)}
    query |= {"do_not_contact": "no", "value_class": "core", "q": "张", "sort": "-health"}
    form = CustomerFilterForm(query)
    segment = saved_segment_create(actor=supervisor_zhao, name="x", filters=form.saved_filters())
    segment.refresh_from_db()
    assert saved_segment_filters(segment) == replace(form.filters(), sort="-created")
    assert segment.filters["do_not_contact"] is False and segment.filters["owner"] == agent_li.pk


@pytest.mark.parametrize(
    ("filters", "field", "message"),
    [
        ({"colour": "red"}, "filters.colour", "未知的筛选条件:colour"),
        ({"lifecycle": "sleepy"}, "filters.lifecycle", "生命周期 的取值无效:sleepy"),
        ({"tier": "D"}, "filters.tier", "价值等级 的取值无效:D"),
        ({"gender": "X"}, "filters.gender", "性别 的取值无效:X"),
        ({"tag": "不存在"}, "filters.tag", "标签不存在:不存在"),
        ({"region": ["华东"]}, "filters.region", "地区 应为不超过 32 个字的文字"),
        ({"do_not_contact": "yes"}, "filters.do_not_contact", "免打扰 应为 true、false 或 null"),
        ({"owner": "li"}, "filters.owner", "负责人 应为编号(整数)"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(supervisor_zhao, filters, field, message):
    with pytest.raises(DomainError) as exc:
        saved_segment_create(actor=supervisor_zhao, name="坏条件", filters=filters)
    assert (exc.value.field, exc.value.message) == (field, message)
    assert not SavedSegment.objects.exists() and not AuditLog.objects.exists()


def test_owner_and_team_outside_the_supervisors_team_are_refused(
    supervisor_zhao, agent_chen, team_south
):
    with pytest.raises(DomainError) as exc:
        saved_segment_create(actor=supervisor_zhao, name="x", filters={"owner": agent_chen.pk})
    assert exc.value.field == "filters.owner"
    with pytest.raises(DomainError) as exc:
        saved_segment_create(actor=supervisor_zhao, name="x", filters={"team": team_south.pk})
    assert exc.value.field == "filters.team"


def test_duplicate_name_in_the_team_is_refused(supervisor_zhao):
    saved_segment_create(actor=supervisor_zhao, name="沉睡", filters={})
    with pytest.raises(DomainError) as exc:
        saved_segment_create(actor=supervisor_zhao, name="沉睡", filters={"tier": "A"})
    assert (exc.value.field, exc.value.message) == ("name", "已有同名分群:沉睡")
    assert SavedSegment.objects.count() == 1


def test_agents_may_not_save_segments(agent_li):
    with pytest.raises(PermissionDenied):
        saved_segment_create(actor=agent_li, name="x", filters={})
    assert not SavedSegment.objects.exists()


def test_update_is_audited_with_before_and_after(supervisor_zhao):
    segment = saved_segment_create(actor=supervisor_zhao, name="沉睡", filters={"tier": "A"})
    saved_segment_update(
        actor=supervisor_zhao, segment=segment, name="沉睡 B", filters={"tier": "B"}
    )
    segment.refresh_from_db()
    assert (segment.name, segment.filters) == ("沉睡 B", {"tier": "B"})
    entry = AuditLog.objects.get(action="segment.update")
    assert entry.action_label == "修改分群"
    assert entry.detail["before"] == {"name": "沉睡", "filters": {"tier": "A"}}


def test_bad_update_writes_nothing(supervisor_zhao):
    segment = saved_segment_create(actor=supervisor_zhao, name="沉睡", filters={"tier": "A"})
    with pytest.raises(DomainError):
        saved_segment_update(
            actor=supervisor_zhao, segment=segment, name="新名", filters={"tier": "Z"}
        )
    segment.refresh_from_db()
    assert segment.name == "沉睡"
    assert not AuditLog.objects.filter(action="segment.update").exists()


def test_supervisor_edits_only_their_teams_segments(supervisor_zhao, admin_wang, team_south):
    global_one = saved_segment_create(actor=admin_wang, name="全局", filters={})
    south = saved_segment_create(actor=admin_wang, name="华南", filters={}, team=team_south)
    for segment in (global_one, south):
        with pytest.raises(PermissionDenied):
            saved_segment_update(actor=supervisor_zhao, segment=segment, name="改")
        with pytest.raises(PermissionDenied):
            saved_segment_delete(actor=supervisor_zhao, segment=segment)
    assert SavedSegment.objects.count() == 2


def test_delete_is_audited(supervisor_zhao):
    segment = saved_segment_create(actor=supervisor_zhao, name="沉睡", filters={})
    pk = segment.pk
    saved_segment_delete(actor=supervisor_zhao, segment=segment)
    assert not SavedSegment.objects.exists()
    entry = AuditLog.objects.get(action="segment.delete")
    assert (entry.target_id, entry.action_label, entry.detail["name"]) == (
        str(pk),
        "删除分群",
        "沉睡",
    )


def test_visible_to_each_role(admin_wang, supervisor_zhao, agent_li, agent_chen, team_east):
    east = saved_segment_create(actor=supervisor_zhao, name="华东的", filters={})
    everyone = saved_segment_create(actor=admin_wang, name="全局的", filters={})

    def seen(user):
        return sorted(s.name for s in SavedSegment.objects.visible_to(user))

    assert seen(admin_wang) == ["全局的", "华东的"]
    assert seen(supervisor_zhao) == ["全局的", "华东的"]
    assert seen(agent_li) == ["华东的"]  # read-only
    assert seen(agent_chen) == []
    assert [east.is_editable_by(u) for u in (admin_wang, supervisor_zhao, agent_li)] == [
        True,
        True,
        False,
    ]
    assert not everyone.is_editable_by(supervisor_zhao)


def test_words_name_each_filter(supervisor_zhao, agent_li):
    segment = saved_segment_create(
        actor=supervisor_zhao,
        name="x",
        filters={**SLEEPY_A, "owner": agent_li.pk, "do_not_contact": False, "value_class": "core"},
    )
    saved_segments_describe([segment])
    assert (
        segment.filters_text
        == "华东 · 制造业 · A 类 · 沉睡 · 价值类别 核心 · 负责人 李客服 · 非免打扰"
    )


def test_count_is_capped_like_the_list(people, team_east):
    segment = SavedSegment.objects.create(name="华东", team=team_east, filters={"region": "华东"})
    assert saved_segment_count(segment=segment, cap=1) == 2  # more than 1
    assert saved_segment_count(segment=segment, cap=None) == 2


def test_a_segment_a_care_rule_uses_cannot_be_deleted(supervisor_zhao):
    from careloop.care.models import CareRule

    segment = saved_segment_create(actor=supervisor_zhao, name="沉睡 A", filters={"tier": "A"})
    CareRule.objects.create(purpose="wakeup", name="唤醒 A 类", audience=segment)
    with pytest.raises(DomainError) as exc:
        saved_segment_delete(actor=supervisor_zhao, segment=segment)
    assert exc.value.code == "segment_in_use"
    assert exc.value.message == "分群“沉睡 A”正被关怀规则使用,不能删除"
    assert SavedSegment.objects.filter(pk=segment.pk).exists()
    assert not AuditLog.objects.filter(action="segment.delete").exists()
