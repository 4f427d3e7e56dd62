"""Saved-segment pages: save from the customer list, the saved list with live counts, the list
and export filtered by `?segment=`, edit and delete; and the API under /api/v1/segments/saved."""

import csv
import io

import pytest
from django.urls import reverse

from careloop.accounts.models import AuditLog
from careloop.accounts.tests.apiclient import api_as
from careloop.customers.models import Customer
from careloop.customers.tests.factories import make_customer
from careloop.segments.models import SavedSegment
from careloop.segments.selectors import saved_segment_count
from careloop.segments.services import saved_segment_create

pytestmark = pytest.mark.django_db

SLEEPY_A = {"region": "华东", "industry": "制造业", "tier": "A", "lifecycle": "dormant"}


@pytest.fixture
def sleepy(team_east, team_south, agent_li):
    """Three dormant A manufacturers in 华东 (two in team east, one in south) and two others."""
    fields = {"region": "华东", "industry": "制造业", "phone": "13812345678"}
    a = make_customer("张三", team=team_east, **fields)
    b = make_customer("李四", team=team_east, owner=agent_li, **(fields | {"phone": ""}))
    c = make_customer("王五", team=team_south, **(fields | {"phone": ""}))
    make_customer("赵六", team=team_east, region="华南", industry="制造业")
    make_customer("钱七", team=team_east, region="华东", industry="零售")
    Customer.objects.filter(pk__in=[a.pk, b.pk, c.pk]).update(lifecycle="dormant", tier="A")
    return a, b, c


@pytest.fixture
def segment(supervisor_zhao, sleepy):
    return saved_segment_create(
        actor=supervisor_zhao, name="华东 制造业 A 类 沉睡", filters=SLEEPY_A
    )


def names(response) -> list[str]:
    return sorted(c.name for c in response.context["customers"])


# --- the customer list -----------------------------------------------------------------------


def test_list_offers_save_with_the_current_filters(client, supervisor_zhao, sleepy):
    client.force_login(supervisor_zhao)
    page = client.get(reverse("customers:list"), {**SLEEPY_A, "page": "1", "sort": "name"})
    html = page.content.decode()
    link = reverse("segments:saved_new") + "?region=%E5%8D%8E%E4%B8%9C&amp;industry="
    assert link in html
    assert "保存为分群" in html
    assert "sort=" not in html.split(reverse("segments:saved_new"))[1].split('"')[0]


def test_agents_get_no_save_button(client, agent_li, sleepy):
    client.force_login(agent_li)
    assert "保存为分群" not in client.get(reverse("customers:list")).content.decode()


def test_list_with_segment_shows_its_customers_and_a_removable_chip(
    client, supervisor_zhao, segment
):
    client.force_login(supervisor_zhao)
    response = client.get(reverse("customers:list"), {"segment": segment.pk})
    assert names(response) == ["张三", "李四"]  # not 王五 of team south
    html = response.content.decode()
    assert "华东 制造业 A 类 沉睡" in html and "华东 · 制造业 · A 类 · 沉睡" in html
    assert 'href="?"' in html and "移除分群" in html  # the chip's × drops `segment`
    assert "共 2 位客户" in html
    assert saved_segment_count(segment=segment, user=supervisor_zhao) == 2


def test_list_with_segment_narrows_further_by_the_page_filters(client, supervisor_zhao, segment):
    client.force_login(supervisor_zhao)
    response = client.get(reverse("customers:list"), {"segment": segment.pk, "q": "李"})
    assert names(response) == ["李四"]
    assert f'name="segment" value="{segment.pk}"' in response.content.decode()


def test_segment_of_another_team_shows_nothing(client, agent_chen, segment):
    client.force_login(agent_chen)
    response = client.get(reverse("customers:list"), {"segment": segment.pk})
    assert names(response) == []
    assert "分群不存在或无权查看" in response.content.decode()


def test_list_query_count_with_a_segment(
    client, supervisor_zhao, segment, django_assert_num_queries
):
    client.force_login(supervisor_zhao)
    url = reverse("customers:list")
    client.get(url)  # warm the filter-choices cache
    # session, user, segment (scope), count, page, tags, segment (chip), user's team, owners:
    # the plain list's 7 and the segment looked up twice
    with django_assert_num_queries(9):
        client.get(url, {"segment": segment.pk})


# --- the saved-segments page -----------------------------------------------------------------


def test_saved_page_lists_segments_in_words_with_links(client, supervisor_zhao, segment):
    client.force_login(supervisor_zhao)
    html = client.get(reverse("segments:saved")).content.decode()
    assert "华东 制造业 A 类 沉睡" in html
    assert "华东 · 制造业 · A 类 · 沉睡" in html
    assert f"{reverse('customers:list')}?segment={segment.pk}" in html
    assert f"{reverse('customers:export')}?segment={segment.pk}&format=csv" in html
    assert reverse("segments:saved_edit", args=[segment.pk]) in html
    assert reverse("segments:saved_count", args=[segment.pk]) in html


def test_saved_page_query_count_does_not_grow(
    client, admin_wang, team_east, django_assert_num_queries
):
    for i in range(3):
        saved_segment_create(actor=admin_wang, name=f"分群{i}", filters={"tier": "A"})
    client.force_login(admin_wang)
    url = reverse("segments:saved")
    with django_assert_num_queries(4):  # session, user, count, page
        client.get(url)
    for i in range(3, 20):
        saved_segment_create(actor=admin_wang, name=f"分群{i}", filters={"tier": "A"})
    with django_assert_num_queries(4):
        response = client.get(url)
    assert response.content.decode().count('class="segment-row"') == 20


def test_live_count_of_a_saved_segment(client, supervisor_zhao, admin_wang, segment):
    client.force_login(supervisor_zhao)
    url = reverse("segments:saved_count", args=[segment.pk])
    assert client.get(url).content.decode() == "当前 2 位客户"
    client.force_login(admin_wang)  # a team segment is its team's, even for an admin
    assert client.get(url).content.decode() == "当前 2 位客户"


def test_live_count_while_editing(client, supervisor_zhao, admin_wang, sleepy):
    client.force_login(supervisor_zhao)
    url = reverse("segments:saved_preview")
    assert client.get(url, SLEEPY_A).content.decode() == "当前 2 位客户"
    assert client.get(url, {"region": "华东"}).content.decode() == "当前 3 位客户"
    client.force_login(admin_wang)
    assert client.get(url, SLEEPY_A).content.decode() == "当前 3 位客户"


def test_agent_sees_team_segments_read_only(client, agent_li, segment):
    client.force_login(agent_li)
    html = client.get(reverse("segments:saved")).content.decode()
    assert "华东 制造业 A 类 沉睡" in html
    assert reverse("segments:saved_edit", args=[segment.pk]) not in html
    assert client.get(reverse("segments:saved_new")).status_code == 403
    assert client.get(reverse("segments:saved_edit", args=[segment.pk])).status_code == 403
    client.post(reverse("segments:saved_delete", args=[segment.pk]))
    assert SavedSegment.objects.filter(pk=segment.pk).exists()


def test_save_form_is_prefilled_and_saves(client, supervisor_zhao, sleepy, team_east):
    client.force_login(supervisor_zhao)
    url = reverse("segments:saved_new")
    html = client.get(url, SLEEPY_A).content.decode()
    assert '<option value="dormant" selected>' in html
    assert "限 华东一组 的客户" in html
    response = client.post(url, {"name": "华东 制造业 A 类 沉睡", **SLEEPY_A, "city": ""})
    assert response.status_code == 302 and response.url == reverse("segments:saved")
    saved = SavedSegment.objects.get()
    assert (saved.team, saved.filters) == (team_east, SLEEPY_A)


def test_save_form_shows_the_refusal(client, supervisor_zhao, segment):
    client.force_login(supervisor_zhao)
    response = client.post(reverse("segments:saved_new"), {"name": segment.name, "tier": "B"})
    assert response.status_code == 200
    assert "已有同名分群:华东 制造业 A 类 沉睡" in response.content.decode()
    assert SavedSegment.objects.count() == 1


def test_edit_form_shows_stored_filters_and_saves(client, supervisor_zhao, segment):
    client.force_login(supervisor_zhao)
    url = reverse("segments:saved_edit", args=[segment.pk])
    html = client.get(url).content.decode()
    assert 'value="华东 制造业 A 类 沉睡"' in html and '<option value="A" selected>' in html
    response = client.post(url, {"name": "华东 A 类", "region": "华东", "tier": "A"})
    assert response.status_code == 302
    segment.refresh_from_db()
    assert (segment.name, segment.filters) == ("华东 A 类", {"region": "华东", "tier": "A"})


def test_delete_from_the_page(client, supervisor_zhao, segment):
    client.force_login(supervisor_zhao)
    response = client.post(reverse("segments:saved_delete", args=[segment.pk]), follow=True)
    assert "已删除分群 华东 制造业 A 类 沉睡" in response.content.decode()
    assert not SavedSegment.objects.exists()


# --- export ----------------------------------------------------------------------------------


def test_export_of_a_segment_is_scoped_masked_and_audited(client, agent_li, segment):
    client.force_login(agent_li)
    response = client.get(reverse("customers:export"), {"segment": segment.pk, "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8")[1:]
    rows = {r[1]: r for r in list(csv.reader(io.StringIO(text)))[1:]}
    assert set(rows) == {"张三", "李四"}
    assert rows["张三"][3] == "138****5678"
    entry = AuditLog.objects.get(action="customer.export")
    assert entry.detail["rows"] == 2
    assert entry.detail["segment"] == {"id": segment.pk, "name": "华东 制造业 A 类 沉睡"}


# --- API -------------------------------------------------------------------------------------


def test_api_create_list_get_patch_delete(supervisor_zhao, sleepy):
    api = api_as(supervisor_zhao)
    created = api.post("/segments/saved", {"name": "沉睡 A", "filters": SLEEPY_A})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["team"], body["owner"], body["count"], body["count_capped"]) == (
        "east",
        "zhao",
        2,
        False,
    )
    assert body["filters_text"] == "华东 · 制造业 · A 类 · 沉睡"
    pk = body["id"]
    listed = api.get("/segments/saved").json()
    assert [s["name"] for s in listed["items"]] == ["沉睡 A"] and listed["count"] == 1
    patched = api.patch(f"/segments/saved/{pk}", {"filters": {"region": "华东"}}).json()
    assert (patched["name"], patched["count"]) == ("沉睡 A", 3)  # 张三 李四 钱七
    assert api.get(f"/segments/saved/{pk}").json()["filters"] == {"region": "华东"}
    assert api.delete(f"/segments/saved/{pk}").status_code == 204
    assert not SavedSegment.objects.exists()


def test_api_errors_name_the_field(supervisor_zhao, sleepy):
    api = api_as(supervisor_zhao)
    bad = api.post("/segments/saved", {"name": "x", "filters": {"colour": "red"}})
    assert bad.status_code == 400
    assert (bad.json()["field"], bad.json()["message"]) == (
        "filters.colour",
        "未知的筛选条件:colour",
    )
    bad = api.post("/segments/saved", {"name": "x", "filters": {"tier": "Z"}})
    assert bad.json()["field"] == "filters.tier"
    bad = api.post("/segments/saved", {"name": "", "filters": {}})
    assert (bad.status_code, bad.json()["field"]) == (400, "name")
    bad = api.post("/segments/saved", {"name": "x", "team": "south"})
    assert (bad.status_code, bad.json()["field"]) == (400, "team")
    assert not SavedSegment.objects.exists()


def test_api_scope_and_customers(agent_li, agent_chen, segment):
    assert api_as(agent_chen).get(f"/segments/saved/{segment.pk}").status_code == 404
    api = api_as(agent_li)
    page = api.get(f"/segments/saved/{segment.pk}/customers", {"limit": 1}).json()
    assert page["count"] == 2 and [c["name"] for c in page["items"]] == ["李四"]
    page = api.get(f"/segments/saved/{segment.pk}/customers", {"offset": 1}).json()
    assert [(c["name"], c["phone"]) for c in page["items"]] == [("张三", "138****5678")]
    listed = api.get("/customers", {"segment": segment.pk}).json()
    assert sorted(c["name"] for c in listed["items"]) == ["张三", "李四"]
    assert api.patch(f"/segments/saved/{segment.pk}", {"name": "改"}).status_code == 403
    missing = api_as(agent_chen).get("/customers", {"segment": segment.pk})
    assert (missing.status_code, missing.json()["field"]) == (404, "segment")


def test_api_list_query_count_does_not_grow(admin_wang, agent_li, django_assert_num_queries):
    api = api_as(admin_wang)
    for i in range(3):
        saved_segment_create(actor=admin_wang, name=f"分群{i}", filters={"owner": agent_li.pk})
    api.get("/segments/saved")
    # token (with its user), count, page, owners named in the filters
    with django_assert_num_queries(4):
        assert api.get("/segments/saved").json()["count"] == 3
    for i in range(3, 30):
        saved_segment_create(actor=admin_wang, name=f"分群{i}", filters={"owner": agent_li.pk})
    with django_assert_num_queries(4):
        body = api.get("/segments/saved").json()
    assert body["items"][0]["filters_text"] == "负责人 李客服"
