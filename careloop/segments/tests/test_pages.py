"""Segment fields on the customer list and the 360 page; the segments page and its runs."""

from datetime import timedelta

import pytest
from django.urls import reverse

from careloop.core import clock
from careloop.customers.tests.factories import make_customer, make_order
from careloop.segments.models import SegmentRun
from careloop.segments.services import segment_customers

pytestmark = pytest.mark.django_db


@pytest.fixture
def segmented(team_east):
    """As of today: 张 active (A), 李 dormant, 王 a prospect; all in 华东一组."""
    today = clock.today()

    def day(n: int) -> str:
        return f"{today - timedelta(days=n):%Y-%m-%d} 10:00"

    active = make_customer("张三", team=team_east, gender="M")
    make_order(active, "900", day(5))
    make_order(active, "100", day(200))
    dormant = make_customer("李四", team=team_east, gender="F")
    make_order(dormant, "50", day(100))
    prospect = make_customer("王五", team=team_east)
    segment_customers(as_of=today)
    for c in (active, dormant, prospect):
        c.refresh_from_db()
    return active, dormant, prospect


def names(response) -> list[str]:
    return [c.name for c in response.context["customers"]]


def test_list_filters_by_lifecycle_tier_and_value_class(client, supervisor_zhao, segmented):
    client.force_login(supervisor_zhao)
    url = reverse("customers:list")
    assert names(client.get(url, {"lifecycle": "dormant"})) == ["李四"]
    assert names(client.get(url, {"tier": "A"})) == ["张三"]
    assert names(client.get(url, {"tier": "none"})) == ["王五"]
    assert names(client.get(url, {"value_class": "core"})) == ["张三"]
    response = client.get(url, {"lifecycle": "active"})
    assert "活跃" in response.content.decode()


def test_list_sorts_by_health_churn_and_rfm(client, supervisor_zhao, segmented):
    client.force_login(supervisor_zhao)
    url = reverse("customers:list")
    by_health = names(client.get(url, {"sort": "-health"}))
    assert by_health == [c.name for c in sorted(segmented, key=lambda c: (-c.health, -c.pk))]
    assert names(client.get(url, {"sort": "-r"})) == ["张三", "李四", "王五"]  # prospects last
    assert names(client.get(url, {"sort": "r"})) == ["李四", "张三", "王五"]
    assert names(client.get(url, {"sort": "-m"}))[-1] == "王五"
    assert len(names(client.get(url, {"sort": "churn"}))) == 3


def test_list_query_count_with_segment_filters(client, supervisor_zhao, segmented):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(supervisor_zhao)
    url = reverse("customers:list")
    client.get(url)  # warm the filter-choices cache
    with CaptureQueriesContext(connection) as plain:
        client.get(url)
    with CaptureQueriesContext(connection) as filtered:
        client.get(url, {"lifecycle": "active", "tier": "A", "sort": "-health"})
    assert len(filtered) == len(plain) == 7  # segment filters add no query


def test_360_shows_the_segment_card_with_reasons(client, supervisor_zhao, segmented):
    _active, dormant, prospect = segmented
    client.force_login(supervisor_zhao)
    page = client.get(reverse("customers:detail", args=[dormant.pk])).content.decode()
    assert "客户分群" in page and "沉睡" in page
    assert "最近一次下单 100 天前" in page
    assert f"R {dormant.r_score} · F {dormant.f_score} · M {dormant.m_score}" in page
    page = client.get(reverse("customers:detail", args=[prospect.pk])).content.decode()
    assert "潜在客户" in page and "尚未下单" in page


def test_360_health_reasons_follow_the_language(client, supervisor_zhao, segmented):
    from django.conf import settings

    _active, dormant, _prospect = segmented
    client.force_login(supervisor_zhao)
    url = reverse("customers:detail", args=[dormant.pk])
    assert (
        '<dd data-testid="health-reasons">最近一次下单 100 天前' in client.get(url).content.decode()
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(url).content.decode()
    assert '<dd data-testid="health-reasons">Last order 100 days ago' in page
    assert "最近一次下单" not in page


def test_list_shows_health_reasons_on_the_score(client, supervisor_zhao, segmented):
    client.force_login(supervisor_zhao)
    page = client.get(reverse("customers:list"), {"lifecycle": "dormant"}).content.decode()
    assert 'title="最近一次下单 100 天前' in page


def test_overview_says_when_expected_spend_is_the_fallback(client, supervisor_zhao, segmented):
    run = SegmentRun.objects.create(
        as_of=clock.today(), status="done", counts={"churn_model": "gamma_gamma_fallback"}
    )
    client.force_login(supervisor_zhao)
    page = client.get(reverse("segments:overview")).content.decode()
    assert "预计未来12个月消费按客户自身平均客单价估算" in page
    run.counts = {"churn_model": "fitted"}
    run.save()
    assert (
        'data-testid="churn-model"' not in client.get(reverse("segments:overview")).content.decode()
    )


def test_360_before_any_segmentation(client, supervisor_zhao, team_east):
    c = make_customer("新来", team=team_east)
    client.force_login(supervisor_zhao)
    page = client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert "尚未分群" in page


def test_supervisor_starts_a_run_and_sees_it_done(
    client, supervisor_zhao, segmented, django_capture_on_commit_callbacks
):
    client.force_login(supervisor_zhao)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("segments:run_start"))
    run = SegmentRun.objects.get()
    assert response.url == reverse("segments:run", args=[run.pk])
    page = client.get(response.url).content.decode()
    assert "已完成" in page and "100%" in page
    overview = client.get(reverse("segments:overview")).content.decode()
    assert "?lifecycle=dormant" in overview and "沉睡" in overview


def test_agents_cannot_open_or_start_runs(client, agent_li):
    client.force_login(agent_li)
    assert client.get(reverse("segments:overview")).status_code == 403
    assert client.post(reverse("segments:run_start")).status_code == 403
    assert not SegmentRun.objects.exists()


def test_overview_counts_only_the_supervisors_team(
    client, supervisor_zhao, admin_wang, team_south, segmented, django_capture_on_commit_callbacks
):
    south = make_customer("赵六", team=team_south)
    make_order(south, "70", f"{clock.today() - timedelta(days=100):%Y-%m-%d} 10:00")
    client.force_login(supervisor_zhao)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("segments:run_start"))
    groups = dict(client.get(reverse("segments:overview")).context["groups"])
    dormant = next(x for x in groups["生命周期"] if x["url"].endswith("=dormant"))
    assert dormant["n"] == 1  # 李四 only; 赵六 of 华南 is not counted for 华东's supervisor
    client.force_login(admin_wang)
    groups = dict(client.get(reverse("segments:overview")).context["groups"])
    assert next(x for x in groups["生命周期"] if x["url"].endswith("=dormant"))["n"] == 2


def test_rfm_grid_counts_scoped_cells(
    client, supervisor_zhao, agent_chen, segmented, django_capture_on_commit_callbacks
):
    from careloop.segments.selectors import rfm_grid

    cells = rfm_grid(user=supervisor_zhao)
    assert sum(n for _r, _f, n in cells) == 2  # the two buyers; the prospect has no scores
    assert all(1 <= r <= 5 and 1 <= f <= 5 for r, f, _n in cells)
    assert rfm_grid(user=agent_chen) == []  # 华南 sees none of 华东's customers
    client.force_login(supervisor_zhao)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("segments:run_start"))
    charts = client.get(reverse("segments:overview")).context["charts"]
    assert charts["rfm"] == cells
    assert [g["title"] for g in charts["groups"]] == ["生命周期", "价值等级", "价值类别"]


def test_transitions_matrix_links_to_the_customers_who_moved(client, supervisor_zhao, team_east):
    today = clock.today()
    earlier = today - timedelta(days=30)

    def day(n: int) -> str:
        return f"{today - timedelta(days=n):%Y-%m-%d} 10:00"

    woken = make_customer("张三", team=team_east)
    make_order(woken, "100", day(120))  # dormant 30 days ago …
    stayed = make_customer("李四", team=team_east)
    make_order(stayed, "100", day(130))
    segment_customers(as_of=earlier)
    make_order(woken, "200", day(3))  # … and active after a wake-up order
    segment_customers(as_of=today)
    SegmentRun.objects.create(as_of=today, status=SegmentRun.Status.DONE, progress=100)

    client.force_login(supervisor_zhao)
    context = client.get(reverse("segments:overview")).context
    assert (context["since"], context["until"]) == (earlier, today)
    dormant_row = next(r for r in context["matrix"] if r["label"] == "沉睡")
    stages = [key for key, _label in context["stages"]]
    to_active = dormant_row["cells"][stages.index("active")]
    assert to_active["n"] == 1
    assert dormant_row["cells"][stages.index("dormant")]["n"] == 1
    listing = client.get(to_active["url"])
    assert [c.name for c in listing.context["customers"]] == ["张三"]


def test_overview_shows_spend_per_stage(
    client, supervisor_zhao, segmented, django_capture_on_commit_callbacks
):
    client.force_login(supervisor_zhao)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("segments:run_start"))
    groups = dict(client.get(reverse("segments:overview")).context["groups"])
    by_label = {item["label"]: item for item in groups["生命周期"]}
    assert by_label["活跃"]["spend"] == 1000  # 张三: 900 + 100 within 365 days
    assert by_label["沉睡"]["spend"] == 50
    assert by_label["潜在客户"]["spend"] == 0
